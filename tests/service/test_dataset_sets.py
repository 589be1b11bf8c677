"""Every default graph made of several graphs is a set of triples, through the live endpoint.

A triple held by two graphs matches once: in the WHERE of an update with several USING
graphs, in a protocol dataset of several overlapping `default-graph-uri`, and in the union of a
store seeded with data files. The graphs the store merges for this are its own: never listed,
never readable or writable by a client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.http import Reply, request
from tests.live import LiveServer

TOKEN = "dataset-sets-token-0123456789abcdef"
UPDATE = "application/sparql-update"
# The same triple in two graphs, and a triple of their own in each.
OVERLAPPING = ("DROP SILENT ALL ; INSERT DATA { "
               "GRAPH <urn:g:1> { <urn:s> <urn:p> 1 . <urn:s> <urn:p> 2 } "
               "GRAPH <urn:g:2> { <urn:s> <urn:p> 1 . <urn:s> <urn:p> 3 } }")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A writable store seeded with a data file (no built graphs: no union kept by a base)."""
    folder = tmp_path_factory.mktemp("dataset-sets")
    (folder / "tokens").write_text(f"tester {TOKEN}\n", encoding="utf-8")
    (folder / "empty.nt").write_text("", encoding="utf-8")
    settings = {"WRITE_TOKENS": str(folder / "tokens"), "STORE_DIR": str(folder / "store"),
                "AUDIT_LOG": str(folder / "audit.log")}
    with LiveServer(folder, args=(f"--data={folder / 'empty.nt'}",),
                    settings=settings) as live:
        yield live


def update(server: LiveServer, text: str, params: list[tuple[str, str]] | None = None) -> Reply:
    url = f"{server.url}/sparql" + (f"?{urlencode(params)}" if params else "")
    return request("POST", url, text, {"Content-Type": UPDATE,
                                       "Authorization": f"Bearer {TOKEN}"})


def applied(server: LiveServer, text: str, params: list[tuple[str, str]] | None = None) -> None:
    reply = update(server, text, params)
    assert reply.status == 204, reply.text


def select(server: LiveServer, text: str,
           params: list[tuple[str, str]] | None = None) -> list[dict[str, str]]:
    query = urlencode([("query", text), *(params or [])])
    reply = request("GET", f"{server.url}/sparql?{query}",
                    headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    return [{k: v["value"] for k, v in row.items()}
            for row in json.loads(reply.body)["results"]["bindings"]]


def number(server: LiveServer, text: str, params: list[tuple[str, str]] | None = None) -> int:
    return int(select(server, text, params)[0]["n"])


def graphs(server: LiveServer) -> set[str]:
    """The graphs holding triples that a client sees."""
    found = select(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {row["g"] for row in found}


def counted(server: LiveServer, using: str, into: str = "urn:out") -> int:
    """Count, by an update whose WHERE reads the USING clauses given, the triples it sees."""
    applied(server, f"DROP SILENT GRAPH <{into}> ; "
                    f"INSERT {{ GRAPH <{into}> {{ <urn:x> <urn:n> ?n }} }} {using} "
                    "WHERE { SELECT (COUNT(*) AS ?n) { ?s ?p ?o } }")
    return number(server, f"SELECT ?n WHERE {{ GRAPH <{into}> {{ <urn:x> <urn:n> ?n }} }}")


# --- 1. the USING graphs of an update ---------------------------------------------------------

def test_an_update_reads_its_using_graphs_as_a_set(writable: LiveServer) -> None:
    applied(writable, OVERLAPPING)
    assert counted(writable, "USING <urn:g:1> USING <urn:g:2>") == 3
    # A graph named twice is read once.
    assert counted(writable, "USING <urn:g:1> USING <urn:g:1>") == 2
    assert counted(writable, "USING <urn:g:2> USING <urn:g:1> USING <urn:g:2>") == 3
    # USING from the request (using-graph-uri) is read the same way.
    applied(writable, "DROP SILENT GRAPH <urn:out> ; "
                      "INSERT { GRAPH <urn:out> { <urn:x> <urn:n> ?n } } "
                      "WHERE { SELECT (COUNT(*) AS ?n) { ?s ?p ?o } }",
            [("using-graph-uri", "urn:g:1"), ("using-graph-uri", "urn:g:2")])
    assert number(writable, "SELECT ?n WHERE { GRAPH <urn:out> { ?x ?y ?n } }") == 3
    # No graph of the store's own making is left behind.
    assert graphs(writable) == {"urn:g:1", "urn:g:2", "urn:out"}


def test_each_operation_reads_its_using_graphs_as_they_are_then(writable: LiveServer) -> None:
    applied(writable, OVERLAPPING)
    # The second operation sees what the first one wrote; the third what the second removed.
    applied(writable, "INSERT DATA { GRAPH <urn:g:2> { <urn:s> <urn:p> 2 } } ; "
                      "INSERT { GRAPH <urn:a> { <urn:x> <urn:n> ?n } } USING <urn:g:1> "
                      "USING <urn:g:2> WHERE { SELECT (COUNT(*) AS ?n) { ?s ?p ?o } } ; "
                      "DELETE DATA { GRAPH <urn:g:1> { <urn:s> <urn:p> 1 } } ; "
                      "DELETE { GRAPH <urn:g:2> { ?s ?p ?o } } "
                      "INSERT { GRAPH <urn:b> { ?s ?p ?o } } "
                      "USING <urn:g:2> USING <urn:g:1> WHERE { ?s ?p ?o }")
    assert number(writable, "SELECT ?n WHERE { GRAPH <urn:a> { ?x ?y ?n } }") == 3
    assert number(writable, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:b> { ?s ?p ?o } }") == 3
    # The DELETE template of the last operation emptied urn:g:2 of what it read.
    assert number(writable, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:g:2> { ?s ?p ?o } }") == 0
    assert graphs(writable) == {"urn:g:1", "urn:a", "urn:b"}  # urn:g:2 is empty
