"""Fixtures shared by the whole suite."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from kg.ontology_checks import CheckResult, run_checks
from kg.paths import Layout, default_layout
from tests import profiles  # noqa: F401  (registers the Hypothesis profiles)
from tests.live import LiveServer
from tests.scheduling import ModuleTimes
from tests.virtuoso import Virtuoso

pytest_plugins = ("tests.cpu_times",)  # --cpu-durations=N

# A test that needs one of these starts a server of seconds or more: it belongs to the slow tier.
SLOW_FIXTURES = frozenset({"virtuoso", "service_on_virtuoso"})


def pytest_configure(config: pytest.Config) -> None:
    # In the controlling process (or a run without workers), with pytest-xdist (not -p no:xdist).
    if not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(ModuleTimes(config), "dmkg-module-times")


@pytest.hookimpl(tryfirst=True)  # before -m "not slow" chooses
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def layout() -> Layout:
    """The project's own layout (read-only use)."""
    return default_layout()


@pytest.fixture
def ontology_copy(tmp_path: Path, layout: Layout) -> Layout:
    """A private copy of ontology/ that a test may break."""
    shutil.copytree(layout.ontology_dir, tmp_path / "ontology")
    return Layout(tmp_path)


EditOntology = Callable[[Callable[[Graph], None]], Layout]


@pytest.fixture
def edit_ontology(ontology_copy: Layout) -> EditOntology:
    """Apply a change to the copied dmo.ttl and return the copy's layout."""

    def edit(change: Callable[[Graph], None]) -> Layout:
        graph = Graph().parse(ontology_copy.ontology_ttl, format="turtle")
        change(graph)
        graph.serialize(ontology_copy.ontology_ttl, format="turtle")
        return ontology_copy

    return edit




def copy_sources(root: Path, layout: Layout) -> Layout:
    """Copy what a build reads (ontology, facts, queries) under root."""
    shutil.copytree(layout.ontology_dir, root / "ontology")
    shutil.copytree(layout.facts_dir, root / "kg" / "facts")
    shutil.copytree(layout.queries_dir, root / "queries")
    return Layout(root)


@pytest.fixture
def sources_copy(tmp_path: Path, layout: Layout) -> Layout:
    """A private copy of the build's inputs that a test may break."""
    return copy_sources(tmp_path, layout)


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder that make fills once per run: with pytest-xdist, the first worker to ask makes
    it in the run's own temporary folder and the others wait for it."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = factory.mktemp(name)
        make(folder)
        return folder
    run = factory.getbasetemp().parent  # each worker's folder lies in the run's
    folder, done = run / name, run / f"{name}.done"
    with (run / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, layout: Layout) -> Layout:
    """A copy of the inputs, built once for the run (read-only use)."""
    from kg.build import build

    def make(folder: Path) -> None:
        build(copy_sources(folder, layout))

    return Layout(made_once(tmp_path_factory, "built", make))


@pytest.fixture(scope="session")
def kg_graph(built: Layout) -> Graph:
    """The built knowledge graph as one rdflib graph (read-only use)."""
    return Graph().parse(built.dist_dir / "dmkg.ttl", format="turtle")


@pytest.fixture(scope="session")
def ontology_checks(layout: Layout) -> dict[str, CheckResult]:
    """Every check of the project's ontology by name, run once (the Java ones are slow)."""
    return {result.name: result for result in run_checks(layout)}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    """The real service on the built graph, started as `dmkg serve` on 127.0.0.1."""
    with LiveServer(workdir=tmp_path_factory.mktemp("live"), home=built.root) as server:
        yield server


@pytest.fixture(scope="session")
def shared_dir(layout: Layout) -> Path:
    """The shared design folder beside the checkout (sources, conformance suites)."""
    folder = Path(os.environ.get("DMKG_SHARED", layout.root.parent / "shared"))
    if not folder.is_dir():
        pytest.skip("the shared folder is not beside this checkout")
    return folder


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A real Virtuoso server on 127.0.0.1 for the session."""
    with Virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server
