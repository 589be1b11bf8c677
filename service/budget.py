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


def return_large_allocations() -> None:
    """Give every allocation of LARGE bytes or more back to the system when it is freed.

    glibc raises its threshold for mapping an allocation apart to the size of the last one
    freed (up to 32 MB), and a freed answer below it stays in the process: held answers
    would then be bounded, but not what they leave behind. A fixed threshold keeps it so.
    """
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to set
        ctypes.CDLL(name).mallopt(_M_MMAP_THRESHOLD, LARGE)
