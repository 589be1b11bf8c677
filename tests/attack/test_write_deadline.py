"""Over HTTP, against the real service: one time limit for every write, counted from when the
request was read. Reading an update's text, waiting for the write lock and committing all
count; past the limit a write is a 503 that says what became of it, never a success, and the
audit log records it, as it records a write cut by the memory cap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.attack.writable import (
    audit,
    cut_at_limit,
    put,
    restore,
    size,
    update,
    writable_server,
    write_settings,
)
from tests.http import Reply, request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # servers of their own

TOKEN = "write-deadline-token-0123456789"
LIMIT = 1.0
# The time a cut write may take past its limit to be answered, on a loaded machine.
SLACK = 5.0
# What a write past its limit says became of it, by its audited outcome.
SAYS = {"not applied": "nothing was applied", "applied": "applied, late",
        "failed": "then failed", "unknown": "outcome is unknown"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    # Updates up to 4 MB: a large one takes seconds to read on any machine.
    with writable_server(tmp_path_factory, built, "write-deadline", TOKEN,
                         QUERY_TIMEOUT=str(LIMIT), MAX_QUERY_BYTES=str(4 << 20)) as server:
        yield server


def large_insert(graph: str, triples: int = 20000) -> str:
    """An INSERT DATA of 20,000 triples (about 2 MB): seconds to read, well past a 1 s limit
    even on a quiet machine (2,000 triples took 0.9 s of parsing alone)."""
    literal = "x" * 60
    lines = "".join(f'<urn:mine:s{i}> <urn:mine:p> "{literal} {i}" .\n' for i in range(triples))
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{lines}}} }}"


def test_reading_a_large_update_counts_against_the_time_limit(limited: LiveServer) -> None:
    graph = "urn:mine:large"
    start = time.monotonic()
    reply = update(limited, TOKEN, large_insert(graph))
    entry = cut_at_limit(limited, reply, time.monotonic() - start, LIMIT, SLACK)
    assert entry["operation"] == "update", entry
    outcome = str(entry["outcome"])
    assert SAYS[outcome] in reply.text, (outcome, reply.text)
    if outcome == "not applied":
        time.sleep(2)  # an abandoned update would have been applied by now
        assert size(limited, graph) == 0


def large_graph(graph: str, triples: int = 40_000) -> bytes:
    """A backup of one graph of 40,000 triples: more than a write may remove within 1 s."""
    return "".join(f'<urn:mine:s{i}> <urn:mine:p> "value {i}" <{graph}> .\n'
                   for i in range(triples)).encode()


def audited_at(entry: dict[str, object]) -> float:
    """When the audit log recorded a write, in seconds since the epoch."""
    return datetime.fromisoformat(str(entry["time"])).timestamp()


def test_puts_queued_behind_the_write_lock_are_cut_at_their_limit(
        limited: LiveServer) -> None:
    """Small PUTs sent while a long write holds the write lock: the wait counts, so each is
    answered 503 (nothing applied) at its limit, or 201 within it; never a late 201."""
    big = "urn:mine:big"
    restore(limited, TOKEN, large_graph(big))
    graphs = [f"urn:mine:queued{n}" for n in range(4)]

    def timed_put(graph: str) -> tuple[Reply, float]:
        time.sleep(0.3)  # the DROP holds the lock by now: it reads nothing first
        sent = time.time()
        return put(limited, TOKEN, graph, b"<urn:mine:a> <urn:mine:b> <urn:mine:c> .\n"), sent

    with ThreadPoolExecutor(len(graphs) + 1) as pool:
        # An update's commit is not refused for its size (a Graph Store DELETE of this graph
        # would be): it holds the lock until the engine is done, past its limit.
        holder = pool.submit(update, limited, TOKEN, f"DROP GRAPH <{big}>", 120)
        answers = list(pool.map(timed_put, graphs))
        dropped = holder.result()
    assert dropped.status in {204, 503}, dropped.text
    entries = {str(e["graph"]): e for e in audit(limited) if e.get("graph") in graphs}
    time.sleep(2)  # an abandoned write would have been committed by now
    for graph, (reply, sent) in zip(graphs, answers, strict=True):
        entry = entries[graph]
        if reply.status == 201:
            assert entry["status"] == "applied", entry
            # Recorded after its commit, before its answer: within the limit of its request.
            assert audited_at(entry) - sent < LIMIT + 0.5, (entry, sent)
            assert size(limited, graph) == 1
            continue
        assert reply.status == 503, reply.text
        outcome = str(entry["outcome"])
        assert entry["status"] == "timed out" and SAYS[outcome] in reply.text, (entry, reply.text)
        assert size(limited, graph) == (1 if outcome == "applied" else 0), entry
    stages = [e.get("stage") for e in entries.values() if e["status"] == "timed out"]
    assert "waiting for the write lock" in stages or not stages, stages


def test_an_update_cut_by_the_memory_cap_is_audited(tmp_path: Path, built: Layout) -> None:
    settings = write_settings(tmp_path, TOKEN, QUERY_TIMEOUT="60", QUERY_MEMORY_MB="400")
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        binds = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(26))
        text = ("INSERT { GRAPH <urn:mine:memory> { <urn:mine:a> <urn:mine:n> ?n } } WHERE { "
                f"BIND(\"0123456789abcdef\" AS ?s0) {binds} BIND(STRLEN(?s26) AS ?n) }}")
        before = server.workers()
        reply = update(server, TOKEN, text, timeout=120)
        assert reply.status == 503, reply.text
        assert "400 MB" in reply.text and "update" in reply.text, reply.text
        entry = audit(server)[-1]
        assert entry["operation"] == "update" and entry["status"] == "cut", entry
        assert entry["targets"] == ["urn:mine:memory"] and "CONCAT" in str(entry["text"])
        # Cut while the engine evaluated it: what its commit would have done is not known.
        outcome = str(entry["outcome"])
        assert outcome in {"not applied", "unknown"} and SAYS[outcome] in reply.text, reply.text
        # The process was replaced, and its successor serves the store as the cut left it.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and before & server.workers():
            time.sleep(0.2)
        assert not before & server.workers()
        assert size(server, "urn:mine:memory") in ({0} if outcome == "not applied" else {0, 1})


def test_a_graph_store_write_counts_the_triples_it_removes(tmp_path: Path,
                                                           built: Layout) -> None:
    """A PUT that replaces a large graph, or a DELETE that drops it, removes its triples in
    its commit, which cannot be cut: if that would outlast the limit, it is refused before
    it begins (nothing applied), not answered late."""
    big, triples = "urn:mine:replaced", 40_000
    settings = write_settings(tmp_path, TOKEN, QUERY_TIMEOUT=str(LIMIT))
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        restore(server, TOKEN, large_graph(big, triples))
        graph_store = f"{server.url}/rdf-graphs/service?graph={quote(big, safe='')}"
        writes = [("PUT", b"<urn:mine:a> <urn:mine:b> <urn:mine:c> .\n", "replacing 40000"),
                  ("DELETE", None, "removing 40000 triples")]
        for method, body, says in writes:
            started = time.monotonic()
            reply = request(method, graph_store, body,
                            {"Authorization": f"Bearer {TOKEN}",
                             "Content-Type": "application/n-triples"}, timeout=60)
            took = time.monotonic() - started
            assert reply.status == 503, (method, reply.text)
            assert says in reply.text and "nothing was applied" in reply.text, reply.text
            assert took < LIMIT, f"{method} answered {took:.2f} s after it was sent"
            entry = audit(server)[-1]
            assert (entry["status"], entry["outcome"]) == ("timed out", "not applied"), entry
            assert size(server, big) == triples
        # A small graph is replaced and dropped as before.
        small = f"{server.url}/rdf-graphs/service?graph=urn:mine:small"
        for value, status in (1, 201), (2, 204):
            triple = f'<urn:mine:a> <urn:mine:b> "{value}" .\n'.encode()
            assert put(server, TOKEN, "urn:mine:small", triple).status == status
        assert request("DELETE", small, None, {"Authorization": f"Bearer {TOKEN}"}).status == 204
        assert size(server, "urn:mine:small") == 0
