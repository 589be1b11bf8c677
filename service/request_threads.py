"""A worker's request threads, and the time limit its event loop keeps on their work.

A request the loop does not answer itself (service/front.py) runs on one of these threads,
from the WSGI application down to the store: a query runs on its request's thread, with no
other thread in between (each hand-off between threads costs more than a small query). The
threads have deep stacks (see HELPER_STACK in service/limits.py).

Neither store can be interrupted inside a query, so the loop keeps the time limit: work run
under a deadline tells the request's Watch (DeadlineRunner.run), and once the deadline has
passed (looked at ten times a second) the loop answers the request itself and retires the
process (gunicorn replaces it), leaving the thread to the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

from service.limits import HELPER_STACK

_Task = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...],
              Callable[[Any], None] | None]


class RequestThreads:
    """count threads taking work from one queue; each hands its outcome back to the loop."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.handed = 0  # work handed over so far
        self._queue: SimpleQueue[_Task] = SimpleQueue()
        self._pid = 0

    def submit(self, loop: asyncio.AbstractEventLoop, work: Callable[..., Any], *args: Any,
               future: asyncio.Future[Any] | None = None,
               discard: Callable[[Any], None] | None = None) -> asyncio.Future[Any]:
        """Run work(*args) on a thread; return the future (given, or a new one) of its result.

        discard: called on a thread with the result when the future was settled otherwise
        meanwhile (the loop answered the request at its deadline)."""
        if self._pid != os.getpid():
            self._start()  # threads do not survive a fork: a forked worker starts its own
        if future is None:
            future = loop.create_future()
        self.handed += 1
        self._queue.put((loop, future, work, args, discard))
        return future

    def _start(self) -> None:
        self._pid = os.getpid()
        previous = threading.stack_size(HELPER_STACK)
        try:
            for number in range(self.count):
                threading.Thread(target=self._serve, name=f"request-{number + 1}",
                                 daemon=True).start()
        finally:
            threading.stack_size(previous)

    def _serve(self) -> None:
        while True:
            loop, future, work, args, discard = self._queue.get()
            result: Any = None
            error: BaseException | None = None
            try:
                result = work(*args)
            except BaseException as failure:  # handed to the loop
                error = failure
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(self._settle, loop, future, result, error, discard)
            del loop, future, work, args, discard, result, error

    def _settle(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any],
                result: Any, error: BaseException | None,
                discard: Callable[[Any], None] | None) -> None:
        if future.done():  # answered at its deadline: what came too late is let go
            if discard is not None and error is None:
                self.submit(loop, discard, result)
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class Cut(Exception):
    """The loop answered a request at its deadline: the error it answered with."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Watch:
    """The timed work a request's thread runs now: its deadline, the error to answer past it,
    and whether the process then retires (None: no timed work). Set by the thread, read by
    the loop (one reference, replaced whole: no lock)."""

    __slots__ = ("future", "work")

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future
        self.work: tuple[float, Callable[[], BaseException], bool] | None = None

    def begin(self, at: float, cut: Callable[[], BaseException], retire: bool) -> object:
        """Timed work begins: past at, answer with cut() and retire the process if retire.
        Return what was watched before (timed work it runs within), for end()."""
        before, self.work = self.work, (at, cut, retire)
        return before

    def end(self, before: object) -> None:
        """The timed work has ended: watch what was watched before it again."""
        self.work = before  # type: ignore[assignment]


class Watches:
    """The watches of a worker's requests on its threads, looked at by its loop every TICK
    seconds while there are any (a timer per request would cost more than the looking)."""

    TICK = 0.1

    def __init__(self, retire: Callable[[], None]) -> None:
        self.retire = retire
        self.held: set[Watch] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> Watch:
        """A watch on the work whose outcome future will be."""
        watch = Watch(future)
        self.held.add(watch)
        if self._timer is None:
            self._timer = loop.call_later(self.TICK, self._look, loop)
        return watch

    def forget(self, watch: Watch) -> None:
        """The request is answered."""
        self.held.discard(watch)

    def _look(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = time.monotonic()
        for watch in list(self.held):
            work = watch.work
            if work is None or work[0] > now or watch.future.done():
                continue
            _, cut, retires = work
            watch.work = None
            self.held.discard(watch)
            watch.future.set_exception(Cut(cut()))
            if retires:
                self.retire()
        if self.held:
            self._timer = loop.call_later(self.TICK, self._look, loop)


# Where the HTTP front marks, in the WSGI environment, a request it answers on its event
# loop: work there that cannot be known cheap raises OnThread, and the request is answered on
# a request thread instead, under its time limit.
ON_LOOP = "dmkg.on_loop"
# The most stored triples a query answered on the loop may read (about a millisecond's work).
LOOP_TRIPLES = 500


class OnThread(BaseException):
    """The request needs a thread: the loop cannot answer it within a bounded time.

    A BaseException, so that no layer turning errors into answers takes it for one."""

