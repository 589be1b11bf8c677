"""How cost grows with the graph: every backend, over HTTP, at 10k to 10M triples.

For each scale: a synthetic graph (bench.synthetic) plus the curated one, so that the
competency questions have answers, is served by DMKG on the in-memory Oxigraph store, on the
rdflib reference store (up to --rdflib-max triples) and on Virtuoso (after `dmkg load`), beside
a Flask "hello" ceiling and rdflib-endpoint on the same data (up to --rdflib-max). Each is
driven with wrk on 127.0.0.1: REST look-up, REST search, each competency question, and four
SPARQL shapes. Load time and resident memory are recorded.

Results: bench/results/scale-*.json and .md, and plots (latency against triples, log-log).

    python -m bench.scale --quick                 # 10k triples, short runs: under two minutes
    python -m bench.scale --scales 10000 100000 1000000 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rdflib import XSD, Literal, URIRef

from bench.loadgen import wrk
from bench.servers import Server, free_port
from bench.synthetic import write
from kg.build import build, is_current
from kg.paths import default_layout
from kg.queryfiles import QueryFile, read_queries
from kg.sparql_text import values_block

RESULTS = Path(__file__).resolve().parent / "results"
SHAPES = {
    "one-entity": "SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/synthetic-1> ?p ?o }",
    "label-search": ('SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l '
                     'FILTER(CONTAINS(LCASE(STR(?l)), "ketamine")) } LIMIT 20'),
    "two-hop": ("SELECT ?claim ?place WHERE { ?claim "
                "<https://w3id.org/dmkg/ontology#aboutSubstance> "
                "<https://w3id.org/dmkg/id/substance/synthetic-1> ; "
                "<https://w3id.org/dmkg/ontology#aboutPlace> ?place } LIMIT 100"),
    "aggregate": ("SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type "
                  "ORDER BY DESC(?n) LIMIT 10"),
}
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}
# Requests sent with a query string of their own each time, so that no kept answer is reused.
UNIQUE = Path(__file__).resolve().parent / "unique.lua"
COMPOSED = {"rest-lookup-composed"}
# Seconds wrk waits for one answer (its default, 2, left the slowest requests with none).
SLOWEST = 30


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    for child in Path("/proc").iterdir():
        if child.name.isdigit():
            try:
                stat = (child / "stat").read_text().split()
                if int(stat[3]) == pid:
                    pids.append(int(child.name))
            except (OSError, IndexError, ValueError):
                continue
    for one in pids:
        try:
            for line in (Path("/proc") / str(one) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def _drain(server: Server, limit: float = 300.0) -> None:
    """Wait until the server has worked off what the last run left queued."""
    import urllib.request

    deadline = time.monotonic() + limit
    probe = server.base + "/sparql?" + urlencode({"query": "ASK {}"})
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            with urllib.request.urlopen(probe, timeout=30):
                pass
        except OSError:
            continue
        if time.monotonic() - start < 0.5:
            return


def _targets(quick: bool) -> dict[str, str]:
    """Named request paths driven on every DMKG target."""
    lookup = "/api/entities/substance/synthetic-1"
    paths = {
        "rest-lookup": lookup,  # after the first request, the kept answer
        "rest-lookup-composed": lookup,  # composed for every request (bench/unique.lua)
        "rest-search": "/api/search?q=ketamine",
    }
    for shape, text in SHAPES.items():
        paths[f"sparql-{shape}"] = "/sparql?" + urlencode({"query": text})
    queries = read_queries(default_layout().queries_dir)
    for query in queries[:1] if quick else queries:
        paths[query.name] = "/sparql?" + urlencode({"query": bound(query)})
    return paths


def bound(query: QueryFile) -> str:
    """The query as the REST API asks it: parameters bound to their defaults (trailing VALUES)."""
    given = [p for p in query.parameters if p.default is not None]
    if not given:
        return query.text
    terms: dict[str, Callable[[str], URIRef | Literal]] = {
        "iri": URIRef, "string": Literal, "integer": lambda v: Literal(int(v)),
        "date": lambda v: Literal(v, datatype=XSD.date)}
    block = values_block({p.name: terms[p.type](str(p.default)).n3() for p in given})
    return f"{query.text}\n{block}\n"


@contextmanager
def _virtuoso(folder: Path, data: list[Path]) -> Iterator[tuple[str, float]]:
    from tests.virtuoso import Virtuoso

    with Virtuoso(folder) as server:
        start = time.perf_counter()
        from kg.store.loader import push
        from kg.store.remote import RemoteBackend

        backend = RemoteBackend(server.endpoint, server.update_endpoint, server.user,
                                server.password, timeout=600)
        for path in data:
            push(backend, path)
        yield server.endpoint, time.perf_counter() - start


def measure_scale(triples: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Serve one scale on every target and drive each request."""
    layout = default_layout()
    synthetic = work / f"synthetic-{triples}.nq"
    if not synthetic.exists():
        write(triples, synthetic, seed=1)
    data = [layout.dist_dir / "dmkg.nq", synthetic]
    # One file for the stores that replace whole graphs (Virtuoso through dmkg load).
    merged = work / f"merged-{triples}.nq"
    with merged.open("w") as out:
        for path in data:
            out.write(path.read_text())
    lines = sum(1 for _ in merged.open())
    python = sys.executable
    paths = _targets(args.quick)
    figures: dict[str, Any] = {"triples": lines, "targets": {}}
    data_args = [f"--data={p}" for p in data]
    plan: list[tuple[str, list[str], dict[str, str]]] = [
        ("dmkg-memory", [python, "-m", "dmkg_cli", "serve", *data_args, "--store", "memory",
                         "--workers", "2"], {}),
    ]
    if lines <= args.rdflib_max:
        plan.append(("dmkg-rdflib", [python, "-m", "dmkg_cli", "serve", *data_args, "--store",
                                     "rdflib", "--workers", "2"], {}))
    with ExitStack() as stack:
        if (args.virtuoso and shutil.which("virtuoso-t")
                and (args.virtuoso_max is None or lines <= args.virtuoso_max)):
            endpoint, load_s = stack.enter_context(_virtuoso(work / f"virtuoso-{triples}",
                                                             [merged]))
            figures["targets"]["dmkg-virtuoso"] = {"load_seconds": round(load_s, 2)}
            plan.append(("dmkg-virtuoso", [python, "-m", "dmkg_cli", "serve", "--store",
                                           f"sparql+{endpoint}", "--workers", "2"], {}))
        for name, command, env in plan:
            port = free_port()
            start = time.perf_counter()
            server = Server(name, [*command, "--host", "127.0.0.1", "--port", str(port)],
                            "/sparql?" + urlencode({"query": "ASK {}"}), port, env=env,
                            log=work / f"{name}-{triples}.log",
                            # Loading and indexing take about a minute a million triples.
                            start_seconds=max(180, lines / 15_000))
            with server:
                started = time.perf_counter() - start
                entry = figures["targets"].setdefault(name, {})
                # Virtuoso's load is dmkg load, timed above.
                entry.update({k: v for k, v in _start_phases(server.log).items()
                              if k not in entry})
                entry.update({"start_seconds": round(started, 2),
                              "rss_mb": _rss_mb(server.process.pid),  # type: ignore[union-attr]
                              "requests": {}})
                for label, request in paths.items():
                    headers = JSON_ACCEPT if request.startswith("/sparql") else {}
                    entry["requests"][label] = _drive(server.base + request, args, headers,
                                                      UNIQUE if label in COMPOSED else None)
                    _drain(server)
        figures["targets"].update(_peers(merged, lines, args))
    return figures


def _start_phases(log: Path | None) -> dict[str, float]:
    """The seconds the service says it took to open (load) its store and build its index."""
    phases: dict[str, float] = {}
    text = log.read_text(errors="replace") if log and log.exists() else ""
    for key, pattern in (("load_seconds", r"service\.app: store \S+ open in ([0-9.]+) s"),
                         ("index_seconds",
                          r"service\.app: search index of .* ready in ([0-9.]+) s")):
        found = re.search(pattern, text)
        if found:
            phases[key] = float(found.group(1))
    return phases


def _drive(url: str, args: argparse.Namespace, headers: dict[str, str] | None = None,
           script: Path | None = None) -> dict[str, Any]:
    """Latency of one request alone (1 connection), then throughput under load."""
    # A slow request (an aggregate over 10M triples) gets a latency rather than a time-out.
    alone = wrk(url, 1, 1 if args.quick else args.seconds, threads=1, headers=headers,
                script=script, timeout=SLOWEST)
    loaded = wrk(url, args.connections, args.seconds, headers=headers, script=script,
                 timeout=SLOWEST)
    return {**loaded.__dict__, "alone_p50_ms": alone.latency_p50_ms,
            "alone_p99_ms": alone.latency_p99_ms, "errors": loaded.errors + alone.errors}


def _peers(merged: Path, lines: int, args: argparse.Namespace) -> dict[str, Any]:
    python = sys.executable
    gunicorn = [python, "-m", "gunicorn", "--workers", "2", "--log-level", "warning",
                "--no-control-socket"]
    peers: dict[str, Any] = {}
    port = free_port()
    with Server("flask-hello", [*gunicorn, "--bind", f"127.0.0.1:{port}",
                                "bench.apps:hello()"], "/hello", port) as hello:
        peers["flask-hello"] = {"requests": {"hello": _drive(hello.base + "/hello", args)}}
    if lines <= args.rdflib_max:
        port = free_port()
        start = time.perf_counter()
        with Server("rdflib-endpoint", [*gunicorn, "-k", "uvicorn.workers.UvicornWorker",
                                        "--bind", f"127.0.0.1:{port}",
                                        "bench.apps:rdflib_endpoint()"],
                    "/sparql?" + urlencode({"query": "ASK {}"}), port,
                    env={"DMKG_BENCH_DATA": str(merged)}) as peer:
            started = time.perf_counter() - start
            path = "/sparql?" + urlencode({"query": SHAPES["one-entity"]})
            result = _drive(peer.base + path, args, JSON_ACCEPT)
            peers["rdflib-endpoint"] = {"start_seconds": round(started, 2),
                                        "rss_mb": _rss_mb(peer.process.pid),  # type: ignore[union-attr]
                                        "requests": {"sparql-one-entity": result}}
    return peers


def markdown(result: dict[str, Any]) -> str:
    """One table per scale: latency alone and under load, and throughput, of every request."""
    lines = [f"# {result['benchmark']} ({result['date']})", "",
             f"Commit: {result.get('commit', 'unknown')}. Settings: {result['settings']}",
             "", "Latency alone: one connection. Under load: "
             f"{result['settings']['connections']} connections, which also give req/s.", ""]
    lines += targets(result)
    for scale in result["scales"]:
        lines += [f"## {scale['triples']} triples", "",
                  "| target | start s | load s | index s | RSS MB |", "|---|---:|---:|---:|---:|"]
        for name, target in scale["targets"].items():
            lines.append(f"| {name} | {target.get('start_seconds', '')} | "
                         f"{target.get('load_seconds', '')} | {target.get('index_seconds', '')} | "
                         f"{target.get('rss_mb', '')} |")
        lines += ["", "| request | target | p50 ms alone | p99 ms alone | req/s under load | "
                      "p50 ms under load | p99 ms under load | errors |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for name, target in scale["targets"].items():
            for label, row in target.get("requests", {}).items():
                lines.append(f"| {label} | {name} | {row.get('alone_p50_ms', float('nan')):.2f} | "
                             f"{row.get('alone_p99_ms', float('nan')):.2f} | "
                             f"{row['requests_per_second']:.0f} | {row['latency_p50_ms']:.2f} | "
                             f"{row['latency_p99_ms']:.2f} | {row['errors']} |")
        lines.append("")
    return "\n".join(lines)


def _request(scale: dict[str, Any], target: str, label: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = scale["targets"].get(target, {}).get("requests", {}).get(label)
    return found


def targets(result: dict[str, Any]) -> list[str]:
    """The issue's targets for the embedded store, each with the figure measured and a verdict."""
    lines = ["## Targets (embedded Oxigraph store, in memory)", "",
             "| target | scale | measured | met |", "|---|---:|---:|---|"]

    def row(what: str, triples: int, measured: str, met: bool) -> None:
        lines.append(f"| {what} | {triples} | {measured} | {'yes' if met else '**no**'} |")

    for scale in result["scales"]:
        hello = _request(scale, "flask-hello", "hello")
        for label, what in (("rest-lookup", "REST look-up ≥ 0.80 of hello (answer kept)"),
                            ("rest-lookup-composed",
                             "REST look-up ≥ 0.80 of hello (composed every time)"),
                            ("sparql-one-entity", "one-entity SPARQL ≥ 0.80 of hello")):
            mine = _request(scale, "dmkg-memory", label)
            if hello and mine and hello["requests_per_second"]:
                ratio = mine["requests_per_second"] / hello["requests_per_second"]
                row(what, scale["triples"], f"{ratio:.2f}", ratio >= 0.8)
        if 900_000 <= scale["triples"] < 2_000_000:
            search = _request(scale, "dmkg-memory", "rest-search")
            if search and "alone_p50_ms" in search:
                p50 = search["alone_p50_ms"]
                row("label search p50 ≤ 20 ms", scale["triples"], f"{p50:.1f} ms", p50 <= 20)
            cqs = {label: r["alone_p50_ms"] for label, r in
                   scale["targets"].get("dmkg-memory", {}).get("requests", {}).items()
                   if label.startswith("cq") and "alone_p50_ms" in r}
            if cqs:
                slow = {k: v for k, v in cqs.items() if v > 50}
                worst = max(cqs, key=lambda k: cqs[k])
                row("competency questions p50 ≤ 50 ms", scale["triples"],
                    f"{len(cqs) - len(slow)}/{len(cqs)} (slowest {worst}: {cqs[worst]:.1f} ms)",
                    not slow)
        if scale["triples"] >= 9_000_000:
            memory = scale["targets"].get("dmkg-memory", {})
            if "load_seconds" in memory:
                load = memory["load_seconds"]
                row("load of 10M triples < 2 min (into the store; the search index is built "
                    "after it)", scale["triples"], f"{load:.0f} s", load < 120)
    lines.append("")
    return lines


def plot(result: dict[str, Any], target: Path) -> None:
    """Latency (p50) against triples, log-log, one line per target and request."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for scale in result["scales"]:
        for name, entry in scale["targets"].items():
            for label, row in entry.get("requests", {}).items():
                if row["requests"]:  # a run that completed nothing has no latency to plot
                    series.setdefault((name, label), []).append(
                        (scale["triples"], row.get("alone_p50_ms", row["latency_p50_ms"])))
    figure, axes = plt.subplots(figsize=(11, 7))
    for (name, label), points in sorted(series.items()):
        xs, ys = zip(*sorted(points), strict=True)
        axes.plot(xs, ys, marker="o", label=f"{name}: {label}", linewidth=1)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("triples")
    axes.set_ylabel("p50 latency, one connection (ms)")
    axes.set_title("DMKG: latency as the graph grows")
    axes.legend(fontsize=6, ncol=2)
    figure.tight_layout()
    figure.savefig(target, dpi=120)
    plt.close(figure)


def _commit() -> str:
    """The commit measured, with + when the checkout has changes of its own."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, check=True,
                              capture_output=True, text=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                  ".", ":!bench/results"],
                                 cwd=root, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if changed.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true",
                        help="10k triples, 1 s per request alone and 1 s under load, "
                             "1 competency question")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rdflib-max", type=int, default=150_000)
    parser.add_argument("--no-virtuoso", dest="virtuoso", action="store_false")
    parser.add_argument("--virtuoso-max", type=int, default=None, metavar="TRIPLES",
                        help="leave Virtuoso out above this many triples (loading 10M through "
                             "the protocol takes about half an hour here)")
    args = parser.parse_args()
    if args.quick:
        args.scales, args.seconds = [10_000], 1
    layout = default_layout()
    if not is_current(layout):
        build(layout)
    result: dict[str, Any] = {
        "benchmark": "DMKG at scale over HTTP",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {"scales": args.scales, "seconds": args.seconds,
                     "virtuoso_max": args.virtuoso_max,
                     "connections": args.connections, "cpus": os.cpu_count(),
                     "workers": 2, "quick": args.quick},
        "commit": _commit(),
        "scales": [],
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = result["date"].replace(":", "").replace("-", "")[:15]
    kind = "scale-quick" if args.quick else "scale"
    with tempfile.TemporaryDirectory(prefix="dmkg-scale-") as tmp:
        for triples in args.scales:
            result["scales"].append(measure_scale(triples, args, Path(tmp)))
            print(json.dumps({"triples": result["scales"][-1]["triples"]}), flush=True)
            # Written after every scale, so that a long run that stops keeps what it measured.
            for name in (f"{kind}-{stamp}", f"{kind}-latest"):
                (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
                (RESULTS / f"{name}.md").write_text(markdown(result))
                plot(result, RESULTS / f"{name}.png")
    print(markdown(result))


if __name__ == "__main__":
    main()
