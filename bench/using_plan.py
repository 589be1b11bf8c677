"""What a small update with a WHERE costs on a store with a large contributed graph, as sent
to the service naming no USING (its WHERE reads the union of every graph).

A writable store with built graphs and a contributed graph of N triples, in two shapes: apart
(no contributed triple is built too) and shared (1,000 of them are). The median time of the
update `INSERT { GRAPH <urn:mine> { ?s <urn:p> n } } WHERE { ?s <urn:q> 2 }` with every graph
as its dataset, after a first one. With --before DIR (a checkout of an earlier version), the
same is measured with that version's code, side by side in the same run (each in its own
process).

    python -m bench.using_plan --before /path/to/earlier/checkout
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

SIZES = (30_000, 300_000)
SHAPES = {"apart": 0, "shared": 1000}
BUILT, CONTRIBUTED = "https://w3id.org/dmkg/graph/facts", "urn:bench:contributed"
ROUNDS = 7


def _quad(subject: int, value: int, graph: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"urn:s{subject}"), ox.NamedNode("urn:p"),
                   ox.Literal(str(value)), ox.NamedNode(graph))


def _store(folder: Path, size: int, shared: int) -> tuple[Path, tuple[str, ...]]:
    """The store, loaded as from dist/, with the contributed graph put in directly."""
    from kg.store import union_note
    from kg.store.writable import prepare_writable_store

    source = folder / "built.nq"
    built = [_quad(i, 0, BUILT) for i in range(1000)]
    source.write_bytes(ox.serialize(built, format=ox.RdfFormat.N_QUADS) or b"")
    live, origin = prepare_writable_store(folder / "root", [(source, None)], built=True)
    store = ox.Store(str(live))
    store.bulk_extend(_quad(i, 0 if i < shared else 1, CONTRIBUTED) for i in range(size))
    store.flush()
    del store
    gc.collect()
    (live / union_note.NOTE).unlink()  # opening finds the union again
    return live, origin.protected


def measure(size: int, shared: int) -> dict[str, object]:
    """Measure one size and shape with the code on the path."""
    from kg.store import DatasetSpec
    from kg.store.oxigraph_backend import OxigraphBackend

    with tempfile.TemporaryDirectory() as scratch:
        path, protected = _store(Path(scratch), size, shared)
        backend = OxigraphBackend.writable(path, protected)
        backend.update("INSERT DATA { GRAPH <urn:mine> { <urn:s> <urn:q> 2 } }",
                       targets={"urn:mine"})
        names = tuple(backend.graph_names())
        dataset = DatasetSpec(names, names)
        times = []
        for value in range(ROUNDS + 1):
            start = time.perf_counter()
            backend.update(f"INSERT {{ GRAPH <urn:mine> {{ ?s <urn:p> {value} }} }} "
                           "WHERE { ?s <urn:q> 2 }", dataset, targets={"urn:mine"})
            times.append(time.perf_counter() - start)
        return {"contributed": size, "shared_with_built": shared,
                "first_update_ms": round(times[0] * 1000, 1),
                "update_median_ms": round(statistics.median(times[1:]) * 1000, 1)}


def _run(tree: Path, size: int, shared: int) -> dict[str, object]:
    """Measure in a process whose code comes from tree."""
    done = subprocess.run([sys.executable, __file__, "--measure", f"{size},{shared}"],
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tree)})
    if done.returncode:
        raise SystemExit(f"measuring {size},{shared} with {tree} failed:\n{done.stderr}")
    row: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def main() -> None:
    """Measure each size and shape (and the earlier version's); write bench/results/."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="a checkout of the version to compare")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        size, shared = (int(n) for n in options.measure.split(","))
        print(json.dumps(measure(size, shared)))
        return
    from bench.report import write_rows

    trees = [("before", options.before)] if options.before else []
    trees.append(("after", Path(__file__).resolve().parent.parent))
    rows = []
    for size in SIZES:
        for shape, shared in SHAPES.items():
            for label, tree in trees:
                row = {"code": label, "shape": shape, **_run(tree, size, shared),
                       "loadavg": Path("/proc/loadavg").read_text().split()[0]}
                print(row, flush=True)
                rows.append(row)
    write_rows("using-plan", "A small update with a WHERE on a large contributed graph", rows)


if __name__ == "__main__":
    main()
