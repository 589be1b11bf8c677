"""An update keeps the union default graph a set from the triples it may change, named in
the upkeep graph: every update form leaves the rest of the union as a full recomputation
finds it, a store cut off mid-update is repaired from the upkeep graph alone, and the upkeep
graph is no client's to read or write."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql_reading import read
from kg.store import union_graph, union_note, union_upkeep
from kg.store.oxigraph_backend import OxigraphBackend
from kg.store.union_upkeep import UPKEEP, UPKEEP_NODE, HiddenGraph
from tests.kg.store.conftest import open_copy
from tests.kg.store.test_union_graph import (
    BUILT,
    BUILT_A,
    BUILT_B,
    CONTRIBUTED,
    P,
    _fastest,
    built_store,
    data,
    noted,
    reopened,
    triple,
)

C1, C2, C3 = CONTRIBUTED
NODE = ox.BlankNode()
BLANK = ox.Triple(NODE, P, ox.Literal("b"))


def rest(backend: OxigraphBackend) -> set[ox.Triple]:
    """The triples of the store's own default graph (the rest of the union)."""
    return {q.triple for q in backend.store.quads_for_pattern(None, None, None,
                                                              ox.DefaultGraph())}


def recomputed(backend: OxigraphBackend) -> set[ox.Triple]:
    """The rest of the union found from scratch: what contributed graphs hold and no built."""
    held: dict[bool, set[ox.Triple]] = {True: set(), False: set()}
    for q in backend.store.quads_for_pattern(None, None, None):
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name != UPKEEP_NODE:
            held[q.graph_name.value in BUILT].add(q.triple)
    return held[False] - held[True]


def assert_kept(backend: OxigraphBackend, after: str = "") -> None:
    assert rest(backend) == recomputed(backend), after
    assert not backend.store.contains_named_graph(UPKEEP_NODE), after
    assert noted(backend)["union"] == "set", after


def contributed_store(folder: Path) -> OxigraphBackend:
    """The built graphs, and contributed graphs that overlap them and each other."""
    backend = built_store(folder, BUILT, {C1: {triple(0, 0), triple(0, 3), triple(1, 1)},
                                          C2: {triple(1, 1), triple(2, 2)}})
    backend.write_graph(C2, [BLANK], replace=False)
    return backend


@pytest.fixture
def store(upkeep_store_made: Path, tmp_path: Path) -> Iterator[OxigraphBackend]:
    backend = open_copy(upkeep_store_made, tmp_path)
    yield backend
    del backend
    gc.collect()


# Each update, and whether the triples it may change are named ahead (else the target graphs
# are compared as before, or the union rebuilt for a wide target).
UPDATES = [
    (f"INSERT DATA {{ GRAPH <{C3}> {{ {data({triple(0, 1), triple(2, 3)})} }} }}", True),
    (f"DELETE DATA {{ GRAPH <{C1}> {{ {data({triple(0, 3), triple(1, 1)})} }} }}", True),
    (f"DELETE DATA {{ GRAPH <{C1}> {{ {data({triple(0, 0)})} }} }} ; "
     f"INSERT DATA {{ GRAPH <{C3}> {{ {data({triple(0, 0)})} }} }}", True),
    (f"DELETE {{ GRAPH <{C1}> {{ ?s ?p ?o }} }} INSERT {{ GRAPH <{C3}> {{ ?s ?p \"9\" }} }} "
     f"WHERE {{ GRAPH <{C1}> {{ ?s ?p ?o }} }}", True),
    (f"WITH <{C2}> DELETE {{ ?s ?p ?o }} INSERT {{ ?s ?p \"1\" . GRAPH <{C3}> "
     f"{{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o FILTER(isIRI(?s)) }}", True),
    (f"INSERT {{ GRAPH <{C3}> {{ ?s ?p ?o }} }} USING <{C1}> USING <{C2}> "
     f"WHERE {{ ?s ?p ?o }}", True),
    (f"DELETE {{ GRAPH <{C1}> {{ ?s ?p ?o }} }} USING NAMED <{C1}> USING NAMED <{C2}> "
     f"WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", True),
    (f"DELETE WHERE {{ GRAPH <{C2}> {{ ?s ?p ?o }} }}", True),
    (f"DELETE {{ GRAPH <{C2}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{C2}> {{ ?s ?p ?o "
     "FILTER(isBlank(?s)) } }", True),
    (f"DROP GRAPH <{C1}>", True),
    (f"CLEAR GRAPH <{C2}>", True),
    (f"COPY <{C1}> TO <{C2}>", True),
    (f"MOVE <{C2}> TO <{C1}>", True),
    (f"ADD <{C2}> TO <{C3}>", True),
    (f"CREATE GRAPH <{C3}> ; INSERT DATA {{ GRAPH <{C3}> {{ {data({triple(2, 0)})} }} }} ; "
     f"DELETE WHERE {{ GRAPH <{C1}> {{ ?s <urn:p> \"3\" }} }}", True),
    # Blank nodes a template or a DATA block makes: no copy can name them ahead.
    (f"INSERT {{ GRAPH <{C3}> {{ ?s ?p [ <urn:p> ?o ] }} }} WHERE {{ GRAPH <{C1}> "
     "{ ?s ?p ?o } }", False),
    (f"INSERT DATA {{ GRAPH <{C3}> {{ _:x <urn:p> \"b\" . <urn:s0> <urn:p> \"7\" }} }}", False),
    # GRAPH ?g in a WHERE that sees every named graph would see the upkeep graph too.
    (f"INSERT {{ GRAPH <{C3}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", False),
    # A variable target graph: the union is rebuilt.
    (f"INSERT {{ GRAPH ?g {{ <urn:s0> <urn:p> \"3\" }} }} WHERE {{ VALUES ?g {{ <{C3}> }} }}",
     False),
]


@pytest.mark.parametrize(("text", "named"), UPDATES, ids=[t[:40] for t, _ in UPDATES])
def test_every_update_form_keeps_the_rest_of_the_union(store: OxigraphBackend, text: str,
                                                       named: bool) -> None:
    assert (union_upkeep.copied(read(text)) is not None) == named
    store.update(text)
    assert_kept(store, text)
    assert_kept(reopened(store), text)


def test_a_store_cut_off_mid_update_is_repaired_from_the_upkeep_graph(
        store: OxigraphBackend) -> None:
    """The update and its copies committed, the reconciliation did not: opening reconciles
    the triples the upkeep graph names, and reads no other (a stray triple stays)."""
    assert store.path is not None
    stray = triple(2, 9)
    store.store.add(ox.Quad(stray.subject, stray.predicate, stray.object, ox.DefaultGraph()))
    union_note.changing(store.path, (BUILT_A, BUILT_B), upkeep=True)
    text = (f"INSERT DATA {{ GRAPH <{C3}> {{ {data({triple(1, 2), triple(0, 1)})} }} }} ; "
            f"DROP GRAPH <{C2}>")
    executed = union_upkeep.copied(read(text))
    assert executed is not None
    store.store.update(executed)
    assert store.store.contains_named_graph(UPKEEP_NODE)
    backend = reopened(store)
    assert rest(backend) == recomputed(backend) | {stray}
    assert not backend.store.contains_named_graph(UPKEEP_NODE)
    assert noted(backend)["union"] == "set"


def test_a_write_that_cannot_name_its_triples_leaves_a_full_repair(
        store: OxigraphBackend) -> None:
    """A store cut off during an update compared as before is repaired by reading the
    contributed graphs: the stray triple goes, and so does an upkeep graph left over."""
    assert store.path is not None
    stray = triple(2, 9)
    store.store.add(ox.Quad(stray.subject, stray.predicate, stray.object, ox.DefaultGraph()))
    # An upkeep graph left over is no contributed graph: its triples do not join the union.
    store.store.add(ox.Quad(stray.subject, stray.predicate, ox.Literal("8"), UPKEEP_NODE))
    store._changing(upkeep=False)
    assert "upkeep" not in noted(store)
    backend = reopened(store)
    assert rest(backend) == recomputed(backend)
    assert not backend.store.contains_named_graph(UPKEEP_NODE)
    assert UPKEEP not in backend.graph_names()
    assert noted(reopened(backend))["union"] == "set"


@pytest.mark.parametrize("query", [
    f"SELECT * WHERE {{ GRAPH <{UPKEEP}> {{ ?s ?p ?o }} }}",
    f"SELECT * FROM <{UPKEEP}> WHERE {{ ?s ?p ?o }}",
    "BASE <https://w3id.org/dmkg/graph/> ASK { GRAPH <upkeep> { ?s ?p ?o } }",
])
def test_the_upkeep_graph_cannot_be_read(store: OxigraphBackend, query: str) -> None:
    with pytest.raises(HiddenGraph):
        store.query(query)


def test_the_upkeep_graph_cannot_be_written_and_is_listed_nowhere(
        store: OxigraphBackend) -> None:
    with pytest.raises(HiddenGraph):
        store.update(f"INSERT DATA {{ GRAPH <{UPKEEP}> {{ <urn:a> <urn:b> <urn:c> }} }}")
    with pytest.raises(HiddenGraph):
        store.update(f"DROP SILENT GRAPH <{UPKEEP}>")
    # Left behind by a cut (the note trusted, nothing to repair): still in no list and no
    # backup, and seen by no GRAPH, once the store is opened again.
    store.store.add(ox.Quad(ox.NamedNode("urn:a"), P, ox.Literal("x"), UPKEEP_NODE))
    store = reopened(store)
    assert store.store.contains_named_graph(UPKEEP_NODE)
    assert UPKEEP not in store.graph_names()
    assert all(q.graph_name != UPKEEP_NODE for q in store.written_quads())
    graphs = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert UPKEEP not in {str(r["g"]) for r in graphs}
    assert UPKEEP not in store.graph_sizes()


def test_whether_the_upkeep_graph_is_held_is_followed_by_the_writes(
        store: OxigraphBackend) -> None:
    """Queries do not ask the store whether it holds the upkeep graph: the writes that make
    and remove it say so, and opening a store finds it."""
    visible = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert not store._upkeep_held
    followed = f"INSERT {{ GRAPH <{C3}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{C1}> {{ ?s ?p ?o }} }}"
    assert union_upkeep.copied(read(followed)) is not None  # it passes through the graph
    store.update(followed)
    assert not store._upkeep_held and not store.store.contains_named_graph(UPKEEP_NODE)
    # A store cut off mid-update, opened again read-only: its upkeep graph is found once,
    # and no GRAPH sees it.
    store.store.add(ox.Quad(ox.NamedNode("urn:a"), P, ox.Literal("x"), UPKEEP_NODE))
    path = store.path
    assert path is not None
    store.store = None  # type: ignore[assignment]
    gc.collect()
    backend = OxigraphBackend.on_disk(path, "v")
    assert backend._upkeep_held
    assert UPKEEP not in {str(r["g"]) for r in backend.select(visible)}


def test_the_upkeep_graph_is_flushed_after_enough_quads(store: OxigraphBackend) -> None:
    before = store._upkept_quads
    store.update(f"INSERT DATA {{ GRAPH <{C3}> {{ {data({triple(2, 1)})} }} }}")
    assert store._upkept_quads == before + 1
    many = " ".join(f"<urn:m{i}> <urn:p> {i} ." for i in range(union_upkeep.FLUSH_AFTER))
    store.update(f"INSERT DATA {{ GRAPH <{C3}> {{ {many} }} }}")
    assert store._upkept_quads == 0
    assert_kept(store)


def _update_cost(backend: OxigraphBackend) -> float:
    count = iter(range(10**6))
    return _fastest(lambda: backend.update(
        f"INSERT DATA {{ GRAPH <{C1}> {{ {data({triple(10**7, next(count))})} }} }}"), 9)


def _open_after_cut_cost(backend: OxigraphBackend) -> float:
    """The fastest open of the store left as a cut leaves it: an update committed with its
    copies, its upkeep not done."""
    path, protected = backend.path, tuple(backend.protected)
    assert path is not None
    times = []
    for value in range(3):
        union_note.changing(path, (BUILT_A,), upkeep=True)
        text = f"DELETE DATA {{ GRAPH <{C1}> {{ {data({triple(10**7, value)})} }} }}"
        backend.store.update(union_upkeep.copied(read(text)))
        backend.store = None  # type: ignore[assignment]
        gc.collect()
        start = time.perf_counter()
        backend = OxigraphBackend.writable(path, protected)
        times.append(time.perf_counter() - start)
        assert noted(backend)["union"] == "set"
    backend.store = None  # type: ignore[assignment]
    gc.collect()
    return min(times)


@pytest.mark.slow
def test_a_one_triple_update_and_an_open_after_a_cut_cost_the_same_whatever_the_graph(
        large_stores: tuple[OxigraphBackend, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-triple update to a graph of 10k or 100k triples, and opening the store cut off
    after it: neither reads the graph, and ten times the graph costs about the same."""
    small, large = large_stores  # 10k and 100k triples in the graph, 1000 of them built too

    def whole(*_: object) -> None:
        raise AssertionError("a whole graph was read")

    monkeypatch.setattr(union_graph, "triples_of", whole)
    monkeypatch.setattr(union_graph.KeptUnion, "rebuild", whole)
    monkeypatch.setattr(union_note, "overlaps", whole)
    updates = [_update_cost(small), _update_cost(large)]
    assert updates[1] < 3 * updates[0] + 0.005, updates
    opens = [_open_after_cut_cost(small), _open_after_cut_cost(large)]
    assert opens[1] < 3 * opens[0] + 0.05, opens
