"""Over HTTP, against the real service: an anonymous client cannot stop authorised writes,
nor other clients' questions, by sending request bodies it never finishes. A write without
a valid token is refused from its head, whether or not it waits for `100 Continue`, and its
body is not held; a body that cannot be known as a write from its head (a query, a form) is
held within its client's share of REQUEST_BUFFER_MB, and a part is kept for writers."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from kg.paths import default_layout
from tests.attack.writable import write_settings
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # a server of its own, clients that wait

TOKEN = "held-bodies-token-0123456789"
BUFFER_MB = 4
# The reproduction, scaled to the buffer: bodies of 1 MB until refused, then 100 kB, ... 1 B.
SIZES = [10 ** k for k in range(6, -1, -1)]
PUT = (b"PUT /rdf-graphs/service?graph=urn:x HTTP/1.1\r\nHost: x\r\n"
       b"Content-Type: text/turtle\r\nContent-Length: %d\r\n\r\n")
QUERY = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
         b"Accept: text/tab-separated-values\r\nContent-Length: %d\r\n\r\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("held-bodies")
    data = folder / "tiny.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    settings = write_settings(folder, TOKEN, DATA=str(data), REQUEST_BUFFER_MB=str(BUFFER_MB))
    with LiveServer(folder, home=default_layout().root, settings=settings) as live:
        yield live


def _connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10,
                                    source_address=(source, 0))


def _answered(sock: socket.socket, wait: float) -> bytes:
    """The answer's first bytes, if one came within wait seconds (else b"")."""
    if not select.select([sock], [], [], wait)[0]:
        return b""
    try:
        return sock.recv(4096)
    except ConnectionResetError:
        return b"(reset)"


def _hold(port: int, head: bytes) -> tuple[list[socket.socket], list[bytes]]:
    """Send bodies one byte short of their length, as the attacker does, each level until one
    is answered at once; return the connections held unanswered and the answers seen."""
    held, answers = [], []
    for size in SIZES:
        while True:
            sock = _connect(port)
            sock.sendall(head % (size + 1) + b" " * size)
            answer = _answered(sock, 0.3)
            if answer:
                answers.append(answer)
                sock.close()
                break
            held.append(sock)
            if len(held) > 200:
                pytest.fail("no body was refused")
    return held, answers


def _writes_and_questions_are_answered(server: LiveServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    reply = request("POST", f"{server.url}/sparql",
                    "INSERT DATA { GRAPH <urn:mine> { <urn:a> <urn:b> 1 } }",
                    {**auth, "Content-Type": "application/sparql-update"})
    assert reply.status == 204, reply.body
    reply = request("PUT", f"{server.url}/rdf-graphs/service?graph=urn:put",
                    "<urn:a> <urn:b> <urn:c> .", {**auth, "Content-Type": "text/turtle"})
    assert reply.status in (201, 204), reply.body
    # Another anonymous client's question still has room.
    with _connect(server.port, "127.0.0.2") as other:
        body = b"ASK { GRAPH <urn:put> { <urn:a> <urn:b> <urn:c> } }"
        other.sendall(QUERY % len(body) + body)
        answer = _answered(other, 10)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"true"), answer


def test_anonymous_writes_held_unfinished_stop_no_one(server: LiveServer) -> None:
    held, answers = _hold(server.port, PUT)
    try:
        # Each is refused from its head, without the Expect the client did not send.
        assert all(a.startswith(b"HTTP/1.1 401") for a in answers), answers
        _writes_and_questions_are_answered(server)
    finally:
        for sock in held:
            sock.close()


def test_one_client_holding_query_bodies_holds_its_share_only(server: LiveServer) -> None:
    held, answers = _hold(server.port, QUERY)
    try:
        assert held, "no body was held at all"
        assert all(a.startswith(b"HTTP/1.1 503") for a in answers), answers
        _writes_and_questions_are_answered(server)
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    # Once they are gone, the client's own bodies are read again.
    with _connect(server.port) as sock:
        body = b"ASK {}" + b" " * 500_000
        sock.sendall(QUERY % len(body) + body)
        assert _answered(sock, 10).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("size", [100, 3_000_000])
def test_a_client_sending_a_refused_write_whole_reads_the_refusal(server: LiveServer,
                                                                  size: int) -> None:
    # Not a reset: the body, refused from the head, is read and thrown away as it comes.
    reply = requests.put(f"{server.url}/rdf-graphs/service?graph=urn:x", data=b" " * size,
                         headers={"Content-Type": "text/turtle"}, timeout=30)
    assert reply.status_code == 401, reply.text
    assert "bearer" in reply.headers.get("www-authenticate", "").lower()
    reply = requests.post(f"{server.url}/sparql", data=b"INSERT DATA {}" + b" " * size,
                          headers={"Content-Type": "application/sparql-update",
                                   "Authorization": "Bearer not-the-token-012345"}, timeout=30)
    assert reply.status_code == 401, reply.text

