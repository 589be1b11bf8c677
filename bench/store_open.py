"""What opening the writable store costs (each worker start or restart) with a large
contributed graph: before, when opening checked whether the union holds a triple twice by
reading every quad; now, when it reads the note its writes keep (kg.store.union_note).

Side by side in one run, per size: opening with no note (the fallback, which is what every
open did before) and opening with the note, medians of a few opens each.

    python -m bench.store_open
"""

from __future__ import annotations

import gc
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from bench.synthetic import write
from kg.store import union_note
from kg.store.oxigraph_backend import OxigraphBackend

RESULTS = Path(__file__).with_name("results")
SIZES = (100_000, 1_000_000)
ROUNDS = 3
CONTRIBUTED = ox.NamedNode("https://w3id.org/dmkg/graph/contrib/bench")


def _fill(size: int, folder: Path) -> Path:
    """A store whose one graph is a contributed graph of size synthetic triples."""
    source = folder / f"synthetic-{size}.nq"
    write(size, source)
    store_folder = folder / f"store-{size}"
    store = ox.Store(str(store_folder))
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, CONTRIBUTED)
                      for q in ox.parse(path=str(source), format=ox.RdfFormat.N_QUADS))
    store.flush()
    union_note.settle(store_folder, store, not union_note.overlaps(store))
    del store
    gc.collect()
    return store_folder


def _open_seconds(folder: Path, noted: bool) -> float:
    if not noted:
        (folder / union_note.NOTE).unlink(missing_ok=True)
    start = time.perf_counter()
    backend = OxigraphBackend.writable(folder)
    seconds = time.perf_counter() - start
    assert backend._disjoint is True
    del backend
    gc.collect()  # RocksDB lets go of its folder when the store object goes
    return seconds


def _measure(size: int, folder: Path) -> dict[str, object]:
    store_folder = _fill(size, folder)
    before, after = [], []
    for _ in range(ROUNDS):
        before.append(_open_seconds(store_folder, noted=False))  # leaves a note behind
        after.append(_open_seconds(store_folder, noted=True))
    return {"contributed_triples": size,
            "open_scanning_ms (before)": round(statistics.median(before) * 1000, 1),
            "open_reading_note_ms (now)": round(statistics.median(after) * 1000, 1)}


def main() -> None:
    """Measure each size and write bench/results/store-open-{stamp,latest}.{json,md}."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            rows.append(_measure(size, Path(folder)))
            print(rows[-1], flush=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    header = list(rows[0])
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table += ["| " + " | ".join(str(row[k]) for k in header) + " |" for row in rows]
    text = ("# Opening the writable store with a large contributed graph (on-disk Oxigraph, "
            f"median of {ROUNDS} opens)\n\n" + "\n".join(table))
    for name in (f"store-open-{stamp}", "store-open-latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        (RESULTS / f"{name}.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
