"""Over HTTP: a syntax error is reported at its place in the client's own text, also where the
service added clauses to the text it runs (a LIMIT before a trailing VALUES block, USING
clauses from the protocol's parameters or for the union default graph)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.attack.writable import writable_server
from tests.http import Reply, request
from tests.live import LiveServer

TOKEN = "positions-token-0123456789abc"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "positions", TOKEN) as live:
        yield live


def reported(reply: Reply) -> tuple[int, int]:
    assert reply.status == 400, reply.text
    found = re.search(r"at (\d+):(\d+)", reply.text)
    assert found is not None, reply.text
    return int(found.group(1)), int(found.group(2))


def columns(text: str, *words: str) -> set[tuple[int, int]]:
    """Where each of words starts in a one-line text, as line:column."""
    return {(1, text.index(word) + 1) for word in words}


@pytest.mark.parametrize("query", [
    # The row cap's LIMIT goes before the trailing VALUES block.
    "SELECT ?x WHERE { ?s ?p ?x } VALUES ?x { 1 } ?y ?z ?w ?v",
    "PREFIX e: <urn:e#> SELECT ?x WHERE { ?s e:p ?x } VALUES ?x { e:a } ?y ?z ?w ?v",
])
def test_a_query_error_after_the_added_limit(server: LiveServer, query: str) -> None:
    for reply in (request("GET", f"{server.url}/sparql?query={quote(query)}"),
                  request("POST", f"{server.url}/sparql", query,
                          {"Content-Type": "application/sparql-query"})):
        assert reported(reply) in columns(query, "?y", "?z"), reply.text


def update(server: LiveServer, text: str, parameters: str = "") -> Reply:
    return request("POST", f"{server.url}/sparql{parameters}", text,
                   {"Content-Type": "application/sparql-update",
                    "Authorization": f"Bearer {TOKEN}"})


@pytest.mark.parametrize("parameters", [
    "?using-graph-uri=urn:a&using-graph-uri=urn:b&using-named-graph-uri=urn:c",
    "",  # the union default graph: every named graph as a USING clause
])
def test_an_update_error_after_the_added_using_clauses(server: LiveServer,
                                                       parameters: str) -> None:
    text = "DELETE { GRAPH <urn:mine> { ?s ?p ?o } } WHERE { ?s ?p ?o } ?a ?b ?c ?d"
    assert reported(update(server, text, parameters)) in columns(text, "?a", "?b", "?c")


def test_an_update_error_inside_the_where_clause(server: LiveServer) -> None:
    text = "DELETE { GRAPH <urn:mine> { ?s ?p ?o } } WHERE { ?s ?p ?o FILTER(?o + ) }"
    line, column = reported(update(server, text, "?using-graph-uri=urn:a"))
    assert line == 1 and text.index("?o +") < column <= len(text) + 1, column


def test_an_error_rdflib_reports_by_character_is_counted_in_the_clients_text(
        server: LiveServer) -> None:
    # The service reads the update's targets with rdflib, which refuses a SPARQL 1.2 triple
    # term and names the offset of the text it read: the client's text has no BASE added.
    text = ("INSERT DATA { GRAPH <urn:mine> { <urn:a> <urn:b> "
            "<<( <urn:a> <urn:b> <urn:c> )>> } }")
    reply = update(server, text)
    assert reply.status == 400, reply.text
    found = re.search(r"at char (\d+)\), \(line:(\d+), col:(\d+)\)", reply.text)
    assert found is not None, reply.text
    assert (int(found.group(1)), int(found.group(2)), int(found.group(3))) == (0, 1, 1), \
        reply.text
