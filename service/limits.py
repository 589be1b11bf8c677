"""Limits that keep one client from taking the server: time, result size and request rate.

Neither Oxigraph nor rdflib can be interrupted inside a query, so a query runs on a helper
thread while the request waits for it until its deadline. A query past its deadline gets a
503 answer; the process it runs in is then retired once it has answered its other requests
(gunicorn starts a fresh one), which is what stops the work.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class QueryTimeout(RuntimeError):
    """The work did not finish before its deadline; its process will be retired."""


@dataclass
class _Job(Generic[T]):
    work: Callable[[], T]
    done: threading.Event
    result: T | None = None
    error: BaseException | None = None


class DeadlineRunner:
    """Run work on daemon helper threads and wait for it no longer than a deadline."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job[object]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._pid = 0
        self.retiring = False

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            with self._lock:
                self._idle -= 1
            try:
                job.result = job.work()
            except BaseException as error:  # handed to the waiting request
                job.error = error
            job.done.set()
            with self._lock:
                self._idle += 1

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._pid != os.getpid():
                # Threads do not survive a fork: a forked worker starts its own.
                self._pid, self._threads, self._idle = os.getpid(), 0, 0
            if self._idle > 0:
                return
            self._threads += 1
            self._idle += 1
        threading.Thread(target=self._serve, name=f"query-{self._threads}", daemon=True).start()

    def run(self, work: Callable[[], T], seconds: float) -> T:
        """Return work()'s result, or raise QueryTimeout after seconds (0: no limit)."""
        if seconds <= 0:
            return work()
        job: _Job[T] = _Job(work, threading.Event())
        self._ensure_thread()
        self._jobs.put(job)  # type: ignore[arg-type]
        if not job.done.wait(seconds):
            self.retire()
            raise QueryTimeout(f"the query ran longer than the {seconds:g} s time limit and "
                               "was stopped; narrow it (LIMIT, more specific patterns)")
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def retire(self) -> None:
        """Ask this process to stop once its current answers are sent (gunicorn replaces it)."""
        if self.retiring:
            return
        self.retiring = True
        if os.environ.get("DMKG_GUNICORN_WORKER") == str(os.getpid()):
            log.warning("a query outlived its time limit: retiring worker %d", os.getpid())
            # gunicorn's graceful stop: finish the requests in hand, then exit (see server.py).
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            log.warning("a query outlived its time limit; it keeps running on its thread "
                        "because this server cannot replace its process")


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    active: int = 0


class ClientLimiter:
    """Per-client token buckets (requests per second, with a burst) and in-flight counts."""

    def __init__(self, rate: float, burst: int, concurrency: int) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self.concurrency = concurrency
        self._clients: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Admit a request (return 0) or return the seconds the client should wait."""
        now = time.monotonic()
        with self._lock:
            bucket = self._clients.get(client)
            if bucket is None:
                if len(self._clients) > 10_000:
                    self._forget_idle(now)
                bucket = self._clients[client] = _Bucket(float(self.burst), now)
            if self.rate > 0:
                bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
                bucket.stamp = now
                if bucket.tokens < 1:
                    return (1 - bucket.tokens) / self.rate
            if self.concurrency > 0 and bucket.active >= self.concurrency:
                return 1.0
            if self.rate > 0:
                bucket.tokens -= 1
            bucket.active += 1
            return 0.0

    def release(self, client: str) -> None:
        with self._lock:
            bucket = self._clients.get(client)
            if bucket is not None and bucket.active > 0:
                bucket.active -= 1

    def _forget_idle(self, now: float) -> None:
        for client, bucket in list(self._clients.items()):
            refilled = self.rate <= 0 or (now - bucket.stamp) * self.rate >= self.burst
            if bucket.active == 0 and refilled:
                del self._clients[client]


# One per process: the server's hooks ask it whether the process is being retired.
RUNNER = DeadlineRunner()
