"""A folder is replaced whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.folders import finish_interrupted_swap, previous_of, swap_in


def _folder(path: Path, **files: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (path / name).write_text(content, encoding="utf-8")
    return path


def test_the_new_folder_replaces_the_old_one_whole(tmp_path: Path) -> None:
    target = _folder(tmp_path / "dist", old="1", gone="1")
    with swap_in(target) as staging:
        assert staging.parent == tmp_path and staging.is_dir() and not any(staging.iterdir())
        (staging / "new").write_text("2", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]  # nothing left beside it


def test_a_failure_leaves_the_old_folder_and_nothing_else(tmp_path: Path) -> None:
    target = _folder(tmp_path / "dist", old="1")
    with pytest.raises(RuntimeError), swap_in(target) as staging:
        (staging / "half").write_text("…", encoding="utf-8")
        raise RuntimeError("stopped half-way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]
    assert (target / "old").read_text(encoding="utf-8") == "1"


def test_a_first_swap_makes_the_folder_and_its_parents(tmp_path: Path) -> None:
    target = tmp_path / "var" / "store"
    with swap_in(target) as staging:
        (staging / "READY").write_text("yes", encoding="utf-8")
    assert (target / "READY").is_file()


def test_a_swap_stopped_between_its_renames_is_undone(tmp_path: Path) -> None:
    target = tmp_path / "live"
    _folder(previous_of(target), old="1")  # the old folder moved aside, the new one not yet in
    finish_interrupted_swap(target)
    assert (target / "old").is_file() and not previous_of(target).exists()
    _folder(previous_of(target), stale="1")  # the new one in, the old one not yet removed
    finish_interrupted_swap(target)
    assert (target / "old").is_file() and not previous_of(target).exists()
