"""Over HTTP: a restore holds a piece of its backup in memory at a time, not all its quads.
The peak resident memory of the worker that applies a restore of 100,000 quads grows by far
less than the quads would take held at once (they took 280 MB, with the update text made of
them; a piece at a time, about 140 MB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.paths import Layout
from tests.attack.writable import write_settings
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # a server of its own and a large restore

TOKEN = "restore-memory-token-0123456789"
QUADS = 100_000
# What the worker may grow by: RocksDB's memory between flushes, a piece of quads, the
# parser's buffers.
GROWTH_MB = 200


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_restore_is_applied_in_bounded_memory(tmp_path: Path, built: Layout) -> None:
    backup = "".join(f'<urn:big:s{n}> <urn:big:p{n % 7}> "value number {n} of the restore" '
                     f"<urn:big:g{n % 5}> .\n" for n in range(QUADS)).encode()
    settings = write_settings(tmp_path, TOKEN)
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        [worker] = server.workers()
        before = _peak_mb(worker)
        reply = request("POST", f"{server.url}/admin/restore", backup,
                        {"Authorization": f"Bearer {TOKEN}",
                         "Content-Type": "application/n-quads"}, timeout=600)
        assert reply.status == 204, reply.text
        grown = _peak_mb(worker) - before
        saved = request("GET", f"{server.url}/admin/backup",
                        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
        assert saved.headers["dmkg-quads"] == str(QUADS)
    assert grown < GROWTH_MB, f"the worker grew by {grown:.0f} MB"
