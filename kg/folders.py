"""Replace a folder whole or not at all: build the new one beside it, then swap it in."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def previous_of(target: Path) -> Path:
    """Where swap_in keeps the folder it replaces until the new one is in place."""
    return target.with_name(target.name + ".previous")


@contextmanager
def swap_in(target: Path, previous: Path | None = None) -> Iterator[Path]:
    """Yield a fresh empty folder beside target; when the block ends, put it in target's place.

    The old target is first renamed to previous (previous_of(target) unless given) and removed
    once the new folder is in place: a reader sees the old folder or the new one, never half of
    either. When the block fails, the new folder is removed and target is left as it was.
    """
    previous = previous or previous_of(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # On the same file system as target, so that each step is one atomic rename.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield staging
        staging.chmod(0o755)  # mkdtemp makes it private; the finished folder is read as any other
        shutil.rmtree(previous, ignore_errors=True)
        if target.exists():
            target.rename(previous)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def finish_interrupted_swap(target: Path, previous: Path | None = None) -> None:
    """Put the old folder back when a swap stopped between its two renames; drop a stale one."""
    previous = previous or previous_of(target)
    if not target.exists() and previous.exists():
        previous.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
