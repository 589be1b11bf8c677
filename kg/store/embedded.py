"""Keep an on-disk Oxigraph store in step with dist/: loaded once, reused, never half-loaded."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from kg.folders import swap_in
from kg.store import union_note

log = logging.getLogger(__name__)

READY = "READY"
# Beside the stores: the digest of the dataset last read, with what identified the file then.
DIGEST = "DIGEST"
# A file changed this recently may change again unseen (within the clock's granularity its
# time would not move): its digest is not noted.
SETTLED_NS = 2_000_000_000


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_identity(path: Path) -> list[int] | None:
    """What identifies a file's content while it is not rewritten: its inode, size and time
    (None when it is gone)."""
    try:
        return _identity(path)
    except OSError:
        return None


def _identity(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_ino, info.st_size, info.st_mtime_ns]


def dataset_digest(dataset: Path, root: Path) -> str:
    """Return the SHA-256 of dataset, noted in root so that every start does not read it whole.

    A dataset of 10M triples is 2 GB, seconds to read; while its inode, size and time stay
    those noted, the noted digest stands for it.
    """
    note = root / DIGEST
    identity = _identity(dataset)
    try:
        kept = json.loads(note.read_text(encoding="utf-8"))
        if kept["file"] == [str(dataset.resolve()), *identity]:
            return str(kept["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no note, or an unreadable one: read the file
    digest = file_digest(dataset)
    if time.time_ns() - identity[2] > SETTLED_NS and _identity(dataset) == identity:
        root.mkdir(parents=True, exist_ok=True)
        staging = root / f".{DIGEST}-{os.getpid()}"
        staging.write_text(json.dumps({"file": [str(dataset.resolve()), *identity],
                                       "sha256": digest}), encoding="utf-8")
        staging.replace(note)
    return digest


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def prepare_store(dataset: Path, root: Path) -> tuple[Path, str]:
    """Return (store folder, content digest) for dataset, loading a fresh store if needed.

    A store is loaded into a staging folder and renamed into place only once complete, with a
    READY marker holding the digest of the file it was loaded from; stores of older content are
    removed.
    """
    digest = dataset_digest(dataset, root)
    target = root / f"store-{digest[:16]}"
    with _locked(root):
        marker = target / READY
        if marker.exists() and marker.read_text(encoding="utf-8").strip() == digest:
            return target, digest
        with swap_in(target) as staging:
            store = ox.Store(str(staging))
            store.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
            store.flush()
            # Once here rather than in every process that opens it.
            union_note.settle(staging, store, not union_note.overlaps(store))
            del store
            gc.collect()  # the store's files close when the object goes
            (staging / READY).write_text(digest + "\n", encoding="utf-8")
        replaced = [old for old in root.glob("store-*") if old != target]
        for old in replaced:
            shutil.rmtree(old, ignore_errors=True)
        log.info("store %s loaded from %s (%s) and swapped in%s", target.name, dataset,
                 digest[:16], f" for {', '.join(o.name for o in replaced)}" if replaced else "")
    return target, digest
