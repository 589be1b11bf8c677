"""An update that reads the whole union (as one sent to the service naming no USING is run)
plans its USING graphs from what the store knows of them: whether its contributed graphs
share a triple is followed by each write at the cost of the triples it adds, so a small
update costs the same on a store ten times larger, and the union it reads is still a set."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store import DatasetSpec
from kg.store.oxigraph_backend import OxigraphBackend
from tests.kg.store.test_union_graph import (
    BUILT,
    BUILT_A,
    CONTRIBUTED,
    built_store,
    large_store,
    noted,
    reopened,
    triple,
)

C1, C2, C3 = CONTRIBUTED
OUT = "urn:c:out"


def whole(backend: OxigraphBackend) -> DatasetSpec:
    """The dataset the service gives an update that names none: every graph."""
    names = tuple(backend.graph_names())
    return DatasetSpec(names, names)


def union_read(backend: OxigraphBackend) -> int:
    """The triples an update's WHERE finds in the union, written to a graph and read back."""
    backend.update(f"DROP SILENT GRAPH <{OUT}> ; "
                   f"INSERT {{ GRAPH <{OUT}> {{ <urn:x> <urn:n> ?n }} }}"
                   " WHERE { SELECT (COUNT(*) AS ?n) { ?s ?p ?o } }", whole(backend),
                   targets={OUT})
    found = list(backend.store.quads_for_pattern(None, None, None, ox.NamedNode(OUT)))
    assert len(found) == 1
    return int(found[0].object.value)


def union_size(backend: OxigraphBackend) -> int:
    """The union as a set, found from scratch (what the graphs a client sees hold)."""
    return len({q.triple for q in backend.store.quads_for_pattern(None, None, None)
                if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value != OUT
                and not q.graph_name.value.startswith(("urn:dmkg:", "https://w3id.org/dmkg/"
                                                       "graph/upkeep"))})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OxigraphBackend]:
    yield built_store(tmp_path, BUILT, {C1: {triple(1, 1), triple(1, 2)}, C2: {triple(2, 1)}})


def test_the_union_stays_a_set_as_contributed_graphs_come_to_share_triples(
        store: OxigraphBackend) -> None:
    assert union_read(store) == union_size(store)
    assert noted(store).get("apart") is True  # known, and kept with the store
    # A contributed triple a built graph holds too (a graph write).
    held = next(iter(BUILT[BUILT_A]))
    store.write_graph(C3, [held], replace=False)
    assert noted(store).get("apart") is False
    assert union_read(store) == union_size(store)
    store.drop_graph(C3)
    assert union_read(store) == union_size(store)
    assert noted(store).get("apart") is True  # counted again, and apart again
    # Known across a restart: the next update's plan reads no quad to tell.
    store = reopened(store)
    assert store._apart is True
    # A triple of one contributed graph written to another (an update with a WHERE).
    store.update(f"INSERT {{ GRAPH <{C2}> {{ ?s ?p ?o }} }} "
                 f"WHERE {{ GRAPH <{C1}> {{ ?s ?p ?o }} }}", targets={C2})
    assert noted(store).get("apart") is False
    assert union_read(store) == union_size(store)


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OxigraphBackend, ...]]:
    """Stores whose one contributed graph holds 10k and 100k triples that no other holds."""
    folder = tmp_path_factory.mktemp("using-plan")
    yield tuple(large_store(folder / str(size), size, 0) for size in (10_000, 100_000))


def _update_costs(stores: tuple[OxigraphBackend, ...], rounds: int = 15) -> list[float]:
    """The fastest of rounds of a small update on each store, the stores taking turns, so
    that the machine's other load falls on both alike."""
    runs = []
    for backend in stores:
        backend.write_graph("urn:mine", [ox.Triple(
            ox.NamedNode("urn:s"), ox.NamedNode("urn:q"),
            ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))],
            replace=False)
        count = iter(range(10**6))

        def small(backend: OxigraphBackend = backend, count: Iterator[int] = count) -> None:
            backend.update(f"INSERT {{ GRAPH <urn:mine> {{ ?s <urn:p> {next(count)} }} }} "
                           "WHERE { ?s <urn:q> 2 }", whole(backend), targets={"urn:mine"})

        small()  # the first may count what the store does not know yet
        runs.append(small)
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for run, taken in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            taken.append(time.perf_counter() - start)
    return [min(taken) for taken in times]


@pytest.mark.slow  # stores of 110k triples, loaded or copied
@pytest.mark.parametrize("shape", ["apart", "shared"])
def test_a_small_update_costs_the_same_on_a_store_ten_times_larger(
        shape: str, sized: tuple[OxigraphBackend, ...],
        large_stores: tuple[OxigraphBackend, ...]) -> None:
    """apart: no contributed triple is built too; shared: 1000 of them are (the graphs of the
    union then share triples, and a plan that merged them would copy the large graph)."""
    stores = sized if shape == "apart" else large_stores
    small, large = _update_costs(stores)
    for backend in stores:
        assert len(list(backend.store.quads_for_pattern(
            None, ox.NamedNode("urn:p"), None, ox.NamedNode("urn:mine")))) == 16  # it applied
    # Ten times the contributed triples, the same work: a plan that counted or copied them
    # would take several times longer on the larger store (tens of ms for 100k triples).
    assert large < 3 * small + 0.005, (small, large)


def test_an_update_that_makes_a_node_per_solution_reads_shared_graphs_as_a_set(
        store: OxigraphBackend) -> None:
    held = next(iter(BUILT[BUILT_A]))
    store.write_graph(C3, [held, triple(1, 1)], replace=False)  # shares with C1 and BUILT_A
    subjects = {held.subject, triple(1, 1).subject}
    expected = union_size_of(store, subjects)  # each triple of the union about them, once
    about = " || ".join(f"?s = <{s.value}>" for s in subjects)
    for made, template, bind in (("urn:c:nodes", "[]", ""),
                                 ("urn:c:ids", "?id", "BIND(STRUUID() AS ?id)"),
                                 ("urn:c:plain", "1", "")):
        store.update(f"INSERT {{ GRAPH <{made}> {{ ?s <urn:has> {template} }} }} WHERE {{ "
                     f"?s ?p ?o FILTER(?p != <urn:has> && ({about})) {bind} }}",
                     whole(store), targets={made})
        found = list(store.store.quads_for_pattern(None, None, None, ox.NamedNode(made)))
        # One per distinct solution (fresh nodes, fresh ids), or one per distinct triple.
        assert len(found) == (expected if template != "1" else len(subjects)), (made, found)


def union_size_of(backend: OxigraphBackend, subjects: set[ox.NamedNode]) -> int:
    """The triples of the union as a set about subjects."""
    return len({q.triple for s in subjects for q in backend.store.quads_for_pattern(s, None, None)
                if isinstance(q.graph_name, ox.NamedNode)
                and not q.graph_name.value.startswith("urn:dmkg:")})
