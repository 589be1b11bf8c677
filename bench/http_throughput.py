"""One-entity SELECT over HTTP: DMKG beside the native Oxigraph server, a Flask "hello"
route and rdflib-endpoint.

DMKG runs as `dmkg serve --workers 2` (gunicorn's master; in each worker an asyncio loop with
a C HTTP parser, service/front.py): with its in-memory Oxigraph store (loaded once in the
master and shared by the forked workers), with its on-disk store (each worker opens it
read-only), and in memory with its kept answers off. The Python peers run under gunicorn with
2 workers on 127.0.0.1 (sync workers for the WSGI app, uvicorn workers for rdflib-endpoint,
which is ASGI), and DMKG once more under granian's Rust front (bench/apps.py, for comparison
only); the native Oxigraph server (`oxigraph serve-read-only`, the `oxigraph` package's
command, same data, union default graph) is the engine with no Python in front: the figure
DMKG is measured against. Each is driven by wrk with 16 connections, in interleaved rounds;
the figures (rate, latency, and the server's CPU time per answer) are medians over the
rounds.

    python -m bench.http_throughput [--rounds 3] [--seconds 10] [--before DIR]

With --before, DMKG in memory (kept answers on, then off) also runs from DIR, a checkout of
the code before a change, in the same interleaved rounds: the change measured side by side.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

from bench.loadgen import LoadResult, wrk
from bench.report import RESULTS, side_by_side, write_result
from bench.servers import Server, free_port, running_code
from kg.build import build, is_current
from kg.paths import default_layout

QUERY = ("SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/ketamine> ?p ?o }")
# What DMKG is measured against, with the figure it must reach.
NATIVE = "oxigraph-native"
TARGETS_TO_MEET = {"vs_native": 0.75, "vs_hello": 0.8, "vs_rdflib_endpoint": 4.0}
STORES = ("memory", "oxigraph")
# DMKG as served, with its kept answers off (every request evaluates the query), and under
# granian, a Rust HTTP front measured as the alternative to gunicorn.
VARIANTS = ("memory-uncached", "memory-granian")
# The name's ending of the targets run from the code before a change (--before).
BEFORE = "@before"


def oxigraph_command() -> str:
    """The native Oxigraph server's command, installed with the bench extra."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if found is None:
        raise SystemExit("the oxigraph command is missing: pip install -e '.[bench]'")
    return found


def _native(data: Path, folder: Path, log_dir: Path) -> Server:
    """The native server on a store of its own, loaded from the same N-Quads file."""
    command = oxigraph_command()
    subprocess.run([command, "load", "--location", str(folder), "--file", str(data)],
                   check=True, capture_output=True)
    port = free_port()
    return Server(NATIVE, [command, "serve-read-only", "--location", str(folder), "--bind",
                           f"127.0.0.1:{port}", "--union-default-graph"],
                  "/query?" + urlencode({"query": "ASK {}"}), port, log=log_dir / "native.log")


def _installed(module: str) -> bool:
    """Tell whether a peer's package (the bench extra) is installed: a peer missing is left
    out of the run, and its ratios with it."""
    return importlib.util.find_spec(module) is not None


def _targets(workers: int, log_dir: Path, native_dir: Path, before: Path | None = None
             ) -> list[tuple[Server, str, dict[str, str]]]:
    layout = default_layout()
    python = sys.executable
    gunicorn = [python, "-m", "gunicorn", "--workers", str(workers), "--log-level", "warning",
                "--no-control-socket"]
    accept = {"Accept": "application/sparql-results+json"}
    targets = []
    port = free_port()
    targets.append((Server("flask-hello", [*gunicorn, "--bind", f"127.0.0.1:{port}",
                                           "bench.apps:hello()"], "/hello", port,
                           log=log_dir / "hello.log"), "/hello", {}))
    targets.append((_native(layout.dist_dir / "dmkg.nq", native_dir, log_dir),
                    "/query?" + urlencode({"query": QUERY}), accept))
    uncached = {"DMKG_RESPONSE_CACHE_MB": "0"}
    dmkg: list[tuple[str, str, dict[str, str]]] = [
        ("dmkg-memory", "memory", {}), ("dmkg-oxigraph", "oxigraph", {}),
        ("dmkg-memory-uncached", "memory", uncached)]
    if before is not None:
        older = running_code(before)
        dmkg += [(f"dmkg-memory{BEFORE}", "memory", older),
                 (f"dmkg-memory-uncached{BEFORE}", "memory", {**uncached, **older})]
    for name, store, env in dmkg:
        port = free_port()
        targets.append((Server(name,
                               [python, "-m", "dmkg_cli", "--home", str(layout.root),
                                "serve", "--host", "127.0.0.1",
                                "--port", str(port), "--workers", str(workers), "--store", store],
                               "/sparql?" + urlencode({"query": "ASK {}"}), port, env=env,
                               log=log_dir / f"{name}.log"),
                        "/sparql?" + urlencode({"query": QUERY}), accept))
    if not _installed("granian"):
        return targets
    port = free_port()
    targets.append((Server("dmkg-memory-granian",
                           [python, "-m", "bench.apps", str(port), str(workers)],
                           "/sparql?" + urlencode({"query": "ASK {}"}), port,
                           log=log_dir / "dmkg-memory-granian.log"),
                    "/sparql?" + urlencode({"query": QUERY}), accept))
    if not _installed("rdflib_endpoint"):
        return targets
    port = free_port()
    targets.append((Server("rdflib-endpoint",
                           [*gunicorn, "-k", "uvicorn.workers.UvicornWorker", "--bind",
                            f"127.0.0.1:{port}", "bench.apps:rdflib_endpoint()"],
                           "/sparql?" + urlencode({"query": "ASK {}"}), port,
                           env={"DMKG_BENCH_DATA": str(layout.dist_dir / "dmkg.nq")},
                           log=log_dir / "rdflib-endpoint.log"),
                    "/sparql?" + urlencode({"query": QUERY}), accept))
    return targets


def run(rounds: int, seconds: int, connections: int, workers: int,
        before: Path | None = None) -> dict[str, object]:
    """Measure every target in interleaved rounds and return the figures."""
    layout = default_layout()
    if not is_current(layout):
        build(layout)
    # Other work on the machine moves the figures: say how much there was.
    load_before = os.getloadavg()
    log_dir = RESULTS / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[LoadResult]] = {}
    # The server's CPU time per answer: what the front costs, less moved by other work on
    # the machine than the rate (which depends on the share of the cores it gets).
    cpu: dict[str, list[float]] = {}
    native_dir = Path(tempfile.mkdtemp(prefix="dmkg-native-"))
    targets = _targets(workers, log_dir, native_dir, before)
    servers = [t[0] for t in targets]
    try:
        for server in servers:
            server.__enter__()
        for _ in range(rounds):
            for server, path, headers in targets:
                wrk(server.base + path, connections, 2, headers=headers)  # warm up
                cpu_before = server.cpu_seconds()
                result = wrk(server.base + path, connections, seconds, headers=headers)
                runs.setdefault(server.name, []).append(result)
                cpu.setdefault(server.name, []).append(
                    (server.cpu_seconds() - cpu_before) / max(result.requests, 1) * 1e6)
    finally:
        for server in servers:
            server.__exit__(None, None, None)
        shutil.rmtree(native_dir, ignore_errors=True)
    summary = {}
    for name, results in runs.items():
        summary[name] = {
            "requests_per_second_median": statistics.median(r.requests_per_second for r in results),
            "latency_p50_ms_median": statistics.median(r.latency_p50_ms for r in results),
            "latency_p99_ms_median": statistics.median(r.latency_p99_ms for r in results),
            "errors": sum(r.errors for r in results),
            "cpu_us_per_request_median": statistics.median(cpu[name]),
            "rounds": [r.__dict__ for r in results],
        }
    hello = summary["flask-hello"]["requests_per_second_median"]
    peer = summary.get("rdflib-endpoint", {}).get("requests_per_second_median")
    native = summary[NATIVE]["requests_per_second_median"]
    ratios = {}
    for variant in [*VARIANTS, *((f"memory{BEFORE}", f"memory-uncached{BEFORE}")
                                 if before is not None else ())]:
        if f"dmkg-{variant}" not in summary:
            continue
        ratios[f"dmkg-{variant}_vs_native"] = (
            summary[f"dmkg-{variant}"]["requests_per_second_median"] / native)
    for store in STORES:
        dmkg = summary[f"dmkg-{store}"]["requests_per_second_median"]
        ratios[f"dmkg-{store}_vs_native"] = dmkg / native
        ratios[f"dmkg-{store}_vs_hello"] = dmkg / hello
        if peer:
            ratios[f"dmkg-{store}_vs_rdflib_endpoint"] = dmkg / peer
    return {
        "benchmark": "one-entity SELECT over HTTP",
        "query": QUERY,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "settings": {"rounds": rounds, "seconds": seconds, "connections": connections,
                     "workers": workers, "load_generator": "wrk -t2 --latency",
                     **({"before": str(before)} if before is not None else {})},
        "targets": summary,
        "ratios": ratios,
        "targets_to_meet": TARGETS_TO_MEET,
    }


def markdown(result: Mapping[str, object]) -> str:
    """Render the figures as a Markdown table."""
    targets = result["targets"]
    assert isinstance(targets, dict)
    ratios = result["ratios"]
    assert isinstance(ratios, dict)
    machine = result["machine"]
    assert isinstance(machine, dict)
    lines = [f"# {result['benchmark']} ({result['date']})", "",
             f"Query: `{result['query']}`", "",
             f"Settings: {result['settings']}", "",
             f"Load average (1, 5, 15 min) before: {machine['load_average_before']}, after: "
             f"{machine['load_average_after']}", "",
             "| target | req/s (median) | server CPU µs/request | p50 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, row in targets.items():
        lines.append(f"| {name} | {row['requests_per_second_median']:.0f} | "
                     f"{row['cpu_us_per_request_median']:.0f} | "
                     f"{row['latency_p50_ms_median']:.2f} | {row['latency_p99_ms_median']:.2f} | "
                     f"{row['errors']} |")
    lines += ["", f"{NATIVE} is `oxigraph serve-read-only --union-default-graph` (its own "
              "threads); the Python servers run 2 worker processes.", ""]
    for store in STORES:
        lines += [f"dmkg-{store} / {NATIVE}: {ratios[f'dmkg-{store}_vs_native']:.2f} "
                  f"(target ≥ {TARGETS_TO_MEET['vs_native']:.2f})",
                  f"dmkg-{store} / hello: {ratios[f'dmkg-{store}_vs_hello']:.2f} (target ≥ 0.80)"]
        if f"dmkg-{store}_vs_rdflib_endpoint" in ratios:
            lines.append(f"dmkg-{store} / rdflib-endpoint: "
                         f"{ratios[f'dmkg-{store}_vs_rdflib_endpoint']:.1f} times (target ≥ 4)")
        lines.append("")
    lines += [f"{name.removesuffix('_vs_native')} / {NATIVE}: {value:.2f}"
              for name, value in ratios.items()
              if name.endswith("_vs_native") and not any(
                  name == f"dmkg-{store}_vs_native" for store in STORES)]
    if "dmkg-memory-granian" in targets:
        lines += ["", "dmkg-memory-granian serves the same application under granian without "
                  "the service's limits (bench/apps.py): a reference, not the service."]
    missing = [name for name in ("dmkg-memory-granian", "rdflib-endpoint") if name not in targets]
    if missing:
        lines += ["", f"Left out (their packages, the bench extra, are not installed): "
                  f"{', '.join(missing)}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmark and write JSON and Markdown into bench/results/."""
    parser = side_by_side(__doc__, seconds=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    write_result("http-throughput", run(args.rounds, args.seconds, args.connections,
                                        args.workers, args.before), markdown)

if __name__ == "__main__":
    main()
