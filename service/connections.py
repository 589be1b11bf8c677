"""The connections a worker keeps open: each client within its share, all within a total.

Each connection holds a file descriptor and, while its head is read, up to the head's limit
in bytes (service/front.py). One address opening connections without end would take every
descriptor of the worker, and a new client would then wait unanswered in the listening
queue. So a worker keeps at most `total` connections (TOTAL, or half its descriptors if
fewer), one client (service/limits.py client_key: an IPv4 address, an IPv6 /64) at most a
quarter of them, and the last NEWCOMERS_PART of them only for clients holding none. A
connection past these is answered at once with a 503 and Retry-After, and closed.

A crowd from many addresses may hold every place, each address within its share. A client
holding none then gets its place from the connection that can least claim one: among the
connections without a request in hand (one that has sent nothing since it opened or since its
last answer, or whose head is still unfinished), one of the client holding the most, the one
waiting the longest. That one is closed (with a 408 if its head was begun). A connection
with a request in hand is never closed for another.

A configured proxy's address (TRUSTED_PROXIES) is counted in the total only: the clients
behind it are told apart by the X-Forwarded-For of each request, in the client limits.
"""

from __future__ import annotations

import resource
from itertools import repeat
from typing import Protocol

from service.errors import ServiceError
from service.limits import client_key

# Connections a worker keeps open at most, the part one client may hold, and the part kept
# for clients holding none (fractions of the total).
TOTAL = 1000
SHARE_EACH = 4
NEWCOMERS_PART = 16
RETRY_SECONDS = 5
# Connections being refused (their 503 written once their request comes, for a second at
# most): beyond, a connection is closed unanswered.
REFUSING = 64
TOO_MANY_EACH = ("the service holds as many connections from this client as it takes from "
                 "one; use fewer (one answers requests one after another) or retry after "
                 "Retry-After seconds")
TOO_MANY = ("the service holds as many connections as it takes at once; retry after "
            "Retry-After seconds")


class Waiting(Protocol):
    """A connection that may give its place to a client holding none."""

    def evict(self) -> None:
        """Close for a client holding none (its counts are already given back)."""


def descriptors_total() -> int:
    """The connections a worker may keep: TOTAL, or half its file descriptors if fewer (the
    store, temporary files and the listening socket need the others)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return TOTAL
    return max(SHARE_EACH * 2, min(TOTAL, soft // 2))


class Connections:
    """The connections of one worker, by client, kept by its event loop (no lock)."""

    def __init__(self, total: int, trusted: frozenset[str] = frozenset()) -> None:
        self.total = total
        self.each = max(1, total // SHARE_EACH)
        self.newcomers = total // NEWCOMERS_PART
        self.trusted = trusted
        self.held = 0
        self.by_client: dict[str, int] = {}
        self.refusing = 0
        # The connections without a request in hand, each with its client, in the order they
        # began to wait (the first waits the longest), and how many wait of each client.
        self.waiting: dict[Waiting, str] = {}
        self.waiting_of: dict[str, int] = {}

    def open(self, address: str, connection: Waiting) -> tuple[str, ServiceError | None]:
        """Count a connection from address, waiting for its request: the client it is
        counted as, and None, or the 503 it gets when it does not fit (then it is not
        counted). A client holding none that finds every place held takes one (evict)."""
        proxy = "*" in self.trusted or address in self.trusted
        client = "" if proxy else client_key(address)
        holds = self.by_client.get(client, 0) if client else 0
        if client and holds >= self.each:
            return client, ServiceError(503, TOO_MANY_EACH, [("Retry-After", str(RETRY_SECONDS))])
        room = self.total - (self.newcomers if holds else 0)
        # A proxy's clients are told apart by request only: its address takes no place.
        if self.held >= room and (holds or not client or not self.evict()):
            return client, ServiceError(503, TOO_MANY, [("Retry-After", str(RETRY_SECONDS))])
        self.held += 1
        if client:
            self.by_client[client] = holds + 1
        self.idle(client, connection)
        return client, None

    def idle(self, client: str, connection: Waiting) -> None:
        """A counted connection has no request in hand (any more): it waits from now."""
        self.busy(client, connection)
        self.waiting[connection] = client
        self.waiting_of[client] = self.waiting_of.get(client, 0) + 1

    def busy(self, client: str, connection: Waiting) -> None:
        """A counted connection has a request in hand: it keeps its place."""
        if self.waiting.pop(connection, None) is not None:
            left = self.waiting_of.pop(client) - 1
            if left:
                self.waiting_of[client] = left

    def close(self, client: str, connection: Waiting) -> None:
        """A connection counted by open() has closed."""
        self.busy(client, connection)
        self.held -= 1
        if client:
            left = self.by_client.pop(client, 1) - 1
            if left > 0:
                self.by_client[client] = left

    def evict(self) -> bool:
        """Close the waiting connection that can least claim its place (of the client holding
        the most, the one waiting the longest) and give back its place; False if none waits."""
        if not self.waiting:
            return False
        # Looked at once per client, then once per connection until the first: a crowd of
        # a thousand addresses costs each newcomer tens of microseconds.
        most = max(map(self.by_client.get, self.waiting_of, repeat(0)))
        connection, client = next((connection, client)
                                  for connection, client in self.waiting.items()
                                  if self.by_client.get(client, 0) == most)
        self.close(client, connection)
        connection.evict()
        return True
