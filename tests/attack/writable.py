"""A live service that takes writes with one token, in a folder of its own, and the requests
that write to it and read back what became of the writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.http import Reply, request
from tests.live import LiveServer


def write_settings(folder: Path, token: str, **extra: str) -> dict[str, str]:
    """Write a token file for token in folder; return the settings that serve writes."""
    (folder / "tokens").write_text(f"tester {token}\n", encoding="utf-8")
    return {"WRITE_TOKENS": str(folder / "tokens"), "STORE_DIR": str(folder / "store"),
            "AUDIT_LOG": str(folder / "audit.log"), **extra}


@contextmanager
def writable_server(factory: pytest.TempPathFactory, built: Layout, name: str,
                    token: str, **extra: str) -> Iterator[LiveServer]:
    """A live service of the built graphs that takes writes with token (and the extra
    settings)."""
    folder = factory.mktemp(name)
    with LiveServer(folder, home=built.root,
                    settings=write_settings(folder, token, **extra)) as server:
        yield server


def update(server: LiveServer, token: str, text: str, timeout: float = 60) -> Reply:
    """A SPARQL update sent with token."""
    return request("POST", f"{server.url}/sparql", text,
                   {"Authorization": f"Bearer {token}",
                    "Content-Type": "application/sparql-update"}, timeout=timeout)


def put(server: LiveServer, token: str, graph: str, body: bytes,
        mimetype: str = "application/n-triples") -> Reply:
    """A Graph Store PUT of body into graph, sent with token."""
    return request("PUT", f"{server.url}/rdf-graphs/service?graph={quote(graph, safe='')}",
                   body, {"Authorization": f"Bearer {token}", "Content-Type": mimetype},
                   timeout=60)


def restore(server: LiveServer, token: str, quads: bytes) -> None:
    """Put the store back to the N-Quads given, as a restore of a backup."""
    restored = request("POST", f"{server.url}/admin/restore", quads,
                       {"Authorization": f"Bearer {token}",
                        "Content-Type": "application/n-quads"}, timeout=300)
    assert restored.status == 204, restored.text


def size(server: LiveServer, graph: str) -> int:
    """How many triples graph holds."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    reply = request("GET", f"{server.url}/sparql?query={quote(query)}",
                    headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert reply.status == 200, reply.text
    return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])


def audit(server: LiveServer) -> list[dict[str, object]]:
    """The entries of the server's audit log, oldest first."""
    path = Path(server.settings["AUDIT_LOG"])
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def cut_at_limit(server: LiveServer, reply: Reply, elapsed: float, limit: float,
                 slack: float) -> dict[str, object]:
    """Assert that a write was answered 503 at its time limit (within slack) and audited as
    timed out; return its audit entry."""
    assert reply.status == 503, (reply.status, reply.text, elapsed)
    assert f"{limit:g} s time limit" in reply.text, reply.text
    assert elapsed < limit + slack, elapsed
    entry = audit(server)[-1]
    assert entry["status"] == "timed out", entry
    return entry
