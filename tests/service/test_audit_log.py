"""The audit log on a full disk: a record is written whole or not at all, and the records
written once there is room again are whole lines of JSON each.

A file-size limit (RLIMIT_FSIZE) in a child process makes the disk full for its writes: the
write that crosses it is cut short and the next fails, as on a full file system.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WRITER = r"""
import resource, signal, sys, threading
from pathlib import Path
from service.write_access import Writes

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not the process
audit = Path(sys.argv[1])
side = Writes(None, {}, audit, threading.Lock())
side.record("alice", "put", "applied", client="127.0.0.1", graph="urn:first")
full = audit.stat().st_size + 40  # room for part of the next record only
resource.setrlimit(resource.RLIMIT_FSIZE, (full, resource.RLIM_INFINITY))
side.record("alice", "put", "applied", client="127.0.0.1", graph="urn:cut", note="x" * 200)
side.record("alice", "put", "applied", client="127.0.0.1", graph="urn:refused")
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
side.record("alice", "put", "applied", client="127.0.0.1", graph="urn:after")
"""


def records(audit: Path) -> list[dict[str, object]]:
    text = audit.read_text(encoding="utf-8")
    assert text.endswith("\n"), text[-200:]
    return [json.loads(line) for line in text.splitlines()]


def write_with_a_full_disk(audit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WRITER, str(audit)], capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_record_cut_by_a_full_disk_leaves_no_part_and_the_next_is_whole(
        tmp_path: Path) -> None:
    audit = tmp_path / "audit.log"
    run = write_with_a_full_disk(audit)
    assert run.returncode == 0, run.stderr
    assert [r["graph"] for r in records(audit)] == ["urn:first", "urn:after"]
    # The lost records are reported on the service's log.
    assert "could not record" in run.stderr and "urn:cut" in run.stderr


def test_a_line_left_unfinished_before_does_not_swallow_the_next_record(
        tmp_path: Path) -> None:
    audit = tmp_path / "audit.log"
    audit.write_text('{"graph": "urn:old", "who": "al', encoding="utf-8")
    run = write_with_a_full_disk(audit)
    assert run.returncode == 0, run.stderr
    lines = audit.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"graph": "urn:old", "who": "al'
    assert [json.loads(line)["graph"] for line in lines[1:]] == ["urn:first", "urn:after"]
