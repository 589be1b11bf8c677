"""Longest modules first: pytest-xdist hands out a module's tests together (--dist loadscope),
by default the modules with most tests first, so a module of a few minute-long tests starts last
and keeps one worker busy long after the others have finished. This order starts the modules that
took longest in the previous run (pytest's cache, per -m and -k selection) first; a module
without a record keeps its place.

A clean clone (CI) has no cache: there, xdist's own order would start the long modules of one
test (a browser walking the site, the slow-client tests) last, and the run would wait for them
alone. The seconds of a full run kept beside the tests (module_seconds.json) stand in for a
module the cache has no record of; refresh them from a full run with
`cp .pytest_cache/v/dmkg/module-seconds/all tests/module_seconds.json`."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

PREFIX = "dmkg/module-seconds/"
KEPT = Path(__file__).with_name("module_seconds.json")


def module_of(nodeid: str) -> str:
    return nodeid.split("::")[0]


class ModuleTimes:
    """A plugin of the controlling process when pytest-xdist is installed: it records each
    module's seconds at the end of a run and orders the next run's --dist loadscope by them."""

    def __init__(self, config: pytest.Config, kept: Path = KEPT) -> None:
        self.config = config
        self.kept = kept
        self.seconds: defaultdict[str, float] = defaultdict(float)
        # One record per selection: the quick tier (-m "not slow") runs part of some modules.
        keyword = config.getoption("keyword")
        self.key = PREFIX + (config.getoption("markexpr") or "all") + (
            f" -k {keyword}" if keyword else "")

    def recorded(self) -> dict[str, float]:
        """Each module's seconds in the previous run (pytest's cache), or else in the full run
        kept beside the tests."""
        cache = getattr(self.config, "cache", None)
        previous = dict(cache.get(self.key, {})) if cache is not None else {}
        return {**self.kept_seconds(), **previous}

    def kept_seconds(self) -> dict[str, float]:
        try:
            kept: dict[str, float] = json.loads(self.kept.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return kept

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[module_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        # An interrupted run's seconds would be short: keep the previous ones.
        cache = getattr(self.config, "cache", None)
        if cache is not None and self.seconds and exitstatus in (
                pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            previous = dict(cache.get(self.key, {}))
            cache.set(self.key, {**previous, **self.seconds})

    def pytest_xdist_make_scheduler(self, config: pytest.Config,
                                    log: Producer) -> LoadScopeScheduling | None:
        if config.getoption("dist") != "loadscope":
            return None
        return LongestFirst(config, log, self.recorded())


class LongestFirst(LoadScopeScheduling):
    """--dist loadscope, handing out the longest-recorded module still waiting first."""

    def __init__(self, config: pytest.Config, log: Producer, seconds: dict[str, float]) -> None:
        super().__init__(config, log)
        self.seconds = seconds

    def _assign_work_unit(self, node: WorkerController) -> None:
        # max() keeps the first of equals: without records, xdist's own order stays.
        longest = max(self.workqueue, key=lambda scope: self.seconds.get(module_of(scope), 0.0))
        self.workqueue.move_to_end(longest, last=False)
        super()._assign_work_unit(node)
