"""Over HTTP, against the real service: a write that will be refused is refused before any
work that grows with the store. On a store of many contributed triples and a short time
limit, an update that would write a built graph, or a graph chosen by a variable, gets its
403 at once, where a permitted update of the same shape runs out of time reading the data."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.paths import Layout
from tests.attack.writable import write_settings
from tests.http import Reply, request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # a server of its own, with a store of many triples

TOKEN = "refused-first-token-0123456789"
LIMIT = 1.0
# Contributed graphs holding the same triples: reading them as a set of triples is work
# that grows with them (seconds here, past LIMIT).
GRAPHS, TRIPLES = 3, 40_000
FACTS = "https://w3id.org/dmkg/graph/facts"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("refused-first")
    settings = write_settings(folder, TOKEN, QUERY_TIMEOUT=str(LIMIT))
    with LiveServer(folder, home=built.root, settings=settings) as server:
        backup = "".join(f'<urn:big:s{i % 5000}> <urn:big:p{i % 7}> "v{i}" <urn:big:g{g}> .\n'
                         for g in range(GRAPHS) for i in range(TRIPLES)).encode()
        reply = request("POST", f"{server.url}/admin/restore", backup,
                        {"Authorization": f"Bearer {TOKEN}",
                         "Content-Type": "application/n-quads"}, timeout=300)
        assert reply.status == 204, reply.text
        yield server


def update(server: LiveServer, text: str) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = request("POST", f"{server.url}/sparql", text,
                    {"Authorization": f"Bearer {TOKEN}",
                     "Content-Type": "application/sparql-update"}, timeout=60)
    return reply, time.monotonic() - started


REFUSED = [
    "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { <urn:x> ?p ?o } BIND(<urn:x> AS ?s) }",
    "INSERT { GRAPH ?g { <urn:x> <urn:y> 1 } } WHERE { GRAPH ?g { <urn:big:s1> ?p ?o } }",
    f"INSERT {{ GRAPH <{FACTS}> {{ <urn:x> <urn:y> 1 }} }} WHERE {{ <urn:big:s1> ?p ?o }}",
    f"DELETE {{ GRAPH <{FACTS}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <urn:big:g0> {{ ?s ?p ?o }} }}",
    "INSERT { ?s <urn:y> 1 } WHERE { ?s <urn:big:p1> ?o }",
    "WITH <urn:big:g1> DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("text", REFUSED)
def test_a_refused_update_is_refused_before_reading_the_data(large: LiveServer,
                                                             text: str) -> None:
    reply, took = update(large, text)
    # Reading the data would take seconds: the time limit would cut it (503), not refuse it.
    assert reply.status == 403, reply.text
    assert took < LIMIT, f"refused after {took:.2f} s"
    audited = [json.loads(line) for line in
               Path(large.settings["AUDIT_LOG"]).read_text(encoding="utf-8").splitlines()]
    assert audited[-1]["status"] == "refused" and audited[-1]["targets"]


def test_a_permitted_update_of_the_same_shape_reads_the_data(large: LiveServer) -> None:
    # What makes the refusals above a test: the same work, permitted, outlasts the limit. (A
    # blank node in the template makes a node per solution: the union must be read as a set.)
    reply, _ = update(large, "INSERT { GRAPH <urn:mine> { [] <urn:y> ?o } } "
                             "WHERE { <urn:big:s1> ?p ?o }")
    assert reply.status == 503, reply.text
