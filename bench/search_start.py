"""The search index on the on-disk store at scale: build, start, memory and search latency,
side by side with the trigram catalogue it replaced.

For each scale, a synthetic graph becomes HOME/dist/dmkg.nq; then, each in a process of its
own: the first start (the store loaded on disk, the index built beside it, each timed); a
second start of the whole application on the built store and index (no indexing: the index
folder is checked unchanged), with its resident memory and search latency (p50/p90 in ms,
one page of 20 with the total) for a broad word, an exact name, a prefix, a misspelling and
a word of the quotes; the service itself started on them (time until /ready answers and
until a first search does, resident memory of the serving process after start and after
some hundred searches over HTTP); and the trigram catalogue built on the same store, as
every start built it. Results go to bench/results/search-start-*.json and .md.

    python -m bench.search_start [--scales 1000000 10000000] [--cache DIR] [--engines ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.search_engines import RESULTS, _in_process, misspell, rss_mb, timed
from bench.servers import Server, free_port
from bench.synthetic import write

if TYPE_CHECKING:
    from service.config import Settings

NAMES = ("broad", "exact", "prefix", "misspelt", "text")
ENGINES = ("tantivy", "trigrams")


def _settings(home: Path) -> Settings:
    from service.config import load_settings

    return load_settings({"HOME": str(home), "STORE_DIR": str(home / "store"),
                          "STORE": "oxigraph"})


def searches(probe: str) -> dict[str, str]:
    """The mix searched: a broad word, an exact name, a prefix, a typo, a word of the quotes."""
    return {"broad": "finding", "exact": probe, "prefix": probe[:4],
            "misspelt": misspell(probe), "text": "tomika"}


def first(home: Path) -> dict[str, Any]:
    """Load the store on disk (unless kept), then build the search index beside it."""
    from kg.store.factory import open_backend
    from service.services import index_folder, open_catalogue

    settings = _settings(home)
    kept = any((home / "store").glob("store-*/READY"))
    indexed = any((home / "store").glob("search-*/READY"))
    began = time.perf_counter()
    backend = open_backend(settings.storage)
    loaded = time.perf_counter()
    catalogue = open_catalogue(backend, index_folder(settings))
    built = time.perf_counter()
    return {"store_load_s": None if kept else round(loaded - began, 1),
            "index_build_s": None if indexed else round(built - loaded, 1),
            "entities": catalogue.size, "first_rss_mb": round(rss_mb(), 1)}


def _state(home: Path) -> list[tuple[str, int, int]]:
    return sorted((str(f), f.stat().st_ino, f.stat().st_mtime_ns)
                  for f in (home / "store").glob("search-*/*"))


def again(home: Path) -> dict[str, Any]:
    """Start the whole application on the built store and index, then search."""
    from service.app import create_app
    from service.services import services

    before = _state(home)
    began = time.perf_counter()
    app = create_app(_settings(home))
    started = time.perf_counter() - began
    catalogue = services(app).catalogue
    probe = catalogue.by_id("substance/synthetic-1").label()
    figures: dict[str, Any] = {"start_s": round(started, 2), "probe": probe,
                               "indexed_on_start": _state(home) != before}
    for name, text in searches(probe).items():
        found = catalogue.query(text, limit=20)
        figures[f"{name}_total"] = found.total
        figures[f"{name}_total_exact"] = found.total_exact
        figures[name] = timed(lambda t=text: catalogue.query(t, limit=20), 50)
    figures["rss_mb"] = round(rss_mb(), 1)
    return figures


def baseline(home: Path) -> dict[str, Any]:
    """The trigram catalogue on the built store: built at every start, then searched."""
    from bench.catalogue_baseline import Catalogue as Trigrams
    from kg.store.factory import open_backend

    began = time.perf_counter()
    trigrams = Trigrams.from_backend(open_backend(_settings(home).storage))
    figures: dict[str, Any] = {"baseline_start_s": round(time.perf_counter() - began, 1)}
    probe = trigrams.by_id("substance/synthetic-1").label()  # type: ignore[union-attr]
    for name, text in searches(probe).items():
        figures[f"baseline_{name}"] = timed(lambda t=text: trigrams.find(t, limit=20), 50)
    figures["baseline_rss_mb"] = round(rss_mb(), 1)
    return figures


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _worker(server: Server) -> int:
    """The gunicorn worker serving the requests (the one child of the master)."""
    assert server.process is not None
    pid = server.process.pid
    return int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])


def _get(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as reply:
        reply.read()
    return (time.perf_counter() - began) * 1000


def serve(home: Path, probe: str, count: int) -> dict[str, Any]:
    """Start the service on the built store and index; time it, search over HTTP."""
    port = free_port()
    code = ("from service.config import load_settings; from service.server import run; "
            f"run(load_settings({{'HOME': {str(home)!r}, 'STORE': 'oxigraph'}}), "
            f"'127.0.0.1', {port}, None)")
    env = {"DMKG_STORE_DIR": str(home / "store")}
    server = Server("dmkg", [sys.executable, "-c", code], "/ready", port, env,
                    home / "serve.log", start_seconds=900)
    began = time.perf_counter()
    with server:
        ready = time.perf_counter() - began
        mix = searches(probe)
        urls = {name: f"{server.base}/api/search?limit=20&q={urllib.parse.quote(text)}"
                for name, text in mix.items()}
        _get(urls["exact"])
        figures: dict[str, Any] = {"serve_ready_s": round(ready, 2),
                                   "serve_first_search_s": round(time.perf_counter() - began, 2),
                                   "serve_rss_mb": round(_rss_mb(_worker(server)), 1)}
        samples: dict[str, list[float]] = {name: [] for name in mix}
        for turn in range(count):
            name = NAMES[turn % len(NAMES)]
            samples[name].append(_get(urls[name]))
        figures["serve_rss_after_mb"] = round(_rss_mb(_worker(server)), 1)
    for name, taken in samples.items():
        taken.sort()
        figures[f"serve_{name}"] = {"p50_ms": round(statistics.median(taken), 2),
                                    "p90_ms": round(taken[int(len(taken) * 0.9)], 2)}
    return figures


def _home(root: Path, scale: int) -> tuple[Path, dict[str, Any]]:
    """The home of one scale, its synthetic data written unless already there."""
    home = root / f"home-{scale}"
    dataset = home / "dist" / "dmkg.nq"
    if dataset.is_file():
        with dataset.open("rb") as stream:
            return home, {"triples": sum(1 for _ in stream), "generate_s": None}
    dataset.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    lines = write(scale, dataset)
    return home, {"triples": lines, "generate_s": round(time.perf_counter() - started, 1)}


def measure(root: Path, scale: int, count: int, engines: tuple[str, ...], keep_index: bool
            ) -> dict[str, Any]:
    """Every figure of one scale for the engines asked for, each step in a process of its own."""
    context = multiprocessing.get_context("spawn")
    home, row = _home(root, scale)
    print(json.dumps(row), flush=True)
    if "tantivy" in engines:
        for index in [] if keep_index else (home / "store").glob("search-*"):
            shutil.rmtree(index)  # the build is measured, a kept store or not
        for step in (first, again):
            row.update(_in_process(context, step, home))
            print(json.dumps(row), flush=True)  # the first start alone takes long at scale
        row.update(serve(home, row["probe"], count))
        print(json.dumps(row), flush=True)
    if "trigrams" in engines:
        row.update(_in_process(context, baseline, home))
        print(json.dumps(row), flush=True)
    return row


def _cell(figure: dict[str, float] | None) -> str:
    return f"{figure['p50_ms']:.2f} / {figure['p90_ms']:.2f}" if figure else "-"


def _tantivy_rows(row: dict[str, Any]) -> list[str]:
    totals = [f" ({'' if row[n + '_total_exact'] else '~'}{row[n + '_total']})" for n in NAMES]
    return [f"| {row['triples']} | tantivy | {row['start_s']} | {row['rss_mb']} | "
            + " | ".join(_cell(row[n]) + t for n, t in zip(NAMES, totals, strict=True)) + " |",
            f"| {row['triples']} | tantivy over HTTP | {row['serve_ready_s']} | "
            f"{row['serve_rss_after_mb']} | "
            + " | ".join(_cell(row[f"serve_{n}"]) for n in NAMES) + " |"]


def report(result: dict[str, Any]) -> list[str]:
    """The results as Markdown tables."""
    rows = result["rows"]
    lines = [f"# {result['benchmark']} ({result['date']}, {result['commit']}, load "
             f"{' '.join(result['load_average'])})", "",
             "store load and index build (-: kept from an earlier run): first start; start: "
             "the whole application on the built store and index, in process; ready: the "
             "service started (gunicorn) until /ready answers; resident MB of the serving "
             "process after start and after the searches over HTTP", "",
             "| triples | entities | store load s | index build s | start s | indexed on start "
             "| ready s | first search s | resident MB | after searches MB |",
             "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for row in (r for r in rows if "start_s" in r):
        lines.append(f"| {row['triples']} | {row['entities']} | {row['store_load_s'] or '-'} | "
                     f"{row['index_build_s'] or '-'} | {row['start_s']} | "
                     f"{'yes' if row['indexed_on_start'] else 'no'} | {row['serve_ready_s']} | "
                     f"{row['serve_first_search_s']} | {row['serve_rss_mb']} | "
                     f"{row['serve_rss_after_mb']} |")
    lines += ["", "Search: p50 / p90 ms for one page of 20 with the total (n: matches, ~: "
              "counted from names matched as typed alone); in process (Tantivy, and the trigram "
              "catalogue built on the same store) and over HTTP (/api/search)", "",
              "| triples | engine | start s | resident MB | " + " | ".join(NAMES) + " |",
              "|---:|---|---:|---:|" + "---|" * len(NAMES)]
    for row in rows:
        if "start_s" in row:
            lines += _tantivy_rows(row)
        if "baseline_start_s" in row:
            lines.append(f"| {row['triples']} | trigram catalogue | {row['baseline_start_s']} "
                         f"| {row['baseline_rss_mb']} | "
                         + " | ".join(_cell(row[f"baseline_{n}"]) for n in NAMES) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep each scale's data and store here for later runs (default: "
                             "a temporary folder); the index is built again unless --keep-index")
    parser.add_argument("--searches", type=int, default=300,
                        help="searches sent over HTTP before the memory is read again")
    parser.add_argument("--keep-index", action="store_true",
                        help="with --cache, search the index built by an earlier run")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES),
                        help="tantivy (the index, the service on it) and trigrams (the "
                             "catalogue it replaced, long to build at scale)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-") as tmp:
        root = args.cache or Path(tmp)
        for scale in args.scales:
            rows.append(measure(root, scale, args.searches, tuple(args.engines),
                                args.keep_index))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    load = Path("/proc/loadavg").read_text().split()[:3]
    result = {"benchmark": "search index on the on-disk store (build, start, memory, latency)",
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "commit": commit, "load_average": load, "rows": rows}
    lines_md = report(result)
    RESULTS.mkdir(exist_ok=True)
    stamp = str(result["date"]).replace(":", "").replace("-", "")[:15]
    for name in (f"search-start-{stamp}", "search-start-latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text("\n".join(lines_md) + "\n")
    print("\n".join(lines_md))


if __name__ == "__main__":
    main()
