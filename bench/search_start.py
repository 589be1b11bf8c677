"""The search index on the on-disk store at scale: build, start, memory and search latency.

For each scale, a synthetic graph becomes HOME/dist/dmkg.nq; then, each in a process of its
own: the first start (the store loaded on disk, the index built beside it, each timed), and a
second start of the whole application on the built store and index (no indexing: the index
folder is checked unchanged), with its resident memory and search latency (p50/p99 in ms,
one page of 20 with the total) for a broad word, an exact name, a prefix, a misspelling and
a word of the quotes. Results go to bench/results/search-start-*.json and .md.

    python -m bench.search_start [--scales 1000000 10000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.search_engines import RESULTS, _in_process, misspell, rss_mb, timed
from bench.synthetic import write


def _settings(home: Path) -> dict[str, Any]:
    from service.config import load_config

    return load_config({"HOME": str(home), "STORE_DIR": str(home / "store"),
                        "STORE": "oxigraph"})


def first(home: Path) -> dict[str, Any]:
    """Load the store on disk, then build the search index beside it, as a first start does."""
    from kg.store.factory import open_backend
    from service.app import index_folder, open_catalogue

    settings = _settings(home)
    began = time.perf_counter()
    backend = open_backend(settings)
    loaded = time.perf_counter()
    catalogue = open_catalogue(backend, index_folder(settings))
    built = time.perf_counter()
    return {"store_load_s": round(loaded - began, 1), "index_build_s": round(built - loaded, 1),
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
    searches = {"broad": "finding", "exact": probe, "prefix": probe[:4],
                "misspelt": misspell(probe), "text": "tomika"}
    figures: dict[str, Any] = {"start_s": round(started, 2), "probe": probe,
                               "indexed_on_start": _state(home) != before}
    for name, text in searches.items():
        found = catalogue.query(text, limit=20)
        figures[f"{name}_total"] = found.total
        figures[f"{name}_total_exact"] = found.total_exact
        figures[name] = timed(lambda t=text: catalogue.query(t, limit=20), 50)
    figures["rss_mb"] = round(rss_mb(), 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the data, store and index (default: a temporary one)")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    rows = []
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-", dir=args.work) as tmp:
        for scale in args.scales:
            home = Path(tmp) / f"home-{scale}"
            (home / "dist").mkdir(parents=True)
            started = time.perf_counter()
            lines = write(scale, home / "dist" / "dmkg.nq")
            row: dict[str, Any] = {"triples": lines,
                                   "generate_s": round(time.perf_counter() - started, 1)}
            print(json.dumps(row), flush=True)
            row.update(_in_process(context, first, home))
            print(json.dumps(row), flush=True)  # the first start alone takes long at scale
            row.update(_in_process(context, again, home))
            rows.append(row)
            print(json.dumps(row), flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    load = Path("/proc/loadavg").read_text().split()[:3]
    result = {"benchmark": "search index on the on-disk store (build, start, memory, latency)",
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "commit": commit, "load_average": load, "rows": rows}
    names = ("broad", "exact", "prefix", "misspelt", "text")
    lines_md = [f"# {result['benchmark']} ({result['date']}, {commit}, load {' '.join(load)})",
                "", "store load and index build: first start; start: the whole application "
                "on the built store and index; p50 / p99 ms for one page of 20 with the total "
                "(n: matches, ~: counted from names matched as typed alone)", "",
                "| triples | entities | store load s | index build s | start s | indexed on "
                "start | resident MB | " + " | ".join(names) + " |",
                "|---:|---:|---:|---:|---:|---|---:|" + "---|" * len(names)]
    for row in rows:
        cells = [f"{row[n]['p50_ms']:.2f} / {row[n]['p99_ms']:.2f} "
                 f"({'' if row[n + '_total_exact'] else '~'}{row[n + '_total']})" for n in names]
        lines_md.append(f"| {row['triples']} | {row['entities']} | {row['store_load_s']} | "
                        f"{row['index_build_s']} | {row['start_s']} | "
                        f"{'yes' if row['indexed_on_start'] else 'no'} | {row['rss_mb']} | "
                        + " | ".join(cells) + " |")
    RESULTS.mkdir(exist_ok=True)
    stamp = str(result["date"]).replace(":", "").replace("-", "")[:15]
    for name in (f"search-start-{stamp}", "search-start-latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text("\n".join(lines_md) + "\n")
    print("\n".join(lines_md))


if __name__ == "__main__":
    main()
