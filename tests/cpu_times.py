"""--cpu-durations=N: the N tests that cost most CPU, counting what they start (servers,
browsers, JVMs, command lines), beside their wall time.

On a machine others load, a test's wall time says more about them than about the test; the
CPU seconds of the test process and of every process under it change far less. Each phase
(setup, call, teardown) is measured in the process that runs it, pytest-xdist's workers
included, and travels with its report to the process that prints the summary. A process is
counted while it lives and, once it has ended, through the one that waited for it; one that
leaves its parent's tree (a daemon) is not counted after it leaves.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter

TICK = os.sysconf("SC_CLK_TCK")
KEY = "cpu_seconds"
START = pytest.StashKey[float]()


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and its descendants, including the children they waited for."""
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        try:
            # Fields after the command's closing parenthesis: utime, stime, cutime, cstime
            # are the 12th to the 15th.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(field) for field in fields[11:15]) / TICK
            for task in os.listdir(f"/proc/{pid}/task"):
                pending += map(int, Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except (OSError, IndexError):
            continue  # it ended meanwhile: its parent counts it once it waited for it
    return total


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--cpu-durations", type=int, default=None, metavar="N",
                     help="show the N tests that cost most CPU, their processes' too (0: all)")


def _measured(config: pytest.Config) -> bool:
    return config.getoption("cpu_durations") is not None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    if _measured(item.config):
        item.stash[START] = tree_cpu(os.getpid())
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    if _measured(item.config):
        item.stash[START] = tree_cpu(os.getpid())
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    if _measured(item.config):
        item.stash[START] = tree_cpu(os.getpid())
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport,
                                                              pytest.TestReport]:
    report = yield
    if _measured(item.config) and START in item.stash:
        report.user_properties.append((KEY, tree_cpu(os.getpid()) - item.stash[START]))
    return report


class CpuSummary:
    """Adds up each test's phases as their reports arrive; prints the costliest at the end."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.wall: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        spent = dict(report.user_properties).get(KEY)
        if isinstance(spent, float):
            self.cpu[report.nodeid] += spent
            self.wall[report.nodeid] += report.duration

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        costliest = sorted(self.cpu, key=self.cpu.__getitem__, reverse=True)
        if self.count:
            costliest = costliest[:self.count]
        terminalreporter.write_sep("=", f"{len(costliest)} tests by CPU seconds "
                                        f"(all {sum(self.cpu.values()):.1f} s)")
        for nodeid in costliest:
            terminalreporter.write_line(
                f"{self.cpu[nodeid]:8.2f}s cpu {self.wall[nodeid]:8.2f}s wall  {nodeid}")


def pytest_configure(config: pytest.Config) -> None:
    # The summary is printed where reports arrive: by pytest-xdist's controller, or alone.
    if _measured(config) and not hasattr(config, "workerinput"):
        config.pluginmanager.register(CpuSummary(config.getoption("cpu_durations")),
                                      "dmkg-cpu-summary")
