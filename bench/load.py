"""A bounded load test: dozens of connections reading and writing for a few minutes.

DMKG serves the built graph with writes enabled (one process, gunicorn threads: the writer
owns the store). Reader connections mix a one-entity SPARQL query, a REST search, a REST
look-up and an entity page; writer connections send SPARQL updates, each into its own graph.
Afterwards every acknowledged write must be in the store, no answer may be a 5xx, and the
server's memory must come back near its level before the load.

Results: bench/results/load-latest.json and .md.

    python -m bench.load                    # 3 minutes, 48 connections (8 of them writing)
    python -m bench.load --seconds 20 --connections 24 --writers 4
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.servers import Server, free_port
from kg.build import build, is_current
from kg.paths import Layout, default_layout

RESULTS = Path(__file__).resolve().parent / "results"
TOKEN = "load-test-token-0123456789abcdef"
READS = {
    "sparql-one-entity": ("/sparql?query=" + quote(
        "SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/ketamine> ?p ?o }"),
        {"Accept": "application/sparql-results+json"}),
    "rest-search": ("/api/search?q=keta", {}),
    "rest-lookup": ("/api/entities/substance/ketamine", {}),
    "page": ("/id/channel/drive", {"Accept": "text/html"}),
}


@dataclass
class Tally:
    """What the connections saw: statuses, latencies per kind, acknowledged writes."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    acknowledged: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies[kind].append(seconds)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _workers(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _connection(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def _reader(port: int, number: int, stop: threading.Event, tally: Tally) -> None:
    kinds = list(READS)
    connection = _connection(port)
    turn = number
    while not stop.is_set():
        kind = kinds[turn % len(kinds)]
        turn += 1
        path, headers = READS[kind]
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            tally.add(kind, response.status, time.perf_counter() - started)
        except (OSError, http.client.HTTPException) as error:
            tally.failures.append(f"{kind}: {error!r}")
            connection.close()
            connection = _connection(port)
    connection.close()


def _writer(port: int, number: int, stop: threading.Event, tally: Tally) -> None:
    connection = _connection(port)
    sequence = 0
    while not stop.is_set():
        name = f"w{number}-{sequence}"
        sequence += 1
        triples = " ".join(f"<urn:load:{name}:{i}> <urn:load:p> {i} ." for i in range(10))
        body = (f"INSERT DATA {{ GRAPH <https://w3id.org/dmkg/graph/load/{name}> "
                f"{{ {triples} }} }}")
        started = time.perf_counter()
        try:
            connection.request("POST", "/sparql", body=body.encode(),
                               headers={"Content-Type": "application/sparql-update",
                                        "Authorization": f"Bearer {TOKEN}"})
            response = connection.getresponse()
            response.read()
            tally.add("sparql-update", response.status, time.perf_counter() - started)
            if response.status == 204:
                with tally.lock:
                    tally.acknowledged.append(name)
        except (OSError, http.client.HTTPException) as error:
            tally.failures.append(f"update {name}: {error!r}")
            connection.close()
            connection = _connection(port)
    connection.close()


def _written(port: int) -> dict[str, int]:
    query = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
             "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/dmkg/graph/load/')) } GROUP BY ?g")
    connection = _connection(port)
    connection.request("GET", "/sparql?query=" + quote(query),
                       headers={"Accept": "application/sparql-results+json"})
    rows = json.loads(connection.getresponse().read())["results"]["bindings"]
    connection.close()
    return {r["g"]["value"].rsplit("/", 1)[1]: int(r["n"]["value"]) for r in rows}


def run(layout: Layout, seconds: float, connections: int, writers: int,
        workdir: Path) -> dict[str, Any]:
    """Run the load against a fresh writable server; return what was measured."""
    if not is_current(layout):
        build(layout)
    (workdir / "tokens").write_text(f"load {TOKEN}\n", encoding="utf-8")
    port = free_port()
    env = {"DMKG_WRITE_TOKENS": str(workdir / "tokens"), "DMKG_STORE_DIR": str(workdir / "store"),
           "DMKG_AUDIT_LOG": str(workdir / "audit.log")}
    command = [sys.executable, "-m", "dmkg_cli", "--home", str(layout.root), "serve",
               "--host", "127.0.0.1", "--port", str(port)]
    tally = Tally()
    with Server("dmkg-writable", command, "/sparql?query=ASK%7B%7D", port, env=env,
                log=workdir / "server.log") as server:
        assert server.process is not None
        worker = _workers(server.process.pid)[0]
        for path, headers in READS.values():  # warm up every route once
            connection = _connection(port)
            connection.request("GET", path, headers=headers)
            connection.getresponse().read()
        baseline = _rss_mb(worker)
        stop = threading.Event()
        threads = [threading.Thread(target=_writer if n < writers else _reader,
                                    args=(port, n, stop, tally))
                   for n in range(connections)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        peak = baseline
        while time.monotonic() - started < seconds:
            time.sleep(1)
            peak = max(peak, _rss_mb(worker))
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        loaded = _rss_mb(worker)
        time.sleep(10)  # let caches and the catalogue rebuild settle
        after = _rss_mb(worker)
        written = _written(port)
    lost = [name for name in tally.acknowledged if written.get(name) != 10]
    partial = {name: n for name, n in written.items() if n != 10}
    total = sum(tally.statuses.values())
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1), "connections": connections, "writers": writers,
        "requests": total, "requests_per_second": round(total / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "server_errors": sum(v for k, v in tally.statuses.items() if k >= 500),
        "connection_failures": len(tally.failures), "failure_samples": tally.failures[:5],
        "acknowledged_writes": len(tally.acknowledged), "lost_writes": len(lost),
        "partial_writes": len(partial),
        "latency_ms": {kind: {"count": len(values),
                              "p50": round(statistics.median(values) * 1000, 2),
                              "p99": round(sorted(values)[int(len(values) * 0.99) - 1] * 1000, 2)
                              if values else None}
                       for kind, values in sorted(tally.latencies.items())},
        "memory_mb": {"baseline": baseline, "peak": peak, "end_of_load": loaded,
                      "after_10s": after},
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# Load test, {result['date']}", "",
             f"{result['connections']} connections ({result['writers']} writing) for "
             f"{result['seconds']} s against `dmkg serve` with writes enabled (one process, "
             "8 threads), on 127.0.0.1.", "",
             f"- requests: {result['requests']} ({result['requests_per_second']} per second)",
             f"- statuses: {result['statuses']}",
             f"- 5xx answers: {result['server_errors']}; connection failures: "
             f"{result['connection_failures']}",
             f"- writes acknowledged: {result['acknowledged_writes']}; lost: "
             f"{result['lost_writes']}; partial: {result['partial_writes']}",
             f"- worker memory (MB): {result['memory_mb']}", "",
             "| kind | requests | p50 ms | p99 ms |", "|---|---|---|---|"]
    for kind, figures in result["latency_ms"].items():
        lines.append(f"| {kind} | {figures['count']} | {figures['p50']} | {figures['p99']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--connections", type=int, default=48)
    parser.add_argument("--writers", type=int, default=8)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dmkg-load-") as folder:
        result = run(default_layout(), options.seconds, options.connections, options.writers,
                     Path(folder))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "load-latest.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
