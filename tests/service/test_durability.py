"""Acknowledged writes are never lost: the server is killed (SIGKILL) at random moments while
writes, backups and restores are in flight, and every acknowledged one is found after restart,
with no partial one."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # servers killed and restarted

TOKEN = "durability-token-0123456789"
PER_WRITE = 25  # triples per update: a partial update would leave fewer
ROUNDS = 12


def settings(folder: Path) -> dict[str, str]:
    tokens = folder / "tokens"
    if not tokens.exists():
        tokens.write_text(f"tester {TOKEN}\n", encoding="utf-8")
        (folder / "seed.nt").write_text("<urn:seed> <urn:p> \"1\" .\n", encoding="utf-8")
    return {"WRITE_TOKENS": str(tokens), "STORE_DIR": str(folder / "store"),
            "AUDIT_LOG": str(folder / "audit.log"), "QUERY_TIMEOUT": "30"}


@contextmanager
def server(folder: Path) -> Iterator[LiveServer]:
    with LiveServer(folder, args=(f"--data={folder / 'seed.nt'}=urn:seed-graph",),
                    settings=settings(folder)) as live:
        yield live


def kill(live: LiveServer) -> None:
    """SIGKILL the master and its workers at once: no shutdown code runs."""
    assert live.process is not None
    pids = [*live.workers(), live.process.pid]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    live.process.wait()
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid):
            time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


def insert(live: LiveServer, name: str) -> int:
    triples = " ".join(f"<urn:s:{name}:{i}> <urn:p> {i} ." for i in range(PER_WRITE))
    reply = request("POST", f"{live.url}/sparql",
                    f"INSERT DATA {{ GRAPH <urn:w:{name}> {{ {triples} }} }}",
                    {"Content-Type": "application/sparql-update",
                     "Authorization": f"Bearer {TOKEN}"}, timeout=10)
    return reply.status


def graph_sizes(live: LiveServer) -> dict[str, int]:
    reply = request("GET", f"{live.url}/sparql?query=" + quote(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(STRSTARTS(STR(?g), 'urn:w:')) } GROUP BY ?g"),
        headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    rows = json.loads(reply.body)["results"]["bindings"]
    return {r["g"]["value"].removeprefix("urn:w:"): int(r["n"]["value"]) for r in rows}


def writer(live: LiveServer, prefix: str, acknowledged: list[str], stop: threading.Event) -> None:
    number = 0
    while not stop.is_set():
        name = f"{prefix}-{number}"
        number += 1
        try:
            if insert(live, name) == 204:
                acknowledged.append(name)
        except (OSError, http.client.HTTPException):
            return  # the server is gone


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


def dmkg(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "dmkg_cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_backups_are_whole_or_absent_when_killed(tmp_path: Path) -> None:
    chance = random.Random(11)
    with server(tmp_path) as live:
        for number in range(300):
            assert insert(live, f"b{number}") == 204
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


def test_restores_are_all_or_nothing_when_the_server_is_killed(tmp_path: Path) -> None:
    chance = random.Random(13)
    backup = tmp_path / "backup.nq"
    with server(tmp_path) as live:
        for number in range(200):
            assert insert(live, f"old{number}") == 204
        assert dmkg("backup", str(backup), "--url", live.url, "--token", TOKEN).wait() == 0
    before = {f"old{n}" for n in range(200)}
    for round_number in range(6):
        with server(tmp_path) as live:
            sizes = graph_sizes(live)
            assert set(sizes.values()) <= {PER_WRITE}
            assert set(sizes) == before  # each round starts from the backup's state
            # Change the state, then restore the backup and kill the server mid-way.
            assert request("POST", f"{live.url}/sparql", "DROP GRAPH <urn:w:old0>",
                           {"Content-Type": "application/sparql-update",
                            "Authorization": f"Bearer {TOKEN}"}).status == 204
            assert insert(live, f"new{round_number}") == 204
            process = dmkg("restore", str(backup), "--url", live.url, "--token", TOKEN)
            time.sleep(chance.uniform(0.0, 0.6))
            kill(live)
            process.wait()
        with server(tmp_path) as live:
            names = set(graph_sizes(live))
        changed = (before - {"old0"}) | {f"new{round_number}"}
        assert names in (before, changed), sorted(names ^ before)
        if names != before:  # put the backup back for the next round
            with server(tmp_path) as live:
                assert dmkg("restore", str(backup), "--url", live.url,
                            "--token", TOKEN).wait() == 0


@pytest.mark.parametrize("args", [("backup", "out.nq"), ("restore", "seed.nt")])
def test_backup_and_restore_need_a_valid_token(tmp_path: Path, args: tuple[str, str]) -> None:
    with server(tmp_path) as live:
        command, path = args
        process = dmkg(command, str(tmp_path / path), "--url", live.url, "--token",
                       "not-the-token-0123456789")
        assert process.wait() == 1
        assert process.stderr is not None and b"401" in process.stderr.read()
        assert not (tmp_path / "out.nq").exists()
