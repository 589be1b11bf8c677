"""Over HTTP, against the real service: a term longer than the 16 MiB one line of Oxigraph's
N-Quads parser may hold, written by a SPARQL update, survives a backup and its restore (by the
service and by `dmkg backup`/`dmkg restore`), whole; bodies the parser cannot hold are refused
clearly (never a 500), and so is a long backup line that cannot be read exactly."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.paths import default_layout
from kg.store.long_lines import PARSER_BUFFER
from tests.attack.writable import put, update, write_settings
from tests.http import Reply, request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # a server of its own, 32 MiB literals

TOKEN = "long-lines-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BIG = "urn:x:big"
# The literal the update builds: 16 characters doubled 21 times, 32 MiB.
VALUE = "x" * 16 * 2 ** 21
UPDATE = ('INSERT { GRAPH <urn:x:big> { <u:a> <u:b> ?s21 . _:n <u:c> ?s21 . _:n <u:d> "kept" } }'
          ' WHERE { BIND("xxxxxxxxxxxxxxxx" AS ?s0) '
          + " ".join(f"BIND(CONCAT(?s{i},?s{i}) AS ?s{i + 1})" for i in range(21)) + " }")
# One row only if the blank node of the long line is that of the short one.
READ = ("SELECT (STRLEN(?o) AS ?n) (SHA256(?o) AS ?h) WHERE { GRAPH <urn:x:big> { "
        '<u:a> <u:b> ?o . ?m <u:c> ?o . ?m <u:d> "kept" } }')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("long-lines")
    data = folder / "tiny.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    # Bodies large enough to reach the parser's own limit.
    settings = write_settings(folder, TOKEN, DATA=str(data),
                              MAX_REQUEST_BYTES=str(64 * 1024 * 1024))
    with LiveServer(folder, home=default_layout().root, settings=settings) as live:
        yield live


def _read(server: LiveServer) -> list[dict[str, str]]:
    """The big literal's length and hash, where the blank node holds it too."""
    reply = request("POST", f"{server.url}/sparql", READ,
                    {"Content-Type": "application/sparql-query",
                     "Accept": "application/sparql-results+json"}, timeout=60)
    assert reply.status == 200, reply.text
    rows = json.loads(reply.body)["results"]["bindings"]
    return [{key: cell["value"] for key, cell in row.items()} for row in rows]


WHOLE = [{"n": str(len(VALUE)), "h": hashlib.sha256(VALUE.encode()).hexdigest()}]


def _restore(server: LiveServer, body: bytes) -> Reply:
    return request("POST", f"{server.url}/admin/restore", body,
                   {**AUTH, "Content-Type": "application/n-quads"}, timeout=120)


def _dmkg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dmkg_cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def _audit(server: LiveServer) -> list[dict[str, object]]:
    lines = Path(server.settings["AUDIT_LOG"]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_literal_longer_than_the_parser_buffer_survives_backup_and_restore(
        server: LiveServer) -> None:
    written = update(server, TOKEN, UPDATE)
    assert written.status == 204, written.text
    assert _read(server) == WHOLE
    backup = request("GET", f"{server.url}/admin/backup", None, AUTH, timeout=120)
    assert backup.status == 200, backup.text
    assert max(len(line) for line in backup.body.split(b"\n")) > PARSER_BUFFER
    dropped = update(server, TOKEN, f"DROP GRAPH <{BIG}>")
    assert dropped.status == 204 and _read(server) == []
    restored = _restore(server, backup.body)
    assert restored.status == 204, restored.text
    # The literal whole, and the blank node of a long line the same as that of a short one.
    assert _read(server) == WHOLE
    assert _audit(server)[-1]["status"] == "applied"


def test_dmkg_backup_and_restore_carry_the_long_literal(server: LiveServer,
                                                         tmp_path: Path) -> None:
    if not _read(server):
        assert update(server, TOKEN, UPDATE).status == 204
    saved = tmp_path / "big.nq"
    backup = _dmkg("backup", str(saved), "--url", server.url, "--token", TOKEN)
    assert backup.returncode == 0, backup.stderr
    assert "Traceback" not in backup.stderr and saved.stat().st_size > PARSER_BUFFER
    assert update(server, TOKEN, f"DROP GRAPH <{BIG}>").status == 204
    restore = _dmkg("restore", str(saved), "--url", server.url, "--token", TOKEN)
    assert restore.returncode == 0, restore.stderr
    assert _read(server) == WHOLE


def test_a_long_backup_line_that_cannot_be_read_exactly_is_refused_naming_it(
        server: LiveServer) -> None:
    before = _read(server)
    # An escape N-Quads does not allow, past the parser's buffer: refused, not guessed at.
    body = (b'<u:a> <u:b> "short" <urn:x:other> .\n<u:a> <u:b> "'
            + b"y" * (PARSER_BUFFER + 10) + b'\\q" <urn:x:other> .\n')
    reply = _restore(server, body)
    assert reply.status == 400, reply.text
    assert "line 2" in reply.text and str(PARSER_BUFFER) in reply.text
    assert _audit(server)[-1]["status"] == "refused"
    assert _read(server) == before


@pytest.mark.parametrize(("mimetype", "prefix"), [("application/n-triples", b""),
                                                  ("text/turtle", b"@prefix u: <u:> .\n")])
def test_a_graph_store_body_the_parser_cannot_hold_is_refused_clearly(
        server: LiveServer, mimetype: str, prefix: bytes) -> None:
    body = prefix + b'<u:a> <u:b> "' + b"z" * (20 * 1024 * 1024) + b'" .\n'
    reply = put(server, TOKEN, "urn:x:put", body, mimetype)
    assert reply.status in (201, 204, 413), reply.text
    if reply.status == 413:
        assert str(PARSER_BUFFER) in reply.text and "line" in reply.text
