"""What a worker holds for its clients is bounded: answers kept for slow readers, request
bodies being read; and the HTTP edge refuses what it would otherwise misread."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from kg.paths import default_layout
from tests.attack.writable import write_settings
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # servers of their own, clients that wait

TOKEN = "held-bytes-token-0123456789"
ANSWERS_CAP_MB = 150
RESTORE_LIMIT = 8_000_000


def _tiny(folder: Path) -> str:
    data = folder / "tiny.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    return str(data)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A service taking writes, reading 1 MB of request bodies at once."""
    folder = tmp_path_factory.mktemp("held")
    settings = write_settings(folder, TOKEN, DATA=_tiny(folder), REQUEST_BUFFER_MB="1",
                              MAX_REQUEST_BYTES=str(2_000_000),
                              MAX_RESTORE_BYTES=str(RESTORE_LIMIT))
    with LiveServer(folder, home=default_layout().root, settings=settings) as live:
        yield live


@pytest.fixture(scope="module")
def in_memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A service whose queries and held answers may take ANSWERS_CAP_MB."""
    folder = tmp_path_factory.mktemp("answers")
    settings = {"STORE": "memory", "DATA": _tiny(folder), "QUERY_MEMORY_MB": str(ANSWERS_CAP_MB)}
    with LiveServer(folder, home=default_layout().root, settings=settings) as live:
        yield live


def big_query(number: int, rows: int = 4, row_mib: int = 4) -> bytes:
    """A query of a few hundred bytes answering rows rows of row_mib MiB each."""
    # Numbered: no two texts alike, so that no answer is one kept from before.
    binds = [f"BIND({number} AS ?n)", 'BIND(CONCAT(STR(?i), "-0123456789abcd") AS ?a0)']
    doublings = (row_mib * 1024 * 1024 // 16).bit_length() - 1
    binds += [f"BIND(CONCAT(?a{k}, ?a{k}) AS ?a{k + 1})" for k in range(doublings)]
    values = " ".join(str(n) for n in range(rows))
    return (f"SELECT ?a{doublings} WHERE {{ VALUES ?i {{ {values} }} {' '.join(binds)} }}"
            .encode())


def _post(port: int, body: bytes, headers: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nAccept: text/tab-separated-values\r\n"
                 b"Content-Type: application/sparql-query\r\n" + headers +
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    return sock


def _head(sock: socket.socket) -> bytes:
    """Read an answer's status line and headers (and perhaps a little more)."""
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(1024)
        assert chunk, got
        got += chunk
    return got


def _worker(server: LiveServer) -> int:
    [worker] = server.workers()
    return worker


def _resident_mb(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * 4096 / (1 << 20)


def test_answers_held_for_slow_readers_stay_within_the_cap(in_memory: LiveServer) -> None:
    server = in_memory
    worker = _worker(server)
    before = _resident_mb(worker)
    readers: list[tuple[socket.socket, bytes]] = []
    try:
        # One after another, so that the query memory cap never sees two queries at once:
        # what grows is what is held for readers that do not read.
        for number in range(14):
            sock = _post(server.port, big_query(number))
            readers.append((sock, _head(sock)))
        time.sleep(0.5)
        extra = _resident_mb(worker) - before
        statuses = [head.split(b" ", 2)[1] for _, head in readers]
        refused = [head for _, head in readers if head.startswith(b"HTTP/1.1 503")]
        # 16 MiB answers: as many are held as the cap has room for, the others are refused.
        assert statuses.count(b"200") >= 4, statuses
        assert refused and all(b"retry-after: 5" in h.lower() for h in refused), statuses
        # Beyond the cap: the worker's own working memory, now that queries run on its
        # request threads (each with the stack of a query thread).
        assert extra < ANSWERS_CAP_MB + 100, extra
        assert _worker(server) == worker  # held within the cap, not ended by it
        # A healthy client is answered at once meanwhile.
        started = time.monotonic()
        reply = request("GET", f"{server.url}/sparql?query=ASK%7B%7D",
                        headers={"Accept": "application/sparql-results+json"}, timeout=5)
        assert reply.status == 200 and time.monotonic() - started < 1
        # What was held is written whole, piece by piece, as the reader reads it.
        sock, head = next((s, h) for s, h in readers if h.startswith(b"HTTP/1.1 200"))
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        body = head.split(b"\r\n\r\n", 1)[1]
        while len(body) < length:
            chunk = sock.recv(1 << 20)
            assert chunk
            body += chunk
        lines = body.split(b"\n")
        assert len(lines) == 6 and all(len(line) > 4 << 20 for line in lines[1:5]), len(body)
    finally:
        for sock, _ in readers:
            sock.close()


def test_request_bodies_read_at_once_stay_within_their_total(server: LiveServer) -> None:
    # Bodies of most of the 1 MB total (3/4 of it: the rest is kept for writers), each within
    # its client's share (1/4), sent in part and then held back.
    holders = []
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        holder = socket.create_connection(("127.0.0.1", server.port), timeout=10,
                                          source_address=(source, 0))
        holder.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                       b"Content-Length: 250000\r\n\r\nquery=" + b"+" * 240_000)
        holders.append(holder)
    try:
        time.sleep(0.5)
        # Announced: refused before a byte of it is read, told when to retry.
        sock = _post(server.port, b"ASK {}" + b" " * 100_000)
        head = _head(sock)
        assert head.startswith(b"HTTP/1.1 503") and b"retry-after: 5" in head.lower(), head
        sock.close()
        # Chunked, announcing nothing: refused once what came does not fit.
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/sparql-query\r\n\r\n")
        piece = b" " * 50_000
        for _ in range(10):
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            if select.select([sock], [], [], 0.1)[0]:
                break  # answered before the body is whole
        head = _head(sock)
        assert head.startswith(b"HTTP/1.1 503") and b"retry-after" in head.lower(), head
        sock.close()
        # A client's share is a quarter of the total, whatever is free.
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10,
                                        source_address=("127.0.0.2", 0))
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 30000\r\n"
                     b"Content-Type: application/sparql-query\r\n\r\n")
        assert _head(sock).startswith(b"HTTP/1.1 503")
        sock.close()
    finally:
        for holder in holders:
            holder.close()
    # Once the held bodies are gone, bodies are read again.
    time.sleep(0.3)
    sock = _post(server.port, b"ASK {}" + b" " * 200_000)
    assert _head(sock).startswith(b"HTTP/1.1 200")
    sock.close()


@pytest.mark.parametrize("coding", [b"gzip, chunked", b"GZIP,chunked", b"deflate",
                                    b"gzip\r\nTransfer-Encoding: chunked"])
def test_a_body_in_another_transfer_coding_is_not_read(server: LiveServer,
                                                       coding: bytes) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
                     b"\r\nContent-Type: application/sparql-query\r\n\r\n6\r\nASK {}\r\n0\r\n\r\n")
        head = _head(sock)
    assert head.startswith(b"HTTP/1.1 501"), head


def test_a_write_without_a_token_is_refused_before_its_body_is_asked_for(
        server: LiveServer) -> None:
    for authorization in (b"", b"Authorization: Bearer not-the-token-0123456\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"PUT /rdf-graphs/service?graph=urn:mine HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/n-triples\r\nExpect: 100-continue\r\n"
                         + authorization + b"Content-Length: 5000000\r\n\r\n")
            head = _head(sock)
        assert head.startswith(b"HTTP/1.1 401"), head
        assert b"www-authenticate: bearer" in head.lower()
    # A body over the limit is refused on its announced length, before any go-ahead.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"PUT /rdf-graphs/service?graph=urn:mine HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/n-triples\r\nExpect: 100-continue\r\n"
                     b"Authorization: Bearer " + TOKEN.encode() +
                     b"\r\nContent-Length: 50000000\r\n\r\n")
        assert _head(sock).startswith(b"HTTP/1.1 413")
    # With a valid token, the go-ahead comes and the write is applied.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        body = b"<urn:a> <urn:b> <urn:c> .\n"
        sock.sendall(b"PUT /rdf-graphs/service?graph=urn:mine HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/n-triples\r\nExpect: 100-continue\r\n"
                     b"Authorization: Bearer " + TOKEN.encode() +
                     b"\r\nContent-Length: %d\r\n\r\n" % len(body))
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        head = _head(sock)
        assert head.startswith(b"HTTP/1.1 201") or head.startswith(b"HTTP/1.1 204"), head


def _form_head(port: int, body: bytes, authorization: bytes) -> tuple[socket.socket, bytes]:
    """Send the head of a form POST to /sparql that waits for `100 Continue`; return the
    socket and the first answer line."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                 b"Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n"
                 + authorization + b"Content-Length: %d\r\n\r\n" % len(body))
    return sock, sock.recv(64)


def test_a_form_update_with_a_wrong_token_is_refused_before_its_body_is_asked_for(
        server: LiveServer) -> None:
    body = b"update=" + quote_plus("INSERT DATA { GRAPH <urn:form> { <urn:a> <urn:b> 1 } }",
                                   safe="").encode()
    for authorization in (b"Authorization: Bearer not-the-token-0123456\r\n",
                          b"Authorization: bearer  \r\n"):
        sock, head = _form_head(server.port, body, authorization)
        sock.close()
        assert head.startswith(b"HTTP/1.1 401"), head
    # With the token, the go-ahead comes and the update is applied.
    sock, head = _form_head(server.port, body, b"Authorization: Bearer %s\r\n" % TOKEN.encode())
    with sock:
        assert head.startswith(b"HTTP/1.1 100 Continue"), head
        sock.sendall(body)
        assert _head(sock).startswith(b"HTTP/1.1 204")
    # A form without a token may hold a query, which needs none: it is read and answered.
    query = b"query=" + quote_plus("ASK { GRAPH <urn:form> { <urn:a> <urn:b> 1 } }").encode()
    sock, head = _form_head(server.port, query, b"")
    with sock:
        assert head.startswith(b"HTTP/1.1 100 Continue"), head
        sock.sendall(query)
        assert _head(sock).startswith(b"HTTP/1.1 200")


def test_a_backup_larger_than_other_bodies_is_restored(server: LiveServer) -> None:
    value = "x" * 80
    backup = "".join(f'<urn:s{n}> <urn:p> "{value}" <urn:restored> .\n'
                     for n in range(40_000)).encode()
    assert 2_000_000 < len(backup) < RESTORE_LIMIT  # over MAX_REQUEST_BYTES, within the limit
    auth = {"Authorization": f"Bearer {TOKEN}"}
    reply = request("POST", f"{server.url}/admin/restore", body=backup,
                    headers={**auth, "Content-Type": "application/n-quads"}, timeout=120)
    assert reply.status == 204, reply.body
    saved = request("GET", f"{server.url}/admin/backup", headers=auth, timeout=60)
    assert saved.headers["dmkg-quads"] == "40000"
    assert sorted(saved.body.splitlines()) == sorted(backup.splitlines())
    # Over its own limit, a backup is refused on its announced length.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /admin/restore HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/n-quads\r\nAuthorization: Bearer " +
                     TOKEN.encode() + b"\r\nContent-Length: %d\r\n\r\n" % (RESTORE_LIMIT + 1))
        assert _head(sock).startswith(b"HTTP/1.1 413")


def test_a_restore_without_a_token_is_refused_before_its_body_is_read(
        server: LiveServer) -> None:
    # No `Expect: 100-continue`: still refused on its head, as the body would go to disk.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /admin/restore HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/n-quads\r\nContent-Length: 7000000\r\n\r\n")
        head = _head(sock)
    assert head.startswith(b"HTTP/1.1 401"), head
