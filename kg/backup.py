"""Back up and restore the graphs written to a running service, over its admin routes.

A backup is written beside its destination, checked (it parses, and holds as many quads as the
service said it sent), made durable, and only then renamed into place: an interrupted backup
leaves no file, never half of one.
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kg.store.long_lines import read_nquads, too_long


class BackupFailed(RuntimeError):
    """The service refused or the answer was incomplete; nothing was written or changed."""


@dataclass(frozen=True)
class Summary:
    quads: int
    graphs: int


def _call(url: str, token: str, data: bytes | None = None) -> tuple[bytes, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"}
    if data is not None:
        headers["Content-Type"] = "application/n-quads"
    call = urllib.request.Request(url, data=data, headers=headers,
                                  method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(call, timeout=600) as response:
            return response.read(), {k.lower(): v for k, v in response.getheaders()}
    except urllib.error.HTTPError as error:
        message = error.read().decode("utf-8", "replace").strip()
        raise BackupFailed(f"{url}: {error.code} {message}") from error
    except (urllib.error.URLError, OSError) as error:
        raise BackupFailed(f"{url}: {error}") from error


def backup(service: str, token: str, destination: Path) -> Summary:
    """Save the service's written graphs to destination (N-Quads), atomically."""
    body, headers = _call(service.rstrip("/") + "/admin/backup", token)
    try:
        quads = list(read_nquads(io.BytesIO(body)))
    except MemoryError as error:
        raise BackupFailed(f"the backup does not parse: {too_long(error)}") from error
    except (SyntaxError, ValueError) as error:
        raise BackupFailed(f"the backup does not parse: {error}") from error
    expected = int(headers.get("dmkg-quads", "-1"))
    if len(quads) != expected:
        raise BackupFailed(f"the backup holds {len(quads)} quads, the service sent {expected}")
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        with partial.open("wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(destination)
        directory = os.open(destination.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        partial.unlink(missing_ok=True)
    return Summary(len(quads), int(headers.get("dmkg-graphs", "0")))


def restore(service: str, token: str, source: Path) -> Summary:
    """Make the service's written graphs exactly those of a backup, in one transaction."""
    body = source.read_bytes()
    try:
        quads = list(read_nquads(io.BytesIO(body)))
    except MemoryError as error:
        raise BackupFailed(f"{source} does not parse: {too_long(error)}") from error
    except (SyntaxError, ValueError) as error:
        raise BackupFailed(f"{source} does not parse: {error}") from error
    _call(service.rstrip("/") + "/admin/restore", token, body)
    return Summary(len(quads), len({q.graph_name for q in quads}))
