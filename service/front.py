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
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes

import uvloop
from gunicorn.workers.base import Worker
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import Server

from service.errors import ServiceError, raw_error
from service.limits import READ_AT
from service.response_cache import KEPT_ONLY, NotKept
from service.routes import WSGIApp

# Seconds a client has to send its request line and headers, then its body.
HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
# The longest request line read (a long query is sent by POST), and the bytes and number of
# header fields: past them the request is refused unread.
LINE_LIMIT = 8190
HEAD_LIMIT = 64 * 1024
FIELD_LIMIT = 100
TOO_LONG_LINE = ("the request line is longer than 8190 bytes; send a long query with POST "
                 "(application/sparql-query or a form)")
TOO_LARGE_HEAD = "the request's header fields are more or longer than the service reads"
# A refused request's path is read this far to find its route family (prefixes are short).
FAMILY_PATH = 200
# The worker's threads running the application (a query waits on its own helper thread).
THREADS = 8
# How long a worker retired by the time limit gives its answers in hand (a write waiting on
# its commit, answers still being sent) before it ends.
RETIRING_SECONDS = 60
# How long a stopping worker waits for the first request of a connection it has accepted
# but not yet read from: a client that connected just before the stop is answered, not reset.
FIRST_REQUEST_SECONDS = 2.0

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


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the head: its time, length and fields."""

    head_timer: asyncio.TimerHandle | None = None
    refused: _Refused | None = None
    head_bytes = 0
    raw: RawSocket | None = None
    begun = 0  # requests begun on this connection
    stopping = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._time_head()

    def _time_head(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(HEADER_SECONDS, self._too_slow)

    def _too_slow(self) -> None:
        self.head_timer = None
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
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
            self.loop.call_later(FIRST_REQUEST_SECONDS, self._close_if_unread)
            return
        super().shutdown()

    def _close_if_unread(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.begun += 1
        self._time_head()
        self.head_bytes = 0
        socket = self.transport.get_extra_info("socket")
        if self.raw is None and socket is not None:
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
        if self.head_bytes > HEAD_LIMIT or len(self.headers) > FIELD_LIMIT:
            self.refused = _Refused(ServiceError(431, TOO_LARGE_HEAD), self.url)
            raise self.refused

    def on_headers_complete(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        super().on_headers_complete()
        if self.stopping and self.cycle is not None:
            self.cycle.keep_alive = False  # the worker is stopping: one answer, then close

    def send_400_response(self, msg: str) -> None:
        """Answer a request the head limits refused (uvicorn calls this for any parser error)."""
        if self.refused is None:
            super().send_400_response(msg)
            return
        refused, self.refused = self.refused, None
        self._refuse(refused)

    def _refuse(self, refused: _Refused) -> None:
        logging.getLogger(__name__).warning("refused a request from %s: %s",
                                            (self.client or ("-",))[0], refused)
        # In the format and with the CORS of the path's family, as the application's errors.
        self.transport.write(raw_error(refused.error, refused.target))
        self.transport.close()


@dataclass
class _Answer:
    """What the application answered: its status line, headers, first chunk and the rest."""

    status: str
    headers: list[tuple[str, str]]
    first: bytes
    rest: Iterator[bytes] | None
    close: Callable[[], None] = field(default=lambda: None)


def _start(app: WSGIApp, environ: dict[str, Any]) -> _Answer:
    """Call the application and read its answer up to the first chunk of the body."""
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
    for chunk in rest:
        if chunk:
            written.append(chunk)
            break
    else:
        close()
        return _Answer(seen["status"], seen["headers"], b"".join(written), None)
    return _Answer(seen["status"], seen["headers"], b"".join(written), rest, close)


def _environ(scope: dict[str, Any], body: bytes, length: int,
             trusted: frozenset[str]) -> dict[str, Any]:
    """The WSGI environment of a request read whole (PEP 3333, as gunicorn builds it)."""
    client = scope.get("client") or ("", 0)
    server = scope.get("server") or ("", 0)
    raw_path = scope.get("raw_path") or scope["path"].encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "RAW_URI": raw_path.decode("latin-1") + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""),
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "REMOTE_ADDR": str(client[0]), "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(length) if length else "",
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.input_terminated": True,
        "gunicorn.socket": scope.get("dmkg.socket"),
    }
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
        if key == "CONTENT_LENGTH":
            continue  # the body read is the body the application gets
        text = value.decode("latin-1")
        environ[key] = environ[key] + "," + text if key in environ else text
    # X-Forwarded-Proto is believed from the configured proxies only.
    proto = environ.get("HTTP_X_FORWARDED_PROTO", "").lower()
    if proto in ("http", "https") and ("*" in trusted or environ["REMOTE_ADDR"] in trusted):
        environ["wsgi.url_scheme"] = proto
    return environ


async def _read_body(scope: dict[str, Any], receive: Receive,
                     max_body: int | None) -> tuple[bytes, int] | None:
    """The body and its length: whole, or as much as shows it is over max_body, or unread
    with its announced length when that is over; None if the client left."""
    announced = next((int(v) for n, v in scope["headers"]
                      if n == b"content-length" and v.isdigit()), None)
    if max_body is not None and announced is not None and announced > max_body:
        return b"", announced  # refused on its announced length, unread
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body") or (max_body is not None and size > max_body):
            return b"".join(chunks), size


async def _send_whole(send: Send, status: int, text: bytes) -> None:
    """Answer in plain text and close the connection."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
        (b"content-length", str(len(text)).encode())]})
    await send({"type": "http.response.body", "body": text})


class Front:
    """ASGI: read each request whole, then answer it from the kept answers or on a thread."""

    def __init__(self, app: WSGIApp, kept: Any, max_body: int | None,
                 trusted: frozenset[str]) -> None:
        self.app = app
        self.kept = kept
        self.max_body = max_body
        self.trusted = trusted
        self.pool = ThreadPoolExecutor(THREADS, thread_name_prefix="request")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        started = time.time()
        try:
            async with asyncio.timeout(BODY_SECONDS):
                read = await _read_body(scope, receive, self.max_body)
        except TimeoutError:
            await _send_whole(send, 408, b"408 Request Timeout: the body came too slowly\n")
            return
        if read is None:
            return  # the client left
        read_at = time.monotonic()  # the request's time limit counts from here
        environ = _environ(scope, *read, self.trusted)
        answer = None
        if self.kept.holds(environ):
            answer = self._kept(environ)
            if answer is None:  # gone since: the layers it crossed may have changed environ
                environ = _environ(scope, *read, self.trusted)
        environ[READ_AT] = read_at
        loop = asyncio.get_running_loop()
        if answer is None:
            answer = await loop.run_in_executor(self.pool, _start, self.app, environ)
        sent = await self._send(answer, send, loop)
        if ACCESS.handlers:
            ACCESS.info(_combined(environ, answer.status, sent, started))

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
                    "headers": [(name.lower().encode("latin-1"), value.encode("latin-1"))
                                for name, value in answer.headers]})
        await send({"type": "http.response.body", "body": answer.first,
                    "more_body": answer.rest is not None})
        sent = len(answer.first)
        if answer.rest is None:
            return sent
        try:
            while (chunk := await loop.run_in_executor(self.pool, next, answer.rest, None)) \
                    is not None:
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await loop.run_in_executor(self.pool, answer.close)
        return sent


def _combined(environ: dict[str, Any], status: str, sent: int, started: float) -> str:
    """One request in the Combined Log Format."""
    when = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(started))
    line = f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
    return (f'{environ["REMOTE_ADDR"]} - - [{when}] "{line}" {status[:3]} {sent or "-"} '
            f'"{environ.get("HTTP_REFERER", "-")}" "{environ.get("HTTP_USER_AGENT", "-")}"')


class AsyncWorker(Worker):  # type: ignore[misc]
    """A gunicorn worker serving the application through uvicorn's server (see Front)."""

    async def _notify(self) -> None:
        self.notify()  # tells the master the worker is alive (gunicorn's timeout)

    def run(self) -> None:
        from service.services import KEY  # the worker's application is built by now

        found = self.wsgi.extensions[KEY]
        error_log = logging.getLogger("uvicorn.error")
        error_log.handlers = self.log.error_log.handlers
        error_log.setLevel(logging.WARNING)
        error_log.propagate = False
        front = Front(self.wsgi, found.kept, self.wsgi.config["MAX_CONTENT_LENGTH"],
                      found.settings.trusted_proxies)
        config = Config(front, http=Protocol, lifespan="off", log_config=None, access_log=False,
                        server_header=False, proxy_headers=False,
                        timeout_keep_alive=self.cfg.keepalive, timeout_notify=self.timeout,
                        callback_notify=self._notify,
                        # SIGTERM: the operator's stop, in under 2 s.
                        timeout_graceful_shutdown=1)
        server = Server(config)

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
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(server.serve(sockets=self.sockets))
