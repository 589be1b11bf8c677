"""Over HTTP, against the real service: a restore is bounded as the Graph Store is (the
nesting of triple terms, refused before parsing with the line named), what it stores can be
read in every format or is refused clearly, and a backup never saves part of a restore."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.nesting import MAX_DEPTH, PIECE_BYTES
from kg.paths import default_layout
from service.errors import INTERNAL_ERROR
from tests.attack.writable import write_settings
from tests.http import Reply, request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # a server of its own, large restores

TOKEN = "restore-bounds-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NQUADS = {**AUTH, "Content-Type": "application/n-quads"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("restore-bounds")
    data = folder / "tiny.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    settings = write_settings(folder, TOKEN, DATA=str(data))
    with LiveServer(folder, home=default_layout().root, settings=settings) as live:
        yield live


def _restore(server: LiveServer, body: bytes, timeout: float = 120) -> Reply:
    return request("POST", f"{server.url}/admin/restore", body, NQUADS, timeout=timeout)


def _deep(depth: int) -> bytes:
    """One quad whose object is a triple term nested depth deep, in <urn:gdeep>."""
    return (b"<urn:s> <urn:p> " + b"<<( <urn:s> <urn:p> " * depth + b"<urn:a>"
            + b" )>>" * depth + b" <urn:gdeep> .\n")


def _audit(server: LiveServer) -> list[dict[str, object]]:
    lines = Path(server.settings["AUDIT_LOG"]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("depth", [101, 300, 20_000])
def test_a_restore_nested_past_the_limit_is_refused_naming_its_line(server: LiveServer,
                                                                    depth: int) -> None:
    before = _restore(server, b"<urn:x> <urn:y> <urn:z> <urn:kept> .\n")
    assert before.status == 204, before.text
    started = time.monotonic()
    reply = _restore(server, b"<urn:x> <urn:y> <urn:z> <urn:g> .\n" + _deep(depth))
    assert reply.status == 400, reply.text
    assert "line 2" in reply.text and "100 levels" in reply.text, reply.text
    assert time.monotonic() - started < 10
    assert _audit(server)[-1]["status"] == "refused"
    # Nothing changed.
    kept = request("GET", f"{server.url}/rdf-graphs/service?graph=urn:kept",
                   headers={"Accept": "application/n-triples"})
    assert kept.status == 200 and b"<urn:x>" in kept.body


def test_a_line_nested_too_deep_across_a_piece_of_the_check_is_refused(
        server: LiveServer) -> None:
    # Filler quads up to just before the first piece's end: the deep line straddles it.
    filler = b"<urn:x> <urn:y> <urn:z> <urn:g> .\n"
    count = (PIECE_BYTES - 1000) // len(filler)
    deep = _deep(MAX_DEPTH + 1)
    start = count * len(filler)
    assert start < PIECE_BYTES < start + len(deep)
    kept = b"<urn:x> <urn:y> <urn:z> <urn:kept> .\n"
    before = _restore(server, kept)
    assert before.status == 204, before.text
    assert _audit(server)[-1]["sha256"] == hashlib.sha256(kept).hexdigest()
    body = filler * count + deep + filler
    reply = _restore(server, body)
    assert reply.status == 400, reply.text
    assert f"line {count + 1} of the backup" in reply.text, reply.text
    assert "100 levels" in reply.text, reply.text
    # The same pass hashed the whole backup, past the line refused.
    record = _audit(server)[-1]
    assert record["status"] == "refused"
    assert record["sha256"] == hashlib.sha256(body).hexdigest()
    kept = request("GET", f"{server.url}/rdf-graphs/service?graph=urn:kept",
                   headers={"Accept": "application/n-triples"})
    assert kept.status == 200 and b"<urn:x>" in kept.body


@pytest.mark.parametrize("depth", [1, 100])
def test_what_a_restore_stores_is_read_back_or_refused_clearly(server: LiveServer,
                                                              depth: int) -> None:
    reply = _restore(server, _deep(depth))
    assert reply.status == 204, reply.text
    url = f"{server.url}/rdf-graphs/service?graph=urn:gdeep"
    turtle = request("GET", url, headers={"Accept": "application/n-triples"})
    assert turtle.status == 200, turtle.text
    [read] = ox.parse(turtle.body, format=ox.RdfFormat.N_TRIPLES)
    assert read.triple == next(iter(ox.parse(_deep(depth), format=ox.RdfFormat.N_QUADS))).triple
    # JSON-LD cannot write a triple term: the client is told so, and what to ask for.
    jsonld = request("GET", url, headers={"Accept": "application/ld+json"})
    assert jsonld.status == 406, jsonld.text
    assert "JSON-LD" in jsonld.text and "Turtle" in jsonld.text


def test_a_backup_is_never_taken_of_part_of_a_restore(server: LiveServer) -> None:
    old = b"".join(b'<urn:old:s%d> <urn:p> "old %d" <urn:old:g%d> .\n' % (n, n, n % 3)
                   for n in range(1000))
    assert _restore(server, old).status == 204
    new = b"".join(b'<urn:new:s%d> <urn:p> "new value number %d" <urn:new:g%d> .\n'
                   % (n, n, n % 5) for n in range(150_000))
    done: list[Reply] = []
    restoring = threading.Thread(target=lambda: done.append(_restore(server, new, 600)))
    restoring.start()
    answers: list[Reply] = []
    try:
        while restoring.is_alive():
            answers.append(request("GET", f"{server.url}/admin/backup", headers=AUTH,
                                   timeout=300))
    finally:
        restoring.join()
    assert done[0].status == 204, done[0].text
    states = {frozenset(old.splitlines()), frozenset(new.splitlines())}
    refused = [a for a in answers if a.status == 503]
    for answer in answers:
        if answer.status == 503:
            assert answer.headers.get("retry-after"), answer.headers
            assert "restore is under way" in answer.text, answer.text
        else:
            assert answer.status == 200, answer.text
            assert frozenset(answer.body.splitlines()) in states, "a state that never existed"
    assert refused, f"no backup was asked for during the restore ({len(answers)} answers)"
    assert any(r.get("operation") == "backup" and r["status"] == "refused"
               for r in _audit(server))


def test_a_restore_meeting_an_error_of_the_servers_own_is_audited_as_failed(
        server: LiveServer) -> None:
    kept = b"<urn:x> <urn:y> <urn:z> <urn:kept> .\n"
    assert _restore(server, kept).status == 204
    refused = _restore(server, b"not n-quads at all\n")
    assert refused.status == 400, refused.text
    # A restore note that names no staged graphs: the store cannot read it (no refusal
    # stands for that), as it would a note spoilt on disk.
    note = Path(server.settings["STORE_DIR"]) / "writable" / "live" / "RESTORING"
    assert note.parent.is_dir()
    note.write_text('{"moving": true}', encoding="utf-8")
    try:
        body = b"<urn:x> <urn:y> <urn:z> <urn:new> .\n"
        reply = _restore(server, body)
    finally:
        note.unlink()
    assert reply.status == 500, reply.text
    # In the format the route's refusals have, and naming no file nor the error's innards.
    assert reply.headers["content-type"] == refused.headers["content-type"]
    assert reply.text.strip() == INTERNAL_ERROR, reply.text
    record = _audit(server)[-1]
    assert record["operation"] == "restore" and record["status"] == "failed", record
    assert record["reason"].startswith("KeyError"), record
    assert record["sha256"] == hashlib.sha256(body).hexdigest()
    # Nothing changed, and the next restore is applied.
    still = request("GET", f"{server.url}/rdf-graphs/service?graph=urn:kept",
                    headers={"Accept": "application/n-triples"})
    assert still.status == 200 and b"<urn:x>" in still.body
    assert _restore(server, body).status == 204


# Lines the parser refuses at their first `(`, whose nesting check took the longest per byte.
REFUSED_LINE = b"<urn:a> <urn:b> <<(" + b"(" * 50 + b"\n"
# Valid lines, each holding triple terms: each is read by the check.
VALID_LINE = b"<urn:s> <urn:p> <<( <urn:a> <urn:b> <<( <urn:c> <urn:d> <urn:e> )>> )>> <urn:g> .\n"


def _restoring_server(folder: Path, **extra: str) -> LiveServer:
    data = folder / "tiny.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    settings = write_settings(folder, TOKEN, DATA=str(data), **extra)
    return LiveServer(folder, home=default_layout().root, settings=settings)


def test_a_restore_stopped_during_its_check_is_audited_with_its_sha256(tmp_path: Path) -> None:
    body = REFUSED_LINE * ((160 << 20) // len(REFUSED_LINE))
    answers: list[object] = []
    with _restoring_server(tmp_path, QUERY_TIMEOUT="0") as server:
        sender = threading.Thread(target=lambda: answers.append(_send(server, body)))
        sender.start()
        time.sleep(2.5)  # the body is read: its check is under way
        assert not answers, answers
        assert server.process is not None
        server.process.terminate()
        server.process.wait(timeout=30)
        sender.join(timeout=60)
        records = [r for r in _audit(server) if r.get("operation") == "restore"]
    assert [r["status"] for r in records] == ["interrupted"], records
    assert records[0]["sha256"] == hashlib.sha256(body).hexdigest(), records
    assert (records[0]["quads"], records[0]["graphs"]) == ("unknown", "unknown"), records


def _send(server: LiveServer, body: bytes) -> object:
    try:
        return _restore(server, body)
    except OSError as cut:
        return cut
