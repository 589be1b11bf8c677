"""Which requests a worker takes on: each client within its limits, all within its threads.

A worker's event loop (service/front.py) admits each request of the families the client
limits apply to (service/routes.py) before it answers it:

- the client's rate and the requests it has in hand, waiting or answered (RATE_LIMIT,
  CONCURRENCY_LIMIT), are counted here only, in the ClientLimiter; past them, 429;
- a request that needs a thread (not an answer kept from before, which the loop writes) takes
  a place among BUDGET of the worker's THREADS, unless it carries a valid write token: the
  other threads are left to contributors' writes and to the families not limited (health);
- a client holds at most PLACES_EACH places (its other requests wait for one of its own to
  end), and the last NEWCOMERS places are kept for clients that hold none: a client that
  already holds one waits while only those are left. Heavy queries from a few clients leave
  room for other clients' questions, and from many clients still leave the writes threads;
- a request waits for its place at most WAIT_SECONDS, in turn, on the loop, holding no
  thread; then it is answered 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque

from service.errors import ServiceError
from service.limits import ADMITTED as ADMITTED
from service.limits import TOO_MANY, ClientLimiter

# Places a worker's requests without a write token may hold on its threads, the last of them
# kept for clients holding none, and how long a request waits for one.
PLACES_EACH = 2
NEWCOMERS = 2
WAIT_SECONDS = 2.0
RETRY_SECONDS = 2
BUSY = ("the service is answering as many requests as it takes at once; retry after "
        "Retry-After seconds")


class Admission:
    """The client limits and the places on a worker's threads, kept by its loop (no lock)."""

    def __init__(self, limiter: ClientLimiter | None, threads: int) -> None:
        self.limiter = limiter if limiter is not None and (
            limiter.rate > 0 or limiter.concurrency > 0) else None
        self.budget = max(1, threads - NEWCOMERS)
        self.newcomers = min(NEWCOMERS, self.budget - 1)
        self.held = 0  # places held
        self.holding: dict[str, int] = {}  # places held, by client
        self.waiting: deque[tuple[str, asyncio.Future[bool]]] = deque()

    def enter(self, client: str) -> ServiceError | None:
        """Count a request within its client's rate and requests in hand; the 429 if past."""
        if self.limiter is None:
            return None
        wait = self.limiter.acquire(client)
        if wait:
            return ServiceError(429, TOO_MANY, [("Retry-After", str(max(1, math.ceil(wait))))])
        return None

    def leave(self, client: str) -> None:
        """The request counted by enter() is answered."""
        if self.limiter is not None:
            self.limiter.release(client)

    def _fits(self, client: str) -> bool:
        holds = self.holding.get(client, 0)
        room = self.budget - (self.newcomers if holds else 0)
        return self.held < room and holds < PLACES_EACH

    def _take(self, client: str) -> None:
        self.held += 1
        self.holding[client] = self.holding.get(client, 0) + 1

    async def place(self, client: str, most: float = WAIT_SECONDS) -> ServiceError | None:
        """Take a place on the worker's threads, waiting at most most seconds for it; the 503
        when none came."""
        if self._fits(client):
            self._take(client)
            return None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        waiter = (client, future)
        self.waiting.append(waiter)
        timer = loop.call_later(max(0.0, min(most, WAIT_SECONDS)), _expire, future)
        try:
            placed = await future
        except BaseException:
            if future.done() and not future.cancelled() and future.result():
                self.vacate(client)
            raise
        finally:
            timer.cancel()
            if waiter in self.waiting:
                self.waiting.remove(waiter)
        if placed:
            return None
        return ServiceError(503, BUSY, [("Retry-After", str(RETRY_SECONDS))])

    def vacate(self, client: str) -> None:
        """Give back a place taken by place(), to the first waiting request that fits."""
        self.held -= 1
        left = self.holding.pop(client, 1) - 1
        if left > 0:
            self.holding[client] = left
        for waiter in list(self.waiting) if self.waiting else ():
            if self.held >= self.budget:
                break
            waiting, future = waiter
            if not future.done() and self._fits(waiting):
                self._take(waiting)
                self.waiting.remove(waiter)
                future.set_result(True)


def _expire(future: asyncio.Future[bool]) -> None:
    if not future.done():
        future.set_result(False)
