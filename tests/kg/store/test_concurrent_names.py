"""The graph names a query reads on one thread are never changed under it by a write on
another: a write replaces them, never changes them in place. (Changed in place, a query
iterating them met "Set changed size during iteration", answered 500 under the load test.)"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.store.oxigraph_backend import OxigraphBackend


def triple(n: int) -> ox.Triple:
    return ox.Triple(ox.NamedNode(f"urn:s{n}"), ox.NamedNode("urn:p"), ox.Literal(str(n)))


def test_a_write_leaves_the_graph_names_a_query_holds_as_they_were(tmp_path: Path) -> None:
    backend = OxigraphBackend.writable(tmp_path / "store")
    backend.write_graph("urn:g:kept", [triple(1)], replace=False)
    backend.write_graph("urn:g:dropped", [triple(2)], replace=False)
    held = backend._graphs  # what a query on another thread is iterating
    assert held is not None and "<urn:g:dropped>" in held
    before = set(held)
    backend.write_graph("urn:g:new", [triple(3)], replace=False)
    backend.update("DROP GRAPH <urn:g:dropped>", targets={"urn:g:dropped"})
    assert set(held) == before  # untouched under the query
    assert backend.graph_names() == ["urn:g:kept", "urn:g:new"]  # the next query sees both
    assert not isinstance(held, set)  # nothing can change it in place
