"""Take a query-running process off the network: a network namespace with nothing in it.

A process that moves into a new network namespace keeps the sockets it already holds (the
listening socket gunicorn gave it still accepts clients), but any new connection it opens
finds only a loopback interface that is down: no route to 127.0.0.1 of the host, nor anywhere.
So a guard bug alone cannot make the embedded store fetch anything. A remote backend
(Virtuoso, …) needs the network and is not isolated.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger(__name__)

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000


def leave_network() -> bool:
    """Move this process into a new, empty network namespace; tell whether it could."""
    libc = ctypes.CDLL(None, use_errno=True)
    # Root (or CAP_SYS_ADMIN) may unshare the network alone; others through a user namespace,
    # which a process may enter only while it runs a single thread (just after a fork).
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return True
        error = ctypes.get_errno()
    log.warning("process %d could not leave the network (%s): the query guard is the only "
                "defence against queries reaching other servers", os.getpid(),
                os.strerror(error))
    return False
