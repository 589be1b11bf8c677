"""A worker's request threads, and the time limit its event loop keeps on their work.

A request the loop does not answer itself (service/front.py) runs on one of these threads,
from the WSGI application down to the store: a query runs on its request's thread, with no
other thread in between (each hand-off between threads costs more than a small query). The
threads have deep stacks (see HELPER_STACK in service/limits.py).

Neither store can be interrupted inside a query, so the loop keeps the time limit: work run
under a deadline tells the request's Watch (DeadlineRunner.run), and once the deadline has
passed the loop answers the request itself and retires the process (gunicorn replaces it),
leaving the thread to the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
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
    """The deadline of the work a request's thread runs, kept by the loop.

    The loop arms a timer for the usual deadline when it hands the request over, so that the
    thread has nothing to tell it in the common case: work with an earlier deadline than the
    timer's asks the loop to arm it sooner (one wake-up). When the timer fires, the request
    is cut if its thread is in timed work whose deadline has passed; otherwise the timer is
    armed again for the work's own deadline, or left for the next work to arm.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any],
                 at: float, retire: Callable[[], None]) -> None:
        self.loop = loop
        self.future = future
        self.retire = retire
        self._lock = threading.Lock()
        self._work_at: float | None = None  # the deadline of the timed work running now
        self._cut: Callable[[], BaseException] = TimeoutError
        self._retires = True
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        if at < math.inf:
            self._arm(at)

    # On the request's thread (service/limits.py, DeadlineRunner.run).

    def begin(self, at: float, cut: Callable[[], BaseException], retire: bool) -> None:
        """Timed work begins: past at, answer with cut() and retire the process if retire."""
        with self._lock:
            self._work_at, self._cut, self._retires = at, cut, retire
            sooner = at < self._timer_at
        if sooner:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._arm, at)

    def end(self) -> None:
        """The timed work has ended."""
        with self._lock:
            self._work_at = None

    # On the loop.

    def _arm(self, at: float) -> None:
        if self.future.done():
            return
        with self._lock:
            if self._timer is not None and self._timer_at <= at:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = at
            self._timer = self.loop.call_later(max(0.0, at - time.monotonic()), self._due)

    def _due(self) -> None:
        with self._lock:
            self._timer, self._timer_at = None, math.inf
            at = self._work_at
            if self.future.done() or at is None:
                return  # no timed work now: the next one arms the timer
            if at > time.monotonic():
                self._timer_at = at
                self._timer = self.loop.call_later(at - time.monotonic(), self._due)
                return
            self._work_at = None
            cut, retires = self._cut, self._retires
        self.future.set_exception(Cut(cut()))
        if retires:
            self.retire()

    def stop(self) -> None:
        """The request is answered: no timer is needed any more."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_at = None, -math.inf  # never armed again
