"""Who may write: the token file, the bearer token of a request, and the audit log.

Writes are off unless WRITE_TOKENS names a file of `NAME TOKEN` lines. A write carries
`Authorization: Bearer TOKEN`; the token is compared in constant time with every known one,
and the name it belongs to is recorded with the write in the audit log (service/writes.py
holds the routes that write).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import has_request_context, request
from werkzeug.wrappers import Request

from kg.iri_equivalence import normal_form
from kg.sparql_text import ALL, DEFAULT, NAMED
from kg.store import Backend, Writable
from kg.store.hidden_graphs import is_hidden, refusal
from service.config import Settings
from service.errors import ServiceError

log_error = logging.getLogger(__name__)

MIN_TOKEN_LENGTH = 16
# Where a write notes, in its request's WSGI environment, what it is (see Writes.who).
WRITE_KEY = "dmkg.write"
# Why a write cut by the service's stop ended as it did, by outcome.
STOP_REASONS = {
    "not applied": "the service stopped before the write's commit began",
    "applied": "the service stopped as the write's commit ended",
    "failed": "the service stopped as the write's commit failed",
    "unknown": "the service stopped before the write ended",
}


class WriteRefused(ServiceError):
    """A write that is not allowed, with its status and message."""


def read_tokens(path: Path) -> dict[bytes, str]:
    """Read `NAME TOKEN` lines into {sha256(token): name}; refuse short or repeated tokens."""
    tokens: dict[bytes, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path}:{number}: expected NAME TOKEN")
        name, token = parts
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"{path}:{number}: the token of {name} is shorter than "
                             f"{MIN_TOKEN_LENGTH} characters")
        digest = hashlib.sha256(token.encode()).digest()
        if digest in tokens:
            raise ValueError(f"{path}:{number}: the token of {name} is already given to "
                             f"{tokens[digest]}")
        tokens[digest] = name
    return tokens


@dataclass
class Writes:
    """The write side of the service: its store, tokens, audit log and lock."""

    store: Writable
    tokens: dict[bytes, str]
    audit: Path
    lock: threading.Lock
    # Relative IRIs of updates resolve against this (the configured IRI base).
    base: str = "https://w3id.org/dmkg/"

    # The writes under way, by the thread serving each: audited as interrupted if the
    # service stops before they end (interrupted()).
    under_way: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Set when the service stops: no write commits from then on (service/write_stop.py).
    stopped: threading.Event = field(default_factory=threading.Event)
    # Threads whose write the stop answered as not applied: what they record later is not
    # true of what their client heard (a time limit they did not reach).
    silenced: set[int] = field(default_factory=set)
    # The flush begun at the stop, and until when it is waited for (service/write_stop.py).
    flushing: tuple[threading.Thread, float] | None = None
    flush_ended: float | None = None  # when (time.monotonic()) that flush ended
    # Set while a restore changes the written graphs, and the restores begun so far: a
    # backup taken meanwhile would save a state that never existed.
    restoring: threading.Event = field(default_factory=threading.Event)
    restores: int = 0

    def who(self, asking: Request) -> str:
        """Return the name behind the bearer token of the request asking, or refuse with 401;
        the write is under way until its record is written or ended() is called (once it is
        answered)."""
        name = self.name_of(asking.headers.get("Authorization", ""))
        key = threading.get_ident()
        entry = self.under_way[key] = {"who": name, "client": asking.remote_addr,
                                       "method": asking.method, "path": asking.path,
                                       "thread": key}
        asking.environ[WRITE_KEY] = entry  # how the HTTP front finds it at a stop
        return name

    def ended(self) -> None:
        """The current thread's write is answered: it is no longer under way."""
        self.under_way.pop(threading.get_ident(), None)

    def timing(self, write: object) -> None:
        """Note the timed write (service/write_time.py) of the current thread's write: its
        commit gate says what a stop leaves of it, its details go in the record."""
        entry = self.under_way.get(threading.get_ident())
        if entry is not None:
            entry["write"] = write

    def interrupted(self, entry: dict[str, Any] | None = None, outcome: str = "") -> None:
        """Audit a write cut by the service's stop (by default every write still under way,
        as the process ends) with its outcome (by default what its commit gate says, the
        gates being closed first), and what its other records carry."""
        self.stopped.set()
        for write in [entry] if entry is not None else list(self.under_way.values()):
            if self.under_way.pop(write["thread"], None) is None:
                continue  # answered, and recorded, already
            timed = write.get("write")
            found = outcome or (timed.gate.outcome() if timed is not None else "unknown")
            if found == "not applied":
                self.silenced.add(write["thread"])
            details = dict(getattr(timed, "details", {}))
            operation = getattr(timed, "operation", write["method"].lower())
            self.record(write["who"], operation, "interrupted",
                        client=write["client"], path=write["path"], outcome=found,
                        reason=STOP_REASONS.get(found, STOP_REASONS["unknown"]), **details)

    def name_of(self, header: str) -> str:
        """Return the name behind an Authorization header's bearer token, or refuse with 401."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise WriteRefused(401, "writes need an Authorization: Bearer token")
        offered = hashlib.sha256(token.strip().encode()).digest()
        found = ""
        for digest, name in self.tokens.items():  # every one compared, in constant time
            if hmac.compare_digest(digest, offered):
                found = name
        if not found:
            raise WriteRefused(401, "the bearer token is not valid")
        return found

    def check_targets(self, targets: set[str]) -> None:
        """Refuse a write that could touch a graph the build owns, or one of the store's own
        (the upkeep graph, a merged graph): restores and Graph Store writes alike."""
        hidden = sorted(target for target in targets if is_hidden(target))
        if hidden:
            raise WriteRefused(403, refusal(hidden))
        if not self.store.protected:
            return
        wide = {DEFAULT: "the default graph (the union of the named graphs)",
                ALL: "ALL graphs", NAMED: "all NAMED graphs",
                "?": "a graph chosen by a variable"}
        # A graph spelled like a built one (HTTPS://, :443, %66, ./) would be a different graph
        # to the store but the same address to every reader: refused with the built ones.
        built = {normal_form(graph): graph for graph in self.store.protected}
        for target in sorted(targets):
            if target in wide:
                raise WriteRefused(403, f"this write would reach {wide[target]}; writes name "
                                        "the graphs they change, outside the built ones")
            if target in self.store.protected:
                raise WriteRefused(403, f"<{target}> belongs to the build and cannot be "
                                        "written; write to another named graph")
            resembled = built.get(normal_form(target))
            if resembled is not None:
                raise WriteRefused(403, f"<{target}> is another spelling of <{resembled}>, "
                                        "which belongs to the build and cannot be written; "
                                        "write to another named graph")

    def record(self, who: str, operation: str, status: str, client: str | None = None,
               **details: Any) -> None:
        """Append one line to the audit log and make it durable before answering.

        client: the address the write came from (by default that of the write under way on
        this thread, else the current Flask request's).
        A log that cannot be written is reported on the service's log: the write it records
        may already be applied and durable, and its client must hear so.
        """
        if threading.get_ident() in self.silenced:
            return
        under_way = self.under_way.pop(threading.get_ident(), None)
        if client is None and under_way is not None:
            client = under_way["client"]
        if client is None and has_request_context():
            client = request.remote_addr
        entry = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "who": who,
                 "client": client, "operation": operation, "status": status, **details}
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        try:
            self.audit.parent.mkdir(parents=True, exist_ok=True)
            append_line(self.audit, line.encode("utf-8"))
        except OSError:
            log_error.exception("the audit log %s could not record: %s", self.audit,
                                line.strip())


def append_line(path: Path, line: bytes) -> None:
    """Append one whole line to path and make it durable, or leave the file as it was.

    The line goes in one write on an O_APPEND descriptor, under an exclusive lock that every
    worker takes; a write cut short (a full disk, a file-size limit) or not made durable is
    cut back off, so that a record is never half there and the next one starts a line of its
    own. A line left unfinished by an older version is ended before the new one.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        try:
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(errno.ENOSPC, f"only {written} of {len(line)} bytes written")
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)  # releases the lock


def open_writes(settings: Settings, backend: Backend) -> Writes | None:
    """The write side when WRITE_TOKENS names a token file and the store can take them."""
    if not settings.write_tokens:
        return None
    writer = backend.writer()
    if writer is None:
        raise ValueError("writes (WRITE_TOKENS) need the on-disk oxigraph store")
    return Writes(writer, read_tokens(Path(settings.write_tokens)), settings.audit_log,
                  threading.Lock(), settings.iri_base)
