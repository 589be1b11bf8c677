"""The pace a process learns from its commits, by which a write that cannot fit in the time
left is refused before it begins."""

from __future__ import annotations

from service.write_time import CommitPace


def test_a_slower_commit_is_taken_at_once_a_faster_one_halfway() -> None:
    pace = CommitPace()
    assert pace.estimate(10_000) == 10_000 * CommitPace.FIRST
    pace.measured(10_000, 3.0)  # 300 µs a triple: slower than the first guess
    assert abs(pace.estimate(100_000) - 30.0) < 1e-9
    pace.measured(10_000, 1.0)  # 100 µs a triple
    assert abs(pace.per_triple - 200e-6) < 1e-12


def test_small_commits_teach_nothing() -> None:
    pace = CommitPace()
    pace.measured(CommitPace.MEASURED - 1, 60.0)
    assert pace.per_triple == CommitPace.FIRST
