"""A restore during which the server is killed (SIGKILL) at a random moment leaves the state
before it or the backup's, nothing in between."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.http import request
from tests.service.durability import (
    PER_WRITE,
    TOKEN,
    dmkg,
    graph_sizes,
    insert,
    insert_graphs,
    kill,
    server,
)

pytestmark = pytest.mark.slow  # servers killed and restarted


def test_restores_are_all_or_nothing_when_the_server_is_killed(tmp_path: Path) -> None:
    """Six restores killed at random moments; the server started after each kill finds the
    state before the restore or the backup's, puts the backup back and runs the next round
    (one start per round)."""
    chance = random.Random(13)
    backup = tmp_path / "backup.nq"
    with server(tmp_path) as live:
        insert_graphs(live, [f"old{number}" for number in range(200)])
        assert dmkg("backup", str(backup), "--url", live.url, "--token", TOKEN).wait() == 0
    before = {f"old{n}" for n in range(200)}
    changed: set[str] = set()
    for round_number in range(7):
        with server(tmp_path) as live:
            if round_number:
                # The previous round's killed restore left its state before or the backup's.
                names = set(graph_sizes(live))
                assert names in (before, changed), sorted(names ^ before)
                if round_number == 6:
                    break
                if names != before:  # put the backup back for this round
                    assert dmkg("restore", str(backup), "--url", live.url,
                                "--token", TOKEN).wait() == 0
            sizes = graph_sizes(live)
            assert set(sizes.values()) <= {PER_WRITE}
            assert set(sizes) == before  # each round starts from the backup's state
            # Change the state, then restore the backup and kill the server mid-way.
            assert request("POST", f"{live.url}/sparql", "DROP GRAPH <urn:w:old0>",
                           {"Content-Type": "application/sparql-update",
                            "Authorization": f"Bearer {TOKEN}"}).status == 204
            assert insert(live, f"new{round_number}") == 204
            changed = (before - {"old0"}) | {f"new{round_number}"}
            process = dmkg("restore", str(backup), "--url", live.url, "--token", TOKEN)
            time.sleep(chance.uniform(0.0, 0.6))
            kill(live)
            process.wait()
