"""A large INSERT DATA over real HTTP: applied well within the time limit (its graphs read from
the guard's tokens, not from a parse of every triple), with the same graphs checked against
the built ones and recorded in the audit log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kg.paths import Layout
from tests.attack.writable import audit, size, update, writable_server
from tests.live import LiveServer

TOKEN = "large-data-0123456789abcdef"
FACTS = "https://w3id.org/dmkg/graph/facts"
TRIPLES = 8000  # over 10 s (the limit) when rdflib read every triple, about 3 s now


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "large-data", TOKEN,
                         QUERY_TIMEOUT="10") as server:
        yield server


def _lines(count: int, tag: str) -> str:
    # Strings holding what would open or close a block for a reader that does not lex them.
    return "".join(f'<urn:l:s{i}> <urn:l:p> "{tag} {i} }} GRAPH <urn:l:g> {{" .\n'
                   for i in range(count))


def test_a_large_insert_data_is_applied_and_audited(writable: LiveServer) -> None:
    graph = "urn:large:one"
    text = f"INSERT DATA {{ GRAPH <{graph}> {{\n{_lines(TRIPLES, 'kept')}}} }}"
    reply = update(writable, TOKEN, text)
    assert reply.status == 204, reply.text
    assert size(writable, graph) == TRIPLES
    entry = audit(writable)[-1]
    assert entry["status"] == "applied" and entry["targets"] == [graph], entry


def test_a_built_graph_behind_large_data_is_refused_and_audited(writable: LiveServer) -> None:
    text = (f"INSERT DATA {{ GRAPH <urn:large:two> {{\n{_lines(TRIPLES, 'hiding')}}}\n"
            f"GRAPH <{FACTS}> {{ <urn:large:a> <urn:large:b> <urn:large:c> }} }}")
    reply = update(writable, TOKEN, text)
    assert reply.status == 403, reply.text
    assert size(writable, "urn:large:two") == 0, "nothing of a refused update is applied"
    entry = audit(writable)[-1]
    assert entry["status"] == "refused" and FACTS in entry["targets"], entry
