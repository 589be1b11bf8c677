"""Run the dmkg command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def dmkg(*args: str, home: Path | None = None,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `dmkg ARGS` (with --home when given) and capture its output."""
    command = [sys.executable, "-m", "dmkg_cli"]
    if home is not None:
        command += ["--home", str(home)]
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*command, *args], capture_output=True, text=True, check=False,
                          env=environment)
