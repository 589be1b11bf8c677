"""What keeping the union default graph a set costs a write and an open, as the data grows.

A writable store with built graphs and a contributed graph of N triples, 1,000 of which the
built graphs hold too (so the union would be a multiset), at three sizes: the median time of
a one-triple Graph Store write to another graph, of a one-triple SPARQL update to the large
graph itself, of copying that graph whole to another and dropping the copy, of opening the
store, of opening it after a cut mid-update (the note left
changing, the update committed and its upkeep not done), and of the first one-entity query
after opening. With --before DIR (a checkout of an earlier version), the same is measured with
that version's code, side by side in the same run (each in its own process).
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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:  # imported where measured: the code measured is the one on the path
    from kg.store.oxigraph_backend import OxigraphBackend

SIZES = (10_000, 50_000, 100_000)
DUPLICATES = 1000
BUILT, CONTRIBUTED = "https://w3id.org/dmkg/graph/facts", "urn:bench:contributed"
COPY = "urn:bench:copy"
LOOKUP = "SELECT ?p ?o WHERE { <urn:s1> ?p ?o }"


def _triple(subject: int, value: int) -> ox.Triple:
    return ox.Triple(ox.NamedNode(f"urn:s{subject}"), ox.NamedNode("urn:p"),
                     ox.Literal(str(value)))


def _quad(triple: ox.Triple, graph: str) -> ox.Quad:
    return ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(graph))


def _median_ms(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2)


def _store(folder: Path, size: int) -> tuple[Path, tuple[str, ...]]:
    """The store, loaded as from dist/; the contributed graph is put in directly, and the
    store's note removed so that opening it finds the union again (each version its way)."""
    from kg.store import union_note
    from kg.store.writable import prepare_writable_store

    source = folder / "built.nq"
    built = [_quad(_triple(i, 0), BUILT) for i in range(DUPLICATES)]
    source.write_bytes(ox.serialize(built, format=ox.RdfFormat.N_QUADS) or b"")
    live, origin = prepare_writable_store(folder / "root", [(source, None)], built=True)
    store = ox.Store(str(live))
    store.extend(_quad(_triple(i, i % 2), CONTRIBUTED) for i in range(size))
    del store
    gc.collect()
    (live / union_note.NOTE).unlink()
    return live, origin.protected


def _write_ms(backend: OxigraphBackend) -> float:
    count = iter(range(10**6))
    return _median_ms(lambda: backend.write_graph(
        "urn:bench:small", [_triple(10**7, next(count))], replace=False), 20)


def _one_triple(value: int) -> str:
    return f'INSERT DATA {{ GRAPH <{CONTRIBUTED}> {{ <urn:s{10**7}> <urn:p> "{value}" }} }}'


def _update_ms(backend: OxigraphBackend) -> float:
    count = iter(range(10**6))
    return _median_ms(lambda: backend.update(_one_triple(next(count))), 9)


def _graph_ops_ms(backend: OxigraphBackend) -> tuple[float, float]:
    """The median times of copying the large graph whole to another and dropping the copy
    (the copy's triples are all in the union already: the upkeep only looks)."""
    copies, drops = [], []
    for _ in range(3):
        for text, times in ((f"COPY <{CONTRIBUTED}> TO <{COPY}>", copies),
                            (f"DROP GRAPH <{COPY}>", drops)):
            start = time.perf_counter()
            backend.update(text)
            times.append(time.perf_counter() - start)
    return (round(statistics.median(copies) * 1000, 1), round(statistics.median(drops) * 1000, 1))


def _cut(backend: OxigraphBackend, value: int) -> None:
    """Leave the store as a cut mid-update leaves it: the note marked changing and the update
    committed, as each version writes them, and no upkeep after."""
    from kg.store import union_note

    assert backend.path is not None
    base = union_note.kept_base(backend.path)
    try:
        from kg.sparql_reading import read
        from kg.store import union_upkeep  # type: ignore[attr-defined, unused-ignore]
    except ImportError:  # the version before the upkeep graph
        union_note.changing(backend.path, base)
        backend.store.update(_one_triple(value))
        return
    union_note.changing(backend.path, base, upkeep=True)  # type: ignore[call-arg, unused-ignore]
    backend.store.update(union_upkeep.copied(read(_one_triple(value))))


def _open_after_cut_ms(path: Path, protected: tuple[str, ...], rounds: int) -> float:
    from kg.store.oxigraph_backend import OxigraphBackend

    times = []
    for value in range(rounds):
        backend = OxigraphBackend.writable(path, protected)
        _cut(backend, 10**6 + value)
        backend.store = None  # type: ignore[assignment]
        del backend
        gc.collect()
        start = time.perf_counter()
        backend = OxigraphBackend.writable(path, protected)
        times.append(time.perf_counter() - start)
        backend.store = None  # type: ignore[assignment]
        del backend
        gc.collect()
    return round(statistics.median(times) * 1000, 1)


def measure(size: int) -> dict[str, object]:
    """Measure one size with the code on the path."""
    from kg.store.oxigraph_backend import OxigraphBackend

    with tempfile.TemporaryDirectory() as scratch:
        path, protected = _store(Path(scratch), size)
        start = time.perf_counter()
        backend = OxigraphBackend.writable(path, protected)  # finds the union: once
        first_ms = round((time.perf_counter() - start) * 1000, 1)
        write = _write_ms(backend)
        update = _update_ms(backend)
        copy, drop = _graph_ops_ms(backend)
        backend.store = None  # type: ignore[assignment]
        del backend
        gc.collect()
        opens, lookups = [], []
        for _ in range(5):
            start = time.perf_counter()
            backend = OxigraphBackend.writable(path, protected)
            opens.append(time.perf_counter() - start)
            start = time.perf_counter()
            list(backend.query(LOOKUP).payload)  # type: ignore[call-overload]
            lookups.append(time.perf_counter() - start)
            backend.store = None  # type: ignore[assignment]
            del backend
            gc.collect()
        cut = _open_after_cut_ms(path, protected, 3)
        return {"contributed": size, "duplicates": DUPLICATES, "first_open_ms": first_ms,
                "one_triple_write_ms": write, "one_triple_update_ms": update,
                "copy_graph_ms": copy, "drop_graph_ms": drop,
                "open_ms": round(statistics.median(opens) * 1000, 1),
                "open_after_cut_ms": cut,
                "first_lookup_ms": round(statistics.median(lookups) * 1000, 2)}


def _run(tree: Path, size: int) -> dict[str, object]:
    """Measure one size in a process whose code comes from tree."""
    done = subprocess.run([sys.executable, __file__, "--measure", str(size)], check=True,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tree)})
    row: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def main() -> None:
    """Measure each size (and the earlier version's); write bench/results/union-writes-*."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="a checkout of the version to compare")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.measure)))
        return
    from bench.report import write_rows

    trees = [("before", options.before)] if options.before else []
    trees.append(("after", Path(__file__).resolve().parent.parent))
    rows = []
    for size in SIZES:
        for label, tree in trees:
            rows.append({"code": label, **_run(tree, size)})
            print(rows[-1], flush=True)
    with open("/proc/loadavg", encoding="utf-8") as load:
        average = load.read().split()[0]
    write_rows("union-writes", "A one-triple write and update, a graph copied and dropped, an "
                               "open and an open after a cut, with duplicated triples "
                               f"(writable store, medians; load average {average})", rows)


if __name__ == "__main__":
    main()
