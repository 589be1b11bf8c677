"""Over HTTP, against the real service with one writable process: a large write past its time
limit is answered at the limit, its worker goes on serving, and other clients are answered
while it runs."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from kg.paths import Layout
from tests.attack.writable import (
    audit,
    cut_at_limit,
    put,
    size,
    update,
    writable_server,
    write_settings,
)
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # a server of its own

TOKEN = "write-outage-token-0123456789"
LIMIT = 2.0
# The time a cut write may take past its limit to be answered, on a loaded machine.
SLACK = 3.0
# The longest a probe may wait for its answer while the write runs, on a loaded machine.
PROBE = 2.0
TRIPLES = 100_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "write-outage", TOKEN,
                         QUERY_TIMEOUT=str(LIMIT)) as live:
        yield live


class Probe:
    """Asks `ASK {}` every 0.3 s while running; keeps how long each answer took."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.waits: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                reply = request("GET", f"{self.server.url}/sparql?query={quote('ASK {}')}",
                                headers={"Accept": "application/sparql-results+json"},
                                timeout=30)
                if reply.status != 200:
                    self.failures.append(f"{reply.status} {reply.text[:200]}")
            except OSError as error:
                self.failures.append(repr(error))
            self.waits.append(time.monotonic() - sent)
            self._stop.wait(0.3)

    def __enter__(self) -> Probe:
        self._thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


BODIES = {
    "application/n-triples": "".join(f'<urn:s{i}> <urn:p> "{i}" .\n'
                                     for i in range(TRIPLES)).encode(),
    "text/turtle": "".join(f'_:b{i} <urn:p> "{i}" .\n' for i in range(TRIPLES)).encode(),
    "text/n3": ("<urn:a> <urn:b> <urn:c>" + "!<urn:p>" * TRIPLES + " .\n").encode(),
}


@pytest.mark.parametrize("mimetype", list(BODIES))
def test_a_large_write_past_its_limit_stops_no_one(server: LiveServer, mimetype: str) -> None:
    before = server.workers()
    graph = f"urn:mine:big-{mimetype.split('/')[1]}"
    with Probe(server) as probe:
        start = time.monotonic()
        reply = put(server, TOKEN, graph, BODIES[mimetype], mimetype)
        elapsed = time.monotonic() - start
    entry = cut_at_limit(server, reply, elapsed, LIMIT, SLACK)
    assert entry["graph"] == graph, entry
    if entry["outcome"] == "not applied":
        assert "nothing was applied" in reply.text, reply.text
        time.sleep(1)  # an abandoned write would have been committed by now
        assert size(server, graph) == 0
    assert not probe.failures, probe.failures
    assert max(probe.waits) < PROBE, probe.waits
    # A retiring process would have stopped, and another taken its place, by now.
    time.sleep(2)
    assert request("GET", f"{server.url}/sparql?query={quote('ASK {}')}").status == 200
    assert server.workers() == before


def test_a_write_within_its_limit_is_applied(server: LiveServer) -> None:
    """The bounds above refuse no write that fits: 2,000 triples are read and committed."""
    graph = "urn:mine:fits"
    body = "".join(f'<urn:s{i}> <urn:p> "{i}" .\n' for i in range(2000)).encode()
    reply = put(server, TOKEN, graph, body)
    assert reply.status == 201, reply.text
    assert size(server, graph) == 2000


def in_files(live: Path, copy: Path, graph: str) -> int | None:
    """The triples of graph that the writable store holds in its files, leaving aside its
    log of writes not yet written there (which a process opening the store replays first);
    None when the store changed while it was copied (a file compacted or being written)."""
    try:
        shutil.copytree(live, copy, ignore=shutil.ignore_patterns("*.log"))
        store = ox.Store(str(copy))
    except (shutil.Error, OSError, RuntimeError):  # caught mid-change: copy it again later
        shutil.rmtree(copy, ignore_errors=True)
        return None
    found = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    del store
    shutil.rmtree(copy)
    return found


def test_a_large_write_is_flushed_once_applied(tmp_path: Path, built: Layout) -> None:
    """A process replacing the writing one (after an update past its limit, say) opens the
    store at once: a large write does not stay in the store's log for it to replay (6.8 s
    for 100,000 triples on a loaded machine, during which nothing answers). The write is
    found in the store's files without the log; unflushed, they hold none of it."""
    graph, triples = "urn:mine:flushed", 100_000
    settings = write_settings(tmp_path, TOKEN, QUERY_TIMEOUT="120")
    body = "".join(f'<urn:s{i}> <urn:flushed> "{i}" .\n' for i in range(triples)).encode()
    live_store = tmp_path / "store" / "writable" / "live"
    with LiveServer(tmp_path, home=built.root, settings=settings) as live:
        reply = put(live, TOKEN, graph, body)
        assert reply.status == 201, reply.text
        assert size(live, graph) == triples
        deadline = time.monotonic() + 60  # the flush runs after the answer, off the request
        while (found := in_files(live_store, tmp_path / "copy", graph)) != triples:
            assert time.monotonic() < deadline, f"{found} of {triples} triples in the files"
            time.sleep(0.5)
    assert found == triples


def test_an_update_of_data_past_its_limit_stops_no_one(server: LiveServer) -> None:
    """An update without a WHERE (here as much data as an update may hold) is bounded by its
    text: cut at its limit, it leaves its worker serving, as a Graph Store write does."""
    before = server.workers()
    lines = "".join(f'<urn:u{i}> <urn:p> "a value {i}" .\n' for i in range(20_000))
    text = f"INSERT DATA {{ GRAPH <urn:mine:update> {{\n{lines}}} }}"
    assert len(text) < 1 << 20  # within the length an update may have
    with Probe(server) as probe:
        start = time.monotonic()
        reply = update(server, TOKEN, text)
        elapsed = time.monotonic() - start
    if "(applied, late)" in reply.text:
        # Its text read at once, it reached its commit, which no limit cuts short: answered
        # when the commit ended, applied whole.
        assert reply.status == 503 and f"{LIMIT:g} s time limit" in reply.text, reply.text
        entry = audit(server)[-1]
        assert (entry["status"], entry["outcome"]) == ("timed out", "applied"), entry
        assert size(server, "urn:mine:update") == 20_000
    else:
        entry = cut_at_limit(server, reply, elapsed, LIMIT, SLACK)
    assert entry["operation"] == "update", entry
    if entry["outcome"] == "not applied":
        time.sleep(1)  # an abandoned update would have been committed by now
        assert size(server, "urn:mine:update") == 0
    assert not probe.failures, probe.failures
    time.sleep(2)  # a retiring process would have been replaced by now
    assert request("GET", f"{server.url}/sparql?query={quote('ASK {}')}").status == 200
    assert server.workers() == before
