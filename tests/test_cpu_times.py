"""--cpu-durations counts the CPU of the processes a test starts, with pytest-xdist or not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg.paths import Layout

TESTS = """
import subprocess, sys, time

BURN = "import time\\nstart = time.process_time()\\nwhile time.process_time() - start < 0.6: pass"

def test_burns_in_a_child():
    subprocess.run([sys.executable, "-c", BURN], check=True)

def test_sleeps():
    time.sleep(0.6)
"""


def costs(folder: Path, layout: Layout, *options: str) -> dict[str, tuple[float, float]]:
    """Run the folder's tests with --cpu-durations; return each test's (cpu, wall) seconds."""
    # Only pytest-xdist among the installed plugins: the others take seconds to load.
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist", "-p", "tests.cpu_times",
                          "--cpu-durations=0", "-p", "no:cacheprovider", *options, str(folder)],
                         capture_output=True, text=True, cwd=folder, check=False,
                         env={**os.environ, "PYTHONPATH": str(layout.root),
                              "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    found = re.findall(r"([\d.]+)s cpu +([\d.]+)s wall +\S+::(\w+)", run.stdout)
    return {name: (float(cpu), float(wall)) for cpu, wall, name in found}


@pytest.mark.slow
@pytest.mark.parametrize("options", [(), ("-n", "2")], ids=["alone", "xdist"])
def test_a_childs_cpu_counts_and_a_sleep_does_not(tmp_path: Path, layout: Layout,
                                                  options: tuple[str, ...]) -> None:
    (tmp_path / "test_costs.py").write_text(TESTS)
    found = costs(tmp_path, layout, *options)
    assert set(found) == {"test_burns_in_a_child", "test_sleeps"}, found
    burnt, slept = found["test_burns_in_a_child"], found["test_sleeps"]
    assert burnt[0] >= 0.55, found
    assert slept[0] < 0.3 <= slept[1], found
