"""One time limit for every write, counted from when its request was read.

Reading the update text or the body, checking what it writes, waiting for the write lock,
the engine's apply and the upkeep after it all count against the request's deadline. Past
it the answer is a 503 that says what became of the write, and the audit log says the same:

- "not applied": cut before its commit began, which now never will;
- "applied": its commit had begun at the deadline and ended after it (applied, late);
- "failed": its commit had begun at the deadline and then failed;
- "unknown": cut while the engine applied it, which cannot be cut short.

A write cut by the memory cap is recorded too, with the outcome the cut left (the process
ends at once: a commit in progress may or may not have landed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from werkzeug.wrappers import Request

from service.errors import QueryTimeout, ServiceError
from service.limits import Deadline
from service.services import Services
from service.write_access import Writes

R = TypeVar("R")

NOT_APPLIED, APPLIED, FAILED, UNKNOWN = "not applied", "applied", "failed", "unknown"

# What a write past its time limit is answered, by outcome (with the writing and the limit).
LATE = {
    NOT_APPLIED: "the {what} ran longer than the {seconds:g} s time limit and was stopped "
                 "before its commit: nothing was applied",
    APPLIED: "the {what} ran longer than the {seconds:g} s time limit: it was being committed "
             "at the limit and has been applied since (applied, late); read the graphs it "
             "writes to see it",
    FAILED: "the {what} ran longer than the {seconds:g} s time limit: it was being committed "
            "at the limit and then failed ({reason}); read the graphs it writes to know "
            "what it changed",
    UNKNOWN: "the {what} ran longer than the {seconds:g} s time limit and was stopped while "
             "the store was applying it, which cannot be cut short: the outcome is unknown, "
             "it may still have been applied; read the graphs it writes to know",
}
# What a write cut by the memory cap is answered, by outcome.
TOO_BIG = {
    NOT_APPLIED: "the {what} needed more memory than the {mb:g} MB a request may use and was "
                 "stopped before its commit: nothing was applied",
    APPLIED: "the {what} was applied, then its process needed more memory than the {mb:g} MB "
             "a request may use and was replaced",
    FAILED: "the {what} failed ({reason}), then its process needed more memory than the "
            "{mb:g} MB a request may use and was replaced",
    UNKNOWN: "the {what} needed more memory than the {mb:g} MB a request may use and was "
             "stopped while the store was applying it: the outcome is unknown, it may still "
             "have been applied; read the graphs it writes to know",
}


class WriteCut(ServiceError):
    """A write stopped by its deadline, with what became of it (an outcome of LATE)."""

    def __init__(self, outcome: str, what: str, seconds: float, reason: object = "",
                 message: str = "") -> None:
        super().__init__(503, message or LATE[outcome].format(what=what, seconds=seconds,
                                                              reason=reason))
        self.outcome = outcome


class CommitPace:
    """How long this process's store takes to commit a triple, learnt from its commits of
    many triples: a write whose commit would outlast its deadline is refused before it
    begins, since a commit cannot be cut short and its client would wait for it."""

    # Until a commit was measured: what a two-core machine under load took per triple with
    # the union kept (115 µs; 40 µs on a quiet one): too slow a guess refuses a large write
    # that would have fit, too fast a guess answers it late.
    FIRST = 100e-6
    # Commits of fewer triples say more about fixed costs than about the pace.
    MEASURED = 5000

    def __init__(self) -> None:
        self.per_triple = self.FIRST

    def estimate(self, triples: int) -> float:
        """Seconds a commit of triples should take here."""
        return triples * self.per_triple

    def measured(self, triples: int, seconds: float) -> None:
        """Learn from a commit of triples that took seconds: a slower pace is taken at once,
        a faster one halfway."""
        if triples < self.MEASURED:
            return
        pace = seconds / triples
        self.per_triple = max(pace, (self.per_triple + pace) / 2)


PACE = CommitPace()


class CommitGate:
    """Lets a write commit only before its request gave up waiting, so that an answer of
    "not applied" is true: past the deadline a write that has not started committing never
    will; one already committing ends as the engine decides. The same holds from the
    service's stop on (stopped, see service/write_stop.py).
    """

    def __init__(self, stopped: threading.Event | None = None) -> None:
        self._stopped = stopped or threading.Event()
        self._lock = threading.Lock()
        self._state = "preparing"  # then "committing" and "done", or "abandoned"
        self._done = threading.Event()
        self._after: Callable[[], None] | None = None
        self.error: BaseException | None = None

    def enter(self) -> None:
        """Start committing, or raise QueryTimeout if the request has given up."""
        with self._lock:
            if self._state == "abandoned":
                raise QueryTimeout("the write was abandoned at its deadline")
            if self._stopped.is_set():
                self._state = "abandoned"
                raise QueryTimeout("the write was abandoned as the service stopped")
            self._state = "committing"

    def left(self, error: BaseException | None = None) -> None:
        """The commit has ended (with error, if it failed); nothing if it never began."""
        with self._lock:
            if self._state != "committing":
                return
            self._state, self.error = "done", error
            after, self._after = self._after, None
        self._done.set()
        if after is not None:
            after()

    def abandon(self, wait: float | None) -> str:
        """Give up on the write: the outcome once no commit starts, or once the one under way
        ends or wait seconds have passed (None: until it ends)."""
        with self._lock:
            if self._state == "preparing":
                self._state = "abandoned"
            committing = self._state == "committing"
        if committing:
            self._done.wait(wait)
        return self.outcome()

    def outcome(self) -> str:
        """What became of the write so far (see the module's outcomes)."""
        with self._lock:
            if self._state == "committing":
                return UNKNOWN
            if self._state == "done":
                return APPLIED if self.error is None else FAILED
            return NOT_APPLIED

    def then(self, release: Callable[[], None]) -> None:
        """Call release when no commit of this write runs: now, or once it ends."""
        with self._lock:
            if self._state == "committing":
                self._after = release
                return
        release()


@dataclass
class TimedWrite:
    """One write of one request, run within its deadline: what it is called in answers, the
    outcome so far, and how the memory cap's cut of it is recorded."""

    side: Writes
    who: str
    operation: str
    what: str  # "update", "write"
    # Recorded with a cut: graph, sha256, targets, text... and the stage it was cut at.
    details: dict[str, Any]
    asking: Request  # the request that writes
    found: Services  # the application's

    def __post_init__(self) -> None:
        self.gate = CommitGate(self.side.stopped)
        self.side.timing(self)
        self.seconds = self.found.limits.seconds
        self.megabytes = self.found.runner.memory.limit / (1 << 20)
        self.client = self.asking.remote_addr
        self.deadline = Deadline.of(self.asking.environ, self.seconds)

    def _timed(self, work: Callable[[], R], cut: Callable[[], BaseException],
               retire: bool) -> R:
        """Run work within the request's deadline (see DeadlineRunner.run): on a helper
        thread, since a write may wait for its commit past the deadline."""
        return self.found.runner.run(work, self.deadline,
                                     self.asking.environ.get("gunicorn.socket"),
                                     self.asking.full_path, cut, self._cut_by_memory, retire)

    def run(self, work: Callable[[], R], retire: bool = True) -> R:
        """Run work (no commit in it) within the deadline; past it, raise WriteCut.
        retire: False when work stops by itself at the deadline (the process goes on)."""
        self.details["stage"] = "reading"
        try:
            return self._timed(work, lambda: WriteCut(NOT_APPLIED, self.what, self.seconds),
                               retire)
        except QueryTimeout as error:  # the work saw the deadline pass
            raise WriteCut(NOT_APPLIED, self.what, self.seconds) from error

    def commit(self, work: Callable[[], R], wait: float | None, retire: bool = True) -> R:
        """Take the write lock and run work within the deadline; work calls self.enter()
        before it commits. Past the deadline raise WriteCut, having waited up to wait seconds
        (None: until it ends) for a commit under way. retire: False when work ends by itself
        soon after the deadline (its commit's cost is bounded), which leaves the process
        serving."""
        self.details["stage"] = "waiting for the write lock"
        left = self.deadline.left()
        if not self.side.lock.acquire(timeout=-1 if left is None else left):
            raise WriteCut(NOT_APPLIED, self.what, self.seconds)
        self.details["stage"] = "applying"

        def committed() -> R:
            try:
                result = work()
            except BaseException as error:
                self.gate.left(error)
                raise
            self.gate.left()
            return result

        try:
            return self._timed(committed, lambda: QueryTimeout("cut"), retire)
        except QueryTimeout as error:
            outcome = self.gate.abandon(wait)
            raise WriteCut(outcome, self.what, self.seconds, self.gate.error) \
                from (self.gate.error or error)
        finally:
            # The lock is the commit's until it ends, whoever waits for it.
            self.gate.then(self.side.lock.release)

    def enter(self, triples: int = 0, removed: int = 0) -> None:
        """Say the commit of triples (and of removed triples) begins (raise QueryTimeout if
        the request gave up on it, WriteCut if it would not end within the time left)."""
        self.fits(triples, removed)
        self.gate.enter()

    def fits(self, triples: int, removed: int = 0) -> None:
        """Raise WriteCut (nothing applied) if committing triples and removing removed ones
        (the graph a PUT replaces or a DELETE drops) would outlast the time left, at the pace
        of this process's commits so far: a removed triple costs as an added one."""
        left = self.deadline.left()
        needs = PACE.estimate(triples + removed)
        if left is not None and triples + removed and needs > left:
            what = f"the {self.what} of {triples} triples" + (
                f", replacing {removed}," if triples and removed else
                f", removing {removed} triples," if removed else "")
            advice = "remove the graph's triples in parts first" if removed else \
                "send it in parts"
            raise WriteCut(NOT_APPLIED, self.what, self.seconds, message=(
                f"{what} would take about {needs:.1f} s to commit, more than the "
                f"{left:.1f} s left of the {self.seconds:g} s time limit: nothing was "
                f"applied; {advice}"))

    def _cut_by_memory(self) -> ServiceError:
        """Record the write the memory cap cuts (from the cap's thread), and its answer."""
        outcome = self.gate.outcome()
        message = TOO_BIG[outcome].format(what=self.what, mb=self.megabytes,
                                          reason=self.gate.error)
        self.side.record(self.who, self.operation, "cut", client=self.client, outcome=outcome,
                         reason=message, **self.details)
        return ServiceError(503, message)
