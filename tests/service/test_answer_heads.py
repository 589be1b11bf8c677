"""The heads of answers without a body, and of the front's refusals, over real HTTP: a 204 or
a 201 names no media type, a 304 varies as its 200 does, a bad method gets its family's
error."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.attack.writable import writable_server
from tests.http import Reply, request
from tests.live import LiveServer
from tests.service.test_routes import _raw
from tests.service.test_writes import GRAPH, TOKEN, UPDATE

GOOD = {"Authorization": f"Bearer {TOKEN}"}
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "answer-heads", TOKEN) as server:
        yield server


def vary(reply: Reply) -> set[str]:
    return {v.strip().lower() for v in reply.headers.get("vary", "").split(",") if v.strip()}


def test_an_answer_without_a_body_names_no_media_type(writable: LiveServer) -> None:
    text = f"INSERT DATA {{ GRAPH <{GRAPH}-heads> {{ <urn:a> <urn:b> <urn:c> }} }}"
    updated = request("POST", f"{writable.url}/sparql", text,
                      {**GOOD, "Content-Type": UPDATE})
    created = request("PUT", f"{writable.url}/rdf-graphs/service?graph="
                      + quote(f"{GRAPH}-created", safe=""), "<urn:a> <urn:b> <urn:c> .",
                      {**GOOD, "Content-Type": "text/turtle"})
    for reply, status in ((updated, 204), (created, 201)):
        assert reply.status == status, reply.text
        assert reply.body == b""
        assert "content-type" not in reply.headers, reply.headers
        # Not a page: none of a page's headers.
        assert "content-security-policy" not in reply.headers, reply.headers
        assert not vary(reply) & {"accept-language", "cookie"}, reply.headers


def test_a_304_varies_as_its_200(writable: LiveServer) -> None:
    first = request("GET", f"{writable.url}/sparql", headers=BROWSER)
    assert first.status == 200 and first.media_type == "text/html", first.headers
    etag = first.headers["etag"]
    again = request("GET", f"{writable.url}/sparql", headers={**BROWSER, "If-None-Match": etag})
    assert again.status == 304, again.headers
    assert vary(again) == vary(first), (again.headers, first.headers)
    assert {"accept", "accept-language", "cookie"} <= vary(again)


def raw(server: LiveServer, line: bytes) -> Reply:
    """Send a request line as it is, with no headers but Host, and read the answer."""
    return _raw(server.port, line.decode("latin-1")
                + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout=30)


@pytest.mark.parametrize("line", [b"FOO /sparql HTTP/1.1", b"get /sparql HTTP/1.1"])
def test_a_bad_method_gets_the_endpoints_error(writable: LiveServer, line: bytes) -> None:
    reply = raw(writable, line)
    assert 400 <= reply.status < 500, reply
    assert reply.media_type == "text/plain", reply.headers  # the endpoint's error format
    assert reply.headers.get("access-control-allow-origin") == "*", reply.headers
    assert b"<html" not in reply.body and reply.body.strip(), reply.body
