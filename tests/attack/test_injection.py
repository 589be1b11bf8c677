"""An injection corpus against every REST parameter and the reconciliation API: each answer is
a 4xx or an ordinary answer, never a 5xx; nothing is fetched; the store is unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.attack.writable import writable_server
from tests.canary import Canary
from tests.http import Reply, request
from tests.live import LiveServer

BUILT_GRAPHS = [f"https://w3id.org/dmkg/graph/{name}" for name in ("ontology", "facts",
                                                                   "inferred")]


def corpus(port: int) -> list[str]:
    remote = f"http://127.0.0.1:{port}/x"
    return [
        '" } ; DROP ALL ; #',
        "> } INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } } #",
        '\\" . ?s ?p ?o } DELETE WHERE { ?s ?p ?o } #',
        "ketamine' } UNION { ?s ?p ?o } #",
        f"}} SERVICE <{remote}> {{ ?s ?p ?o }} #",
        f"<{remote}>",
        remote,
        "' OR '1'='1",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "../../../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "\x00",
        "%00",
        "${jndi:ldap://127.0.0.1:" + str(port) + "/a}",
        "{{7*7}}",
        "\u202eevil",
        "🙂" * 50,
        "x" * 10_000,
        "-1",
        "0",
        "99999999999999999999999",
        "NaN",
        "null",
        "[]",
        '{"a": 1}',
        "substance/../../admin",
        "https://w3id.org/dmkg/id/substance/ketamine> ?p ?o } #",
    ]


TOKEN = "injection-token-0123456789"


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    """A writable server: an injected update, if any got through, would show."""
    with writable_server(tmp_path_factory, built, "injection", TOKEN) as server:
        yield server


def snapshot(server: LiveServer) -> dict[str, set[bytes]]:
    """Every graph of the store, as a set of N-Triples lines."""
    reply = request("GET", f"{server.url}/sparql?query=" + quote(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
        headers={"Accept": "application/sparql-results+json"})
    graphs = [b["g"]["value"] for b in json.loads(reply.body)["results"]["bindings"]]
    found = {}
    for graph in graphs:
        dump = request("GET", f"{server.url}/rdf-graphs/service?graph={quote(graph, safe='')}",
                       headers={"Accept": "application/n-triples"})
        assert dump.status == 200
        found[graph] = set(dump.body.splitlines())
    return found


def operations(server: LiveServer) -> list[tuple[str, list[dict[str, Any]]]]:
    document = json.loads(request("GET", f"{server.url}/api/openapi.json").body)
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "get":
                found.append((path, [*item.get("parameters", []),
                                     *operation.get("parameters", [])]))
    return found


VALID = {"kind": "substance", "slug": "ketamine", "name": "cq13", "q": "ketamine",
         "iri": "https://w3id.org/dmkg/id/substance/ketamine"}


def check(reply: Reply, what: str) -> None:
    assert reply.status < 500, (what, reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body and b"site-packages" not in reply.body, what


def test_every_rest_parameter_takes_the_corpus(writable: LiveServer) -> None:
    with Canary() as canary:
        before = snapshot(writable)
        payloads = corpus(canary.port)
        sent = 0
        for path, parameters in operations(writable):
            names = [p["name"] for p in parameters] + (["claim"] if "{name}" in path else [])
            for target in names:
                for payload in payloads:
                    values = {**VALID, target: payload}
                    url = path
                    query = []
                    for name in names:
                        if "{" + name + "}" in url:
                            url = url.replace("{" + name + "}", quote(values[name], safe=""))
                        elif name == target or name in ("q", "iri"):
                            query.append(f"{name}={quote(values[name], safe='')}")
                    full = f"{writable.url}{url}" + (f"?{'&'.join(query)}" if query else "")
                    reply = request("GET", full)
                    check(reply, f"{path} {target}={payload[:40]!r}")
                    if reply.status == 200 and reply.media_type == "application/json":
                        json.loads(reply.body)
                    sent += 1
        assert sent > 500
        assert canary.connections == 0
        assert snapshot(writable) == before


@pytest.mark.slow
def test_the_reconciliation_api_takes_the_corpus(writable: LiveServer) -> None:
    with Canary() as canary:
        before = snapshot(writable)
        for payload in corpus(canary.port):
            batches = [
                {"q0": {"query": payload}},
                {"q0": {"query": "ketamine", "type": payload}},
                {"q0": {"query": "ketamine", "limit": payload}},
                {"q0": {"query": "ketamine", "properties": [{"pid": payload, "v": "x"}]}},
                {"q0": {"query": "ketamine", "properties": [{"pid": "wikidata", "v": payload}]}},
                {"q0": {"query": "ketamine", "type_strict": payload}},
            ]
            for batch in batches:
                form = "queries=" + quote(json.dumps(batch), safe="")
                check(request("POST", f"{writable.url}/reconcile", form,
                              {"Content-Type": "application/x-www-form-urlencoded"}),
                      f"reconcile {batch}")
                check(request("GET", f"{writable.url}/reconcile?{form}"), f"reconcile {batch}")
            check(request("GET", f"{writable.url}/reconcile?queries={quote(payload, safe='')}"),
                  "raw queries")
            for kind in ("entity", "type", "property"):
                check(request("GET", f"{writable.url}/reconcile/suggest/{kind}?prefix="
                                     + quote(payload, safe="")), f"suggest {kind}")
            check(request("GET", f"{writable.url}/reconcile/preview?id="
                                 + quote(payload, safe="")), "preview")
        assert canary.connections == 0
        assert snapshot(writable) == before


def test_pages_escape_what_they_echo(writable: LiveServer) -> None:
    for payload in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'):
        reply = request("GET", f"{writable.url}/search?q={quote(payload)}",
                        headers={"Accept": "text/html"})
        assert reply.status in (200, 400)
        assert payload.encode() not in reply.body

