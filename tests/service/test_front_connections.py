"""One client cannot hold more than its share of a worker's connections, and when a crowd of
clients holds them all, a client holding none is still answered at once: over real TCP
connections from several loopback addresses (127.0.0.0/8 on Linux) to a live server."""

from __future__ import annotations

import contextlib
import http.client
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from typing import cast

import pytest

from kg.paths import Layout
from service.connections import (
    NEWCOMERS_PART,
    SHARE_EACH,
    TOO_MANY,
    TOO_MANY_EACH,
    Connections,
    descriptors_total,
)
from service.front import TURNED_AWAY_SECONDS
from tests.http import Reply
from tests.live import LiveServer

# The server inherits this process's descriptor limit, and so counts the same total.
TOTAL = descriptors_total()
EACH = TOTAL // SHARE_EACH
NEWCOMERS = TOTAL // NEWCOMERS_PART
ASK = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\n\r\n"
# How soon a client holding no connection must be answered (a loaded test machine).
PROMPT = 2.0
# The smaller total of the crowd's test, how long a crowd's client waits before it reopens a
# connection closed, and how often a slow one sends a header line.
SMALL_TOTAL = 128
CROWD_AGAIN = 0.2
SLOW_BEAT = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("connections"), home=built.root,
                    settings={"STORE": "memory"}) as live:
        yield live


@contextlib.contextmanager
def held(port: int, addresses: list[str], each: int) -> Iterator[list[socket.socket]]:
    """each connections from every address, open and silent (a head not yet sent)."""
    sockets: list[socket.socket] = []
    try:
        for address in addresses:
            for _ in range(each):
                sockets.append(socket.create_connection(("127.0.0.1", port), timeout=10,
                                                        source_address=(address, 0)))
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def ask(port: int, address: str, timeout: float = 10) -> tuple[Reply, float]:
    """A query from address, on a connection of its own: the answer and its seconds."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                            source_address=(address, 0))
    try:
        connection.request("GET", "/sparql?query=ASK%7B%7D", headers={"Accept": "text/csv"})
        response = connection.getresponse()
        reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read())
    finally:
        connection.close()
    return reply, time.monotonic() - started


def test_one_address_holds_at_most_its_share_and_another_is_served(server: LiveServer) -> None:
    with held(server.port, ["127.0.0.1"], EACH) as mine:
        # Past its share, its connections are answered at once, in the endpoint's format.
        for _ in range(3):
            reply, seconds = ask(server.port, "127.0.0.1")
            assert reply.status == 503 and TOO_MANY_EACH in reply.text, reply.text
            assert reply.media_type == "text/plain" and int(reply.headers["retry-after"]) >= 1
            assert reply.headers.get("access-control-allow-origin") == "*"
            assert seconds < PROMPT, seconds
        # Another client is served at once; the connections within the share serve too.
        reply, seconds = ask(server.port, "127.0.0.2")
        assert reply.status == 200 and reply.text.strip().endswith("true"), reply.text
        assert seconds < PROMPT, seconds
        mine[0].sendall(ASK)
        assert mine[0].recv(65536).startswith(b"HTTP/1.1 200 ")
    # Once they are closed, the address is served again.
    reply, _ = ask(server.port, "127.0.0.1")
    assert reply.status == 200, reply.text


def test_a_crowd_holding_every_connection_leaves_a_newcomer_answered(server: LiveServer) -> None:
    # Four addresses take their shares, up to what holders may hold; newcomers (one
    # connection each) take the part kept for them.
    crowd = [f"127.0.1.{n}" for n in range(1, SHARE_EACH + 1)]
    newcomers = [f"127.0.2.{n}" for n in range(1, NEWCOMERS + 1)]
    with held(server.port, crowd, EACH) as theirs, held(server.port, newcomers, 1):
        time.sleep(TURNED_AWAY_SECONDS + 0.5)  # those past the total are answered and gone
        # A client holding one more: a 503 with Retry-After at once (the total is full).
        reply, seconds = ask(server.port, newcomers[0])
        assert reply.status == 503 and TOO_MANY in reply.text, reply.text
        assert int(reply.headers["retry-after"]) >= 1
        assert seconds < PROMPT, seconds
        # A client holding none: served at once, in the place of the connection that has
        # waited the longest for its request of the client holding the most: the first one
        # opened (its head begun: a 408), then, the first address holding one less, the
        # second address's first one (silent: closed).
        theirs[0].sendall(b"GET /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.2)
        with held(server.port, ["127.0.3.1"], 1) as first:  # holds its place, silent
            theirs[0].settimeout(PROMPT)
            assert theirs[0].recv(65536).startswith(b"HTTP/1.1 408 ")
            assert theirs[0].recv(65536) == b""
            reply, seconds = ask(server.port, "127.0.3.2")
            assert reply.status == 200 and seconds < PROMPT, (reply.text, seconds)
            theirs[EACH].settimeout(PROMPT)
            assert theirs[EACH].recv(65536) == b""
            first[0].sendall(ASK)
            assert first[0].recv(65536).startswith(b"HTTP/1.1 200 ")
        theirs[2].sendall(ASK)
        assert theirs[2].recv(65536).startswith(b"HTTP/1.1 200 ")
    reply, seconds = ask(server.port, "127.0.3.1")
    assert reply.status == 200 and seconds < PROMPT, (reply.text, seconds)


class Connection:
    """A connection as Connections counts it, noting in order those closed for another."""

    def __init__(self, evicted: list[Connection] | None = None) -> None:
        self.evicted = evicted if evicted is not None else []

    def evict(self) -> None:
        self.evicted.append(self)


def test_the_shares_are_counted_by_client_and_a_proxy_in_the_total_only() -> None:
    counted = Connections(16, trusted=frozenset({"10.0.0.9"}))
    # Two addresses of one /64 are one client: a quarter of 16 between them.
    opened = [counted.open(f"2001:db8::{n}", Connection()) for n in range(1, 6)]
    assert [refused is None for _, refused in opened] == [True] * 4 + [False]
    assert opened[-1][1] is not None and TOO_MANY_EACH in opened[-1][1].message
    # A configured proxy's connections are its clients': no share, the total only, past
    # the part kept for clients holding none (a proxy counts as one each time).
    proxied = [counted.open("10.0.0.9", Connection()) for _ in range(13)]
    assert sum(refused is None for _, refused in proxied) == 12
    assert proxied[-1][1] is not None and TOO_MANY in proxied[-1][1].message
    # A place given back: the last one, kept for a client holding none.
    counted.close(opened[0][0], Connection())
    assert counted.open("2001:db8::7", Connection())[1] is not None
    assert counted.open("192.0.2.1", Connection())[1] is None
    assert counted.held == 16 and counted.by_client == {"2001:db8::/64": 3, "192.0.2.1": 1}


class Crowd(threading.Thread):
    """Clients holding a worker's connections from many addresses, each reopened when closed:
    slow ones sending a head a line at a time, silent ones sending nothing."""

    def __init__(self, port: int, slow: list[str], each: int, silent: list[str]) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.due = [(0.0, address, True) for address in slow for _ in range(each)]
        self.due += [(0.0, address, False) for address in silent]
        self.done = threading.Event()

    def run(self) -> None:
        with selectors.DefaultSelector() as open_:
            slow: set[socket.socket] = set()
            beat = time.monotonic()
            while not self.done.is_set():
                now = time.monotonic()
                later = []
                for at, address, sends in self.due:
                    if at > now:
                        later.append((at, address, sends))
                        continue
                    with contextlib.suppress(OSError):
                        sock = socket.create_connection(("127.0.0.1", self.port), timeout=2,
                                                        source_address=(address, 0))
                        if sends:
                            sock.sendall(b"GET /health HTTP/1.1\r\n")
                            slow.add(sock)
                        open_.register(sock, selectors.EVENT_READ, (address, sends))
                        continue
                    later.append((now + CROWD_AGAIN, address, sends))
                self.due = later
                for key, _ in open_.select(0.05):
                    sock = cast(socket.socket, key.fileobj)
                    with contextlib.suppress(OSError):
                        if sock.recv(65536):
                            continue
                    self._closed(open_, slow, sock, now)
                if now - beat >= SLOW_BEAT:  # a slow one's next header line
                    beat = now
                    for sock in list(slow):
                        try:
                            sock.sendall(b"X-Slow: 1\r\n")
                        except OSError:
                            self._closed(open_, slow, sock, now)
            for key in list(open_.get_map().values()):
                cast(socket.socket, key.fileobj).close()

    def _closed(self, open_: selectors.BaseSelector, slow: set[socket.socket],
                sock: socket.socket, now: float) -> None:
        address, sends = open_.get_key(sock).data
        open_.unregister(sock)
        slow.discard(sock)
        sock.close()
        self.due.append((now + CROWD_AGAIN, address, sends))


def arrive(port: int, address: str) -> str:
    """A newcomer's query: its answer's status (with Retry-After), or what cut it off."""
    try:
        reply, _ = ask(port, address, timeout=5)
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    if reply.status == 503 and int(reply.headers.get("retry-after", "0")) >= 1:
        return "503 Retry-After"
    return str(reply.status)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    """A server counting SMALL_TOTAL connections (half its file descriptors)."""
    with LiveServer(tmp_path_factory.mktemp("small"), home=built.root,
                    settings={"STORE": "memory"}, descriptors=SMALL_TOTAL * 2) as live:
        yield live


def test_a_newcomer_is_answered_when_a_crowd_of_many_addresses_holds_every_place(
        small: LiveServer) -> None:
    # Slow heads from 8 addresses fill the total, and 100 addresses holding one silent
    # connection each take the part kept for newcomers and keep more being turned away than
    # the worker answers at once. A client never seen before is still answered, whole.
    slow = [f"127.0.4.{n}" for n in range(1, 9)]
    silent = [f"127.0.5.{n}" for n in range(1, 101)]
    crowd = Crowd(small.port, slow, SMALL_TOTAL // len(slow), silent)
    crowd.start()
    try:
        time.sleep(2.0)
        answers = []
        for n in range(1, 13):
            answers.append(arrive(small.port, f"127.0.6.{n}"))
            time.sleep(0.5)
    finally:
        crowd.done.set()
        crowd.join()
    assert set(answers) <= {"200", "503 Retry-After"}, answers
    # A place is made for it: the connection the least entitled to its place is closed.
    assert "200" in answers, answers


def test_a_client_holding_none_takes_the_place_of_the_longest_waiting_of_the_largest_holder(
        ) -> None:
    counted = Connections(16)
    evicted: list[Connection] = []
    # Two clients hold four each, six others one each, and two newcomers take the rest.
    a, b = ([Connection(evicted) for _ in range(4)] for _ in range(2))
    ones = [Connection(evicted) for _ in range(8)]
    opened = [("192.0.2.1", c) for c in a] + [("192.0.2.2", c) for c in b] \
        + [(f"198.51.100.{n}", c) for n, c in enumerate(ones, 1)]
    assert [counted.open(address, c)[1] for address, c in opened] == [None] * 16
    # Requests in hand keep their places: all but a[2:], b[0] and ones[0] and ones[7].
    for address, connection in opened:
        if connection not in (a[2], a[3], b[0], ones[0], ones[7]):
            counted.busy(address, connection)
    # Clients holding none take the places that wait: the largest holders' longest waiting
    # first (on a tie, the one waiting the longest), then those of clients holding one.
    newcomers = [Connection(evicted) for _ in range(5)]
    for n, connection in enumerate(newcomers, 1):
        assert counted.open(f"203.0.113.{n}", connection)[1] is None
    assert evicted == [a[2], b[0], a[3], ones[0], ones[7]]
    assert counted.held == 16 and counted.by_client["192.0.2.1"] == 2
    assert "198.51.100.1" not in counted.by_client
    # A client holding one gets no place from another; nor does a newcomer when every
    # connection has a request in hand.
    refused = counted.open("198.51.100.2", Connection(evicted))[1]
    assert refused is not None and TOO_MANY in refused.message
    for n, connection in enumerate(newcomers, 1):
        counted.busy(f"203.0.113.{n}", connection)
    refused = counted.open("203.0.113.9", Connection(evicted))[1]
    assert refused is not None and TOO_MANY in refused.message
    assert len(evicted) == 5 and counted.held == 16
    # One that finished its answer waits again, from now: the next place is its.
    counted.idle("198.51.100.3", ones[2])
    assert counted.open("203.0.113.9", Connection(evicted))[1] is None
    assert evicted[-1] is ones[2]
