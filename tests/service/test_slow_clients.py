"""Slow clients cannot starve the service: requests are read whole before a thread sees them."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.paths import Layout
from service.front import HEADER_SECONDS
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # servers of their own, clients that wait

SLOW = 50


def slow_client(url_port: int, body: bool, stop: threading.Event,
                closed: list[float]) -> None:
    """Send a request a few bytes a second; note when the server closes the connection."""
    with socket.create_connection(("127.0.0.1", url_port)) as sock:
        started = time.monotonic()
        if body:
            sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/sparql-query\r\n"
                         b"Content-Length: 1000\r\n\r\nASK")
        else:
            sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n")
        try:
            while not stop.is_set():
                sock.sendall(b"X" if body else b"X-Slow: 1\r\n")
                time.sleep(1)
        except OSError:
            closed.append(time.monotonic() - started)


@pytest.fixture(scope="module", params=[(), ("--workers", "2")], ids=["threads", "workers"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           built: Layout) -> Iterator[LiveServer]:
    """A server of each kind for the module: a test's slow clients are gone when it ends."""
    with LiveServer(tmp_path_factory.mktemp("slow-clients"), args=request.param,
                    home=built.root, settings={"STORE": "memory"}) as started:
        yield started


@pytest.mark.parametrize("body", [False, True], ids=["headers", "body"])
def test_slow_clients_do_not_starve_others(server: LiveServer, body: bool) -> None:
    stop = threading.Event()
    closed: list[float] = []
    threads = [threading.Thread(target=slow_client, args=(server.port, body, stop, closed),
                                daemon=True) for _ in range(SLOW)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)  # every slow connection is open and sending
        for _ in range(10):
            started = time.monotonic()
            reply = request("GET", f"{server.url}/sparql?query=ASK%7B%7D",
                            headers={"Accept": "application/sparql-results+json"},
                            timeout=5)
            assert reply.status == 200
            assert time.monotonic() - started < 1
            time.sleep(0.2)
        if not body:
            # Clients too slow to finish their headers are let go: each within a few seconds
            # of HEADER_SECONDS after it connected (the last connected before the requests).
            deadline = time.monotonic() + HEADER_SECONDS + 4
            while len(closed) < SLOW and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(closed) == SLOW
            assert max(closed) < HEADER_SECONDS + 4
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def test_a_client_expecting_100_continue_is_told_to_send_its_body(live_server: LiveServer) -> None:
    # The whole request is read first, so the go-ahead comes before the body is read.
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as sock:
        body = b"ASK {}"
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     b"Content-Type: application/sparql-query\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        started = time.monotonic()
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
        assert time.monotonic() - started < 1
        sock.sendall(body)
        answer = b""
        while b"true" not in answer:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
        assert b"200 OK" in answer


def test_a_busy_worker_leaves_new_connections_to_the_others(tmp_path: Path, built: Layout) -> None:
    settings = {"STORE": "memory", "QUERY_TIMEOUT": "8"}
    with LiveServer(tmp_path, args=("--workers", "2"), home=built.root, settings=settings) \
            as server:
        endless = quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
        done = threading.Event()

        def hold() -> None:
            with contextlib.suppress(OSError, http.client.HTTPException):  # the server stops first
                request("GET", f"{server.url}/sparql?query={endless}", timeout=60)
            done.set()

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        time.sleep(1)  # one worker's only thread is evaluating
        for _ in range(6):
            reply = request("GET", f"{server.url}/sparql?query=ASK%7B%7D",
                            headers={"Accept": "application/sparql-results+json"},
                            timeout=30)
            assert reply.status == 200
        # Every new connection went to the free worker, none waited for the busy one.
        assert not done.is_set()
    holder.join(timeout=30)  # the server has stopped: no need to wait for the time limit
