"""The HTTP front in process: which answers take a thread, and how a body is sent."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import urlencode

import pytest

from kg.paths import Layout
from service.app import create_app
from service.budget import ANSWERS_FULL, Budget
from service.front import PIECE, Front
from service.response_cache import ResponseCache
from service.services import services

SCOPE = {"type": "http", "method": "GET", "path": "/sparql", "raw_path": b"/sparql",
         "query_string": b"query=ASK%7B%7D", "http_version": "1.1", "scheme": "http",
         "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5555),
         "headers": [(b"host", b"x"), (b"accept", b"application/sparql-results+json")]}


def _serve_once(front: Front, scope: dict[str, Any] = SCOPE) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(front(dict(scope), receive, send))
    return sent


def test_a_kept_answer_is_written_by_the_loop_and_a_whole_body_in_one_piece() -> None:
    threads: list[threading.Thread] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        threads.append(threading.current_thread())
        start_response("200 OK", [("Content-Type", "application/sparql-results+json")])
        return [b'{"boolean": ', b"true}"]

    kept = ResponseCache(app, 1 << 20)
    front = Front(kept, kept, None, frozenset())
    first = _serve_once(front)
    # Made afresh on a thread, in one hop: the body was whole when the application returned.
    assert front.threads.handed == 1 and threads[0] is not threading.main_thread()
    assert [m.get("more_body", False) for m in first[1:]] == [False]
    again = _serve_once(front)
    assert front.threads.handed == 1 and len(threads) == 1  # the loop wrote the kept answer
    assert again[1]["body"] == first[1]["body"] == b'{"boolean": true}'
    assert (b"dmkg-cache", b"hit") in again[0]["headers"]


def test_a_short_answer_made_as_an_iterator_is_read_whole_on_its_thread() -> None:
    """A werkzeug Response is an iterator with a close(), not a list: a short one is read to
    its end and closed on the thread that made it, in one hop (the loop asks no thread for
    the rest of it nor to close it)."""
    closed_on: list[threading.Thread] = []

    class Body:
        def __init__(self) -> None:
            self.pieces = iter([b'{"boolean": ', b"", b"true}"])

        def __iter__(self) -> Body:
            return self

        def __next__(self) -> bytes:
            return next(self.pieces)

        def close(self) -> None:
            closed_on.append(threading.current_thread())

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [("Content-Type", "application/sparql-results+json")])
        return Body()

    front = Front(app, ResponseCache(app, 0), None, frozenset())
    sent = _serve_once(front)
    assert front.threads.handed == 1
    assert len(closed_on) == 1 and closed_on[0] is not threading.main_thread()
    assert [m["body"] for m in sent[1:]] == [b'{"boolean": true}']
    assert [m.get("more_body", False) for m in sent[1:]] == [False]


def test_a_long_answer_is_written_in_pieces_and_held_until_written() -> None:
    whole = bytes(range(256)) * (5 * PIECE // 256) + b"end"

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [whole]

    answers = Budget(10 * PIECE, ANSWERS_FULL)
    front = Front(app, ResponseCache(app, 0), None, frozenset(), answers=answers)
    held: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        held.append(answers.held)
        sent.append(message)

    asyncio.run(front(dict(SCOPE), receive, send))
    pieces = [m["body"] for m in sent[1:]]
    assert b"".join(pieces) == whole and max(map(len, pieces)) == PIECE and len(pieces) == 6
    assert [m.get("more_body", False) for m in sent[1:]] == [True] * 5 + [False]
    # Held while it is written, given back once written.
    assert set(held) == {len(whole)} and answers.held == 0
    # Past the cap, the answer is let go and the client told to retry.
    answers.limit = PIECE * 2
    sent.clear()
    asyncio.run(front(dict(SCOPE), receive, send))
    assert sent[0]["status"] == 503 and (b"retry-after", b"5") in sent[0]["headers"]
    assert answers.held == 0


def test_the_memory_caps_socket_is_forgotten_with_its_connection() -> None:
    """Once a connection is lost its descriptor number may name a new client's connection:
    the 503 of the memory cap must not reach that one."""
    import socket

    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from service.front import Protocol

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        return None

    config = Config(app=asgi, http="httptools", log_config=None)
    config.load()
    loop = asyncio.new_event_loop()
    server, client = socket.socketpair()
    try:
        protocol = Protocol(config=config, server_state=ServerState(), app_state={},
                            _loop=loop)

        class Transport(asyncio.Transport):
            def get_extra_info(self, name: str, default: Any = None) -> Any:
                return server if name == "socket" else default

            def close(self) -> None:
                pass

            def is_closing(self) -> bool:
                return False

        protocol.connection_made(Transport())
        protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the head has begun
        raw = protocol.raw
        assert raw is not None
        raw.sendall(b"503")
        protocol.connection_lost(None)
        with pytest.raises(OSError):
            raw.sendall(b"to whoever holds the number now")
        server.shutdown(socket.SHUT_WR)
        assert client.recv(100) == b"503" and client.recv(100) == b""
    finally:
        server.close()
        client.close()
        loop.close()


def test_an_answers_head_goes_out_with_its_body_in_one_write() -> None:
    """One write per answer (one system call, one packet): fresh, kept, HEAD, 304, and the
    last answer of a connection, each whole before the connection closes."""
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from service.front import Protocol

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/sparql-results+json"),
                                  ("Content-Length", "17")])
        return [b'{"boolean": ', b"true}"]

    kept = ResponseCache(app, 1 << 20)
    front = Front(kept, kept, None, frozenset())
    config = Config(app=front, http="httptools", log_config=None, lifespan="off")
    config.load()
    loop = asyncio.new_event_loop()
    writes: list[bytes] = []
    closed: list[bool] = []

    class Transport(asyncio.Transport):
        def write(self, data: Any) -> None:
            assert not closed, "written after the connection closed"
            writes.append(bytes(data))

        def get_extra_info(self, name: str, default: Any = None) -> Any:
            return default

        def close(self) -> None:
            closed.append(True)

        def is_closing(self) -> bool:
            return bool(closed)

        def pause_reading(self) -> None:
            pass

        def resume_reading(self) -> None:
            pass

    protocol = Protocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    protocol.connection_made(Transport())

    def ask(method: str, *headers: str) -> list[bytes]:
        writes.clear()
        head = "".join(f"{h}\r\n" for h in ("Host: x", *headers))
        protocol.data_received(f"{method} /sparql?query=ASK%7B%7D HTTP/1.1\r\n{head}\r\n"
                               .encode())
        for _ in range(500):
            loop.run_until_complete(asyncio.sleep(0.01))
            if protocol.cycle is not None and protocol.cycle.response_complete:
                break
        return list(writes)

    try:
        body = b'{"boolean": true}'
        fresh = ask("GET")
        assert len(fresh) == 1 and fresh[0].startswith(b"HTTP/1.1 200 ")
        assert fresh[0].endswith(b"\r\n\r\n" + body) and b"dmkg-cache: miss" in fresh[0]
        hit = ask("GET")
        assert len(hit) == 1 and hit[0].endswith(body) and b"dmkg-cache: hit" in hit[0]
        head = ask("HEAD")
        assert len(head) == 1 and head[0].startswith(b"HTTP/1.1 200 ")
        assert head[0].endswith(b"\r\n\r\n") and b"content-length: 17" in head[0]
        etag = next(line.split(b": ")[1] for line in hit[0].split(b"\r\n")
                    if line.startswith(b"etag: "))
        unchanged = ask("GET", f"If-None-Match: {etag.decode()}")
        assert len(unchanged) == 1 and unchanged[0].startswith(b"HTTP/1.1 304 ")
        assert unchanged[0].endswith(b"\r\n\r\n") and not closed
        last = ask("GET", "Connection: close")
        assert len(last) == 1 and last[0].endswith(body) and closed
    finally:
        protocol.connection_lost(None)
        loop.close()


def test_a_query_known_cheap_is_answered_by_the_loop_and_any_other_on_a_thread(
        built: Layout) -> None:
    """One pattern with a term given, over few triples, is answered without a thread; a
    query the store cannot bound, the editor and the description go to a thread, where the
    time limit is kept."""
    app = create_app({"HOME": str(built.root), "STORE": "memory", "RESPONSE_CACHE_MB": 0,
                      "RATE_LIMIT": 0})
    found = services(app)
    front = Front(app, found.kept, None, frozenset(), runner=found.runner, loop_answers=True)
    one = "SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/ketamine> ?p ?o }"
    joined = ("SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/ketamine> ?p ?o . "
              "?o ?q ?r }")
    asked = [(one, "application/sparql-results+json", 0),
             (joined, "application/sparql-results+json", 1),
             (one, "text/html", 1),  # the editor, with its results
             ("", "text/turtle", 1)]  # the service description
    for query, accept, hops in asked:
        before = front.threads.handed
        scope = {**SCOPE, "query_string": urlencode({"query": query} if query else {}).encode(),
                 "headers": [(b"host", b"x"), (b"accept", accept.encode())]}
        sent = _serve_once(front, scope)
        assert sent[0]["status"] == 200, (query, accept, sent)
        assert front.threads.handed - before == hops, (query, accept)
        assert (b"content-type", accept.encode()) in sent[0]["headers"] or \
            dict(sent[0]["headers"])[b"content-type"].startswith(accept.encode())
    rows = json.loads(b"".join(m.get("body", b"") for m in _serve_once(front, {
        **SCOPE, "query_string": urlencode({"query": one}).encode()})[1:]))
    assert len(rows["results"]["bindings"]) > 5
