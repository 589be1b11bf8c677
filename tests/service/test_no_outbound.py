"""No query makes the server reach out: a canary server on 127.0.0.1 must see no connection."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kg.paths import Layout
from tests.http import request
from tests.live import LiveServer, free_port


class Canary:
    """An HTTP server that counts every connection it gets."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    with Canary() as server:
        yield server


def refused_queries(url: str) -> list[str]:
    escaped = "\\u0053ERVICE"
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {escaped} <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE # a comment\n <{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX c: <{url.rsplit('/', 1)[0]}/> "
        "SELECT * WHERE { SERVICE c:sparql { ?s ?p ?o } }",
        f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SeRvIcE <{url}> {{ ?s ?p ?o }} }} }}",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "oxigraph", "rdflib"])
def test_no_query_reaches_the_canary(tmp_path: Path, built: Layout, canary: Canary,
                                     store: str) -> None:
    with LiveServer(tmp_path, args=("--store", store), home=built.root) as server:
        for query in refused_queries(canary.url):
            reply = request("GET", f"{server.url}/sparql?{urlencode({'query': query})}")
            assert reply.status == 400, (query, reply.body)
            assert "refused" in reply.text
        graph = canary.url.replace("/sparql", "/data.ttl")
        fetchers = [
            ({"query": f"SELECT * FROM <{graph}> WHERE {{ ?s ?p ?o }}"}, 0),
            ({"query": f"SELECT * FROM NAMED <{graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"}, 0),
            ({"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": graph}, 0),
            ({"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": graph}, 0),
        ]
        for params, rows in fetchers:
            reply = request("GET", f"{server.url}/sparql?{urlencode(params)}",
                            headers={"Accept": "application/sparql-results+json"})
            assert reply.status == 200, reply.body
            assert reply.text.count('"type"') == rows  # an empty graph, never fetched
        harmless = ("SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), \"service\")) } "
                    "LIMIT 1 # LOAD")
        assert request("GET", f"{server.url}/sparql?{urlencode({'query': harmless})}"
                       ).status == 200
    assert canary.hits == []


def test_the_canary_does_see_an_unguarded_engine() -> None:
    import pyoxigraph as ox

    with Canary() as control:
        # The canary's answer need not satisfy the engine; the visit is what counts.
        with contextlib.suppress(OSError, SyntaxError, ValueError, RuntimeError):
            list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{control.url}> {{ ?s ?p ?o }} }}"))
        assert control.hits, "without the guard Oxigraph calls the SERVICE endpoint"
