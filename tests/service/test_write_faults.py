"""Faults on the write path: stopping promptly after writes, curated pages kept curated."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.paths import Layout
from tests.http import request
from tests.live import LiveServer

TOKEN = "faults-token-0123456789"


def writable_settings(folder: Path) -> dict[str, str]:
    tokens = folder / "tokens"
    tokens.write_text(f"tester {TOKEN}\n", encoding="utf-8")
    return {"WRITE_TOKENS": str(tokens), "STORE_DIR": str(folder / "store"),
            "AUDIT_LOG": str(folder / "audit.log")}


def update(server: LiveServer, text: str) -> int:
    return request("POST", f"{server.url}/sparql", body=text,
                   headers={"Content-Type": "application/sparql-update",
                            "Authorization": f"Bearer {TOKEN}"}).status


@pytest.mark.parametrize("built_store", [True, False], ids=["built", "seeded"])
def test_a_writable_service_stops_promptly_after_writes(tmp_path: Path, built: Layout,
                                                        built_store: bool) -> None:
    seed = tmp_path / "seed.nt"
    seed.write_text("<urn:seed> <urn:p> \"1\" .\n", encoding="utf-8")
    args = () if built_store else (f"--data={seed}=urn:seed-graph",)
    with LiveServer(tmp_path, args=args, home=built.root,
                    settings=writable_settings(tmp_path)) as server:
        for n in range(3):
            assert update(server, f"INSERT DATA {{ GRAPH <urn:g> {{ <urn:a> <urn:b> {n} }} }}") \
                == 204
        assert server.process is not None
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=60)
        assert time.monotonic() - started < 2
    # Nothing acknowledged was lost on the way out.
    with LiveServer(tmp_path, args=args, home=built.root,
                    settings=writable_settings(tmp_path)) as again:
        reply = request("GET", f"{again.url}/sparql?query=SELECT%20(COUNT(*)%20AS%20?n)"
                               "%20WHERE%20%7B%20GRAPH%20%3Curn:g%3E%20%7B?s%20?p%20?o%7D%7D",
                        headers={"Accept": "text/csv"})
        assert reply.body.split()[-1] == b"3"
