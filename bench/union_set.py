"""What a set-valued union default graph costs: the overlap check and a one-entity look-up.

Side by side in one run, per size: the one-time check that no triple is held by two graphs
(redone after each write), a one-entity SELECT through the backend against pyoxigraph's own
union option (the path before the check), and the same look-up when graphs do overlap and the
query runs on a merged copy (the copy's one-time cost reported apart).

Then (--part overlap, or all), for graphs that overlap, the two ways of reading them as a set
side by side: a merged copy of the data in memory (old, what a read-only store still does)
and a hidden merged graph inside the store (new): for a protocol dataset of two overlapping
`default-graph-uri`, and for the union of a store seeded with overlapping data files; the
quads held (store and copies), the first query after a write (which makes the copy or the
hidden graph) and a COUNT over the default graph. And what reading an update's USING graphs
as a set costs a SPARQL update on the writable store of built graphs (every graph named, as
the service names them), against the multiset read before: with 10k contributed triples none
of which is held twice, then with 100 of them repeating built triples.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from bench.report import measure_sizes, write_rows
from bench.synthetic import write
from kg.store.base import DatasetSpec
from kg.store.oxigraph_backend import OxigraphBackend
from kg.store.writable import prepare_writable_store

SIZES = (10_000, 100_000)
OVERLAP_SIZES = (100_000,)
FACTS = "https://w3id.org/dmkg/graph/facts"
EXTRA = "urn:bench:contributed"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_ROUNDS = 7
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


def _seeded(folder: Path, size: int, hosts: bool) -> OxigraphBackend:
    """A store seeded as `dmkg serve --data` seeds it: the synthetic data, and a file of a
    tenth of its facts (and as many triples of its own) in a graph of their own."""
    data, extra = folder / f"synthetic-{size}.nq", folder / f"extra-{size}.nt"
    if not data.exists():
        write(size, data)
        facts = [q.triple for q in ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS)
                 if getattr(q.graph_name, "value", "") == FACTS]
        own = [ox.Triple(t.subject, ox.NamedNode("urn:bench:seen"), t.object)
               for t in facts[::10]]
        ox.serialize(facts[::10] + own, output=str(extra), format=ox.RdfFormat.N_TRIPLES)
    backend = OxigraphBackend.in_memory()
    backend._hosts = hosts  # False: merged copies in memory, as before (and read-only stores)
    start = time.perf_counter()
    backend.load(data)
    backend.load(extra, EXTRA)
    backend.load_s = time.perf_counter() - start  # type: ignore[attr-defined]
    return backend


def _held(backend: OxigraphBackend) -> int:
    return len(backend.store) + sum(len(view) for view in backend._views.values())


def _count(backend: OxigraphBackend, dataset: DatasetSpec | None) -> int:
    return int(str(backend.select(COUNT, dataset=dataset)[0]["n"]))


def _overlap_rows(size: int, folder: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for case, dataset in (("dataset", DatasetSpec((FACTS, EXTRA))), ("data-union", None)):
        for hosts in (False, True):
            backend = _seeded(folder, size, hosts)
            backend._forget()  # as after a write: the next query makes the set again
            start = time.perf_counter()
            answer = _count(backend, dataset)
            first = time.perf_counter() - start
            counted = _median_ms(lambda b=backend, d=dataset: _count(b, d),  # type: ignore[misc]
                                 COUNT_ROUNDS)
            rows.append({"case": case, "triples": size, "way": "hidden graph" if hosts
                         else "merged copy", "answer": answer, "quads_held": _held(backend),
                         "load_s": round(backend.load_s, 2),  # type: ignore[attr-defined]
                         "first_query_s": round(first, 2),
                         "count_ms": round(counted, 1)})
            print(rows[-1], flush=True)
    return rows


def _using_rows(size: int, folder: Path) -> list[dict[str, object]]:
    data = folder / f"built-{size}.nq"
    write(size, data)
    root, origin = prepare_writable_store(folder / f"store-{size}", [(data, None)], built=True)
    backend = OxigraphBackend.writable(root, origin.protected)
    facts = [q.triple for q in backend.store.quads_for_pattern(None, None, None,
                                                               ox.NamedNode(FACTS))]
    own = [ox.Triple(ox.NamedNode(f"urn:bench:s{i}"), ox.NamedNode("urn:bench:p"),
                     ox.Literal(str(i))) for i in range(10_000)]
    backend.write_graph(EXTRA, own, replace=True)
    text = ("INSERT { GRAPH <urn:bench:out> { <urn:bench:x> <urn:bench:n> ?n } } "
            "WHERE { SELECT (COUNT(*) AS ?n) { <urn:bench:s1> ?p ?o } }")
    rows: list[dict[str, object]] = []
    for case in ("none held twice", "100 held twice"):
        if case.startswith("100"):
            backend.write_graph(EXTRA, facts[:100], replace=False)
        for way in ("multiset", "set"):
            plan = backend._using_plan
            if way == "multiset":  # as before: the engine merges the USING graphs as they are
                backend._using_plan = lambda graphs: None  # type: ignore[method-assign]

            def update(b: OxigraphBackend = backend) -> None:
                names = tuple(b.graph_names())
                b.update(text, DatasetSpec(names, names))

            took = _median_ms(update, 5)
            backend._using_plan = plan  # type: ignore[method-assign]
            rows.append({"case": f"update-using, {case}", "triples": size, "way": way,
                         "update_ms": round(took, 1)})
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    """Measure each size and write bench/results/union-set{,-overlap}-{stamp,latest}.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("all", "lookup", "overlap"), default="all",
                        help="which measures to make (default: all)")
    part = parser.parse_args().part
    if part in {"all", "lookup"}:
        rows = measure_sizes(SIZES, _measure)
        write_rows("union-set", "Union default graph as a set (in-memory Oxigraph, medians)",
                   rows)
    if part in {"all", "overlap"}:
        with tempfile.TemporaryDirectory() as scratch:
            found = [row for size in OVERLAP_SIZES for row in _overlap_rows(size, Path(scratch))]
            using = [row for size in OVERLAP_SIZES for row in _using_rows(size, Path(scratch))]
        write_rows("union-set-overlap", "Overlapping default graphs read as sets: merged copy "
                   f"(old) and hidden graph (new), medians of {COUNT_ROUNDS} COUNTs; load "
                   f"average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", found)
        write_rows("union-set-using", "An update's USING graphs read as a set, against the "
                   "multiset read before (writable store of built graphs, medians of 5; load "
                   f"average {' '.join(Path('/proc/loadavg').read_text().split()[:3])})", using)

if __name__ == "__main__":
    main()
