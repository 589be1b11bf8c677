"""Fixtures of the store tests: stores that cost CPU seconds to load are made once per run and
copied for each test that writes to them."""

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


def keep_as_template(backend: OxigraphBackend, folder: Path) -> None:
    """Close a writable store made under folder, noting where it lies and what it protects."""
    assert backend.path is not None
    (folder / "template.json").write_text(json.dumps({
        "path": str(backend.path.relative_to(folder)),
        "protected": sorted(backend.protected)}), encoding="utf-8")
    backend.store = None  # type: ignore[assignment]
    gc.collect()  # RocksDB closes its files with the last reference: before any copy


def open_copy(template: Path, folder: Path) -> OxigraphBackend:
    """A private copy of a template store under folder, opened read-write as a store an
    earlier process left."""
    shutil.copytree(template, folder, dirs_exist_ok=True)
    made = json.loads((template / "template.json").read_text(encoding="utf-8"))
    return OxigraphBackend.writable(folder / made["path"], tuple(made["protected"]))


def _make_large_stores(folder: Path) -> None:
    from tests.kg.store.test_union_graph import large_store

    for name, contributed in LARGE_STORES.items():
        keep_as_template(large_store(folder / name, contributed, DUPLICATES), folder / name)


def _make_built_store(folder: Path) -> None:
    from tests.kg.store.test_union_graph import BUILT, built_store

    keep_as_template(built_store(folder, BUILT), folder)


@pytest.fixture(scope="session")
def large_stores_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The large stores, made once per run: loading 110k triples costs seconds of CPU."""
    return made_once(tmp_path_factory, "large-stores", _make_large_stores)


@pytest.fixture
def large_stores(large_stores_made: Path, tmp_path: Path) -> tuple[OxigraphBackend, ...]:
    """A private copy of the small and the large store that a test may write to."""
    return tuple(open_copy(large_stores_made / name, tmp_path / name) for name in LARGE_STORES)


def _make_upkeep_store(folder: Path) -> None:
    from tests.kg.store.test_union_upkeep import contributed_store

    keep_as_template(contributed_store(folder), folder)


@pytest.fixture(scope="session")
def upkeep_store_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store of the upkeep tests (the built graphs and three contributed graphs), made
    once per run: each test writes to a copy (opened as an earlier process left it)."""
    return made_once(tmp_path_factory, "upkeep-store", _make_upkeep_store)


@pytest.fixture(scope="session")
def built_store_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the built graphs alone (BUILT), loaded as from dist/, made once per run."""
    return made_once(tmp_path_factory, "built-store", _make_built_store)
