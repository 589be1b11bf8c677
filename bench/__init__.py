"""Benchmarks of the DMKG service, measured side by side with peers (not timed tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def save_results(name: str, result: dict[str, Any], lines: list[str]) -> None:
    """Write a run's figures (JSON) and report (Markdown) as NAME-STAMP and NAME-latest, the
    stamp taken from result["date"], and print the report."""
    RESULTS.mkdir(exist_ok=True)
    stamp = str(result["date"]).replace(":", "").replace("-", "")[:15]
    for kept in (f"{name}-{stamp}", f"{name}-latest"):
        (RESULTS / f"{kept}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{kept}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
