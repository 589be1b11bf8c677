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

from kg.paths import Layout
from tests.attack.writable import writable_server
from tests.http import Reply, request
from tests.live import LiveServer

TOKEN = "dataset-sets-token-0123456789abcdef"
UPDATE = "application/sparql-update"
# The same triple in two graphs, and a triple of their own in each.
OVERLAPPING = ("DROP SILENT ALL ; INSERT DATA { "
               "GRAPH <urn:g:1> { <urn:s> <urn:p> 1 . <urn:s> <urn:p> 2 } "
               "GRAPH <urn:g:2> { <urn:s> <urn:p> 1 . <urn:s> <urn:p> 3 } }")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def integer(value: int) -> str:
    return f'"{value}"^^<http://www.w3.org/2001/XMLSchema#integer>'


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


# --- 2. protocol datasets of several overlapping default graphs --------------------------------

DATASET = [("default-graph-uri", "urn:g:1"), ("default-graph-uri", "urn:g:2")]


def test_a_dataset_of_overlapping_graphs_is_a_set(writable: LiveServer) -> None:
    applied(writable, OVERLAPPING)
    assert number(writable, COUNT, DATASET) == 3
    # A graph named twice is one graph of the dataset.
    assert number(writable, COUNT, [("default-graph-uri", "urn:g:1")] * 2) == 2
    assert number(writable, COUNT, [*DATASET, ("default-graph-uri", "urn:g:1")]) == 3
    rows = select(writable, "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o", DATASET)
    assert [row["o"] for row in rows] == ["1", "2", "3"]
    # The dataset's named graphs are the ones it names, and no graph of the store's own.
    named = [*DATASET, ("named-graph-uri", "urn:g:2")]
    assert number(writable, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                  named) == 1
    assert graphs(writable) == {"urn:g:1", "urn:g:2"}


def test_a_write_to_a_graph_of_a_dataset_is_seen_at_once(writable: LiveServer) -> None:
    applied(writable, OVERLAPPING)
    assert number(writable, COUNT, DATASET) == 3
    applied(writable, "INSERT DATA { GRAPH <urn:g:2> { <urn:s> <urn:p> 4 . <urn:s> <urn:p> 2 } }")
    assert number(writable, COUNT, DATASET) == 4
    applied(writable, "DELETE DATA { GRAPH <urn:g:1> { <urn:s> <urn:p> 1 . <urn:s> <urn:p> 2 } }")
    assert number(writable, COUNT, DATASET) == 4
    # By the Graph Store Protocol too.
    reply = request("PUT", f"{writable.url}/rdf-graphs/service?graph=urn:g:2",
                    f"<urn:s> <urn:p> {integer(9)} .", {"Content-Type": "application/n-triples",
                                            "Authorization": f"Bearer {TOKEN}"})
    assert reply.status in {201, 204}, reply.text
    assert number(writable, COUNT, DATASET) == 1


def test_many_datasets_each_read_as_a_set(writable: LiveServer) -> None:
    """More datasets than the store keeps merged graphs for: each answer is still right."""
    data = " ".join(f"GRAPH <urn:d:{i}> {{ <urn:s> <urn:p> 0 . <urn:s> <urn:p> {i + 1} }}"
                    for i in range(12))
    applied(writable, f"DROP SILENT ALL ; INSERT DATA {{ {data} }}")
    for _ in range(2):
        for i in range(11):
            pair = [("default-graph-uri", f"urn:d:{i}"), ("default-graph-uri", f"urn:d:{i + 1}")]
            assert number(writable, COUNT, pair) == 3
    assert graphs(writable) == {f"urn:d:{i}" for i in range(12)}


HIDDEN = ("urn:dmkg:merged-union", "urn:dmkg:merged-dataset:0123456789abcdef0123456789abcdef",
          "urn:dmkg:merged-using:0123")


@pytest.mark.parametrize("name", HIDDEN)
def test_the_stores_own_graphs_are_refused_to_clients(writable: LiveServer, name: str) -> None:
    applied(writable, OVERLAPPING)
    assert number(writable, COUNT, DATASET) == 3  # a merged graph exists now
    refused = [
        request("GET", f"{writable.url}/sparql?" + urlencode(
            [("query", f"SELECT * WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")])),
        request("GET", f"{writable.url}/sparql?" + urlencode(
            [("query", f"PREFIX m: <{name[:-4]}> SELECT * FROM m:{name[-4:]} "
                       "WHERE { ?s ?p ?o }")])),
        request("GET", f"{writable.url}/sparql?" + urlencode(
            [("query", COUNT), ("default-graph-uri", name)])),
        request("GET", f"{writable.url}/sparql?" + urlencode(
            [("query", COUNT), ("named-graph-uri", name)])),
        request("GET", f"{writable.url}/rdf-graphs/service?" + urlencode([("graph", name)])),
        update(writable, f"DROP GRAPH <{name}>"),
        update(writable, f"INSERT DATA {{ GRAPH <{name}> {{ <urn:a> <urn:b> <urn:c> }} }}"),
        update(writable, "INSERT { GRAPH <urn:out> { ?s ?p ?o } } WHERE { ?s ?p ?o }",
               [("using-graph-uri", name)]),
        request("PUT", f"{writable.url}/rdf-graphs/service?" + urlencode([("graph", name)]),
                "<urn:a> <urn:b> <urn:c> .", {"Content-Type": "application/n-triples",
                                              "Authorization": f"Bearer {TOKEN}"}),
    ]
    assert [reply.status for reply in refused] == [403] * len(refused), \
        [reply.text for reply in refused]
    assert number(writable, COUNT, DATASET) == 3


def test_graph_in_an_update_reads_no_graph_of_the_stores_own(writable: LiveServer) -> None:
    applied(writable, OVERLAPPING)
    assert number(writable, COUNT, DATASET) == 3 and number(writable, COUNT) == 3
    applied(writable, "INSERT { GRAPH <urn:seen> { ?g <urn:holds> ?o } } "
                      "WHERE { GRAPH ?g { ?s ?p ?o } }")
    seen = select(writable, "SELECT DISTINCT ?g WHERE { GRAPH <urn:seen> { ?g ?p ?o } }")
    assert {row["g"] for row in seen} == {"urn:g:1", "urn:g:2"}
    assert number(writable, COUNT, DATASET) == 3


# --- 3. the union of a store seeded with data files -------------------------------------------

def test_the_union_of_a_writable_data_store_is_a_set(writable: LiveServer) -> None:
    applied(writable, OVERLAPPING + " ; INSERT DATA { <urn:s> <urn:p> 2 . <urn:s> <urn:p> 5 }")
    assert number(writable, COUNT) == 4  # 1, 2, 3 and 5, each once
    assert graphs(writable) == {"urn:g:1", "urn:g:2"}
    applied(writable, "DELETE DATA { GRAPH <urn:g:1> { <urn:s> <urn:p> 1 } }")
    assert number(writable, COUNT) == 4
    applied(writable, "DELETE DATA { GRAPH <urn:g:2> { <urn:s> <urn:p> 1 } }")
    assert number(writable, COUNT) == 3


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """An in-memory store seeded with overlapping data files, read-only."""
    folder = tmp_path_factory.mktemp("dataset-sets-data")
    for name, values in (("one", (1, 2)), ("two", (1, 3))):
        (folder / f"{name}.nt").write_text(
            "".join(f"<urn:s> <urn:p> {integer(v)} .\n" for v in values), encoding="utf-8")
    (folder / "both.nq").write_text(f"<urn:s> <urn:p> {integer(2)} <urn:g:3> .\n"
                                    f"<urn:s> <urn:p> {integer(4)} .\n", encoding="utf-8")
    args = (f"--data={folder / 'one.nt'}=urn:g:1", f"--data={folder / 'two.nt'}=urn:g:2",
            f"--data={folder / 'both.nq'}")
    with LiveServer(folder, args=args, settings={"STORE": "oxigraph"}) as live:
        yield live


def test_the_union_of_data_files_is_a_set(seeded: LiveServer) -> None:
    assert number(seeded, COUNT) == 4
    rows = select(seeded, "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o")
    assert [row["o"] for row in rows] == ["1", "2", "3", "4"]
    assert graphs(seeded) == {"urn:g:1", "urn:g:2", "urn:g:3"}
    assert number(seeded, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == 5
    reply = request("GET", f"{seeded.url}/rdf-graphs/service?default",
                    headers={"Accept": "application/n-triples"})
    assert reply.status == 200 and len(reply.text.strip().splitlines()) == 4, reply.text
    reply = request("GET", f"{seeded.url}/sparql?" + urlencode(
        [("query", "SELECT * WHERE { GRAPH <urn:dmkg:merged-union> { ?s ?p ?o } }")]))
    assert reply.status == 403, reply.text


# --- 1. on a store of built graphs, whose union is kept inside it ------------------------------

@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    """A writable store of the built graphs: an update names no graph, and reads the union."""
    with writable_server(tmp_path_factory, built, "dataset-sets-built", TOKEN) as live:
        yield live


def test_an_update_reads_the_union_of_built_and_contributed_graphs_as_a_set(
        kept: LiveServer) -> None:
    facts = "https://w3id.org/dmkg/graph/facts"
    row = select(kept, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{facts}> {{ ?s ?p ?o "
                       "FILTER(isIRI(?o) && isIRI(?s)) } } LIMIT 1")[0]
    held = f"<{row['s']}> <{row['p']}> <{row['o']}>"
    # Contributed graphs repeating a built triple, and each other.
    applied(kept, f"INSERT DATA {{ GRAPH <urn:c:1> {{ {held} . <urn:s> <urn:p> 1 }} "
                  f"GRAPH <urn:c:2> {{ {held} . <urn:s> <urn:p> 1 . <urn:s> <urn:p> 2 }} }}")
    union = number(kept, COUNT)
    applied(kept, "INSERT { GRAPH <urn:c:out> { <urn:x> <urn:n> ?n } } "
                  "WHERE { SELECT (COUNT(*) AS ?n) { ?s ?p ?o } }")
    assert number(kept, "SELECT ?n WHERE { GRAPH <urn:c:out> { ?x ?y ?n } }") == union
    # GRAPH in the WHERE still reads the graph it names, and no graph of the store's own.
    applied(kept, "INSERT { GRAPH <urn:c:seen> { ?g <urn:holds> 1 } } "
                  "WHERE { GRAPH ?g { <urn:s> <urn:p> ?o } }")
    seen = select(kept, "SELECT ?g WHERE { GRAPH <urn:c:seen> { ?g ?p ?o } }")
    assert {r["g"] for r in seen} == {"urn:c:1", "urn:c:2"}
    # A dataset of a built graph and a contributed one is a set too.
    both = [("default-graph-uri", facts), ("default-graph-uri", "urn:c:2")]
    alone = number(kept, COUNT, [("default-graph-uri", facts)])
    assert number(kept, COUNT, both) == alone + 2
    assert "urn:dmkg:merged" not in json.dumps(select(kept, "SELECT DISTINCT ?g WHERE { "
                                                            "GRAPH ?g { ?s ?p ?o } }"))
