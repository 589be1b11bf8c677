"""The HTTP front in process: which answers take a thread, and how a body is sent."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from service.front import Front
from service.response_cache import ResponseCache

SCOPE = {"type": "http", "method": "GET", "path": "/sparql", "raw_path": b"/sparql",
         "query_string": b"query=ASK%7B%7D", "http_version": "1.1", "scheme": "http",
         "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5555),
         "headers": [(b"host", b"x"), (b"accept", b"application/sparql-results+json")]}


class CountingPool(ThreadPoolExecutor):
    """A thread pool that counts the work handed to it."""

    def __init__(self) -> None:
        super().__init__(1)
        self.jobs = 0

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        self.jobs += 1
        return super().submit(*args, **kwargs)


def _serve_once(front: Front) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(front(dict(SCOPE), receive, send))
    return sent


def test_a_kept_answer_is_written_by_the_loop_and_a_whole_body_in_one_piece() -> None:
    threads: list[threading.Thread] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        threads.append(threading.current_thread())
        start_response("200 OK", [("Content-Type", "application/sparql-results+json")])
        return [b'{"boolean": ', b"true}"]

    kept = ResponseCache(app, 1 << 20)
    front = Front(kept, kept, None, frozenset())
    pool = front.pool = CountingPool()
    first = _serve_once(front)
    # Made afresh on a thread, in one hop: the body was whole when the application returned.
    assert pool.jobs == 1 and threads[0] is not threading.main_thread()
    assert [m.get("more_body", False) for m in first[1:]] == [False]
    again = _serve_once(front)
    assert pool.jobs == 1 and len(threads) == 1  # the loop wrote the kept answer itself
    assert again[1]["body"] == first[1]["body"] == b'{"boolean": true}'
    assert (b"dmkg-cache", b"hit") in again[0]["headers"]
