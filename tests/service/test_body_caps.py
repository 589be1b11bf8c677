"""Bodies past their cap, sent with a length or in chunks, over real HTTP: each gets 413 and
nothing of it is applied or audited as applied."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.http import Reply
from tests.live import LiveServer
from tests.service.test_writes import TOKEN, audit, count, writable_settings

CAP = 65536
RESTORE_CAP = 200_000
BIG = "https://w3id.org/dmkg/graph/contrib/big"
# 1,563 lines of 64 bytes: 100,032 bytes, past CAP; its first 1,024 lines fill CAP exactly.
LINES = b"".join(b"<urn:s:%05d> <urn:p> \"%037d\" .\n" % (n, n) for n in range(1563))
GOOD = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("body-caps")
    settings = {**writable_settings(folder), "MAX_REQUEST_BYTES": str(CAP),
                "MAX_QUERY_BYTES": str(CAP), "MAX_RESTORE_BYTES": str(RESTORE_CAP)}
    with LiveServer(folder, home=built.root, settings=settings) as server:
        yield server


def send(server: LiveServer, method: str, path: str, body: bytes, headers: dict[str, str],
         chunked: bool) -> Reply:
    """Send body with a Content-Length, or in chunks of 8 KiB with no length."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        if chunked:
            pieces = [body[at:at + 8192] for at in range(0, len(body), 8192)]
            connection.request(method, path, body=iter(pieces),
                               headers={**headers, "Transfer-Encoding": "chunked"},
                               encode_chunked=True)
        else:
            connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     response.read())
    finally:
        connection.close()


def test_the_example_body_is_past_the_cap() -> None:
    assert len(LINES) == 100_032
    assert len(LINES.splitlines()[0]) + 1 == 64


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_a_graph_write_past_the_cap_gets_413_and_changes_nothing(
        capped: LiveServer, chunked: bool) -> None:
    before = len(audit(capped)) if Path(capped.settings["AUDIT_LOG"]).exists() else 0
    reply = send(capped, "PUT", f"/rdf-graphs/service?graph={quote(BIG, safe='')}", LINES,
                 {**GOOD, "Content-Type": "application/n-triples", "Expect": ""}, chunked)
    assert reply.status == 413, reply.text
    assert count(capped, BIG) == 0
    after = audit(capped) if Path(capped.settings["AUDIT_LOG"]).exists() else []
    assert all(line.get("outcome") != "applied" for line in after[before:]), after[before:]


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_a_body_within_the_cap_is_read_whole(capped: LiveServer, chunked: bool) -> None:
    within = LINES[:64 * 1000]
    graph = f"{BIG}-{int(chunked)}"
    reply = send(capped, "PUT", f"/rdf-graphs/service?graph={quote(graph, safe='')}", within,
                 {**GOOD, "Content-Type": "application/n-triples"}, chunked)
    assert reply.status in (201, 204), reply.text
    assert count(capped, graph) == 1000


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_every_route_refuses_a_body_past_its_cap(capped: LiveServer, chunked: bool) -> None:
    update = f"INSERT DATA {{ GRAPH <{BIG}> {{ <urn:a> <urn:b> <urn:c> }} }} #".encode()
    padded = update + b"x" * CAP
    query = b"ASK {} #" + b"x" * CAP
    cases = [
        ("/sparql", query, {"Content-Type": "application/sparql-query"}),
        ("/sparql", padded, {**GOOD, "Content-Type": "application/sparql-update"}),
        ("/sparql", b"update=" + quote(padded.decode()).encode(),
         {**GOOD, "Content-Type": "application/x-www-form-urlencoded"}),
        ("/reconcile", b"queries=" + quote(json.dumps({"q0": {"query": "x" * CAP}})).encode(),
         {"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    for path, body, headers in cases:
        reply = send(capped, "POST", path, body, headers, chunked)
        assert reply.status == 413, (path, headers, reply.status, reply.text)
    assert count(capped, BIG) == 0


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_a_restore_past_its_cap_gets_413_not_a_retry(capped: LiveServer, chunked: bool) -> None:
    reply = send(capped, "POST", "/admin/restore", b"PK" + b"\0" * RESTORE_CAP,
                 {**GOOD, "Content-Type": "application/zip"}, chunked)
    assert reply.status == 413, reply.text
    assert "retry-after" not in reply.headers
