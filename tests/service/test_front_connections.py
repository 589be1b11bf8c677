"""One client cannot hold more than its share of a worker's connections, and when a crowd of
clients holds them all, a client holding none is still answered at once: over real TCP
connections from several loopback addresses (127.0.0.0/8 on Linux) to a live server."""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
from collections.abc import Iterator

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
    with held(server.port, crowd, EACH), held(server.port, newcomers, 1):
        time.sleep(TURNED_AWAY_SECONDS + 0.5)  # those past the total are answered and gone
        # A client holding none: answered at once, a 503 with Retry-After (the total is
        # full), never left waiting in the listening queue.
        reply, seconds = ask(server.port, "127.0.3.1")
        assert reply.status == 503 and TOO_MANY in reply.text, reply.text
        assert int(reply.headers["retry-after"]) >= 1
        assert seconds < PROMPT, seconds
    reply, seconds = ask(server.port, "127.0.3.1")
    assert reply.status == 200 and seconds < PROMPT, (reply.text, seconds)


def test_the_shares_are_counted_by_client_and_a_proxy_in_the_total_only() -> None:
    counted = Connections(16, trusted=frozenset({"10.0.0.9"}))
    # Two addresses of one /64 are one client: a quarter of 16 between them.
    opened = [counted.open(f"2001:db8::{n}") for n in range(1, 6)]
    assert [refused is None for _, refused in opened] == [True] * 4 + [False]
    assert opened[-1][1] is not None and TOO_MANY_EACH in opened[-1][1].message
    # A configured proxy's connections are its clients': no share, the total only, past
    # the part kept for clients holding none (a proxy counts as one each time).
    proxied = [counted.open("10.0.0.9") for _ in range(13)]
    assert sum(refused is None for _, refused in proxied) == 12
    assert proxied[-1][1] is not None and TOO_MANY in proxied[-1][1].message
    # A place given back: the last one, kept for a client holding none.
    counted.close(opened[0][0])
    assert counted.open("2001:db8::7")[1] is not None
    assert counted.open("192.0.2.1")[1] is None
    assert counted.held == 16 and counted.by_client == {"2001:db8::/64": 3, "192.0.2.1": 1}
