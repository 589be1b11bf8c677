"""Faults on the write path: stopping promptly after writes, curated pages kept curated."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kg.paths import Layout
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # servers of their own

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


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("faults")
    with LiveServer(folder, home=built.root, settings=writable_settings(folder)) as server:
        yield server


ENTITY = "https://w3id.org/dmkg/id/substance/ketamine"


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples",
                                    "application/ld+json", "application/rdf+xml", "text/html"])
def test_contributed_triples_stay_out_of_a_curated_entitys_description(
        writable: LiveServer, accept: str) -> None:
    marker = "contributed-only-3f9a"
    assert update(writable, f'INSERT DATA {{ GRAPH <urn:contrib:x> {{ <{ENTITY}> '
                            f'<http://www.w3.org/2000/01/rdf-schema#label> "{marker}"@en . '
                            f'<urn:other> <urn:mentions> <{ENTITY}> }} }}') == 204
    # Queries see the union, contributed graphs included.
    ask = request("GET", f"{writable.url}/sparql?query=ASK%7B%3Curn:other%3E%20?p%20?o%7D",
                  headers={"Accept": "application/sparql-results+json"})
    assert b"true" in ask.body
    path = ENTITY.removeprefix("https://w3id.org/dmkg")
    for url in (f"{writable.url}{path}", f"{writable.url}/api{path.replace('/id/', '/entities/')}"):
        reply = request("GET", url, headers={"Accept": accept})
        assert reply.status == 200, (url, reply.status)
        assert b"ketamine" in reply.body.lower()  # the curated description is there
        assert marker.encode() not in reply.body
        assert b"urn:other" not in reply.body


@contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of the given size mounted on folder, removed afterwards."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs",
                              str(folder)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(path: Path) -> None:
    with path.open("wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * (1 << 20))
            filler.flush()


@contextmanager
def served_from_small_disk(folder: Path) -> Iterator[tuple[Path, LiveServer]]:
    """A writable service of one seeded triple whose store lives on a 40 MB disk of its own."""
    seed = folder / "seed.nt"
    seed.write_text("<urn:seed> <urn:p> \"1\" .\n", encoding="utf-8")
    with small_disk(folder / "disk", 40) as disk:
        settings = {**writable_settings(folder), "STORE_DIR": str(disk / "store")}
        with LiveServer(folder, args=(f"--data={seed}=urn:seed-graph",),
                        settings=settings) as server:
            yield disk, server


def test_writes_recover_once_the_full_disk_has_room_again(tmp_path: Path) -> None:
    with served_from_small_disk(tmp_path) as (disk, server):
        pad = "x" * 4000

        def write(n: int) -> int:
            return update(server, f'INSERT DATA {{ GRAPH <urn:g> {{ <urn:a> <urn:b> '
                                  f'"{n} {pad}" }} }}')

        acknowledged = [n for n in range(5) if write(n) == 204]
        assert acknowledged == list(range(5))
        fill(disk / "filler")
        failed = [n for n in range(5, 40) if write(n) != 204]
        assert failed, "the full disk refused no write"
        acknowledged += [n for n in range(5, 40) if n not in failed]
        (disk / "filler").unlink()
        # Room again: writes succeed without a restart.
        assert [write(n) for n in range(100, 103)] == [204, 204, 204]
        acknowledged += [100, 101, 102]
        reply = request("GET", f"{server.url}/rdf-graphs/service?graph=urn:g",
                        headers={"Accept": "application/n-triples"})
        found = sorted(int(line.split(b'"')[1].split()[0]) for line in reply.body.splitlines())
        assert found == sorted(acknowledged)


# Loaded by the server's Python at start (sitecustomize): the store's apply of an update
# naming urn:fault fails with an error no status stands for, as a defect would.
FAULT = '''
from kg.store.oxigraph_backend import OxigraphBackend

_update = OxigraphBackend.update


def update(self, sparql, *args, **kwargs):
    if "urn:fault" in str(getattr(sparql, "text", sparql)):
        raise LookupError("a fault of the server's own")
    return _update(self, sparql, *args, **kwargs)


OxigraphBackend.update = update
'''


def test_a_write_failing_with_an_unexpected_error_is_audited(tmp_path: Path,
                                                             built: Layout) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(FAULT, encoding="utf-8")
    server = LiveServer(tmp_path, home=built.root, settings=writable_settings(tmp_path))
    environment = server.environment
    server.environment = lambda: {  # type: ignore[method-assign]
        **environment(), "PYTHONPATH": os.pathsep.join(
            [str(hooks), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with server:
        reply = request("POST", f"{server.url}/sparql",
                        "INSERT DATA { GRAPH <urn:fault> { <urn:a> <urn:b> <urn:c> } }",
                        {"Content-Type": "application/sparql-update",
                         "Authorization": f"Bearer {TOKEN}"})
        assert reply.status == 500, reply.text
        assert reply.media_type == "text/plain" and b"Traceback" not in reply.body
        assert update(server, "INSERT DATA { GRAPH <urn:ok> { <urn:a> <urn:b> <urn:c> } }") \
            == 204  # the service goes on writing
    lines = (tmp_path / "audit.log").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if "update" in line]
    assert [r["status"] for r in records] == ["failed", "applied"], records
    assert str(records[0]["reason"]).startswith("LookupError"), records[0]
    assert "urn:fault" in str(records[0].get("targets")), records[0]
