"""The README documents every command and setting the code has."""

from __future__ import annotations

import click

from dmkg_cli.commands import main
from kg.paths import Layout
from service.config import DEFAULTS


def _readme(layout: Layout) -> str:
    return (layout.root / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented(layout: Layout) -> None:
    readme = _readme(layout)
    for key in DEFAULTS:
        assert f"| `{key}` |" in readme, key



def _commands(group: click.Group, prefix: str = "dmkg") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_command_is_documented(layout: Layout) -> None:
    readme = _readme(layout)
    for command in _commands(main):
        assert f"`{command}" in readme, command


def test_quick_start_is_two_commands_that_exist(layout: Layout) -> None:
    readme = _readme(layout)
    quick = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["./dev serve", "./dev test"]
    ci = (layout.root / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev test" in ci
