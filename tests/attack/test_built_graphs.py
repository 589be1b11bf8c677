"""Over HTTP, against the real service: built graphs are written by the build only, the audit
log names what ran, and query processes have no network even with the guard switched off."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kg.paths import Layout
from tests.attack.writable import writable_server, write_settings
from tests.canary import Canary
from tests.http import Reply, request
from tests.iri_spellings import spellings
from tests.live import LiveServer
from tests.profiles import examples

pytestmark = pytest.mark.slow  # servers of their own

TOKEN = "built-graphs-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
FACTS = "https://w3id.org/dmkg/graph/facts"
ONTOLOGY = "https://w3id.org/dmkg/graph/ontology"


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "built-graphs", TOKEN) as server:
        yield server


def sizes(server: LiveServer) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    reply = request("GET", f"{server.url}/sparql?query={quote(query)}",
                    headers={"Accept": "application/sparql-results+json"})
    return {b["g"]["value"]: int(b["n"]["value"])
            for b in json.loads(reply.body)["results"]["bindings"]}


def audit(server: LiveServer) -> list[dict[str, object]]:
    path = server.workdir / "audit.log"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(("update", "headers"), [
    ("DROP GRAPH <//w3id.org/dmkg/graph/ontology>", {"X-Forwarded-Proto": "https"}),
    ("DROP GRAPH <//w3id.org/dmkg/graph/ontology>", {"X-Forwarded-Proto": "https",
                                                      "Host": "w3id.org"}),
    ("DROP GRAPH </dmkg/graph/ontology>", {"Host": "w3id.org", "X-Forwarded-Proto": "https"}),
    ("BASE <https://w3id.org/x/> DROP GRAPH <../dmkg/graph/ontology>", {}),
    ("DROP GRAPH <graph/ontology>", {}),  # against the fixed base, the IRI base
    ("PREFIX g: <https://w3id.org/dmkg/graph/ontolog> DROP GRAPH g:y", {}),
    ("PREFIX g: <urn:x> PREFIX g: <https://w3id.org/dmkg/graph/> DROP GRAPH g:ontology", {}),
    ('INSERT DATA { GRAPH <urn:mine> { <urn:a> <urn:b> <urn:c> . # \\u000A <urn:d> <urn:e> """'
     '\n} } ; DROP GRAPH <https://w3id.org/dmkg/graph/facts> ; INSERT DATA { GRAPH <urn:mine> '
     '{ <urn:f> <urn:g> <urn:h> # """\n} }', {}),
    ("INSERT DATA { GRAPH <urn:mine> { <urn:a> <urn:b> <urn:c> } } # note\r; DROP GRAPH "
     "<https://w3id.org/dmkg/graph/facts>", {}),
])
def test_no_spelling_writes_a_built_graph(writable: LiveServer, update: str,
                                          headers: dict[str, str]) -> None:
    before = sizes(writable)
    reply = request("POST", f"{writable.url}/sparql", update, {**AUTH, **headers})
    assert reply.status in {400, 403}, reply.text
    after = sizes(writable)
    assert after.get(FACTS) == before[FACTS] and after.get(ONTOLOGY) == before[ONTOLOGY]


BUILT = st.sampled_from([FACTS, ONTOLOGY, "https://w3id.org/dmkg/graph/inferred"])


def refused_as_a_spelling(reply: Reply, built: str) -> None:
    assert reply.status == 403, reply.text
    assert f"<{built}>" in reply.text and "another spelling" in reply.text


@given(data=st.data(), built=BUILT)
@settings(max_examples=examples(40))
def test_no_other_spelling_of_a_built_graph_is_written(writable: LiveServer, data: st.DataObject,
                                                       built: str) -> None:
    """Neither protocol creates a graph that differs from a built one only in spelling."""
    spelling = data.draw(spellings(built))
    assume(spelling != built)
    update = f"INSERT DATA {{ GRAPH <{spelling}> {{ <urn:a> <urn:b> <urn:c> }} }}"
    refused_as_a_spelling(request("POST", f"{writable.url}/sparql", update, AUTH), built)
    put = request("PUT", f"{writable.url}/rdf-graphs/service?graph={quote(spelling, safe='')}",
                  "<urn:a> <urn:b> <urn:c> .", {**AUTH, "Content-Type": "application/n-triples"})
    refused_as_a_spelling(put, built)
    assert spelling not in sizes(writable)


def test_the_audit_log_names_the_text_that_ran(writable: LiveServer) -> None:
    update = ("PREFIX m: <urn:mine:> # a comment\nINSERT DATA { GRAPH m:g { m:a m:b "
              "'x\\u0027y' } }")
    reply = request("POST", f"{writable.url}/sparql", update, AUTH)
    assert reply.status == 204, reply.text
    entry = audit(writable)[-1]
    assert entry["status"] == "applied" and entry["targets"] == ["urn:mine:g"]
    assert entry["text"] == "BASE <https://w3id.org/dmkg/>\nINSERT DATA { GRAPH <urn:mine:g> " \
                            "{ <urn:mine:a> <urn:mine:b> \"x'y\" } }"


def test_an_update_the_engine_does_not_apply_is_audited(writable: LiveServer) -> None:
    update = "INSERT DATA { GRAPH <urn:mine:f> { <urn:a> <urn:b> <urn:c> } } ; " \
             "CREATE GRAPH <urn:mine:f>"  # the graph exists: the engine applies nothing
    reply = request("POST", f"{writable.url}/sparql", update, AUTH)
    assert reply.status == 409 and "urn:mine:f" in reply.text
    entry = audit(writable)[-1]
    assert entry["status"] == "refused" and entry["targets"] == ["urn:mine:f"]
    assert "already exists" in str(entry["reason"]) and "CREATE GRAPH" in str(entry["text"])


def test_an_update_that_times_out_is_audited(tmp_path: Path, built: Layout) -> None:
    settings = write_settings(tmp_path, TOKEN, QUERY_TIMEOUT="1")
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        update = ("INSERT { GRAPH <urn:mine:slow> { ?a <urn:p> ?n } } WHERE { ?a ?b ?c . "
                  "?d ?e ?f . ?g ?h ?i . BIND(CONCAT(STR(?c), STR(?f), STR(?i)) AS ?n) }")
        reply = request("POST", f"{server.url}/sparql", update, AUTH, timeout=60)
        assert reply.status == 503, reply.text
        # The engine's transaction cannot be cut short: the client is not told it was undone.
        assert "may still have been applied" in reply.text
        entry = audit(server)[-1]
        assert entry["status"] == "timed out" and entry["targets"] == ["urn:mine:slow"]
        assert entry["outcome"] == "unknown"


def test_an_audit_log_that_cannot_be_written_does_not_undo_the_answer(
        tmp_path: Path, built: Layout) -> None:
    log = tmp_path / "audit.log"
    settings = write_settings(tmp_path, TOKEN)
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        log.mkdir()  # a folder where the log should be: every append fails
        update = "INSERT DATA { GRAPH <urn:mine:kept> { <urn:a> <urn:b> <urn:c> } }"
        reply = request("POST", f"{server.url}/sparql", update, AUTH)
        assert reply.status == 204, reply.text
        assert sizes(server).get("urn:mine:kept") == 1
        assert "audit log" in server.log.read_text(encoding="utf-8")


@pytest.mark.skipif(os.geteuid() != 0 and not Path("/proc/sys/kernel/unprivileged_userns_clone")
                    .exists(), reason="no network namespaces for this user")
@pytest.mark.parametrize("workers", [(), ("--workers", "2")])
def test_query_processes_reach_nothing_even_without_the_guard(
        tmp_path: Path, built: Layout, workers: tuple[str, ...]) -> None:
    with Canary() as canary, LiveServer(tmp_path, args=workers, home=built.root,
                                        settings={"TEST_WITHOUT_GUARD": "1"}) as server:
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{canary.port}/sparql> " \
                "{ ?s ?p ?o } }"
        reply = request("GET", f"{server.url}/sparql?query={quote(query)}")
        # The guard is off: the engine tries, and finds no route.
        assert reply.status == 500, reply.text
        assert "unreachable" in reply.text.lower() or "network" in reply.text.lower()
        assert canary.connections == 0
        # The listening socket still serves.
        assert request("GET", f"{server.url}/sparql?query={quote('ASK {}')}").status == 200


def _resolved(server: LiveServer, headers: dict[str, str]) -> str:
    query = quote("SELECT (<x> AS ?i) {}")
    reply = request("GET", f"{server.url}/sparql?query={query}",
                    headers={"Accept": "application/sparql-results+json", **headers})
    return str(json.loads(reply.body)["results"]["bindings"][0]["i"]["value"])


def test_forwarded_headers_are_believed_from_trusted_proxies_only(
        writable: LiveServer, tmp_path: Path, built: Layout) -> None:
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "elsewhere.example"}
    assert _resolved(writable, forged) == f"http://127.0.0.1:{writable.port}/x"
    settings = {"TRUSTED_PROXIES": "127.0.0.1", "PROXY_HOPS": "1"}
    with LiveServer(tmp_path, home=built.root, settings=settings) as proxied:
        assert _resolved(proxied, forged) == "https://elsewhere.example/x"


def test_the_issue_queries_through_the_endpoint(live_server: LiveServer) -> None:
    with Canary() as canary:
        ssrf = ('ASK { BIND(1 AS ?a) # \\u000A BIND("""\n'
                f'SERVICE <http://127.0.0.1:{canary.port}/internal> {{ ?s ?p ?o }} '
                '# """ AS ?b)\n}')
        reply = request("POST", f"{live_server.url}/sparql", ssrf,
                        {"Content-Type": "application/sparql-query"})
        assert reply.status == 400 and "SERVICE refused" in reply.text, reply.text
        assert canary.connections == 0
    two_quotes = 'SELECT ?x WHERE { VALUES ?x { "a\\u0022 \\u0022b" } }'
    reply = request("GET", f"{live_server.url}/sparql?query={quote(two_quotes)}",
                    headers={"Accept": "application/sparql-results+json"})
    rows = json.loads(reply.body)["results"]["bindings"]
    assert [row["x"]["value"] for row in rows] == ['a" "b']
