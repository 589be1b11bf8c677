"""pytest-xdist starts the modules that took longest in the previous run first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.paths import Layout

CONFTEST = """
from tests.scheduling import ModuleTimes

def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(ModuleTimes(config), "dmkg-module-times")
"""


def first_module(folder: Path, layout: Layout) -> str:
    """Run the folder's tests on one worker; return the module of the first test run."""
    # Only pytest-xdist among the installed plugins: the others take seconds to load.
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist", "-v", "-n", "1",
                          "--dist", "loadscope", "-o", f"cache_dir={folder / 'cache'}",
                          str(folder)],
                         capture_output=True, text=True, cwd=folder, check=False,
                         env={**os.environ, "PYTHONPATH": str(layout.root),
                              "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    passed = [line for line in run.stdout.splitlines() if "PASSED" in line]
    return passed[0].split("PASSED ")[1].split("::")[0]


@pytest.mark.slow
def test_the_longest_module_of_the_last_run_starts_first(tmp_path: Path, layout: Layout) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_many.py").write_text(
        "import pytest\n@pytest.mark.parametrize('n', range(5))\ndef test_quick(n): pass\n")
    (tmp_path / "test_long.py").write_text("import time\ndef test_long(): time.sleep(0.5)\n")
    # No record yet: xdist's own order, the module with most tests first.
    assert first_module(tmp_path, layout) == "test_many.py"
    assert first_module(tmp_path, layout) == "test_long.py"


@pytest.mark.slow
def test_a_run_without_a_cache_starts_the_longest_module_of_the_kept_record_first(
        tmp_path: Path, layout: Layout) -> None:
    # A clean clone: no cache, only the seconds kept beside the tests.
    (tmp_path / "conftest.py").write_text(CONFTEST.replace(
        "ModuleTimes(config)", "ModuleTimes(config, Path(__file__).with_name('kept.json'))")
        .replace("from tests", "from pathlib import Path\nfrom tests"))
    (tmp_path / "kept.json").write_text('{"test_long.py": 30.0, "test_many.py": 0.1}')
    (tmp_path / "test_many.py").write_text(
        "import pytest\n@pytest.mark.parametrize('n', range(5))\ndef test_quick(n): pass\n")
    (tmp_path / "test_long.py").write_text("def test_long(): pass\n")
    assert first_module(tmp_path, layout) == "test_long.py"

