"""A backup of the written graphs, written from one snapshot to a temporary file a piece at a
time, then sent from it in the front's pieces: memory holds a piece of it, never the whole.

The engine's read of a snapshot must stay on the thread that began it (pyoxigraph aborts the
process otherwise), while the front reads an answer's pieces on any of its threads: so the
snapshot is read whole, on the request's thread, into the file, and the file is what is sent.
Its counts and digest are known before the answer starts, and go in its headers.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO

import pyoxigraph as ox

# Quads serialised at once, and the size of the pieces the file is sent in (the front's).
QUADS_AT_ONCE = 2000
PIECE = 64 * 1024


@dataclass
class BackupFile:
    """The N-Quads of a backup in a temporary file, with what the answer says of them."""

    file: IO[bytes]
    quads: int = 0
    size: int = 0
    graphs: set[str] = field(default_factory=set)
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    def headers(self) -> list[tuple[str, str]]:
        """The answer's headers: its type, length, counts and digest (RFC 9530)."""
        digest = base64.b64encode(self.digest.digest()).decode("ascii")
        return [("Content-Type", "application/n-quads"), ("Content-Length", str(self.size)),
                ("DMKG-Quads", str(self.quads)), ("DMKG-Graphs", str(len(self.graphs))),
                ("Repr-Digest", f"sha-256=:{digest}:")]

    def pieces(self) -> Iterator[bytes]:
        """The file from its start, in pieces; closed when read whole or let go of."""
        self.file.seek(0)
        try:
            while piece := self.file.read(PIECE):
                yield piece
        finally:
            self.file.close()


def write_backup(quads: Iterable[ox.Quad]) -> BackupFile:
    """Write quads (read on this thread) to a temporary file as N-Quads, a piece at a time."""
    backup = BackupFile(tempfile.TemporaryFile())  # noqa: SIM115 (closed by pieces())
    try:
        read = iter(quads)
        while piece := list(islice(read, QUADS_AT_ONCE)):
            text = ox.serialize(piece, format=ox.RdfFormat.N_QUADS) or b""
            backup.file.write(text)
            backup.digest.update(text)
            backup.size += len(text)
            backup.quads += len(piece)
            backup.graphs.update(q.graph_name.value for q in piece)  # type: ignore[union-attr]
    except BaseException:
        backup.file.close()
        raise
    return backup
