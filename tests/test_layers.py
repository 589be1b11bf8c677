"""The packages stay layered: kg below service, the command line above both, no import cycles.

Every import counts, also one inside a function or under TYPE_CHECKING: a circle hidden in a
function is still a circle a reader has to follow.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from kg.paths import Layout

# What each package must never import (the packages above it, and the benchmarks).
FORBIDDEN = {
    "kg": {"service", "dmkg_cli", "bench"},
    "service": {"dmkg_cli", "bench"},
    "dmkg_cli": {"bench"},
}


def modules(root: Path, packages: list[str]) -> dict[str, Path]:
    """Every module of the packages under root, by dotted name."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(name: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names one import statement reads, relative ones made absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(root: Path, packages: list[str]) -> dict[str, set[str]]:
    """Which of the packages' modules each of their modules imports."""
    known = modules(root, packages)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets |= {t for t in _imported(name, path, node) if t in known}
        graph[name] = targets - {name}
    return graph


def external_imports(root: Path, package: str) -> set[tuple[str, str]]:
    """(module, top-level package) for every import the package's modules make."""
    found = set()
    for name, path in modules(root, [package]).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found |= {(name, t.split(".")[0]) for t in _imported(name, path, node) if t}
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        return list(error.args[1])
    return None


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_one_above_it(layout: Layout, package: str) -> None:
    wrong = sorted((module, target) for module, target in external_imports(layout.root, package)
                   if target in FORBIDDEN[package])
    assert wrong == []


def test_no_import_cycle_in_kg_or_service(layout: Layout) -> None:
    assert cycle(import_graph(layout.root, ["kg", "service"])) is None


def test_the_checks_see_a_cycle_and_a_forbidden_import(tmp_path: Path) -> None:
    (tmp_path / "kg" / "store").mkdir(parents=True)
    (tmp_path / "kg" / "__init__.py").write_text("")
    (tmp_path / "kg" / "store" / "__init__.py").write_text("")
    (tmp_path / "kg" / "store" / "a.py").write_text("def f():\n    from kg.store import b\n")
    (tmp_path / "kg" / "store" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
        "import service.app\n")
    assert set(cycle(import_graph(tmp_path, ["kg"])) or []) == {"kg.store.a", "kg.store.b"}
    assert ("kg.store.b", "service") in external_imports(tmp_path, "kg")



def test_no_two_classes_share_a_name(layout: Layout) -> None:
    # A reader who meets a type name finds one definition, whichever module it came from.
    defined: dict[str, list[str]] = {}
    for name, path in modules(layout.root, ["kg", "service", "dmkg_cli"]).items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                defined.setdefault(node.name, []).append(name)
    assert {c: where for c, where in defined.items() if len(where) > 1} == {}

# Imports every module of the packages and prints each project file opened meanwhile that is
# not Python code (run in a fresh interpreter, so that nothing is imported already).
_OPENS = """
import importlib, pkgutil, sys
from pathlib import Path
root = Path.cwd().resolve()
# Installed packages (a virtual environment may sit inside the project) are not the project's.
installed = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
def hook(event, args):
    if event == "open" and isinstance(args[0], str):
        path = Path(args[0]).resolve()
        if (root in path.parents and not installed & set(path.parents)
                and path.suffix not in {".py", ".pyc", ".so"}
                and "__pycache__" not in path.parts):  # bytecode, and its files being written
            print(path.relative_to(root), flush=True)
sys.addaudithook(hook)
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for found in pkgutil.walk_packages(package.__path__, name + "."):
        if not found.name.endswith("__main__"):
            importlib.import_module(found.name)
"""


@pytest.mark.slow
def test_importing_reads_no_file(layout: Layout) -> None:
    run = subprocess.run([sys.executable, "-c", _OPENS, "kg", "service", "dmkg_cli"],
                         capture_output=True, text=True, check=False, cwd=layout.root)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == []
