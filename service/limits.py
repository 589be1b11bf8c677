"""Limits that keep one client from taking the server: time, result size and request rate.

Neither Oxigraph nor rdflib can be interrupted inside a query, so what stops a query past its
deadline, or holding too much memory, is replacing the process that runs it (gunicorn starts a
fresh one). Under the HTTP front the query runs on its request's thread and the front's event
loop keeps the deadline (service/request_threads.py); elsewhere, and for writes, it runs on a
helper thread while the request waits. Past the deadline the request answers 503 and the
process retires once its other answers are sent.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, Protocol, TypeVar

from service.errors import QueryTimeout as QueryTimeout
from service.errors import ServiceError, raw_error, wsgi_error
from service.errors import TextTooLong as TextTooLong
from service.routes import StartResponse as StartResponse
from service.routes import WSGIApp as WSGIApp
from service.routes import family

log = logging.getLogger(__name__)

T = TypeVar("T")


# Parsers and evaluators recurse once per level of the algebra (a chain of BINDs, UNIONs or
# `+` nests as deep as it is long). Helper threads get a stack that such chains cannot
# overflow within MAX_QUERY_BYTES; it is reserved address space, used only as deep as needed.
HELPER_STACK = 1 << 30


# Where the HTTP front notes, in the WSGI environment, when a request had been read whole
# (time.monotonic()): its time limit counts from then.
READ_AT = "dmkg.read_at"
# Where the HTTP front leaves, in the WSGI environment, the watch that keeps the time limit of
# the request's thread (service/request_threads.py): work under it runs on that thread.
WATCH = "dmkg.watch"


class Watched(Protocol):
    """The request's thread, whose timed work the server cuts at its deadline."""

    def begin(self, at: float, cut: Callable[[], BaseException], retire: bool) -> object: ...

    def end(self, before: object) -> None: ...


@dataclass(frozen=True)
class Deadline:
    """When a request's time is up: its limit in seconds (0: none) and the monotonic time."""

    seconds: float
    at: float = math.inf

    @classmethod
    def of(cls, environ: dict[str, Any], seconds: float) -> Deadline:
        """The deadline of a request: seconds after it was read (now, if no front noted it)."""
        read = environ.setdefault(READ_AT, time.monotonic())
        return cls(seconds, read + seconds if seconds > 0 else math.inf)

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline seconds from now (0: none)."""
        return cls(seconds, time.monotonic() + seconds if seconds > 0 else math.inf)

    def left(self) -> float | None:
        """Seconds left (never below 0), or None when there is no limit."""
        return None if self.at == math.inf else max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.at


@dataclass
class _Job(Generic[T]):
    work: Callable[[], T]
    done: threading.Event | None  # set by a helper thread when the work has ended
    client: Any = None
    target: str = "/sparql"  # the request's path and query: its family says how a 503 looks
    result: T | None = None
    error: BaseException | None = None
    # Called by the memory cap before the process ends: it records what the cut left, and
    # returns the answer the client gets (None: the cap's own).
    on_memory: Callable[[], ServiceError | None] | None = None


class DeadlineRunner:
    """Run work on daemon helper threads and wait for it no longer than a deadline."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job[object]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._pid = 0
        self.retiring = False
        # Set by the server worker: stop accepting, send the answers in hand, then exit.
        self.stop_serving: Callable[[], None] | None = None
        self.replaceable = 0  # the process id of a server worker that may be replaced
        self.memory = MemoryWatch()

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job.result = job.work()
            except BaseException as error:  # handed to the waiting request
                job.error = error
            # Idle again before the request wakes up, so that its next query finds this thread.
            with self._lock:
                self._idle += 1
            assert job.done is not None
            job.done.set()

    def _reserve_thread(self) -> None:
        """Set aside an idle helper thread for one job, starting one if none is idle."""
        with self._lock:
            if self._pid != os.getpid():
                # Threads do not survive a fork: a forked worker starts its own.
                self._pid, self._threads, self._idle = os.getpid(), 0, 0
            if self._idle > 0:
                self._idle -= 1
                return
            self._threads += 1
            name = f"query-{self._threads}"
            previous = threading.stack_size(HELPER_STACK)
            try:
                threading.Thread(target=self._serve, name=name, daemon=True).start()
            finally:
                threading.stack_size(previous)

    @property
    def threads(self) -> int:
        """How many helper threads this process has started."""
        return self._threads

    def served_by_replacing_server(self) -> None:
        """Say that this process is a server worker that the server replaces when it exits."""
        self.replaceable = os.getpid()

    def run(self, work: Callable[[], T], deadline: Deadline, client: Any = None,
            target: str = "/sparql", cut: Callable[[], BaseException] | None = None,
            on_memory: Callable[[], ServiceError | None] | None = None,
            retire: bool = True, watch: Watched | None = None) -> T:
        """Return work()'s result, or raise cut() (by default a QueryTimeout) at the deadline.

        The work runs on a helper thread (with a deep stack) while the request waits, or on
        the request's own thread when the server watches it (watch: the server answers the
        request at the deadline); work whose deadline has passed already is not started.
        client: the request's socket, answered with a 503 if the process must end because the
        work holds more memory than allowed (on_memory, if given, first records the cut and
        may say the answer); target: the request's path and query string. retire: whether the
        process must be replaced when the work outlives its deadline; False for work that ends
        by itself soon after it (it checks the deadline as it goes, or its cost is bounded),
        which leaves the process serving.
        """
        if deadline.passed():
            raise cut() if cut is not None else QueryTimeout(_timeout_message(deadline.seconds))
        if watch is not None:
            return self._run_watched(_Job(work, None, client, target, on_memory=on_memory),
                                     deadline, watch, cut, retire)
        job: _Job[T] = _Job(work, threading.Event(), client, target, on_memory=on_memory)
        self._reserve_thread()
        self.memory.started(job)
        try:
            self._jobs.put(job)  # type: ignore[arg-type]
            if not job.done.wait(deadline.left()):  # type: ignore[union-attr]
                if retire:
                    self.retire()
                raise cut() if cut is not None else QueryTimeout(
                    _timeout_message(deadline.seconds))
        finally:
            self.memory.finished(job)
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _run_watched(self, job: _Job[T], deadline: Deadline, watch: Watched,
                     cut: Callable[[], BaseException] | None, retire: bool) -> T:
        """Run the work here, its deadline kept by the server's watch."""

        def cut_at_deadline() -> BaseException:
            return cut() if cut is not None else QueryTimeout(_timeout_message(deadline.seconds))

        self.memory.started(job)
        before = watch.begin(deadline.at, cut_at_deadline, retire)
        try:
            return job.work()
        finally:
            watch.end(before)
            self.memory.finished(job)

    def retire(self) -> None:
        """Ask this process to stop once its current answers are sent (gunicorn replaces it)."""
        if self.retiring:
            return
        self.retiring = True
        if self.replaceable == os.getpid():
            log.warning("a query outlived its time limit: retiring worker %d", os.getpid())
            if self.stop_serving is not None:
                # The server's own way out: the answers in hand (a write waiting on its
                # commit) get their time, which an operator's SIGTERM does not give them.
                self.stop_serving()
            else:
                # gunicorn's graceful stop: finish the requests in hand, then exit.
                os.kill(os.getpid(), signal.SIGTERM)
        else:
            log.warning("a query outlived its time limit; it keeps running on its thread "
                        "because this server cannot replace its process")


def resident_bytes() -> int:
    """Return the memory this process holds (its resident set)."""
    # Read again at its start, the file kept open (each query reads it: opening it cost
    # ten times more than the reading).
    pid = os.getpid()
    descriptor = _STATM.get(pid)
    if descriptor is None:
        # /proc/self names the process that opened it: a forked worker opens its own.
        descriptor = _STATM[pid] = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    return int(os.pread(descriptor, 128, 0).split()[1]) * PAGE


# The open /proc/self/statm of each process (a worker forked from the master inherits its
# entry, under the master's id).
_STATM: dict[int, int] = {}


PAGE = os.sysconf("SC_PAGE_SIZE")
MEMORY_MESSAGE = ("the query needed more memory than the {mb:g} MB a query may use and was "
                  "stopped; narrow it (LIMIT, fewer or shorter values)")


class MemoryWatch:
    """Ends a process whose queries hold more memory than allowed, answering them first.

    Neither store can be interrupted or refused an allocation cleanly (Oxigraph aborts the
    process when one fails), so a thread measures the process while queries run: past the
    cap it writes a 503 on the socket of every query in progress and ends the process;
    gunicorn starts a fresh one. The cap bounds growth over what the process held when the
    first of the running queries started.
    """

    POLL = 0.02

    def __init__(self) -> None:
        self.limit = 0  # bytes; 0: no cap
        self._lock = threading.Lock()
        self._running: dict[int, _Job[Any]] = {}
        self._baseline = 0
        self._wake = threading.Event()
        self._pid = 0
        # The watch's last reading of the process's resident size, and when it was taken.
        self._read = 0
        self._read_at = -math.inf

    def started(self, job: _Job[Any]) -> None:
        if not self.limit:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._running, self._read_at = os.getpid(), {}, -math.inf
                threading.Thread(target=self._watch, name="memory", daemon=True).start()
            if not self._running:
                # Read at most one poll ago while queries come one after another (reading it
                # costs as much as a small query); a reading taken here serves the next ones.
                now = time.monotonic()
                if now - self._read_at >= self.POLL:
                    self._read, self._read_at = resident_bytes(), now
                self._baseline = self._read
            self._running[id(job)] = job
        if not self._wake.is_set():
            self._wake.set()

    def finished(self, job: _Job[Any]) -> None:
        if not self.limit:
            return
        with self._lock:
            self._running.pop(id(job), None)

    def _watch(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.POLL)
            with self._lock:
                self._read, self._read_at = resident_bytes(), time.monotonic()
                if not self._running:
                    self._wake.clear()
                    continue
                if self._read - self._baseline <= self.limit:
                    continue
                log.warning("queries held more than %d MB: worker %d answers and exits",
                            self.limit >> 20, os.getpid())
                error = ServiceError(503, MEMORY_MESSAGE.format(mb=self.limit / (1 << 20)))
                for job in self._running.values():
                    answer = error
                    if job.on_memory is not None:
                        try:
                            answer = job.on_memory() or error
                        except Exception:  # the process ends anyway; the others are answered
                            log.exception("a write cut by the memory cap was not recorded")
                    # No CORS unless the client's socket says its request has no
                    # credentials (the HTTP front's does, service/front.py RequestSocket).
                    credentials = getattr(job.client, "credentials", True)
                    with contextlib.suppress(OSError, AttributeError):
                        job.client.sendall(raw_error(answer, job.target, credentials))
                os._exit(1)


@lru_cache(maxsize=8)
def _timeout_message(seconds: float) -> str:
    return (f"the query ran longer than the {seconds:g} s time limit and was stopped; "
            "narrow it (LIMIT, more specific patterns)")



@dataclass
class _Bucket:
    tokens: float
    stamp: float
    active: int = 0


# An IPv6 client is counted by the /64 network it holds: one subscriber is usually given a
# whole /64, and would otherwise count as any number of clients.
IPV6_PREFIX = 64


@lru_cache(maxsize=4096)  # read for every request, from the few addresses clients send from
def client_key(address: str) -> str:
    """The client an address is counted as: an IPv4 address (also written IPv4-mapped, or
    with a port, as some proxies write it) as itself, an IPv6 address by its /64 network;
    an address that cannot be read is counted with every other one that cannot ("-" when
    none was given), never as a new client each time."""
    text = address.strip()
    if text == "-":
        return text
    if text.startswith("[") and "]" in text:  # [IPv6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # IPv4:port
        text = text.split(":")[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return "unreadable"
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:
            return str(found.ipv4_mapped)
        # By its number: a zone (`%eth0`) is no part of the network.
        return str(ipaddress.IPv6Network((int(found), IPV6_PREFIX), strict=False))
    return str(found)


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


TOO_MANY = "slow down and retry after Retry-After seconds"
# Where the HTTP front notes that it has counted a request within the client limits.
ADMITTED = "dmkg.admitted"

class Guarded:
    """WSGI middleware admitting each client within its limits (its family's, see routes.py).

    Done here rather than with Flask's request hooks, which cost more per request.
    """

    def __init__(self, app: WSGIApp, limiter: ClientLimiter) -> None:
        self.app = app
        self.limiter = limiter
        self.limited = limiter.rate > 0 or limiter.concurrency > 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # A request the HTTP front has counted already (service/admission.py) is not counted
        # again: the front counts from the hand-off, before a thread takes it.
        if (not self.limited or environ.get(ADMITTED)
                or not family(environ.get("PATH_INFO") or "/").limited):
            return self.app(environ, start_response)
        client = client_key(environ.get("REMOTE_ADDR") or "-")
        wait = self.limiter.acquire(client)
        if wait:
            retry = ("Retry-After", str(max(1, math.ceil(wait))))
            return wsgi_error(ServiceError(429, TOO_MANY, [retry]), environ, start_response)
        try:
            return self.app(environ, start_response)
        finally:
            self.limiter.release(client)


@dataclass(frozen=True)
class QueryLimits:
    """The application's limits on one query: seconds (0: none), answer rows (0: all) and
    the length of its text in bytes (0: any)."""

    seconds: float
    rows: int
    text_bytes: int = 0


def check_text(sparql: str, limit: int) -> None:
    """Refuse a query or update too long to be read at all (its nesting is bounded on the
    guard's reading of it, kg.store.base.guarded, before any parser reads it)."""
    if limit and len(sparql) > limit // 4 and len(sparql.encode()) > limit:
        raise TextTooLong(len(sparql.encode()), limit)
