"""gunicorn's threaded worker, reading each whole request before a thread sees it.

gunicorn's own threads read the request themselves, blocking: a client sending its headers a
line a second holds a thread for as long as it likes, and a few such clients hold them all.
Here the worker's event loop reads every request, headers and body, without blocking, within
time limits; only a complete request is handed to a thread, which then never waits on the
client. A connection too slow is closed.
"""

from __future__ import annotations

import contextlib
import errno
import re
import selectors
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn.http.errors import LimitRequestLine
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker

# The answer to a request line over gunicorn's limit (a long query sent by GET).
TOO_LONG_LINE = (b"414 URI Too Long: the request line is longer than 8190 bytes; send a long "
                 b"query with POST (application/sparql-query or a form)\n")

# Seconds a client has to send its request line and headers, then its body.
HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
# Longest head read before handing over (gunicorn refuses longer ones itself).
HEAD_LIMIT = 64 * 1024
_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)", re.IGNORECASE)
_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding[ \t]*:[^\r\n]*chunked", re.IGNORECASE)


@dataclass
class _Reading:
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    head_done: bool = False
    total: int | None = None  # the bytes of the whole request, once its head tells


def _announced_total(data: bytes) -> int | None:
    """The length of a request whose head announces its body's length (not chunked)."""
    end = data.find(b"\r\n\r\n")
    head = b"\r\n" + data[:end]
    length = _LENGTH.search(head)
    if end < 0 or length is None or _CHUNKED.search(head):
        return None
    return end + 4 + int(length.group(1))


def _chunks_complete(body: bytes) -> bool:
    """Tell whether a chunked body is whole (or malformed: the parser will say so)."""
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            return False
        try:
            size = int(body[position:line_end].split(b";")[0].strip(), 16)
        except ValueError:
            return True
        if size == 0:
            return body.startswith(b"\r\n", line_end + 2) or \
                body.find(b"\r\n\r\n", line_end) >= 0
        position = line_end + 2 + size + 2
        if position > len(body):
            return False


def request_complete(data: bytes, max_body: int | None) -> bool | None:
    """Whether data holds a whole request; None while its head is still incomplete."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return True if len(data) > HEAD_LIMIT else None
    head, body = b"\r\n" + data[:end], data[end + 4:]
    if _CHUNKED.search(head):
        return _chunks_complete(body)
    length = _LENGTH.search(head)
    if length is None:
        return True
    wanted = int(length.group(1))
    # A body over the limit is refused (413) on its announced length, unread.
    return len(body) >= wanted or (max_body is not None and wanted > max_body)


class BufferedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker whose threads receive whole requests only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict[Any, _Reading] = {}
        self.busy = 0

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Answer a request line too long in plain text, readable by a page of any origin."""
        if not isinstance(exc, LimitRequestLine):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
        body = TOO_LONG_LINE
        head = ("HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "X-Content-Type-Options: nosniff\r\nAccess-Control-Allow-Origin: *\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        with contextlib.suppress(OSError):
            write_nonblock(client, head + body)

    def _max_body(self) -> int | None:
        config = getattr(self.wsgi, "config", None) or {}
        limit = config.get("MAX_CONTENT_LENGTH")
        return int(limit) if limit else None

    def enqueue_req(self, conn: Any) -> None:
        """Read conn's next request in the event loop; hand it to a thread once whole."""
        reading = _Reading(time.monotonic() + HEADER_SECONDS)
        if conn.parser is not None:
            reading.data += conn.parser.unreader.take_buffered()  # read ahead last time
        conn.sock.setblocking(False)
        self.reading[conn] = reading
        if self._whole(conn, reading):
            self._hand_over(conn, reading)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 partial(self._on_bytes, conn))

    def _on_bytes(self, conn: Any, _sock: Any) -> None:
        reading = self.reading.get(conn)
        if reading is None:
            return
        while True:
            try:
                chunk = conn.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                self._drop(conn)
                return
            if not chunk:
                self._drop(conn)
                return
            reading.data += chunk
            if len(chunk) < 65536:
                break
        if self._whole(conn, reading):
            self.poller.unregister(conn.sock)
            self._hand_over(conn, reading)

    def _whole(self, conn: Any, reading: _Reading) -> bool:
        """Tell whether the request read so far is whole; start the body's clock."""
        if reading.total is not None:
            return len(reading.data) >= reading.total
        complete = request_complete(bytes(reading.data), self._max_body())
        if complete is None:
            return False
        if not complete and not reading.head_done:
            reading.head_done = True
            reading.deadline = time.monotonic() + BODY_SECONDS
            reading.total = _announced_total(bytes(reading.data))
            if _CONTINUE.search(b"\r\n" + bytes(reading.data[:reading.data.find(b"\r\n\r\n")])):
                # The client waits for this before it sends the body.
                with contextlib.suppress(OSError):
                    conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        return bool(complete)

    def _hand_over(self, conn: Any, reading: _Reading) -> None:
        del self.reading[conn]
        conn.init()
        conn.parser.unreader.unread(bytes(reading.data))
        conn.data_ready = True
        self.busy += 1
        self._accept_if_free()
        super().enqueue_req(conn)

    def _drop(self, conn: Any) -> None:
        self.reading.pop(conn, None)
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.busy -= 1
        self._accept_if_free()
        super().finish_request(conn, fs)

    def murder_keepalived(self, force: bool = False) -> None:
        """Close kept-alive connections past their time, and clients too slow to send."""
        super().murder_keepalived(force)
        now = time.monotonic()
        for conn, reading in list(self.reading.items()):
            if force or reading.deadline < now:
                self._drop(conn)

    def _accept_if_free(self) -> None:
        """Accept new connections only while a thread is free and the connections allow."""
        # The event loop only asks again when the connection count crosses its limit.
        self.set_accept_enabled(self.nr_conns < self.worker_connections)

    def set_accept_enabled(self, enabled: bool) -> None:
        # With every thread busy, leave new connections to the other workers.
        super().set_accept_enabled(enabled and self.busy < self.cfg.threads)
