"""The benchmarks' own command line: `python -m bench list`, `python -m bench run NAME`."""

from __future__ import annotations

import ast
import runpy
import sys
from pathlib import Path

import click

HERE = Path(__file__).parent


def benchmarks() -> dict[str, str]:
    """Every runnable module of bench/ (one with a main()) and the first line of its docstring."""
    found = {}
    for path in sorted(HERE.glob("[!_]*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            found[path.stem] = (ast.get_docstring(tree) or "").splitlines()[0]
    return found


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Benchmarks of DMKG, side by side with peers; results go to bench/results/."""


@main.command("list")
def list_benchmarks() -> None:
    """Name every benchmark with what it measures."""
    for name, summary in benchmarks().items():
        click.echo(f"{name:16} {summary}")


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("name")
@click.argument("options", nargs=-1, type=click.UNPROCESSED)
def run(name: str, options: tuple[str, ...]) -> None:
    """Run benchmark NAME; OPTIONS go to it (`run NAME --help` lists them)."""
    if name not in benchmarks():
        raise click.BadParameter(f"no benchmark {name!r}; `python -m bench list` names them",
                                 param_hint="NAME")
    sys.argv = [f"bench.{name}", *options]
    runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
