"""Coverage-guided fuzzing of the query guard (atheris) against a live canary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.canary import Canary

pytestmark = pytest.mark.slow  # tens of thousands of fuzzing runs

SEEDS = [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "PREFIX e: <http://127.0.0.1:{port}/> SELECT * {{ service silent e:x {{ ?s ?p ?o }} }}",
    "SELECT * {{ VALUES ?e {{ <http://127.0.0.1:{port}/> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "ASK {{ # SERVICE\n OPTIONAL {{ SeRvIcE <http://127.0.0.1:{port}/q> {{ }} }} }}",
]


def fuzz(folder: Path, runs: int, guarded: bool) -> int:
    """Fuzz from the seeds; return the connections the canary received."""
    with Canary() as canary:
        corpus = folder / "corpus"
        corpus.mkdir()
        for number, seed in enumerate(SEEDS):
            (corpus / f"seed-{number}").write_text(seed.format(port=canary.port))
        env = {**os.environ, **({} if guarded else {"DMKG_FUZZ_UNGUARDED": "1"})}
        run = subprocess.run(
            [sys.executable, "-m", "tests.attack.guard_fuzzer", str(canary.port),
             f"-runs={runs}", "-max_len=400", "-timeout=10", "-seed=1",
             f"-artifact_prefix={folder}/", str(corpus)],
            capture_output=True, text=True, timeout=900, check=False, env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        assert f"Done {runs} runs" in run.stderr
    return canary.connections


def test_coverage_guided_fuzzing_finds_no_way_past_the_guard(tmp_path: Path) -> None:
    assert fuzz(tmp_path, 30_000, guarded=True) == 0


def test_the_fuzzer_would_see_a_bypass(tmp_path: Path) -> None:
    # The control: without the guard, the seeds alone make Oxigraph call the canary.
    assert fuzz(tmp_path, 50, guarded=False) > 0
