"""The connections a worker keeps open: each client within its share, all within a total.

Each connection holds a file descriptor and, while its head is read, up to the head's limit
in bytes (service/front.py). One address opening connections without end would take every
descriptor of the worker, and a new client would then wait unanswered in the listening
queue. So a worker keeps at most `total` connections (TOTAL, or half its descriptors if
fewer), one client (service/limits.py client_key: an IPv4 address, an IPv6 /64) at most a
quarter of them, and the last NEWCOMERS_PART of them only for clients holding none. A
connection past these is answered at once with a 503 and Retry-After, and closed.

A configured proxy's address (TRUSTED_PROXIES) is counted in the total only: the clients
behind it are told apart by the X-Forwarded-For of each request, in the client limits.
"""

from __future__ import annotations

import resource

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

    def open(self, address: str) -> tuple[str, ServiceError | None]:
        """Count a connection from address: the client it is counted as, and None, or the
        503 it gets when it does not fit (then it is not counted)."""
        proxy = "*" in self.trusted or address in self.trusted
        client = "" if proxy else client_key(address)
        holds = self.by_client.get(client, 0) if client else 0
        if client and holds >= self.each:
            return client, ServiceError(503, TOO_MANY_EACH, [("Retry-After", str(RETRY_SECONDS))])
        room = self.total - (self.newcomers if holds else 0)
        if self.held >= room:
            return client, ServiceError(503, TOO_MANY, [("Retry-After", str(RETRY_SECONDS))])
        self.held += 1
        if client:
            self.by_client[client] = holds + 1
        return client, None

    def close(self, client: str) -> None:
        """A connection counted by open() has closed."""
        self.held -= 1
        if client:
            left = self.by_client.pop(client, 1) - 1
            if left > 0:
                self.by_client[client] = left
