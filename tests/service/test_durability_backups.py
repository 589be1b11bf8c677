"""A backup killed (SIGKILL) at a random moment leaves the whole backup or none."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from tests.service.durability import PER_WRITE, TOKEN, dmkg, insert_graphs, server

pytestmark = pytest.mark.slow  # a server, backups killed mid-way


def test_backups_are_whole_or_absent_when_killed(tmp_path: Path) -> None:
    chance = random.Random(11)
    with server(tmp_path) as live:
        insert_graphs(live, [f"b{number}" for number in range(300)])
        destination = tmp_path / "backup.nq"
        for _ in range(10):
            destination.unlink(missing_ok=True)
            process = dmkg("backup", str(destination), "--url", live.url, "--token", TOKEN)
            time.sleep(chance.uniform(0.0, 1.2))
            process.send_signal(signal.SIGKILL)
            process.wait()
            leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".backup.nq")]
            for leftover in leftovers:
                leftover.unlink()  # a killed process leaves its partial file, never the backup
            if destination.exists():
                quads = list(ox.parse(destination.read_bytes(), format=ox.RdfFormat.N_QUADS))
                assert len(quads) == 300 * PER_WRITE + 1  # and the seed
        finished = dmkg("backup", str(destination), "--url", live.url, "--token", TOKEN)
        assert finished.wait() == 0, finished.stderr.read() if finished.stderr else b""
        assert len(list(ox.parse(destination.read_bytes(),
                                 format=ox.RdfFormat.N_QUADS))) == 300 * PER_WRITE + 1
