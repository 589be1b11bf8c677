"""A short run of the load test (bench/load.py runs it for minutes): reads and writes from
two dozen connections at once, then no 5xx, no lost or partial write, memory back down."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import run
from kg.paths import Layout

pytestmark = pytest.mark.slow  # a load run of its own


def test_mixed_load_loses_nothing_and_errs_nowhere(tmp_path: Path, built: Layout) -> None:
    result = run(built, seconds=20, connections=24, writers=4, workdir=tmp_path)
    assert result["requests"] > 200
    assert result["server_errors"] == 0, result["statuses"]
    assert result["connection_failures"] == 0, result["failure_samples"]
    assert result["acknowledged_writes"] > 20
    assert set(result["statuses"]) <= {"200", "204"}, result["statuses"]
    assert result["lost_writes"] == 0 and result["partial_writes"] == 0
    memory = result["memory_mb"]
    assert memory["after_10s"] <= memory["baseline"] * 1.5 + 32, memory
