"""A full disk under the store or the audit log, over HTTP: a failed write says so in plain
words and names no file, and an applied write whose record cannot be written leaves no part
of it to spoil the records written once there is room again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.http import request
from tests.live import LiveServer
from tests.service.test_write_faults import (
    fill,
    served_from_small_disk,
    small_disk,
    update,
    writable_settings,
)

pytestmark = pytest.mark.slow  # servers of their own

PAD = "x" * 4000


def insert(server: LiveServer, n: int) -> str:
    return f'INSERT DATA {{ GRAPH <urn:g> {{ <urn:a> <urn:b> "{n} {PAD}" }} }}'


def test_a_write_on_a_full_store_disk_says_so_and_names_no_file(tmp_path: Path) -> None:
    with served_from_small_disk(tmp_path) as (disk, server):
        fill(disk / "filler")
        failed = []
        for n in range(40):
            reply = request("POST", f"{server.url}/sparql", body=insert(server, n),
                            headers={"Content-Type": "application/sparql-update",
                                     "Authorization": "Bearer faults-token-0123456789"})
            if reply.status != 204:
                failed.append(reply)
        (disk / "filler").unlink()
        assert failed, "the full disk refused no write"
        for reply in failed:
            assert reply.status >= 500, reply.text
            assert "the store's disk is full" in reply.text, reply.text
            assert str(disk) not in reply.text and "/" not in reply.text, reply.text


def test_an_applied_write_with_a_full_audit_disk_leaves_whole_records(tmp_path: Path) -> None:
    seed = tmp_path / "seed.nt"
    seed.write_text("<urn:seed> <urn:p> \"1\" .\n", encoding="utf-8")
    with small_disk(tmp_path / "audit", 1) as disk:
        audit = disk / "audit.log"
        settings = {**writable_settings(tmp_path), "AUDIT_LOG": str(audit)}
        with LiveServer(tmp_path, args=(f"--data={seed}=urn:seed-graph",),
                        settings=settings) as server:
            assert update(server, insert(server, 0)) == 204
            fill(disk / "filler")
            # Applied and durable in the store: the client hears so, unrecorded as it is.
            assert [update(server, insert(server, n)) for n in range(1, 4)] == [204] * 3
            (disk / "filler").unlink()
            assert update(server, insert(server, 4)) == 204
            text = audit.read_text(encoding="utf-8")
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    assert records[0]["status"] == "applied" and records[-1]["status"] == "applied"
    assert len(records) == 2, records  # the ones written with no room are not there at all


def test_a_restore_on_a_full_store_disk_says_so_and_is_audited(tmp_path: Path) -> None:
    backup = "".join(f'<urn:s{n}> <urn:p> "{n} {PAD}" <urn:restored> .\n'
                     for n in range(2000)).encode()
    with served_from_small_disk(tmp_path) as (disk, server):
        fill(disk / "filler")
        reply = request("POST", f"{server.url}/admin/restore", body=backup,
                        headers={"Content-Type": "application/n-quads",
                                 "Authorization": "Bearer faults-token-0123456789"},
                        timeout=120)
        (disk / "filler").unlink()
        assert reply.status == 500, reply.text
        assert "the restore could not be applied: the store's disk is full" in reply.text, \
            reply.text
        assert str(disk) not in reply.text, reply.text
        records = [json.loads(line) for line in Path(server.settings["AUDIT_LOG"])
                   .read_text(encoding="utf-8").splitlines()]
        assert records[-1]["operation"] == "restore" and records[-1]["status"] == "failed"
        assert records[-1]["sha256"] and records[-1]["quads"] == 2000, records[-1]
        # Once there is room again, the restore is applied.
        reply = request("POST", f"{server.url}/admin/restore", body=backup,
                        headers={"Content-Type": "application/n-quads",
                                 "Authorization": "Bearer faults-token-0123456789"},
                        timeout=120)
        assert reply.status == 204, reply.text
