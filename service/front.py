"""The HTTP front: a gunicorn worker whose event loop reads requests, threads answer them.

gunicorn's master forks, watches and replaces the workers as before (the time limit and the
memory cap retire a worker, see service/limits.py). Each worker runs uvicorn's server with
httptools, a C HTTP parser, on uvloop's asyncio loop: the loop reads every request whole,
headers and then body, each within a time limit, and so a slow client holds no thread. A
complete request goes to the WSGI application on one of the worker's threads, except an
answer kept from before (service/response_cache.py), which the loop writes itself: the
thread hop costs more than finding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import IO, Any, cast
from urllib.parse import unquote_to_bytes

import uvloop
from gunicorn.workers.base import Worker
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import Server

from service.admission import ADMITTED, Admission
from service.budget import (
    ANSWERS_FULL,
    BODIES_FULL,
    RESTORES_FULL,
    Budget,
    Held,
    SharedBudget,
    return_large_allocations,
)
from service.connections import REFUSING, Connections, descriptors_total
from service.errors import ServiceError, edge_error, raw_error, service_error
from service.limits import READ_AT, WATCH, DeadlineRunner, client_key
from service.request_threads import ON_LOOP, Cut, OnThread, RequestThreads, Watch, Watches
from service.response_cache import KEPT_ONLY, NotKept
from service.routes import WSGIApp, family
from service.write_access import WriteRefused, Writes
from service.write_stop import READ_SECONDS, READ_STOPPED, answer_or_cut, begin_flush, cut

# Seconds a client has to send its request line and headers, then its body.
HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
# A body read to a temporary file (a backup, routes.Family.spooled) may take longer.
RESTORE_SECONDS = 600.0
# The longest request line read (a long query is sent by POST), and the bytes and number of
# header fields: past them the request is refused unread.
LINE_LIMIT = 8190
HEAD_LIMIT = 64 * 1024
FIELD_LIMIT = 100
TOO_LONG_LINE = ("the request line is longer than 8190 bytes; send a long query with POST "
                 "(application/sparql-query or a form)")
TOO_LARGE_HEAD = "the request's header fields are more or longer than the service reads"
# The bytes of a head kept while it is read, to tell whether a request refused before its
# head was read whole carries credentials (the refusal then gets no CORS).
HEAD_SEEN = LINE_LIMIT + HEAD_LIMIT + 4096
# A head's end (the blank line), and its lines, each as any reader may split them.
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LINES = re.compile(rb"\r\n|\n|\r")
# A refused request's path is read this far to find its route family (prefixes are short).
FAMILY_PATH = 200
# Transfer codings read: plain chunked only (a body in another coding would be read as is).
NOT_CHUNKED = "the service reads no transfer coding but chunked; send the body as it is"
EVICTED = ("the request's head did not come whole before the service needed its connection "
           "for another client; send a request's head at once")
TOO_SLOW = f"the request's body did not come whole within {BODY_SECONDS:g} seconds"
NOT_HTTP = "the request could not be read as HTTP/1.1"
# An answer is written in pieces of this size, each once the client has taken the previous
# ones: a client that reads slowly holds the answer, not a copy of it in the loop's buffer.
PIECE = 64 * 1024
# The worker's threads running the application (a query runs on its request's thread).
THREADS = 8
# The SPARQL endpoint's paths (service/sparql.py answers both). Requests the loop may answer
# itself when they are cheap (see _loop_may_answer): queries to the endpoint whose query
# string is at most LOOP_TARGET long.
ENDPOINT_PATHS = frozenset({"/sparql", "/sparql/"})
LOOP_TARGET = 4096
# How long a worker retired by the time limit gives its answers in hand (a write waiting on
# its commit, answers still being sent) before it ends.
RETIRING_SECONDS = 60
# How long a connection turned away (service/connections.py) is given to send its request
# line, which says the format of its 503.
TURNED_AWAY_SECONDS = 1.0
# How often a stopping worker looks whether its answers in hand are all sent.
SHUTDOWN_LOOK = 0.01
# How long a stopping worker waits for the first request of a connection it has accepted
# but not yet read from: a client that connected just before the stop is answered, not reset.
# At the operator's stop a moment only: a browser's spare connection, opened in case and
# idle, would hold the stop for the whole of its graceful timeout.
FIRST_REQUEST_SECONDS = 2.0
STOP_FIRST_REQUEST_SECONDS = 0.3

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ACCESS = logging.getLogger("gunicorn.access")


class _Refused(Exception):
    """A request refused while its head is read: the error, and the target it was sent to
    (its path and query string, which say the route family and the ?format=)."""

    def __init__(self, error: ServiceError, target: bytes) -> None:
        super().__init__(f"{error.status} {error.message}")
        self.error = error
        path, mark, query = target.partition(b"?")
        self.target = (path[:FAMILY_PATH] + mark + query).decode("latin-1")


class RawSocket:
    """The client's socket, on which the memory cap writes its 503 before the process ends.

    Written from the memory cap's thread by descriptor number: once the connection is gone
    the number may already name another client's connection, so the loop forgets it first.
    """

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self._lock = threading.Lock()

    def forget(self) -> None:
        """The connection is closing: never write on its descriptor again."""
        with self._lock:
            self.descriptor = -1

    def sendall(self, data: bytes) -> None:
        with self._lock:
            if self.descriptor < 0:
                raise OSError("the client has gone")
            view = memoryview(data)
            while view:
                view = view[os.write(self.descriptor, view):]


class RequestSocket:
    """One request's way to its client's socket, for the memory cap's 503: its connection's,
    and whether the request carries credentials (the 503 then has no CORS)."""

    def __init__(self, raw: RawSocket, credentials: bool) -> None:
        self.raw = raw
        self.credentials = credentials

    def sendall(self, data: bytes) -> None:
        self.raw.sendall(data)


class _HeadFirst:
    """The connection's transport, writing an answer's head together with the first piece of
    its body (or before the connection closes, for an answer without one)."""

    def __init__(self, transport: asyncio.Transport, head: bytes) -> None:
        self.transport = transport
        self.head = head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, b""
        self.transport.write(head + data if head else data)

    def flush(self) -> None:
        if self.head:
            self.write(b"")

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _HeadHeld:
    """Takes the head uvicorn writes when an answer starts."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.head = b""

    def write(self, data: bytes) -> None:
        self.head += data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _Cycle(RequestResponseCycle):
    """uvicorn's request cycle, sending an answer's head and first piece of body in one write
    (one system call and one packet: the client reads them at once)."""

    head = b""

    async def send(self, message: Any) -> None:
        transport = self.transport
        if message["type"] == "http.response.start" and not self.response_started:
            held = _HeadHeld(transport)
            self.transport = cast(asyncio.Transport, held)
            try:
                await super().send(message)
            finally:
                self.transport = transport
            self.head = held.head
            return
        if not self.head:
            await super().send(message)
            return
        first = _HeadFirst(transport, self.head)
        self.head = b""
        self.transport = cast(asyncio.Transport, first)
        try:
            await super().send(message)
        finally:
            self.transport = transport
            first.flush()  # an answer without a body (HEAD, 304), or one that failed


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the head: its time, length and fields."""

    head_timer: asyncio.TimerHandle | None = None
    refused: _Refused | None = None
    head_bytes = 0
    raw: RawSocket | None = None
    codings: bytes = b""
    begun = 0  # requests begun on this connection
    reading = False  # a request's head or body is being read (its target is self.url)
    stopping = False
    line = b""  # the first bytes of the request being read
    in_head = False  # a request's head is being read
    # The data received since the head being read began (maybe with some before it), kept
    # up to HEAD_SEEN bytes; None when where it began is not known (after a body in the
    # same piece of data).
    head_seen: list[bytes] | None = None
    head_seen_bytes = 0

    counting: Connections | None = None  # the worker's connections, if it counts them
    counted: str | None = None  # the client the connection is counted as in them
    turned_away: ServiceError | None = None  # the 503 of a connection that does not fit

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        held = self.counting = getattr(self.app, "connections", None)
        if held is not None:
            client, refused = held.open(str((self.client or ("-",))[0]), self)
            if refused is None:
                self.counted = client
            elif held.refusing >= REFUSING:
                transport.close()  # too many being refused already: no answer
                return
            else:
                # Answered once its request comes (in its family's format), or a moment on.
                held.refusing += 1
                self.turned_away = refused
                self.head_timer = self.loop.call_later(TURNED_AWAY_SECONDS, self._turn_away)
                return
        self._time_head()

    def _turn_away(self, data: bytes = b"") -> None:
        """Answer a connection that does not fit with its 503, and close it."""
        refused, self.turned_away = self.turned_away, None
        if refused is None:
            return
        assert self.counting is not None
        self.counting.refusing -= 1
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        self.head_seen = [data]
        self.in_head = True  # what it sent is all the front knows of its head
        logging.getLogger(__name__).warning("turned away a connection from %s: %s",
                                            (self.client or ("-",))[0], refused.message)
        target = _Refused(refused, _path_of(data)).target
        self.transport.write(raw_error(refused, target, self._credentials()))
        self.transport.close()

    def evict(self) -> None:
        """Close to give this connection's place to a client holding none: at once if it has
        sent nothing since it opened or since its last answer, after a 408 if its head has
        begun (Connections.evict gave back its place)."""
        self.counted = None
        if self.transport.is_closing():
            return
        if self.reading and self.in_head:
            logging.getLogger(__name__).warning("closed a connection from %s for another "
                                                "client", (self.client or ("-",))[0])
            target = self.url or _path_of(self.line)
            error = _Refused(ServiceError(408, EVICTED), target)
            self.transport.write(raw_error(error.error, error.target, self._credentials()))
        self.transport.close()

    def _time_head(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(HEADER_SECONDS, self._too_slow)

    def _too_slow(self) -> None:
        self.head_timer = None
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counting is not None:
            if self.turned_away is not None:  # it left before its answer
                self.turned_away = None
                self.counting.refusing -= 1
            if self.counted is not None:
                self.counting.close(self.counted, self)
                self.counted = None
        if self.head_timer is not None:
            self.head_timer.cancel()
        # Called before the transport closes the descriptor, which may then be reused.
        if self.raw is not None:
            self.raw.forget()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """Stop after the request in hand, or after the first one of a connection accepted but
        not read yet (uvicorn closes it at once: its client, whose request may already be on
        the way, would see a reset)."""
        if self.cycle is None and self.begun == 0 and not self.stopping:
            self.stopping = True
            stop = getattr(self.app, "stopping", None)  # the Front: the operator's stop
            wait = STOP_FIRST_REQUEST_SECONDS if isinstance(stop, asyncio.Event) \
                and stop.is_set() else FIRST_REQUEST_SECONDS
            self.loop.call_later(wait, self._close_if_unread)
            return
        super().shutdown()

    def _close_if_unread(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return  # turned away: what comes after its answer is not read
        if self.turned_away is not None:
            self._turn_away(data)
            return
        if not self.reading:
            self.line = data[:LINE_LIMIT]  # a request begins: its line, should it not parse
            self.head_seen, self.head_seen_bytes = [data], len(data)
        elif self.in_head:
            if self.head_seen is not None and self.head_seen_bytes < HEAD_SEEN:
                self.head_seen.append(data)
                self.head_seen_bytes += len(data)
        else:
            self.head_seen = None  # a body ends in it: where a request after it begins is unknown
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.begun += 1
        self.reading = True
        self.in_head = True
        self._time_head()
        self.head_bytes = 0
        self.codings = b""
        if self.raw is None:
            socket = self.transport.get_extra_info("socket")
            if socket is not None:
                self.raw = RawSocket(socket.fileno())  # one per connection, forgotten with it
        # The memory cap's way to answer (an extra key: ASGI has none for it).
        self.scope["dmkg.socket"] = self.raw  # type: ignore[typeddict-unknown-key]

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > LINE_LIMIT:
            self.refused = _Refused(ServiceError(414, TOO_LONG_LINE), self.url)
            raise self.refused

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self.head_bytes += len(name) + len(value) + 4
        if name.lower() == b"transfer-encoding":
            # gzip, chunked: the parser would hand on the compressed body as the body.
            self.codings += b"," + value
            codings = [c.strip().lower() for c in self.codings.split(b",") if c.strip()]
            if codings and codings != [b"chunked"]:
                self.refused = _Refused(ServiceError(501, NOT_CHUNKED), self.url)
                raise self.refused
        if self.head_bytes > HEAD_LIMIT or len(self.headers) > FIELD_LIMIT:
            self.refused = _Refused(ServiceError(431, TOO_LARGE_HEAD), self.url)
            raise self.refused

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_seen = None
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        super().on_headers_complete()
        if self.counted is not None and self.counting is not None:
            self.counting.busy(self.counted, self)  # a request in hand keeps its place
        if type(self.cycle) is RequestResponseCycle:
            self.cycle.__class__ = _Cycle  # before its task first runs
        if self.stopping and self.cycle is not None:
            self.cycle.keep_alive = False  # the worker is stopping: one answer, then close

    def on_message_complete(self) -> None:
        self.reading = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.counted is not None and self.counting is not None \
                and not self.transport.is_closing() and not self.pipeline \
                and (self.cycle is None or self.cycle.response_complete):
            self.counting.idle(self.counted, self)  # waiting for its next request

    def send_400_response(self, msg: str) -> None:
        """Answer a request the head limits refused, or one the parser could not read
        (uvicorn calls this for any parser error)."""
        refused, self.refused = self.refused, None
        if refused is None:
            # Two lengths, a malformed header: the request line, when it was read, names the
            # route family; so does its path when only its method was refused (`FOO /sparql`,
            # `get /sparql`). One that names no path is answered as one to a path no family
            # names (routes.UNROUTED), as a mistyped address is.
            target = self.url if self.reading and self.url else _path_of(self.line)
            refused = _Refused(ServiceError(400, NOT_HTTP), target)
        self._refuse(refused)

    def _refuse(self, refused: _Refused) -> None:
        logging.getLogger(__name__).warning("refused a request from %s: %s",
                                            (self.client or ("-",))[0], refused)
        # In the format and with the CORS of the path's family, as the application's errors
        # (none for a request that may carry credentials).
        self.transport.write(raw_error(refused.error, refused.target, self._credentials()))
        self.transport.close()

    def _credentials(self) -> bool:
        """Tell whether the request being refused may carry credentials: a header named
        Authorization, however written (in any case, with spaces about its name, on a line
        the parser refused), or a head not read to its end, whose other fields are unknown."""
        if any(name.strip().lower() == b"authorization" for name, _ in self.headers or ()):
            return True
        if not self.in_head:
            return False  # the head was read whole: its fields are those
        if self.head_seen is None:
            return True
        seen = b"".join(self.head_seen)
        if not _HEAD_END.search(seen):
            return True
        return any(line.split(b":", 1)[0].strip().lower() == b"authorization"
                   for line in _LINES.split(seen))


def _path_of(line: bytes) -> bytes:
    """The target of a request line the parser refused (its method, say), or b"" if it names
    none."""
    parts = line.split(b"\r\n", 1)[0].split(b" ")
    return parts[1] if len(parts) == 3 and parts[1].startswith(b"/") else b""


@dataclass
class _Answer:
    """What the application answered: its status line, headers, first chunk and the rest."""

    status: str
    headers: list[tuple[str, str]]
    first: bytes
    rest: Iterator[bytes] | None
    close: Callable[[], None] = field(default=lambda: None)


def _start(app: WSGIApp, environ: dict[str, Any]) -> _Answer:
    """Call the application and read its answer: whole, or its first piece and the rest.

    Run on a request thread, which reads on while the answer is shorter than a PIECE and
    closes it when it has ended: a short answer made afresh (a werkzeug Response is an
    iterator, not a list) then costs the loop no further hand-off to a thread."""
    seen: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, headers
        return written.append

    result = app(environ, start_response)
    close = getattr(result, "close", None) or (lambda: None)
    if isinstance(result, (list, tuple)):  # already whole: no thread needed for the rest
        close()
        return _Answer(seen["status"], seen["headers"], b"".join([*written, *result]), None)
    rest = iter(result)
    size = sum(map(len, written))
    for chunk in rest:
        if chunk:
            written.append(chunk)
            size += len(chunk)
            if size >= PIECE:
                return _Answer(seen["status"], seen["headers"], b"".join(written), rest, close)
    close()
    return _Answer(seen["status"], seen["headers"], b"".join(written), None)


def _environ(scope: dict[str, Any], body: bytes | IO[bytes], length: int,
             trusted: frozenset[str]) -> dict[str, Any]:
    """The WSGI environment of a request read whole (PEP 3333, as gunicorn builds it)."""
    client = scope.get("client") or ("", 0)
    server = scope.get("server") or ("", 0)
    raw_path = scope.get("raw_path") or scope["path"].encode()
    path = raw_path.decode("latin-1")
    query = scope["query_string"].decode("latin-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1") if b"%" in raw_path else path,
        "QUERY_STRING": query,
        "RAW_URI": path + "?" + query if query else path,
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "REMOTE_ADDR": str(client[0]), "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(length) if length else "",
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": BytesIO(body) if isinstance(body, bytes) else body,
        "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.input_terminated": True,
    }
    raw = scope.get("dmkg.socket")
    environ["gunicorn.socket"] = raw and RequestSocket(raw, _credentials(scope))
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
        if key in ("CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING"):
            # The body read is the body the application gets, whole and of that length: a
            # chunked body's coding is gone (werkzeug would read on past CONTENT_LENGTH).
            continue
        text = value.decode("latin-1")
        environ[key] = environ[key] + "," + text if key in environ else text
    # X-Forwarded-Proto is believed from the configured proxies only.
    proto = environ.get("HTTP_X_FORWARDED_PROTO", "").lower()
    if proto in ("http", "https") and ("*" in trusted or environ["REMOTE_ADDR"] in trusted):
        environ["wsgi.url_scheme"] = proto
    return environ


class _Full(Exception):
    """A request refused before its body is read whole: the answer it gets."""

    def __init__(self, error: ServiceError) -> None:
        super().__init__(error.message)
        self.error = error


def _bodiless(scope: dict[str, Any]) -> bool:
    """Tell whether a request has no body: neither a length nor a transfer coding announced."""
    return not any(name in (b"content-length", b"transfer-encoding")
                   for name, _ in scope["headers"])


def _announced(scope: dict[str, Any]) -> int | None:
    return next((int(v) for n, v in scope["headers"] if n == b"content-length" and v.isdigit()),
                None)


async def _read_body(scope: dict[str, Any], receive: Receive, max_body: int | None,
                     bodies: Held) -> tuple[bytes, int, int] | None:
    """The body, its length and the bytes taken from bodies: the body whole, or none of it
    with the length read so far or announced once that is over max_body (the application
    refuses it with 413 on that length: none of it is applied); None if the client left.

    Its bytes are taken from bodies as they come (the caller gives them back); _Full when
    they do not fit."""
    announced = _announced(scope)
    if max_body is not None and announced is not None and announced > max_body:
        return b"", announced, 0  # refused on its announced length, unread
    if announced is not None and not bodies.fits(announced):
        raise _Full(bodies.refusal())  # before a `100 Continue` tells the client to send it
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                bodies.give_back(size)
                return None
            chunk = message.get("body", b"")
            if not bodies.take(len(chunk)):
                raise _Full(bodies.refusal())
            chunks.append(chunk)
            size += len(chunk)
            if max_body is not None and size > max_body:
                return b"", size, size  # never a body cut short: it would be applied so
            if not message.get("more_body"):
                return b"".join(chunks), size, size
    except BaseException:
        bodies.give_back(size)
        raise


async def _spool_body(scope: dict[str, Any], receive: Receive, max_body: int | None,
                      spooled: Held, pool: RequestThreads,
                      ) -> tuple[IO[bytes], int, int] | None:
    """A body too large to hold (a backup), written to a temporary file as it comes: the file,
    its length and the bytes taken from spooled, or none of it with the length read so far or
    announced once that is over max_body (refused with 413); None if the client left. Its
    bytes are taken from spooled as they come (the caller gives them back); _Full when they
    do not fit, which a body past max_body is never told (it could never fit)."""
    announced = _announced(scope)
    if max_body is not None and announced is not None and announced > max_body:
        return BytesIO(), announced, 0
    if announced is not None and not spooled.fits(announced):
        raise _Full(spooled.refusal())
    size = 0
    loop = asyncio.get_running_loop()
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (handed on, closed by the caller)
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                spooled.give_back(size)
                spool.close()
                return None
            chunk = message.get("body", b"")
            if max_body is not None and size + len(chunk) > max_body:
                spooled.give_back(size)
                spool.close()
                return BytesIO(), size + len(chunk), 0
            if not spooled.take(len(chunk)):
                raise _Full(spooled.refusal())
            size += len(chunk)
            await pool.submit(loop, spool.write, chunk)
            if not message.get("more_body"):
                spool.seek(0)
                return spool, size, size
    except BaseException:
        spooled.give_back(size)
        spool.close()
        raise


def _target(scope: dict[str, Any]) -> str:
    """The request's path and query string, as on its request line (its family's key)."""
    path: str = scope["path"]
    query = scope["query_string"].decode("latin-1")
    return path + (f"?{query}" if query else "")


async def _send_error(send: Send, error: ServiceError, scope: dict[str, Any],
                      environ: dict[str, Any] | None = None) -> None:
    """Answer with an error in its family's format (in the reader's language once its
    environ is made), without reading the body: and close. No CORS for a request with
    credentials, as every answer."""
    status, headers, body = edge_error(error, _target(scope), environ, _credentials(scope))
    await send({"type": "http.response.start", "status": int(status[:3]), "headers": [
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _credentials(scope: dict[str, Any]) -> bool:
    """Tell whether a request read whole carries credentials: an Authorization header, even
    an empty one."""
    return any(name == b"authorization" for name, _ in scope["headers"])


def _loop_may_answer(scope: dict[str, Any]) -> bool:
    """Tell whether the loop may try to answer a request itself: a query sent by GET to the
    SPARQL endpoint, short enough to be read at once (the endpoint says whether it is
    cheap, service/answers.py)."""
    return (scope["method"] == "GET" and scope["path"] in ENDPOINT_PATHS
            and len(scope["query_string"]) <= LOOP_TARGET and b"query=" in scope["query_string"])
# A write refused on its head is answered at once, and the body its client is still sending
# is read and thrown away (not held) up to this many bytes and for BODY_SECONDS: the client
# then reads the refusal, where closing on a body still coming would reset the connection.
DISCARDED = 64 << 20


async def _refuse_discarding(send: Send, receive: Receive, error: ServiceError,
                             target: str, announced: int | None, credentials: bool) -> None:
    """Answer a request refused on its head, then discard its body as it comes; close."""
    status, headers, body = edge_error(error, target, credentials=credentials)
    await send({"type": "http.response.start", "status": int(status[:3]), "headers": [
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body, "more_body": True})
    if announced is None or announced <= DISCARDED:
        left = DISCARDED
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(BODY_SECONDS):
                while left > 0:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        break
                    left -= len(message.get("body", b""))
                    if not message.get("more_body"):
                        break
    await send({"type": "http.response.body", "body": b""})


def _proxied(address: str, forwarded: str, trusted: frozenset[str], hops: int) -> str:
    """The client a request is counted as (service/limits.py client_key): the address a
    configured proxy names, else the connection's."""
    if hops and address in trusted:
        named = [a.strip() for a in forwarded.split(",")]
        if len(named) >= hops and named[-hops]:
            return client_key(named[-hops])
    return client_key(address)


def _header(scope: dict[str, Any], name: bytes) -> str:
    return b",".join(v for n, v in scope["headers"] if n == name).decode("latin-1")


def _writes(scope: dict[str, Any]) -> bool:
    """Tell whether a request is a write, which needs a token (read from its head alone).

    A form sent to /sparql may hold a query (anonymous) or an update: one that carries a
    bearer token is taken for a write, since only writes use one.
    """
    media = _header(scope, b"content-type").split(";")[0].strip().lower()
    return (family(scope["path"]).needs_token(scope["method"])
            or media == "application/sparql-update"
            or (scope["path"] in ENDPOINT_PATHS and media == "application/x-www-form-urlencoded"
                and _header(scope, b"authorization").lower().startswith("bearer")))


class Front:
    """ASGI: read each request whole, then answer it from the kept answers or on a thread.

    Request bodies being read, and answers being written, are held within a total per worker
    each (see service/budget.py).
    """

    def __init__(self, app: WSGIApp, kept: Any, max_body: int | None,
                 trusted: frozenset[str], bodies: SharedBudget | None = None,
                 answers: Budget | None = None, writes: Writes | None = None,
                 max_restore: int = 0, admission: Admission | None = None,
                 runner: DeadlineRunner | None = None, proxy_hops: int = 0,
                 loop_answers: bool = False, connections: Connections | None = None) -> None:
        self.app = app
        # The application tells work it cannot bound from work it can (OnThread): the loop
        # may try a query itself.
        self.loop_answers = loop_answers
        self.kept = kept
        self.max_body = max_body
        self.trusted = trusted
        self.bodies = bodies or SharedBudget(0, BODIES_FULL)
        self.answers = answers or Budget(0, ANSWERS_FULL)
        self.writes = writes
        # Backups are written to temporary files, as many bytes at once as one may hold.
        self.max_restore = max_restore or max_body  # None: no limit
        self.spooled = Budget(self.max_restore or 0, RESTORES_FULL)
        self.threads = RequestThreads(THREADS)
        # The time limits of the work on the request threads, kept by the loop; past one the
        # process retires (runner.retire) and gunicorn replaces it.
        self.watches = Watches(runner.retire if runner is not None else lambda: None)
        # Each client within its limits, all within the threads (service/admission.py).
        self.admission = admission or Admission(None, THREADS)
        self.proxy_hops = proxy_hops
        # The connections open, each client within its share (read by the Protocol).
        self.connections = connections
        # Set when the operator stops the service: writes in hand are cut (write_stop.py),
        # reads on the threads READ_SECONDS later.
        self.stopping = asyncio.Event()
        self.reads: set[asyncio.Future[_Answer]] = set()
        self.stopped_at: float | None = None  # when (time.monotonic()) the stop came
        self.loop: asyncio.AbstractEventLoop | None = None

    def stop(self) -> None:
        """The operator stops the service: no write commits from now on, the writes in hand
        are answered and the store's flush begins (called from the signal handler; the work
        is done on the loop, at once)."""
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._stop)

    def _stop(self) -> None:
        if self.writes is not None:
            self.writes.stopped.set()
            begin_flush(self.writes)
        self.stopping.set()
        asyncio.get_running_loop().call_later(READ_SECONDS, self._cut_reads)

    def _cut_reads(self) -> None:
        """Answer the reads still in hand on the threads: the worker ends before they do."""
        stopped = Cut(ServiceError(503, READ_STOPPED, [("Retry-After", "5")]))
        for future in self.reads:
            if not future.done():
                future.set_exception(stopped)

    def _refused_unread(self, scope: dict[str, Any], restore: bool) -> ServiceError | None:
        """The answer a write without a valid token gets before its body is read (a request
        known from its head to be a write)."""
        if restore and self.writes is None:
            return WriteRefused(403, "writes are not enabled on this service")
        if self.writes is not None and _writes(scope):
            try:
                self.writes.name_of(_header(scope, b"authorization"))
            except WriteRefused as refusal:
                return refusal
        return None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        started = time.time()
        restore = scope["method"] in family(scope["path"]).spooled
        refused = self._refused_unread(scope, restore)
        if refused is not None:
            if _bodiless(scope) or "100-continue" in _header(scope, b"expect").lower():
                await _send_error(send, refused, scope)
            else:
                await _refuse_discarding(send, receive, refused, _target(scope),
                                         _announced(scope), _credentials(scope))
            return
        budget: Held = self.spooled if restore else self.bodies.account(
            self._address(scope), not _bodiless(scope) and self._valid_token(scope))
        read: tuple[bytes | IO[bytes], int, int] | None
        try:
            if not restore and _bodiless(scope):
                # Read whole with its head already (no body follows): no time limit to set.
                read = await _read_body(scope, receive, self.max_body, budget)
            elif restore:
                async with asyncio.timeout(RESTORE_SECONDS):
                    read = await _spool_body(scope, receive, self.max_restore, budget,
                                             self.threads)
            else:
                async with asyncio.timeout(BODY_SECONDS):
                    read = await _read_body(scope, receive, self.max_body, budget)
        except TimeoutError:
            await _send_error(send, ServiceError(408, TOO_SLOW), scope)
            return
        except _Full as full:
            await _send_error(send, full.error, scope)
            return
        if read is None:
            return  # the client left
        read_at = time.monotonic()  # the request's time limit counts from here
        body, length, taken = read
        try:
            await self._answer(scope, body, length, send, started, read_at)
        finally:
            budget.give_back(taken)
            if not isinstance(body, bytes):
                body.close()

    def _client(self, environ: dict[str, Any]) -> str | None:
        """The client a request is counted for, as the application sees it (the address a
        configured proxy names); None in the families the client limits do not apply to."""
        if not family(environ.get("PATH_INFO") or "/").limited:
            return None
        return _proxied(environ.get("REMOTE_ADDR") or "-",
                        environ.get("HTTP_X_FORWARDED_FOR", ""), self.trusted, self.proxy_hops)

    def _address(self, scope: dict[str, Any]) -> str:
        """The client a request's body is counted for: the address admission counts."""
        return _proxied(str((scope.get("client") or ("-",))[0]),
                        _header(scope, b"x-forwarded-for"), self.trusted, self.proxy_hops)

    def _valid_token(self, scope: dict[str, Any]) -> bool:
        """Tell whether a request carries a valid write token, read from its head."""
        return self._contributor(_header(scope, b"authorization"))

    def _writer(self, environ: dict[str, Any]) -> bool:
        """Tell whether a request carries a valid write token (a contributor's)."""
        return self._contributor(environ.get("HTTP_AUTHORIZATION", ""))

    def _contributor(self, header: str) -> bool:
        """Tell whether an Authorization header holds a valid write token."""
        if self.writes is None or not header:
            return False
        try:
            self.writes.name_of(header)
        except WriteRefused:
            return False
        return True

    def _environ(self, scope: dict[str, Any], body: bytes | IO[bytes], length: int,
                 read_at: float, counted: bool) -> dict[str, Any]:
        environ = _environ(scope, body, length, self.trusted)
        environ[READ_AT] = read_at
        if counted:
            environ[ADMITTED] = True
        return environ

    async def _answer(self, scope: dict[str, Any], body: bytes | IO[bytes], length: int,
                      send: Send, started: float, read_at: float) -> None:
        environ = self._environ(scope, body, length, read_at, False)
        client = self._client(environ)
        if client is not None:
            refused = self.admission.enter(client)
            if refused is not None:
                await self._refuse(send, scope, environ, refused, started)
                return
            environ[ADMITTED] = True
        loop = asyncio.get_running_loop()
        answer = None
        kept = False
        try:
            if self.kept.holds(environ):
                answer = self._kept(environ)
                kept = answer is not None
                if answer is None:  # gone since: the layers it crossed may have changed environ
                    environ = self._environ(scope, body, length, read_at, client is not None)
            if answer is None and self.loop_answers and _loop_may_answer(scope):
                answer = self._on_loop(environ, loop)
                if answer is None:  # it needs a thread; the layers crossed may have changed
                    environ = self._environ(scope, body, length, read_at, client is not None)
            if answer is None:
                answer = await self._fresh(scope, environ, client, send, started, loop)
                if answer is None:
                    return  # refused
            # An answer made afresh is held by this worker until it is written; a kept one
            # is held by the kept answers (RESPONSE_CACHE_MB).
            size = 0 if kept else len(answer.first)
        finally:
            if client is not None:
                self.admission.leave(client)
        # An answer of one piece is written at once; a longer one is held until it is read,
        # and only if it fits beside the others held (else the client is told to retry).
        if size > PIECE and not self.answers.take(size):
            await self.threads.submit(loop, answer.close)
            status = self.answers.refusal()
            answer = None  # let go of it now: it is what did not fit
            await self._refuse(send, scope, environ, status, started)
            return
        try:
            sent = await self._send(answer, send, loop)
        finally:
            if size > PIECE:
                self.answers.give_back(size)
        if ACCESS.handlers:
            ACCESS.info(_combined(environ, answer.status, sent, started))

    async def _fresh(self, scope: dict[str, Any], environ: dict[str, Any], client: str | None,
                     send: Send, started: float, loop: asyncio.AbstractEventLoop
                     ) -> _Answer | None:
        """The application's answer made on a thread, once the request has a place on one
        (writes with a token need none); None when it was refused and answered so."""
        placing = client is not None and not self._writer(environ)
        error = await self.admission.place(client) if placing and client is not None else None
        if error is None:
            write = self.writes is not None and _writes(scope) and scope["method"] != "GET"
            try:
                found = await self._on_thread(environ, loop, write)
                if not isinstance(found, ServiceError):
                    return found
                error = found  # a write cut by the stop
            except Cut as cut_off:  # its time limit passed: the process retires
                error = service_error(cut_off.error) or ServiceError(503, str(cut_off.error))
            except asyncio.CancelledError:
                # The stop's time for answers in hand is over: a clear answer, not a bare 500.
                error = cut(environ, self.writes) if write and self.writes is not None \
                    else ServiceError(503, READ_STOPPED, [("Retry-After", "5")])
            finally:
                if placing and client is not None:
                    self.admission.vacate(client)
        await self._refuse(send, scope, environ, error, started)
        return None

    async def _refuse(self, send: Send, scope: dict[str, Any], environ: dict[str, Any],
                      error: ServiceError, started: float) -> None:
        await _send_error(send, error, scope, environ)
        if ACCESS.handlers:
            ACCESS.info(_combined(environ, str(error.status), 0, started))

    async def _on_thread(self, environ: dict[str, Any], loop: asyncio.AbstractEventLoop,
                         write: bool = False) -> _Answer | ServiceError:
        """The application's answer, made on a request thread whose time limit the loop keeps
        (raises Cut when the loop answered at the deadline); for a write cut by the operator's
        stop, its client's 503 (service/write_stop.py)."""
        future: asyncio.Future[_Answer] = loop.create_future()
        watch = environ[WATCH] = self.watches.watch(loop, future)
        self.threads.submit(loop, _start, self.app, environ, future=future, discard=_let_go)
        try:
            if write and self.writes is not None:
                return await answer_or_cut(future, environ, self.writes, self.stopping)
            self.reads.add(future)
            return await future
        finally:
            self.reads.discard(future)
            self.watches.forget(watch)

    def _on_loop(self, environ: dict[str, Any], loop: asyncio.AbstractEventLoop
                 ) -> _Answer | None:
        """The answer made by the loop itself, to a query known to read few triples (no
        hand-off to a thread and back: each costs more than such a query); None when it
        needs a thread (service/request_threads.py, OnThread)."""
        environ[ON_LOOP] = True
        # Bounded work, which no deadline can be past: the watch is only looked at by it.
        environ[WATCH] = Watch(loop.create_future())
        try:
            return _start(self.app, environ)
        except OnThread:
            return None

    def _kept(self, environ: dict[str, Any]) -> _Answer | None:
        """The answer kept from before, written by the loop; None if it is gone since."""
        environ[KEPT_ONLY] = True
        try:
            return _start(self.app, environ)
        except NotKept:
            return None

    async def _send(self, answer: _Answer, send: Send, loop: asyncio.AbstractEventLoop) -> int:
        """Send the answer, reading the rest of its body on a thread; return its length."""
        await send({"type": "http.response.start", "status": int(answer.status[:3]),
                    "headers": [_encoded(header) for header in answer.headers]})
        await _pieces(send, answer.first, more=answer.rest is not None)
        sent = len(answer.first)
        if answer.rest is None:
            return sent
        try:
            while (chunk := await self.threads.submit(loop, next, answer.rest, None)) is not None:
                sent += len(chunk)
                self.answers.force(len(chunk))
                try:
                    await _pieces(send, chunk, more=True)
                finally:
                    self.answers.give_back(len(chunk))
            await send({"type": "http.response.body", "body": b""})
        finally:
            await self.threads.submit(loop, answer.close)
        return sent


# Response headers as written (kept answers send the same ones again and again), up to
# this many (then forgotten and encoded again).
ENCODED_HELD = 4096
_ENCODED: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def _encoded(header: tuple[str, str]) -> tuple[bytes, bytes]:
    """A response header as uvicorn writes it: its name in small letters, in bytes."""
    done = _ENCODED.get(header)
    if done is None:
        if len(_ENCODED) >= ENCODED_HELD:
            _ENCODED.clear()
        name, value = header
        done = _ENCODED[header] = (name.lower().encode("latin-1"), value.encode("latin-1"))
    return done


async def _pieces(send: Send, body: bytes, more: bool) -> None:
    """Write body in pieces; each waits until the client has taken enough of the previous
    ones (the server's send waits while the connection's buffer is full)."""
    for start in range(0, max(len(body) - PIECE, 0), PIECE):
        await send({"type": "http.response.body", "body": body[start:start + PIECE],
                    "more_body": True})
    last = (len(body) - 1) // PIECE * PIECE if body else 0
    await send({"type": "http.response.body", "body": body[last:], "more_body": more})


def _let_go(answer: _Answer) -> None:
    """Close an answer made too late: the loop answered its request at the deadline."""
    answer.close()


def _combined(environ: dict[str, Any], status: str, sent: int, started: float) -> str:
    """One request in the Combined Log Format."""
    when = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(started))
    line = f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
    return (f'{environ["REMOTE_ADDR"]} - - [{when}] "{line}" {status[:3]} {sent or "-"} '
            f'"{environ.get("HTTP_REFERER", "-")}" "{environ.get("HTTP_USER_AGENT", "-")}"')


class _Server(Server):
    """uvicorn's server, telling the front at once when the operator stops it (SIGTERM), and
    stopping as soon as its answers in hand are sent (uvicorn looks every 0.1 s, and sleeps
    0.1 s more before it looks: a stop of a few tenths spent waiting)."""

    def __init__(self, config: Config, front: Front) -> None:
        super().__init__(config)
        self.front = front
        self.exiting: asyncio.Event | None = None

    async def serve(self, sockets: list[Any] | None = None) -> None:
        self.front.loop = asyncio.get_running_loop()
        self.exiting = asyncio.Event()
        await super().serve(sockets)

    async def main_loop(self) -> None:
        """Tick as uvicorn does (its date header, gunicorn's notice), and end at the stop."""
        ticks = 0
        while not await self.on_tick(ticks):
            ticks = (ticks + 1) % 864000
            if self.exiting is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.exiting.wait(), 0.1)
            else:
                await asyncio.sleep(0.1)

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        """Stop accepting, close idle connections, give the answers in hand until the
        graceful timeout, then cancel what is left (uvicorn's steps, without its sleeps)."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        state = self.server_state
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                while (state.connections or state.tasks) and not self.force_exit:
                    await asyncio.sleep(SHUTDOWN_LOOK)
                for server in self.servers:
                    await server.wait_closed()
        except TimeoutError:
            for task in state.tasks:
                task.cancel(msg="the stop's time for answers in hand is over")

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        self.front.stop()
        if self.front.loop is not None and self.exiting is not None:
            self.front.loop.call_soon_threadsafe(self.exiting.set)


class AsyncWorker(Worker):  # type: ignore[misc]
    """A gunicorn worker serving the application through uvicorn's server (see Front)."""

    async def _notify(self) -> None:
        self.notify()  # tells the master the worker is alive (gunicorn's timeout)

    def run(self) -> None:
        from service.services import KEY  # the worker's application is built by now

        return_large_allocations()
        found = self.wsgi.extensions[KEY]
        error_log = logging.getLogger("uvicorn.error")
        error_log.handlers = self.log.error_log.handlers
        error_log.setLevel(logging.WARNING)
        error_log.propagate = False
        settings = found.settings
        front = Front(self.wsgi, found.kept, self.wsgi.config["MAX_CONTENT_LENGTH"],
                      settings.trusted_proxies,
                      bodies=SharedBudget(settings.request_buffer_mb << 20, BODIES_FULL),
                      answers=Budget(settings.query_memory_mb << 20, ANSWERS_FULL),
                      writes=found.writes, max_restore=settings.max_restore_bytes,
                      admission=Admission(found.limiter, THREADS), runner=found.runner,
                      proxy_hops=settings.proxy_hops, loop_answers=True,
                      connections=Connections(descriptors_total(), settings.trusted_proxies))
        config = Config(front, http=Protocol, lifespan="off", log_config=None, access_log=False,
                        server_header=False, proxy_headers=False,
                        timeout_keep_alive=self.cfg.keepalive, timeout_notify=self.timeout,
                        callback_notify=self._notify,
                        # SIGTERM: the operator's stop, in under 2 s.
                        timeout_graceful_shutdown=1)
        server = _Server(config, front)

        def retire() -> None:
            # A worker retired by the time limit sends the answers in hand first: a write
            # waiting on its commit answers what became of it rather than being cut off.
            config.timeout_graceful_shutdown = RETIRING_SECONDS
            server.should_exit = True
            # Stop accepting at once, before the answer that retired it is sent, not at the
            # loop's next tick (0.1 s on): a connection taken meanwhile would be closed
            # unanswered, while the listening socket's queue waits for the successor.
            for listening in server.servers:
                listening.get_loop().call_soon_threadsafe(listening.close)

        # The application's time limit may retire this process: gunicorn replaces it.
        found.runner.served_by_replacing_server()
        found.runner.stop_serving = retire
        self.front = front  # its stop's times, which the worker's exit reports
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(server.serve(sockets=self.sockets))
        self.answered_at = time.monotonic()
