"""Every route belongs to a family, and every answer of a family, success or error, carries
the family's CORS policy: walked over the application's whole URL map, over real HTTP."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from kg.paths import Layout
from service.app import create_app
from service.route_families import FAMILIES, family_of
from tests.http import Reply, request
from tests.live import LiveServer

SAMPLES = {"kind": "substance", "slug": "ketamine", "version": "0.1.0",
           "name": "cq02-drive-cities", "filename": "vendor/yasgui-4.6.2/LICENSE",
           "part": "graph/facts"}
# Query strings a route needs to succeed.
ARGUMENTS = {"/rdf-graphs/service": "?default", "/api/entity":
             "?iri=https%3A%2F%2Fw3id.org%2Fdmkg%2Fid%2Fsubstance%2Fketamine"}


@pytest.fixture(scope="module")
def app(built: Layout) -> Iterator[Flask]:
    yield create_app({"HOME": str(built.root), "STORE": "memory"})


def _paths(app: Flask) -> list[tuple[str, str]]:
    """(path, method) for every rule of the URL map and each of its methods."""
    found = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method))
    return sorted(set(found))


def test_every_route_belongs_to_a_family(app: Flask) -> None:
    for path, _ in _paths(app):
        assert family_of(path) in FAMILIES


def _check(reply: Reply, path: str, seen: dict[str, set[int]]) -> None:
    family = family_of(path)
    seen.setdefault(family.name, set()).add(reply.status)
    cors = reply.headers.get("access-control-allow-origin")
    assert (cors == "*") == family.cors, (path, reply.status, family.name, reply.headers)


def test_cors_on_every_route_success_and_error(app: Flask, live_server: LiveServer) -> None:
    seen: dict[str, set[int]] = {}
    for path, method in _paths(app):
        body = b"" if method in {"POST", "PUT"} else None
        query = ARGUMENTS.get(path, "") if method == "GET" else ""
        _check(request(method, live_server.url + path + query, body), path, seen)
        # An error on the same route: an unknown path below it, and a method it refuses.
        below = path.rstrip("/") + "/no-such-thing"
        if path != "/":
            _check(request("GET", live_server.url + below), below, seen)
        _check(request("PATCH", live_server.url + path), path, seen)
    for family in FAMILIES:
        if family.name in seen:
            statuses = seen[family.name]
            assert any(s < 300 for s in statuses) or family.name in {"admin"}, (family, statuses)
            assert any(s >= 400 for s in statuses), (family, statuses)


def _announced_too_big(server: LiveServer, path: str) -> Reply:
    """POST a body announced larger than MAX_REQUEST_BYTES, and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Type: application/sparql-query\r\n"
                     f"Content-Length: {20 * 1024 * 1024}\r\n\r\nASK {{}}".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return Reply(int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body)


def test_cors_on_endpoint_errors(live_server: LiveServer) -> None:
    too_big = _announced_too_big(live_server, "/sparql")
    refused = request("DELETE", f"{live_server.url}/sparql")
    unknown = request("GET", f"{live_server.url}/id/substance/unobtainium")
    for reply, status in ((too_big, 413), (refused, 405), (unknown, 404)):
        assert reply.status == status
        assert reply.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/sparql", "/api/search", "/id/substance/ketamine",
                                  "/reconcile"])
def test_preflight_by_family(live_server: LiveServer, path: str) -> None:
    preflight = request("OPTIONS", live_server.url + path,
                        headers={"Origin": "https://elsewhere.example",
                                 "Access-Control-Request-Method": "GET",
                                 "Access-Control-Request-Headers": "accept"})
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "authorization" not in preflight.headers["access-control-allow-headers"].lower()


def test_pages_and_admin_carry_no_cors(live_server: LiveServer) -> None:
    for path in ("/", "/search?q=drive", "/admin/backup"):
        assert "access-control-allow-origin" not in request(
            "GET", live_server.url + path).headers


def test_a_request_line_too_long_is_plain_text_readable_cross_origin(
        live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/sparql?query={'a' * 9000}",
                    headers={"Origin": "https://example.org"})
    assert reply.status == 414
    assert reply.media_type == "text/plain"
    assert reply.headers.get("x-content-type-options") == "nosniff"
    assert reply.headers.get("access-control-allow-origin") == "*"
    assert b"POST" in reply.body and b"<html" not in reply.body
