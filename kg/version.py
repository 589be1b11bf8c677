"""The project's one version number: pyproject.toml's, as the CHANGELOG and the service say."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@cache
def project_version() -> str:
    """Return the version in pyproject.toml beside the package, else the installed one."""
    if PYPROJECT.is_file():
        return str(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"])
    try:
        return installed_version("dmkg")
    except PackageNotFoundError:
        return "0+unknown"
