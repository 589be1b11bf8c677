"""What one fresh one-entity SELECT costs a worker: CPU (user, system) and thread switches.

One `dmkg serve --workers 1 --store memory` with its kept answers off is driven by wrk (8
connections); the worker's CPU time and its threads' context switches (voluntary: a thread
waiting for work, for the interpreter's lock or for the network; involuntary: taken off a
core by other work) are read from /proc before and after, per answer. With --before DIR the
code in DIR (a checkout before a change) is measured too, alternated round by round, and the
same server with its kept answers on gives the cost of the front alone (no thread, no query).
With --browser the same link is opened as a browser opens it: the answer is the query editor
with the query in it (a page written from the templates, in the reader's language).
Rates move with the machine's load; the CPU per answer and the switches move less.

    python -m bench.fresh_cost [--rounds 3] [--seconds 5] [--before DIR] [--browser]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

from bench.http_throughput import QUERY
from bench.loadgen import wrk
from bench.report import side_by_side, write_result
from bench.servers import Server, free_port, running_code
from kg.paths import default_layout

ACCEPT = {"Accept": "application/sparql-results+json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CONNECTIONS = 8


def _ticks(pid: int) -> tuple[int, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def _switches(pid: int) -> tuple[int, int]:
    voluntary = involuntary = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                voluntary += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches"):
                involuntary += int(line.split()[1])
    return voluntary, involuntary


def _server(name: str, code: Path | None, kept_mb: int) -> Server:
    port = free_port()
    env = {"DMKG_RESPONSE_CACHE_MB": str(kept_mb)}
    if code is not None:
        env.update(running_code(code))
    return Server(name, [sys.executable, "-m", "dmkg_cli", "--home", str(default_layout().root),
                         "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                         "--store", "memory"],
                  "/sparql?" + urlencode({"query": "ASK {}"}), port, env=env)


def _measure(server: Server, seconds: int, accept: dict[str, str]) -> dict[str, float]:
    assert server.process is not None
    worker = int(subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True,
                                text=True, check=True).stdout.split()[0])
    url = server.base + "/sparql?" + urlencode({"query": QUERY})
    wrk(url, CONNECTIONS, 1, headers=accept)  # warm up
    ticks, switches = _ticks(worker), _switches(worker)
    result = wrk(url, CONNECTIONS, seconds, headers=accept)
    after_ticks, after_switches = _ticks(worker), _switches(worker)
    answers = max(result.requests, 1)
    tick = 1e6 / os.sysconf("SC_CLK_TCK")
    return {"requests_per_second": result.requests_per_second,
            "user_us": (after_ticks[0] - ticks[0]) * tick / answers,
            "system_us": (after_ticks[1] - ticks[1]) * tick / answers,
            "voluntary_switches": (after_switches[0] - switches[0]) / answers,
            "involuntary_switches": (after_switches[1] - switches[1]) / answers,
            "errors": result.errors}


def run(rounds: int, seconds: int, before: Path | None, browser: bool = False
        ) -> dict[str, object]:
    """Measure each server in turn, round after round; return the medians and the rounds."""
    servers = [_server("fresh", None, 0), _server("kept", None, 64)]
    if before is not None:
        servers.insert(1, _server("fresh@before", before, 0))
    load = os.getloadavg()
    rows: dict[str, list[dict[str, float]]] = {}
    for _ in range(rounds):
        for server in servers:
            with server:
                rows.setdefault(server.name, []).append(
                    _measure(server, seconds, BROWSER if browser else ACCEPT))
    medians = {name: {key: statistics.median(row[key] for row in found) for key in found[0]}
               for name, found in rows.items()}
    what = "the query editor opened on" if browser else "the answer to"
    return {"benchmark": "cost of one fresh answer in a worker", "query": QUERY,
            "answer": f"{what} GET /sparql?query=…",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "settings": {"rounds": rounds, "seconds": seconds, "connections": CONNECTIONS,
                         "workers": 1, "browser": browser,
                         **({"before": str(before)} if before else {})},
            "load_average_before": load, "load_average_after": os.getloadavg(),
            "medians": medians, "rounds": rows}


def markdown(result: Mapping[str, object]) -> str:
    """Render the medians as a Markdown table."""
    medians = result["medians"]
    assert isinstance(medians, dict)
    lines = [f"# {result['benchmark']} ({result['date']})", "", f"Query: `{result['query']}`",
             "", f"Answer: {result.get('answer', 'the answer to GET /sparql?query=…')}", "",
             f"Settings: {result['settings']}", "",
             f"Load average (1, 5, 15 min) before: {result['load_average_before']}, after: "
             f"{result['load_average_after']}", "",
             "| server | req/s | user µs/answer | system µs/answer | voluntary switches/answer "
             "| involuntary switches/answer | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, row in medians.items():
        lines.append(f"| {name} | {row['requests_per_second']:.0f} | {row['user_us']:.0f} | "
                     f"{row['system_us']:.0f} | {row['voluntary_switches']:.2f} | "
                     f"{row['involuntary_switches']:.2f} | {row['errors']:.0f} |")
    lines += ["", "Medians over the rounds; kept is the same server answering from its kept "
              "answers (the front's own cost: no thread, no query)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the measurement and write JSON and Markdown into bench/results/."""
    parser = side_by_side(__doc__, seconds=5)
    parser.add_argument("--browser", action="store_true",
                        help="open the query's link as a browser does (the editor)")
    args = parser.parse_args()
    kind = "fresh-cost-editor" if args.browser else "fresh-cost"
    write_result(kind, run(args.rounds, args.seconds, args.before, args.browser), markdown)

if __name__ == "__main__":
    main()
