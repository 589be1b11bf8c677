"""Over HTTP: a backup is read from one snapshot a piece at a time and sent from a temporary
file, so the worker holds a piece of it, never all its quads; it gives back exactly what was
restored, and writes made while it is read do not tear it."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.paths import Layout
from tests.attack.writable import write_settings
from tests.http import Reply, request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # a server of its own and a large backup

TOKEN = "backup-stream-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
QUADS = 100_000
# What the worker's peak may grow by while it answers the backup: a piece of quads, the
# engine's iterator, the front's pieces (holding every quad at once grew it by about 95 MB).
GROWTH_MB = 40
# Named so that a read graph by graph, in any order of names, reads the large graphs between.
TEAR_A, TEAR_B = "urn:a:tear", "urn:tear:b"


def _status(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


def _reset_peak(pid: int) -> None:
    """Make the process's peak resident memory its present one (Linux's clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _backup(server: LiveServer) -> Reply:
    return request("GET", f"{server.url}/admin/backup", headers=AUTH, timeout=300)


def _counter(n: int) -> str:
    """An update moving the counter n - 1 to n in both graphs at once (one transaction)."""
    old = "".join(f"GRAPH <{g}> {{ <urn:tear:c> <urn:tear:v> {n - 1} }} " for g in
                  (TEAR_A, TEAR_B))
    new = old.replace(f" {n - 1} }}", f" {n} }}")
    return f"DELETE DATA {{ {old}}} ; INSERT DATA {{ {new}}}"


Restored = tuple[LiveServer, set[ox.Quad], Path]


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[Restored]:
    """A live service whose written graphs hold QUADS quads, and those quads."""
    folder = tmp_path_factory.mktemp("backup-stream")
    backup = "".join(f'<urn:big:s{n}> <urn:big:p{n % 7}> "value number {n} of the backup" '
                     f"<urn:big:g{n % 5}> .\n" for n in range(QUADS)).encode()
    with LiveServer(folder, home=built.root, settings=write_settings(folder, TOKEN)) as server:
        reply = request("POST", f"{server.url}/admin/restore", backup,
                        {**AUTH, "Content-Type": "application/n-quads"}, timeout=600)
        assert reply.status == 204, reply.text
        yield server, set(ox.parse(backup, format=ox.RdfFormat.N_QUADS)), folder


def test_a_backup_is_sent_in_bounded_memory_and_equals_the_restore(restored: Restored) -> None:
    server, quads, folder = restored
    [worker] = server.workers()
    _reset_peak(worker)
    before = _status(worker, "VmHWM")
    saved = _backup(server)
    grown = _status(worker, "VmHWM") - before
    assert saved.status == 200, saved.text
    assert saved.media_type == "application/n-quads"
    assert set(ox.parse(saved.body, format=ox.RdfFormat.N_QUADS)) == quads
    assert saved.headers["dmkg-quads"] == str(QUADS)
    assert saved.headers["dmkg-graphs"] == "5"
    assert saved.headers["content-length"] == str(len(saved.body))
    digest = base64.b64encode(hashlib.sha256(saved.body).digest()).decode()
    assert saved.headers["repr-digest"] == f"sha-256=:{digest}:"
    audit = (folder / "audit.log").read_text().splitlines()
    assert any('"operation": "backup"' in line and f'"quads": {QUADS}' in line
               for line in audit)
    assert grown < GROWTH_MB, f"the worker's peak grew by {grown:.0f} MB"


def test_writes_while_a_backup_is_read_do_not_tear_it(restored: Restored) -> None:
    server, quads, _ = restored
    seed = request("POST", f"{server.url}/sparql", _counter(0).split(" ; ")[1],
                   {**AUTH, "Content-Type": "application/sparql-update"})
    assert seed.status == 204, seed.text
    done = threading.Event()
    written: list[tuple[float, int]] = []
    refused: list[str] = []

    def write() -> None:
        n = 0
        while not done.is_set():
            n += 1
            reply = request("POST", f"{server.url}/sparql", _counter(n),
                            {**AUTH, "Content-Type": "application/sparql-update"})
            if reply.status != 204:
                refused.append(f"{reply.status} {reply.text}")
                return
            written.append((time.monotonic(), n))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while not written and not refused:
            time.sleep(0.01)
        began = time.monotonic()
        saved = _backup(server)
        ended = time.monotonic()
    finally:
        done.set()
        writer.join()
    assert not refused, refused
    assert saved.status == 200, saved.text
    during = [n for at, n in written if began < at < ended]
    assert during, "no write was applied while the backup was read"
    found = list(ox.parse(saved.body, format=ox.RdfFormat.N_QUADS))
    torn = [q for q in found if str(q.graph_name)[1:-1] in (TEAR_A, TEAR_B)]
    # One counter in each graph, the same in both: the state after one write, whole.
    assert len(torn) == 2, torn
    counters = {str(q.graph_name)[1:-1]: int(q.object.value) for q in torn}
    assert counters[TEAR_A] == counters[TEAR_B], counters
    # A state of the store while the backup was asked for (one write may be under way).
    assert min(during) - 1 <= counters[TEAR_A] <= max(during) + 1, (counters, during)
    assert set(found) - set(torn) == quads
