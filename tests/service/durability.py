"""What the durability tests share: a writable server on a folder that outlives it, SIGKILL of
the server and of the command line, and writes whose size shows whether they are whole."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from tests.http import request
from tests.live import LiveServer

TOKEN = "durability-token-0123456789"
PER_WRITE = 25  # triples per update: a partial update would leave fewer


def settings(folder: Path) -> dict[str, str]:
    tokens = folder / "tokens"
    if not tokens.exists():
        tokens.write_text(f"tester {TOKEN}\n", encoding="utf-8")
        (folder / "seed.nt").write_text("<urn:seed> <urn:p> \"1\" .\n", encoding="utf-8")
    return {"WRITE_TOKENS": str(tokens), "STORE_DIR": str(folder / "store"),
            "AUDIT_LOG": str(folder / "audit.log"), "QUERY_TIMEOUT": "30"}


@contextmanager
def server(folder: Path, **overrides: str) -> Iterator[LiveServer]:
    """The writable server of folder, with settings overridden by overrides."""
    with LiveServer(folder, args=(f"--data={folder / 'seed.nt'}=urn:seed-graph",),
                    settings={**settings(folder), **overrides}) as live:
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


def dmkg(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "dmkg_cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
