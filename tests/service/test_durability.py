"""Acknowledged writes are never lost: the server is killed (SIGKILL) at random moments while
writes are in flight, and every acknowledged one is found after restart, with no partial one.
Backups and restores killed mid-way: test_durability_backups.py, test_durability_restores.py."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest

from tests.service.durability import PER_WRITE, dmkg, graph_sizes, kill, server, writer

pytestmark = pytest.mark.slow  # servers killed and restarted

ROUNDS = 12


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    chance = random.Random(7)
    acknowledged: list[str] = []
    for round_number in range(ROUNDS):
        with server(tmp_path) as live:
            sizes = graph_sizes(live)
            missing = [name for name in acknowledged if name not in sizes]
            assert not missing, f"round {round_number}: acknowledged writes lost: {missing}"
            partial = {name: n for name, n in sizes.items() if n != PER_WRITE}
            assert not partial, f"round {round_number}: partial writes: {partial}"
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(live, f"r{round_number}t{t}",
                                                             acknowledged, stop))
                       for t in range(3)]
            for thread in threads:
                thread.start()
            time.sleep(chance.uniform(0.3, 2.0))
            kill(live)
            stop.set()
            for thread in threads:
                thread.join()
    with server(tmp_path) as live:
        sizes = graph_sizes(live)
    assert len(acknowledged) > ROUNDS * 3  # the writers did write between the kills
    assert set(acknowledged) <= set(sizes)
    assert set(sizes.values()) == {PER_WRITE}
    # The audit log holds every acknowledged write (it is written before the answer).
    audited = {json.loads(line)["text"].split("<urn:w:")[1].split(">")[0]
               for line in (tmp_path / "audit.log").read_text().splitlines()
               if json.loads(line).get("status") == "applied"}
    assert set(acknowledged) <= audited


@pytest.mark.parametrize("args", [("backup", "out.nq"), ("restore", "seed.nt")])
def test_backup_and_restore_need_a_valid_token(tmp_path: Path, args: tuple[str, str]) -> None:
    with server(tmp_path) as live:
        command, path = args
        process = dmkg(command, str(tmp_path / path), "--url", live.url, "--token",
                       "not-the-token-0123456789")
        assert process.wait() == 1
        assert process.stderr is not None and b"401" in process.stderr.read()
        assert not (tmp_path / "out.nq").exists()
