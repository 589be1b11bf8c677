"""Write a benchmark's rows to bench/results/: a JSON file and a Markdown table, stamped and
as the latest."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("results")
Row = Mapping[str, object]


def write_rows(name: str, title: str, rows: Sequence[Row]) -> None:
    """Write rows to results/{name}-{stamp,latest}.{json,md}, the Markdown under title."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    header = list(rows[0])
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table += ["| " + " | ".join(str(row[k]) for k in header) + " |" for row in rows]
    text = f"# {title}\n\n" + "\n".join(table)
    for stem in (f"{name}-{stamp}", f"{name}-latest"):
        (RESULTS / f"{stem}.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        (RESULTS / f"{stem}.md").write_text(text + "\n", encoding="utf-8")


def measure_sizes(sizes: Sequence[int], measure: Callable[[int, Path], Row]) -> list[Row]:
    """Run measure(size, scratch folder) for each size, printing each row as it comes."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            rows.append(measure(size, Path(folder)))
            print(rows[-1], flush=True)
    return rows


def side_by_side(description: str | None, seconds: int) -> argparse.ArgumentParser:
    """The arguments of a benchmark measured in rounds, optionally beside the code before a
    change: --rounds, --seconds (of load per round) and --before (a checkout)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=seconds)
    parser.add_argument("--before", type=Path, default=None,
                        help="a checkout of the code before a change, measured beside")
    return parser


def write_result(name: str, result: Mapping[str, object],
                 markdown: Callable[[Mapping[str, object]], str]) -> None:
    """Write a result to results/{name}-{stamp,latest}.{json,md}, stamped with its "date",
    and print its Markdown."""
    stamp = str(result["date"]).replace(":", "").replace("-", "")[:15]
    RESULTS.mkdir(exist_ok=True)
    text = markdown(result)
    for stem in (f"{name}-{stamp}", f"{name}-latest"):
        (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{stem}.md").write_text(text)
    print(text)
