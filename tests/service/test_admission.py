"""Admission over real HTTP: heavy queries from several clients leave threads for the others."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.attack.writable import writable_server
from tests.http import Reply
from tests.live import LiveServer

TOKEN = "admission-token-0123456789"
# Two unconstrained patterns over the curated graph: seconds of counting, within the limit.
HEAVY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f }"


def _send(server: LiveServer, address: str, method: str, target: str, body: str = "",
          headers: dict[str, str] | None = None, timeout: float = 60) -> Reply:
    """One request sent from one loopback address (a client of its own)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout,
                                            source_address=(address, 0))
    try:
        connection.request(method, target, body=body.encode() or None, headers={
            "Accept": "application/sparql-results+json", **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     response.read())
    finally:
        connection.close()


def _ask(server: LiveServer, address: str, sparql: str, extra: str = "") -> Reply:
    return _send(server, address, "GET", f"/sparql?query={quote(sparql)}{extra}")


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "admission", TOKEN, QUERY_TIMEOUT="60",
                         CONCURRENCY_LIMIT="4", RATE_LIMIT="0") as server:
        yield server


def _timed(work: object) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = work()  # type: ignore[operator]
    return reply, time.monotonic() - started


def test_heavy_queries_from_several_clients_leave_room_for_a_question_and_a_write(
        writable: LiveServer) -> None:
    heavy: list[Reply] = []

    def send(address: str, number: int) -> None:
        # Distinct texts (&x=): no kept answer serves them.
        heavy.append(_ask(writable, address, HEAVY, f"&x={number}"))

    # Three clients' heavy queries: more than the worker has threads.
    senders = [threading.Thread(target=send, args=(address, n))
               for n, address in enumerate(["127.0.0.2"] * 4 + ["127.0.0.3"] * 4
                                           + ["127.0.0.4"] * 2)]
    for sender in senders:
        sender.start()
    time.sleep(1)  # they are all in hand (running or waiting) by now
    question, asked = _timed(lambda: _ask(writable, "127.0.0.9", "ASK { ?s ?p ?o }"))
    update = "INSERT DATA { GRAPH <urn:admission> { <urn:a> <urn:b> <urn:c> } }"
    write, wrote = _timed(lambda: _send(
        writable, "127.0.0.10", "POST", "/sparql", update,
        {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}))
    running = sum(sender.is_alive() for sender in senders)
    for sender in senders:
        sender.join()
    assert question.status == 200, question.text
    assert write.status == 204, write.text
    # Before, the heavy queries took every thread: these waited for one to end (seconds to
    # the time limit). The bound is loose for a loaded machine.
    assert asked < 3 and wrote < 3, (asked, wrote)
    assert running > 0, "the heavy queries ended before the others were asked: no test"
    statuses = sorted(reply.status for reply in heavy)
    assert statuses.count(200) >= 4, statuses
    # Past the worker's places, a heavy query is refused at once, in the endpoint's format.
    refused = [reply for reply in heavy if reply.status != 200]
    assert refused and {reply.status for reply in refused} <= {429, 503}, statuses
    for reply in refused:
        assert int(reply.headers["retry-after"]) >= 1
        assert reply.headers["content-type"].startswith("text/plain")
        assert reply.headers["access-control-allow-origin"] == "*"
        assert "retry after" in reply.text


@pytest.mark.parametrize(("client", "same", "other"), [
    ("10.0.0.1", "10.0.0.1", "10.0.0.2"),
    # An IPv6 client is counted by its /64: another address of it is the same client.
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:3::1")],
    ids=["ipv4", "ipv6"])
def test_each_client_behind_a_proxy_is_counted_once_under_its_own_address(
        tmp_path: Path, built: Layout, client: str, same: str, other: str) -> None:
    """Behind a configured proxy every client's requests come from the proxy's address: each
    is counted under the address the proxy names, in one place, not all under the proxy's."""
    settings = {"QUERY_TIMEOUT": "60", "CONCURRENCY_LIMIT": "2", "RATE_LIMIT": "0",
                "TRUSTED_PROXIES": "127.0.0.1", "PROXY_HOPS": "1"}
    with LiveServer(tmp_path, args=("--workers", "1"), home=built.root,
                    settings=settings) as server:

        def ask(client: str, sparql: str, extra: str = "") -> Reply:
            return _send(server, "127.0.0.1", "GET", f"/sparql?query={quote(sparql)}{extra}",
                         headers={"X-Forwarded-For": client})

        replies: list[Reply] = []
        senders = [threading.Thread(target=lambda n=n: replies.append(  # type: ignore[misc]
            ask(client, HEAVY, f"&y={n}"))) for n in range(2)]
        for sender in senders:
            sender.start()
        time.sleep(1)
        same_reply = ask(same, "ASK {}")
        other_reply = ask(other, "ASK {}")
        running = sum(sender.is_alive() for sender in senders)
        for sender in senders:
            sender.join()
    assert running > 0, "the heavy queries ended before the others were asked: no test"
    assert same_reply.status == 429, same_reply.text
    assert int(same_reply.headers["retry-after"]) >= 1
    assert other_reply.status == 200, other_reply.text
    assert [reply.status for reply in replies] == [200, 200]


def test_a_client_is_counted_by_its_ipv4_address_or_its_ipv6_64() -> None:
    from service.limits import client_key

    assert client_key("10.1.2.3") == "10.1.2.3"
    assert client_key("::ffff:10.1.2.3") == "10.1.2.3"
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:a:b:c:d") \
        == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("[2001:db8::1]") == "2001:db8::/64"
    assert client_key("[2001:db8::5]:443") == "2001:db8::/64"
    assert client_key("10.1.2.3:5555") == "10.1.2.3"
    assert client_key("fe80::1%eth0") == "fe80::/64"
    assert client_key("-") == "-"
    # What cannot be read is one client, not a new one at each spelling.
    assert client_key("010.000.000.007") == client_key("foo") == client_key("unknown")


def test_places_go_to_clients_holding_none_first_and_waiting_requests_in_turn() -> None:
    """The rules in process: two places at most per client, the last two of the six for
    clients holding none, a request waiting its most then refused with Retry-After."""
    import asyncio

    from service.admission import Admission

    async def scenario() -> None:
        admission = Admission(None, 8)
        for client in ("a", "a", "b", "b"):
            assert await admission.place(client) is None
        # a and b hold two each: a third of theirs waits, a newcomer gets one of the last two.
        waiting = asyncio.ensure_future(admission.place("a", most=5))
        await asyncio.sleep(0)
        assert not waiting.done()
        assert await admission.place("c") is None
        assert await admission.place("d") is None
        refused = await admission.place("e", most=0.05)  # all six places are held
        assert refused is not None and refused.status == 503
        assert dict(refused.headers)["Retry-After"] == "2"
        admission.vacate("c")  # a place, but only for a client holding none: a waits on
        await asyncio.sleep(0)
        assert not waiting.done()
        admission.vacate("a")
        admission.vacate("d")
        await asyncio.sleep(0)
        assert waiting.done() and waiting.result() is None  # a's turn came
        assert admission.held == 4 and admission.holding == {"a": 2, "b": 2}

    asyncio.run(scenario())
