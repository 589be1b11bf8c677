"""Over HTTP: a Graph Store Protocol body is parsed and written within the query time limit or
not at all, and a body that does not parse, in any accepted syntax, is a 400 with the parser's
message, never a 500."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.nesting import MAX_TERMS
from kg.paths import Layout
from tests.attack.writable import writable_server, write_settings
from tests.http import Reply, request
from tests.live import LiveServer

TOKEN = "bodies-token-0123456789abcdef"
GRAPH = "https://w3id.org/dmkg/graph/contrib/bodies"


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "bodies", TOKEN) as server:
        yield server


def put(server: LiveServer, body: bytes, media: str, graph: str = GRAPH) -> Reply:
    return request("PUT", f"{server.url}/rdf-graphs/service?graph={quote(graph, safe='')}",
                   body, {"Content-Type": media, "Authorization": f"Bearer {TOKEN}"})


def size(server: LiveServer, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    reply = request("GET", f"{server.url}/sparql?query={quote(query)}",
                    headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])


def last_audit(server: LiveServer) -> dict[str, object]:
    lines = Path(server.settings["AUDIT_LOG"]).read_text(encoding="utf-8").splitlines()
    entry: dict[str, object] = json.loads(lines[-1])
    return entry


@pytest.mark.parametrize(("body", "media", "says"), [
    (b"<urn:a> <urn:b> .", "text/turtle", "line 1"),
    (b'<urn:a> <urn:b> "x"@1bad .', "text/turtle", "language"),
    (b"<urn:a> <urn:b> <urn:c>", "application/n-triples", "line 1"),
    (b'<urn:a> <urn:b> "\\uD800" .', "application/n-triples", "escape"),
    (b"<rdf:RDF", "application/rdf+xml", "parse"),
    (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
     b'rdf:about="urn:a" xml:lang="1 2"><x:b xmlns:x="urn:">v</x:b></rdf:Description>'
     b"</rdf:RDF>", "application/rdf+xml", "language"),
    (b"[1,2", "application/ld+json", "line 1"),
    (b'{"@id":"urn:a","urn:b":{"@value":"x","@type":"bad iri"}}', "application/ld+json",
     "IRI"),
    (b"{ <urn:a> <urn:b> <urn:c> ", "application/trig", "parse"),
    (b"GRAPH <urn:g> { <urn:a> <urn:b> }", "application/trig", "parse"),
])
def test_a_malformed_body_is_a_400_with_the_parsers_message(
        writable: LiveServer, body: bytes, media: str, says: str) -> None:
    reply = put(writable, body, media)
    assert reply.status == 400, reply.text
    assert "does not parse" in reply.text and says in reply.text, reply.text
    assert "Traceback" not in reply.text
    assert last_audit(writable)["status"] == "refused"


@pytest.mark.parametrize(("body", "media", "triples"), [
    # Blank-node labels a parser keeps but SPARQL cannot write.
    (b'{"@id":"_:a:b","urn:b":"x"}', "application/ld+json", 1),
    (b'[{"@id":"_:a:b","urn:b":{"@id":"_:a:b"}}]', "application/ld+json", 1),
    (b"<urn:a> <urn:b> <urn:c> .", "application/trig", 1),
])
def test_a_well_formed_body_is_written_whatever_its_labels(
        writable: LiveServer, body: bytes, media: str, triples: int) -> None:
    graph = f"{GRAPH}/labels"
    reply = put(writable, body, media, graph)
    assert reply.status in {201, 204}, reply.text
    assert size(writable, graph) == triples


def test_trig_naming_graphs_is_refused(writable: LiveServer) -> None:
    reply = put(writable, b"GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> }", "application/trig")
    assert reply.status == 400 and "names graphs" in reply.text, reply.text


@pytest.mark.slow  # a server of its own, then seconds for the abandoned work
def test_a_body_that_outlives_the_time_limit_writes_nothing(
        tmp_path: Path, built: Layout) -> None:
    """Parsing, preparing and committing run under the query time limit: past it the answer
    is a 503, the graph is as it was, and the audit log says the write failed."""
    body = "".join(f'<urn:s{i}> <urn:p> "value {i}" .\n' for i in range(200_000)).encode()
    with LiveServer(tmp_path, home=built.root,
                    settings=write_settings(tmp_path, TOKEN, QUERY_TIMEOUT="0.3")) as server:
        reply = put(server, body, "application/n-triples")
        assert reply.status == 503, reply.text
        assert "time limit" in reply.text and "nothing was applied" in reply.text
        assert "the write ran longer" in reply.text and "LIMIT" not in reply.text
        entry = last_audit(server)
        assert entry["status"] == "timed out" and entry["graph"] == GRAPH
        assert entry["outcome"] == "not applied"
        time.sleep(3)  # the abandoned work would have committed by now
        assert size(server, GRAPH) == 0


@pytest.mark.slow
def test_no_graph_write_is_a_success_past_the_time_limit(tmp_path: Path, built: Layout) -> None:
    """With contributed triples that built graphs hold too, bodies of growing size: each is
    answered within the limit, or with a 503 that says what became of it."""
    limit = 1.0
    with LiveServer(tmp_path, home=built.root, settings=write_settings(
            tmp_path, TOKEN, QUERY_TIMEOUT=str(limit))) as server:
        facts = request("GET", f"{server.url}/rdf-graphs/service?graph="
                               f"{quote('https://w3id.org/dmkg/graph/facts', safe='')}",
                        headers={"Accept": "application/n-triples"})
        assert put(server, facts.body, "application/n-triples", GRAPH + "-copy").status == 201
        answers = []
        for count in (1_000, 20_000, 60_000):
            body = "".join(f'<urn:s{i}> <urn:p> "value {i}" .\n' for i in range(count)).encode()
            start = time.monotonic()
            reply = put(server, body, "application/n-triples", f"{GRAPH}-{count}")
            elapsed = time.monotonic() - start
            answers.append((count, reply.status, round(elapsed, 2)))
            if reply.status in {201, 204}:
                # The answer's own travel aside, it left within the limit.
                assert elapsed < limit + 0.5, answers
            else:
                assert reply.status == 503, reply.text
                applied = "has been applied" in reply.text
                assert applied or "nothing was applied" in reply.text, reply.text
                time.sleep(3)  # an abandoned write would have committed by now
                assert size(server, f"{GRAPH}-{count}") == (count if applied else 0)
        assert any(status == 503 for _, status, _ in answers), answers


def test_an_update_with_a_long_chain_is_refused_before_it_is_read(writable: LiveServer) -> None:
    chain = "+".join(["1"] * (MAX_TERMS + 10))
    reply = request("POST", f"{writable.url}/sparql",
                    f"INSERT {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> ?x }} }} "
                    f"WHERE {{ BIND({chain} AS ?x) }}",
                    {"Content-Type": "application/sparql-update",
                     "Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 400 and f"more than the {MAX_TERMS}" in reply.text, reply.text
    assert last_audit(writable)["status"] == "refused"
