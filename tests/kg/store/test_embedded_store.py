"""The on-disk store follows dist/: loaded once, reused, replaced when the data changes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kg.store import embedded
from kg.store.embedded import DIGEST, READY, prepare_store
from kg.store.oxigraph_backend import OxigraphBackend

ONE = "<http://example.org/s> <http://example.org/p> <http://example.org/o> <http://g/a> .\n"
TWO = ONE + "<http://example.org/s> <http://example.org/p> <http://example.org/x> <http://g/a> .\n"


def test_a_store_is_loaded_once_then_reused(tmp_path: Path) -> None:
    data = tmp_path / "dmkg.nq"
    data.write_text(ONE)
    folder, digest = prepare_store(data, tmp_path / "store")
    assert (folder / READY).read_text().strip() == digest
    stamp = (folder / READY).stat().st_mtime_ns
    again, _ = prepare_store(data, tmp_path / "store")
    assert again == folder and (folder / READY).stat().st_mtime_ns == stamp


def test_new_content_gets_a_new_store_and_the_old_one_goes(tmp_path: Path) -> None:
    data = tmp_path / "dmkg.nq"
    data.write_text(ONE)
    first, _ = prepare_store(data, tmp_path / "store")
    data.write_text(TWO)
    second, digest = prepare_store(data, tmp_path / "store")
    assert second != first and not first.exists()
    backend = OxigraphBackend.on_disk(second, digest)
    assert backend.graph_sizes() == {"http://g/a": 2}


def test_a_failed_load_leaves_no_store_behind(tmp_path: Path) -> None:
    data = tmp_path / "dmkg.nq"
    data.write_text(ONE)
    good, _ = prepare_store(data, tmp_path / "store")
    data.write_text(ONE + "this is not N-Quads\n")
    with pytest.raises(SyntaxError):
        prepare_store(data, tmp_path / "store")
    leftovers = [p.name for p in (tmp_path / "store").iterdir()
                 if p.name not in {".lock", DIGEST}]
    assert leftovers == [good.name]


def test_a_store_without_its_ready_marker_is_reloaded(tmp_path: Path) -> None:
    data = tmp_path / "dmkg.nq"
    data.write_text(ONE)
    folder, _ = prepare_store(data, tmp_path / "store")
    (folder / READY).unlink()
    again, digest = prepare_store(data, tmp_path / "store")
    assert (again / READY).read_text().strip() == digest
    assert OxigraphBackend.on_disk(again, digest).graph_sizes() == {"http://g/a": 1}


def _settled(path: Path, hours_ago: float) -> None:
    then = time.time() - hours_ago * 3600
    os.utime(path, (then, then))


def _unreadable(path: Path) -> str:
    raise AssertionError(f"{path} read again")


def test_a_settled_dataset_is_not_read_whole_again(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "dmkg.nq"
    data.write_text(ONE)
    _settled(data, 1)
    folder, digest = prepare_store(data, tmp_path / "store")
    monkeypatch.setattr(embedded, "file_digest", _unreadable)
    assert prepare_store(data, tmp_path / "store") == (folder, digest)


def test_a_dataset_changed_in_place_is_read_again(tmp_path: Path) -> None:
    data = tmp_path / "dmkg.nq"
    data.write_text(ONE)
    _settled(data, 2)
    first, _ = prepare_store(data, tmp_path / "store")
    data.write_text(ONE.replace("/o>", "/x>"))  # the same size
    _settled(data, 1)
    second, digest = prepare_store(data, tmp_path / "store")
    assert second != first
    assert digest == embedded.file_digest(data)


def test_a_dataset_just_written_is_not_noted(tmp_path: Path) -> None:
    # Written again within the clock's granularity, it could keep its time: not trusted yet.
    data = tmp_path / "dmkg.nq"
    data.write_text(ONE)
    prepare_store(data, tmp_path / "store")
    assert not (tmp_path / "store" / DIGEST).exists()
