"""What a set-valued union default graph costs: the overlap check and a one-entity look-up.

Side by side in one run, per size: the one-time check that no triple is held by two graphs
(redone after each write), a one-entity SELECT through the backend against pyoxigraph's own
union option (the path before the check), and the same look-up when graphs do overlap and the
query runs on a merged copy (the copy's one-time cost reported apart).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from bench.report import measure_sizes, write_rows
from bench.synthetic import write
from kg.store.oxigraph_backend import OxigraphBackend

SIZES = (10_000, 100_000)
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/synthetic-1> ?p ?o }"
ROUNDS = 2000


def _median_ms(run: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _measure(size: int, folder: Path) -> dict[str, float]:
    path = folder / f"synthetic-{size}.nq"
    write(size, path)
    backend = OxigraphBackend.in_memory()
    backend.load(path)
    start = time.perf_counter()
    disjoint = not backend._overlap(None)  # load() did it once already; timed again here
    check_ms = (time.perf_counter() - start) * 1000
    store = backend.store
    direct = _median_ms(lambda: list(store.query(LOOKUP, use_default_graph_as_union=True)))  # type: ignore[arg-type]
    through = _median_ms(lambda: list(backend.query(LOOKUP).payload))  # type: ignore[call-overload]
    # One triple copied into a second graph: the union now overlaps.
    first = next(iter(store.quads_for_pattern(None, None, None)))
    store.add(ox.Quad(first.subject, first.predicate, first.object, ox.NamedNode("urn:copy")))
    backend._forget()
    start = time.perf_counter()
    list(backend.query(LOOKUP).payload)  # type: ignore[call-overload]
    copy_ms = (time.perf_counter() - start) * 1000
    merged = _median_ms(lambda: list(backend.query(LOOKUP).payload))  # type: ignore[call-overload]
    return {"triples": len(store), "disjoint": disjoint, "overlap_check_ms": round(check_ms, 1),
            "lookup_union_option_ms": round(direct, 4), "lookup_backend_ms": round(through, 4),
            "first_lookup_with_overlap_ms": round(copy_ms, 1),
            "lookup_on_merged_copy_ms": round(merged, 4)}


def main() -> None:
    """Measure each size and write bench/results/union-set-{stamp,latest}.{json,md}."""
    argparse.ArgumentParser(description=__doc__).parse_args()  # --help, and no options
    rows = measure_sizes(SIZES, _measure)
    write_rows("union-set", "Union default graph as a set (in-memory Oxigraph, medians)", rows)

if __name__ == "__main__":
    main()
