"""The benchmarks' own entry point names them and runs one by name."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from kg.paths import Layout


def _bench(layout: Layout, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True,
                          check=False, cwd=layout.root)


def test_list_names_every_benchmark_with_what_it_measures(layout: Layout) -> None:
    listed = _bench(layout, "list")
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert {"http_throughput", "scale", "search_scale", "load", "guard_cost"} <= set(names)
    assert "apps" not in names and "servers" not in names  # helpers, not benchmarks
    assert "One-entity SELECT over HTTP" in names["http_throughput"]


@pytest.mark.slow
def test_run_hands_the_options_to_the_benchmark(layout: Layout) -> None:
    helped = _bench(layout, "run", "scale", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "--virtuoso-max" in helped.stdout


def test_run_refuses_an_unknown_name_in_one_line(layout: Layout) -> None:
    refused = _bench(layout, "run", "nothing")
    assert refused.returncode == 2
    assert "no benchmark 'nothing'" in refused.stderr


@pytest.mark.slow
# A benchmark another one imports is found imported when `run` executes it: harmless here.
@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")
def test_every_benchmark_answers_help_without_running(layout: Layout,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.__main__ import main

    names = [line.split()[0] for line in _bench(layout, "list").stdout.splitlines()]
    # In one process, through the same command line (`run NAME --help`): a process for each
    # benchmark would import the project and its libraries again (7 CPU seconds for 26).
    monkeypatch.chdir(layout.root)
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # `run` hands the options over in argv
    for name in names:
        helped = CliRunner().invoke(main, ["run", name, "--help"])
        assert helped.exit_code == 0 and "usage" in helped.output.lower(), (name, helped.output)
