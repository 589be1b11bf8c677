"""A restore is applied a piece at a time and stays all or nothing: a failure while its
quads are staged leaves the store as it was; one cut off once they are staged, while the
written graphs are dropped or while the quads are moved in, is finished when the store is
opened again, with the graphs of the backup exactly."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store import restoring
from kg.store.hidden_graphs import is_hidden
from kg.store.oxigraph_backend import OxigraphBackend

BUILT = "urn:built"


def _backup(size: int) -> list[ox.Quad]:
    quads = [ox.Quad(ox.NamedNode(f"urn:s{n}"), ox.NamedNode("urn:p"), ox.Literal(str(n)),
                     ox.NamedNode(f"urn:new{n % 3}")) for n in range(size)]
    node = ox.BlankNode()
    quads += [ox.Quad(node, ox.NamedNode("urn:p"), ox.BlankNode(), ox.NamedNode("urn:new0")),
              ox.Quad(node, ox.NamedNode("urn:q"), ox.Literal("b"), ox.NamedNode("urn:new1"))]
    return quads


def _open(path: Path) -> OxigraphBackend:
    return OxigraphBackend.writable(path, (BUILT,))


def _state(backend: OxigraphBackend) -> dict[str, int]:
    """The triples of each named graph, the store's own included."""
    found: dict[str, int] = {}
    for q in backend.store.quads_for_pattern(None, None, None):
        if isinstance(q.graph_name, ox.NamedNode):
            found[q.graph_name.value] = found.get(q.graph_name.value, 0) + 1
    return found


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "store"
    backend = _open(path)
    backend.store.update(f'INSERT DATA {{ GRAPH <{BUILT}> {{ <urn:b> <urn:p> "built" }} '
                         '  GRAPH <urn:old> { <urn:o> <urn:p> "old" } }')
    backend.store.flush()
    del backend
    gc.collect()
    yield path


def test_a_restore_replaces_the_written_graphs_in_pieces(store: Path) -> None:
    backend = _open(store)
    backup = _backup(3 * restoring.PIECE + 7)
    backend.replace_written(iter(backup))
    assert _state(backend) == {BUILT: 1, "urn:new0": restoring.PIECE + 4,
                               "urn:new1": restoring.PIECE + 3, "urn:new2": restoring.PIECE + 2}
    # One blank node, written in two graphs: still one node, a new one.
    [first] = backend.store.quads_for_pattern(None, ox.NamedNode("urn:q"), None,
                                              ox.NamedNode("urn:new1"))
    assert isinstance(first.subject, ox.BlankNode) and first.subject != backup[-1].subject
    assert list(backend.store.quads_for_pattern(first.subject, ox.NamedNode("urn:p"), None,
                                                ox.NamedNode("urn:new0")))
    assert not (store / restoring.NOTE).exists()


def test_a_failure_while_staging_changes_nothing(store: Path) -> None:
    backend = _open(store)
    before = _state(backend)

    def failing() -> Iterator[ox.Quad]:
        yield from _backup(2 * restoring.PIECE)
        raise ValueError("the backup could not be read")

    with pytest.raises(ValueError, match="could not be read"):
        backend.replace_written(failing())
    assert _state(backend) == before
    assert not (store / restoring.NOTE).exists()


@pytest.mark.parametrize("moved", [0, 1, restoring.PIECE + 5])
def test_a_restore_cut_off_after_staging_is_finished_when_opened(store: Path,
                                                                 moved: int) -> None:
    backend = _open(store)
    expected = {BUILT: 1, "urn:new0": 4, "urn:new1": 3, "urn:new2": 2}
    # As a process killed at each step would leave it: staged and noted; then the written
    # graphs dropped; then part of the quads moved in.
    staged = restoring.stage(backend.store, iter(_backup(7)))
    restoring.noted(store, staged)
    if moved:
        restoring.drop_written(backend.store, frozenset({BUILT}))
        restoring.noted(store, staged, moving=True)
        [(graph, name)] = [item for item in staged.items() if item[0] == "urn:new0"]
        for q in list(backend.store.quads_for_pattern(None, None, None,
                                                      ox.NamedNode(name)))[:moved]:
            backend.store.add(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph)))
            backend.store.remove(q)
    del backend
    gc.collect()
    reopened = _open(store)
    assert _state(reopened) == expected
    assert not any(is_hidden(g) for g in _state(reopened))
    assert not (store / restoring.NOTE).exists()
