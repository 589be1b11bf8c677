"""What one request crosses: the project modules and source lines it executes.

Runs a `GET /sparql` one-entity query and a REST look-up through the application's whole
WSGI stack (everything below the HTTP server) with a tracer on, twice each (the second run
is the one counted, so start-up work is left out), and reports how many of the project's
modules and distinct lines each crossed, and how many store queries the look-up made.

    python -m bench.request_path [--home PATH]
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

import click
from werkzeug.test import Client

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PACKAGES = ("kg", "service", "dmkg_cli", "cli")
IDS = "https://w3id.org/dmkg/id/substance/"
# Each request is made for one substance to warm up and counted for another, so that
# nothing kept from the first (parsed texts, answers) shortens the second.
REQUESTS: dict[str, Callable[[str], str]] = {
    "GET /sparql (one entity)": lambda slug: "/sparql?" + urlencode(
        {"query": f"SELECT ?p ?o WHERE {{ <{IDS}{slug}> ?p ?o }}"}),
    "REST look-up (composed afresh)": lambda slug: f"/api/entities/substance/{slug}",
}


def _ours(filename: str) -> str | None:
    path = Path(filename)
    try:
        relative = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    return str(relative) if relative.parts[0] in PACKAGES else None


class _Tracer:
    """Records the project's modules and lines run while on, in every thread.

    Installed before the first request, so that threads the service starts once (the query
    runners) carry it too; only what runs while it is on is counted.
    """

    def __init__(self) -> None:
        self.on = False
        self.modules: set[str] = set()
        self.lines: set[tuple[str, int]] = set()

    def _local(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if self.on and event == "line":
            self.lines.add((frame.f_code.co_filename, frame.f_lineno))
        return self._local

    def call(self, frame: FrameType, _event: str, _arg: Any) -> Any:
        name = _ours(frame.f_code.co_filename)
        if name is None:
            return None
        if self.on:
            self.modules.add(name)
        return self._local

    def count(self, run: Callable[[], Any]) -> tuple[set[str], set[tuple[str, int]]]:
        self.modules, self.lines, self.on = set(), set(), True
        try:
            run()
        finally:
            self.on = False
        return self.modules, self.lines


def measure(home: Path) -> dict[str, dict[str, Any]]:
    from service.app import create_app

    tracer = _Tracer()
    sys.settrace(tracer.call)
    threading.settrace(tracer.call)
    app = create_app({"HOME": str(home), "STORE": "oxigraph",
                      "DATA": [str(home / "dist" / "dmkg.nq")], "RESPONSE_CACHE_MB": 0})
    client = Client(app.wsgi_app)
    report: dict[str, dict[str, Any]] = {}
    for label, path in REQUESTS.items():
        client.get(path("cocaine"), headers={"Accept": "application/json"}).close()
        counted = path("ketamine")

        def one_request(target: str = counted) -> None:
            client.get(target, headers={"Accept": "application/json"}).close()

        modules, lines = tracer.count(one_request)
        report[label] = {"modules": len(modules), "lines": len(lines),
                         "module_list": sorted(modules)}
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type,unused-ignore]
    return report


@click.command()
@click.option("--home", type=click.Path(path_type=Path), default=ROOT, show_default=True,
              help="Project folder whose dist/dmkg.nq is served.")
def main(home: Path) -> None:
    """Count the modules and lines a GET /sparql and a REST look-up cross."""
    report = measure(home)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"request-path-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = [f"| {label} | {entry['modules']} | {entry['lines']} |"
            for label, entry in report.items()]
    table = "\n".join(["| request | project modules | distinct lines |", "|---|---:|---:|", *rows])
    (RESULTS / f"request-path-{stamp}.md").write_text(
        f"# What one request crosses ({stamp})\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
