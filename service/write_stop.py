"""Writes in hand when the operator stops the service (SIGTERM), answered within a second.

The stop closes the commit gate of every write (service/write_time.py): one whose commit has
not begun never will, and its client hears at once that nothing was applied. A commit under
way cannot be cut short: it is given COMMIT_SECONDS to end, and its client hears what became
of it (applied, failed, or, if it has not ended, that the outcome is unknown). Each cut write
is recorded in the audit log as interrupted, with what its other records carry (the update's
executed text, the graph, the body's digest). The process then ends with the commit still in
the engine's hands: the store's log makes a transaction whole or absent at the next start.

The store's memory is written to its files from the moment of the stop, beside the answers,
until FLUSH_SECONDS after it: what a flush cut short leaves in the store's log is replayed
when the store is next opened (seconds after a large write), so the flush gets what it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from service.errors import ServiceError
from service.write_access import WRITE_KEY, Writes
from service.write_time import APPLIED, FAILED, NOT_APPLIED, UNKNOWN

R = TypeVar("R")

# How long a commit under way at the stop may take to end before its client is answered.
COMMIT_SECONDS = 0.5
# How long after the stop the process waits for its store's flush before it ends.
FLUSH_SECONDS = 0.8

STOPPED = {
    NOT_APPLIED: "the service is stopping: the {what} was stopped before its commit: nothing "
                 "was applied; send it again once the service is back",
    APPLIED: "the service is stopping: the {what} was applied; read the graphs it writes to "
             "see it",
    FAILED: "the service is stopping: the {what} failed ({reason}) and changed nothing",
    UNKNOWN: "the service is stopping: the {what} was being committed by the store, which "
             "cannot be cut short, and had not ended: the outcome is unknown, it may have "
             "been applied; read the graphs it writes to know once the service is back",
}
# What a read in hand when the service stops hears instead of its answer, once it has had
# READ_SECONDS to end (the master ends a worker 1 s after the stop: the 503 comes before).
READ_STOPPED = "the service is stopping: the request was not answered; retry in a moment"
READ_SECONDS = 0.5


async def answer_or_cut(work: Awaitable[R], environ: dict[str, Any], writes: Writes,
                        stopping: asyncio.Event) -> R | ServiceError:
    """Return work's answer, or the 503 of a write cut by the stop (recorded as interrupted):
    at once if its commit has not begun, else once COMMIT_SECONDS have passed."""
    future = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({future, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not future.done() and outcome(environ) != NOT_APPLIED:
        await asyncio.wait({future}, timeout=COMMIT_SECONDS)
    if future.done():
        return future.result()
    return cut(environ, writes)


def outcome(environ: dict[str, Any]) -> str:
    """What became of a request's write so far, once the stop has closed the commit gates: a
    write that has not reached its gate never commits."""
    entry = environ.get(WRITE_KEY)
    if entry is None:
        return NOT_APPLIED  # its token not even read yet
    timed = entry.get("write")
    if timed is None:
        # Named but not yet timed: an update or graph write will meet its closed gate; a
        # restore, which has none, may be under way.
        return UNKNOWN if entry.get("path") == "/admin/restore" else NOT_APPLIED
    return str(timed.gate.outcome())


def cut(environ: dict[str, Any], writes: Writes) -> ServiceError:
    """Record the write of a request cut by the stop, and return its client's answer."""
    found = outcome(environ)
    entry = environ.get(WRITE_KEY)
    timed = (entry or {}).get("write")
    what = getattr(timed, "what", "write")
    reason = getattr(getattr(timed, "gate", None), "error", "") or ""
    if entry is not None:
        writes.interrupted(entry, found)
    return ServiceError(503, STOPPED[found].format(what=what, reason=reason),
                        [("Retry-After", "5")])


def begin_flush(writes: Writes) -> None:
    """Start writing the store's memory to its files as the service stops (see flushed)."""
    def flush() -> None:
        with contextlib.suppress(OSError, RuntimeError):  # a full disk: the log keeps it
            writes.store.flush()
        writes.flush_ended = time.monotonic()

    if writes.flushing is None:
        thread = threading.Thread(target=flush, name="flush", daemon=True)
        writes.flushing = (thread, time.monotonic() + FLUSH_SECONDS)
        thread.start()


def flushed(writes: Writes) -> float | None:
    """Wait for the flush begun at the stop, until FLUSH_SECONDS after the stop at most;
    return when (time.monotonic()) it ended, None if it had not."""
    if writes.flushing is not None:
        thread, until = writes.flushing
        thread.join(max(0.0, until - time.monotonic()))
    return writes.flush_ended
