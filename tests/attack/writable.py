"""The settings of a live service that takes writes with one token, in a folder of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kg.paths import Layout
from tests.live import LiveServer


def write_settings(folder: Path, token: str, **extra: str) -> dict[str, str]:
    """Write a token file for token in folder; return the settings that serve writes."""
    (folder / "tokens").write_text(f"tester {token}\n", encoding="utf-8")
    return {"WRITE_TOKENS": str(folder / "tokens"), "STORE_DIR": str(folder / "store"),
            "AUDIT_LOG": str(folder / "audit.log"), **extra}


@contextmanager
def writable_server(factory: pytest.TempPathFactory, built: Layout, name: str,
                    token: str) -> Iterator[LiveServer]:
    """A live service of the built graphs that takes writes with token."""
    folder = factory.mktemp(name)
    with LiveServer(folder, home=built.root, settings=write_settings(folder, token)) as server:
        yield server
