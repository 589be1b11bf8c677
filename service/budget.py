"""Bytes a worker holds for its clients at once: request bodies read, answers being written.

A worker's event loop reads each request body whole before a thread sees it, and writes each
answer after the application has made it whole. Clients that send or read slowly keep those
bytes in the worker, so each kind is held within a total per worker (service/front.py); past
it a request is answered 503 with `Retry-After` rather than held.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from typing import Protocol

from service.errors import ServiceError

# glibc's mallopt parameter: allocations this large or larger are mapped on their own.
_M_MMAP_THRESHOLD = -3
LARGE = 1 << 20
# Seconds a client refused for want of room is told to wait.
RETRY_SECONDS = 5
BODIES_FULL = ("the service is reading as many request bodies as it holds at once "
               "(REQUEST_BUFFER_MB); retry after Retry-After seconds")
RESTORES_FULL = ("the service is reading as many backups as it takes at once "
                 "(MAX_RESTORE_BYTES); retry after Retry-After seconds")
ANSWERS_FULL = ("the service holds as many answers for clients still reading them as it may "
                "(QUERY_MEMORY_MB); retry after Retry-After seconds")


class Budget:
    """A total of bytes held at once (limit 0: no cap), used from one event loop (no lock)."""

    def __init__(self, limit: int, full: str) -> None:
        self.limit = limit
        self.full = full
        self.held = 0

    def fits(self, size: int) -> bool:
        """Tell whether size more bytes could be held now."""
        return not self.limit or self.held + size <= self.limit

    def take(self, size: int) -> bool:
        """Hold size more bytes if they fit; return whether they are held."""
        if not self.fits(size):
            return False
        self.held += size
        return True

    def force(self, size: int) -> None:
        """Hold size more bytes whatever the total (small pieces already in hand)."""
        self.held += size

    def give_back(self, size: int) -> None:
        self.held -= size

    def refusal(self) -> ServiceError:
        """The 503 a request gets when its bytes do not fit."""
        return ServiceError(503, self.full, [("Retry-After", str(RETRY_SECONDS))])


class Held(Protocol):
    """What a body being read takes its bytes from."""

    def fits(self, size: int) -> bool: ...
    def take(self, size: int) -> bool: ...
    def give_back(self, size: int) -> None: ...
    def refusal(self) -> ServiceError: ...


# Of a shared total: the most one client without a write token may hold, and the part kept
# for requests carrying a valid write token (fractions of the total).
SHARE_EACH = 4
KEPT_FOR_WRITERS = 4


class SharedBudget(Budget):
    """A Budget shared fairly, as the threads are (service/admission.py): a client without a
    valid write token holds at most 1/SHARE_EACH of it, and such clients together leave
    1/KEPT_FOR_WRITERS to the requests that carry one. One address cannot then stop the
    writes, nor other clients' questions, by holding bodies it never finishes."""

    def __init__(self, limit: int, full: str) -> None:
        super().__init__(limit, full)
        self.each = limit // SHARE_EACH
        self.anonymous_limit = limit - limit // KEPT_FOR_WRITERS
        self.anonymous = 0  # held by requests without a valid write token
        self.by_client: dict[str, int] = {}

    def account(self, client: str, writer: bool) -> Account:
        """The part of the total one request takes from: its client's, or a writer's."""
        return Account(self, client, writer)


class Account:
    """One request's bytes held in a SharedBudget (Held)."""

    def __init__(self, shared: SharedBudget, client: str, writer: bool) -> None:
        self.shared = shared
        self.client = client
        self.writer = writer

    def fits(self, size: int) -> bool:
        shared = self.shared
        if not shared.limit or self.writer:
            return shared.fits(size)
        return (shared.fits(size) and shared.anonymous + size <= shared.anonymous_limit
                and shared.by_client.get(self.client, 0) + size <= shared.each)

    def take(self, size: int) -> bool:
        if not self.fits(size):
            return False
        self._count(size)
        return True

    def give_back(self, size: int) -> None:
        self._count(-size)

    def _count(self, size: int) -> None:
        shared = self.shared
        shared.held += size
        if self.writer:
            return
        shared.anonymous += size
        left = shared.by_client.get(self.client, 0) + size
        if left > 0:
            shared.by_client[self.client] = left
        else:
            shared.by_client.pop(self.client, None)

    def refusal(self) -> ServiceError:
        return self.shared.refusal()


def return_large_allocations() -> None:
    """Give every allocation of LARGE bytes or more back to the system when it is freed.

    glibc raises its threshold for mapping an allocation apart to the size of the last one
    freed (up to 32 MB), and a freed answer below it stays in the process: held answers
    would then be bounded, but not what they leave behind. A fixed threshold keeps it so.
    """
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to set
        ctypes.CDLL(name).mallopt(_M_MMAP_THRESHOLD, LARGE)
