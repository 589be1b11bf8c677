"""Fixtures of the store tests."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pytest

from kg.store.oxigraph_backend import OxigraphBackend
from tests.conftest import made_once

# The stores of the cost tests: contributed graphs of 10k and 100k triples, 1000 of which are
# built triples too (ten times the data, the same write).
LARGE_STORES = {"small": 10_000, "large": 100_000}
DUPLICATES = 1000


def _make_large_stores(folder: Path) -> None:
    from tests.kg.store.test_union_graph import large_store

    for name, contributed in LARGE_STORES.items():
        backend = large_store(folder / name, contributed, DUPLICATES)
        assert backend.path is not None
        (folder / f"{name}.json").write_text(json.dumps({
            "path": str(backend.path.relative_to(folder / name)),
            "protected": sorted(backend.protected)}), encoding="utf-8")
        backend.store = None  # type: ignore[assignment]
        gc.collect()  # RocksDB closes its files with the last reference: before the copy


@pytest.fixture(scope="session")
def large_stores_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The large stores, made once per run: loading 110k triples costs seconds of CPU."""
    return made_once(tmp_path_factory, "large-stores", _make_large_stores)


@pytest.fixture
def large_stores(large_stores_made: Path, tmp_path: Path) -> tuple[OxigraphBackend, ...]:
    """A private copy of the small and the large store, opened read-write, that a test may
    write to (opened as a store left by an earlier process)."""
    opened = []
    for name in LARGE_STORES:
        shutil.copytree(large_stores_made / name, tmp_path / name)
        made = json.loads((large_stores_made / f"{name}.json").read_text(encoding="utf-8"))
        opened.append(OxigraphBackend.writable(tmp_path / name / made["path"],
                                               tuple(made["protected"])))
    return tuple(opened)
