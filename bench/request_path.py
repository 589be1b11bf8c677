"""What one request crosses: the project modules and source lines it executes.

Runs a `GET /sparql` one-entity query, the same link opened by a browser (the query editor
with the query in it), a SPARQL update sent with a token (on a writable copy of the store in
a temporary folder) and a REST look-up through the application's whole WSGI stack
(everything below the HTTP server) with a tracer on, twice each (the second run is the one
counted, so start-up work is left out), and reports how many of the project's modules and
distinct lines each crossed.

    python -m bench.request_path [--home PATH]
"""

from __future__ import annotations

import json
import sys
import tempfile
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
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TOKEN = "request-path-bench-token-0123456789"
# Each update writes its own graph (outside the built ones), so none repeats another.
UPDATE = ("INSERT DATA {{ GRAPH <urn:dmkg:bench:{slug}> "
          "{{ <urn:dmkg:bench:s> <urn:dmkg:bench:p> \"{slug}\" }} }}")


def _ours(filename: str) -> str | None:
    path = Path(filename)
    try:
        relative = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    return str(relative) if relative.parts[0] in PACKAGES else None


def _in_flask(filename: str) -> bool:
    return "/site-packages/flask/" in filename


class _Tracer:
    """Records the project's modules and lines run while on, in every thread, and the lines
    of Flask's own modules (a request answered without entering Flask runs none).

    Installed before the first request, so that threads the service starts once (the query
    runners) carry it too; only what runs while it is on is counted.
    """

    def __init__(self) -> None:
        self.on = False
        self.modules: set[str] = set()
        self.lines: set[tuple[str, int]] = set()
        self.flask: set[tuple[str, int]] = set()

    def _local(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if self.on and event == "line":
            self.lines.add((frame.f_code.co_filename, frame.f_lineno))
        return self._local

    def _flask_local(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if self.on and event == "line":
            self.flask.add((frame.f_code.co_filename, frame.f_lineno))
        return self._flask_local

    def call(self, frame: FrameType, _event: str, _arg: Any) -> Any:
        if _in_flask(frame.f_code.co_filename):
            return self._flask_local
        name = _ours(frame.f_code.co_filename)
        if name is None:
            return None
        if self.on:
            self.modules.add(name)
        return self._local

    def count(self, run: Callable[[], Any]) -> dict[str, Any]:
        self.modules, self.lines, self.flask, self.on = set(), set(), set(), True
        try:
            run()
        finally:
            self.on = False
        return {"modules": len(self.modules), "lines": len(self.lines),
                "flask_lines": len(self.flask), "module_list": sorted(self.modules)}


def _counted(tracer: _Tracer, send: Callable[[str], Any]) -> dict[str, Any]:
    """Send a request once to warm up, then count what a second one crosses."""
    send("cocaine")
    return tracer.count(lambda: send("ketamine"))


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
        def get(slug: str, path: Callable[[str], str] = path) -> None:
            client.get(path(slug), headers={"Accept": "application/json"}).close()

        report[label] = _counted(tracer, get)

    def browse(slug: str) -> None:
        client.get(REQUESTS["GET /sparql (one entity)"](slug), headers=BROWSER).close()

    report["GET /sparql (a browser: the editor)"] = _counted(tracer, browse)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "tokens").write_text(f"bench {TOKEN}\n", encoding="utf-8")
        writable = create_app({"HOME": str(home), "STORE": "oxigraph", "RESPONSE_CACHE_MB": 0,
                               "STORE_DIR": str(Path(folder) / "store"),
                               "WRITE_TOKENS": str(Path(folder) / "tokens"),
                               "AUDIT_LOG": str(Path(folder) / "audit.log")})
        writer = Client(writable.wsgi_app)

        def update(slug: str) -> None:
            answer = writer.post("/sparql", data=UPDATE.format(slug=slug), headers={
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {TOKEN}"})
            assert answer.status_code == 204, answer.get_data(as_text=True)
            answer.close()

        report["POST /sparql (an update)"] = _counted(tracer, update)
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type,unused-ignore]
    return report


@click.command()
@click.option("--home", type=click.Path(path_type=Path), default=ROOT, show_default=True,
              help="Project folder whose dist/dmkg.nq is served.")
def main(home: Path) -> None:
    """Count the modules and lines a GET /sparql (by a program and by a browser), an update
    and a REST look-up cross."""
    report = measure(home)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"request-path-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = [f"| {label} | {entry['modules']} | {entry['lines']} | {entry['flask_lines']} |"
            for label, entry in report.items()]
    table = "\n".join(["| request | project modules | distinct lines | Flask's lines |",
                       "|---|---:|---:|---:|", *rows])
    (RESULTS / f"request-path-{stamp}.md").write_text(
        f"# What one request crosses ({stamp})\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
