"""What opening the writable store costs (each worker start or restart) with a large
contributed graph: before, when opening checked whether the union holds a triple twice by
reading every quad; now, when it reads the note its writes keep (kg.store.union_note).

Side by side in one run, per size: opening with no note (the fallback, which is what every
open did before) and opening with the note, medians of a few opens each.

    python -m bench.store_open
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

from bench.report import measure_sizes, write_rows
from bench.synthetic import write
from kg.store import union_note
from kg.store.oxigraph_backend import OxigraphBackend

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
    argparse.ArgumentParser(description=__doc__).parse_args()  # --help, and no options
    rows = measure_sizes(SIZES, _measure)
    write_rows("store-open", "Opening the writable store with a large contributed graph "
               f"(on-disk Oxigraph, median of {ROUNDS} opens)", rows)

if __name__ == "__main__":
    main()
