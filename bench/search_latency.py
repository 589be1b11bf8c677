"""Search latency before and after a change, side by side, on one index of the synthetic graph.

The index of a scale is built once (with the code of this tree); then the code of a git
revision (before) and of this tree (after) open it in turn, alternating, each in a process of
its own, and time one page of 20 for the searches of bench.search_start (a broad word, an exact
name, a prefix, a misspelling searched again and again, a word of the quotes) and for 24
misspellings searched once each (the first search of a text). Wall and CPU milliseconds, p50
and p90, and the load average before each run: on a machine shared with other work, a
process waiting for a core lengthens the wall time, not the CPU time. Results go to
bench/results/search-latency-*.json and .md.

    python -m bench.search_latency [--scale 1000000] [--before main] [--runs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import save_results
from bench.index_build import ROOT, _checkout, _env, _load, _revision, child_row
from bench.search_start import _home

NAMES = ("broad", "exact", "prefix", "misspelt", "misspelt_once", "text")

CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
from kg.catalogue import Catalogue

catalogue = Catalogue.open(Path(sys.argv[1]))

def misspell(word):
    return word[:1] + word[2] + word[1] + word[3:] if len(word) > 3 else word

def one(text):
    wall, cpu = time.perf_counter(), time.process_time()
    catalogue.query(text, limit=20)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

def summary(samples):
    walls, cpus = sorted(w for w, _ in samples), sorted(c for _, c in samples)
    p90 = int(len(samples) * 0.9)
    return {"wall_p50": round(statistics.median(walls), 3), "wall_p90": round(walls[p90], 3),
            "cpu_p50": round(statistics.median(cpus), 3), "cpu_p90": round(cpus[p90], 3)}

probe = catalogue.by_id("substance/synthetic-1").label()
probes = [catalogue.by_id(f"{kind}/synthetic-{n}").label(lang)
          for kind in ("substance", "channel", "place", "actor") for n in (1, 7, 42)
          for lang in ("en", "fr")]
figures = {"misspelt_once": summary([one(misspell(p)) for p in probes])}
for name, text in {"broad": "finding", "exact": probe, "prefix": probe[:4],
                   "misspelt": misspell(probe), "text": "tomika"}.items():
    figures[name] = summary([one(text) for _ in range(50)])
print(json.dumps(figures))
"""


def _index(home: Path, folder: Path) -> None:
    """Build the index of a scale's store into folder, with the code of this tree."""
    code = ("import sys; from pathlib import Path; "
            "from kg.store.factory import StoreSettings, open_backend; "
            "from kg.search import build; h = Path(sys.argv[1]); "
            "b = open_backend(StoreSettings('oxigraph', h, h / 'store')); "
            "r, t = build.read(b); build.write(r, t, Path(sys.argv[2]))")
    subprocess.run([sys.executable, "-c", code, str(home), str(folder)], cwd=ROOT, check=True,
                   env=_env(ROOT))


def one(tree: Path, folder: Path) -> dict[str, Any]:
    return child_row(tree, CHILD, str(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--before", default="main", help="git revision of the code before")
    parser.add_argument("--runs", type=int, default=2, help="runs of each code")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep the scale's data and store here for later runs")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-") as tmp:
        before = _checkout(args.before, Path(tmp) / "before")
        home, figures = _home(args.cache or Path(tmp) / "homes", args.scale)
        _load(home)
        folder = Path(tmp) / "index"
        folder.mkdir()
        _index(home, folder)
        for turn in range(args.runs):
            for code in (("before", "after"), ("after", "before"))[turn % 2]:
                row = one(before if code == "before" else ROOT, folder)
                row.update({"code": code, "run": len(rows) + 1})
                print(json.dumps(row), flush=True)
                rows.append(row)
    medians = {code: {name: {k: round(statistics.median(r[name][k] for r in rows
                                                          if r["code"] == code), 3)
                             for k in ("wall_p50", "cpu_p50")} for name in NAMES}
               for code in ("before", "after")}
    result = {"benchmark": "search latency, before and after",
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "before": _revision(args.before), "after": _revision("HEAD"),
              "triples": figures["triples"], "runs": rows, "medians": medians}
    lines = [f"# search latency at {result['triples']} triples, before ({result['before']}) "
             f"and after ({result['after']}) ({result['date']}, 2 cores shared)", "",
             "One index, opened by each code in turn (a process of its own); one page of 20, "
             "50 runs of each search (24 misspellings once each for `misspelt_once`); "
             "p50 ms, wall / CPU.", "",
             "| code | run | load before | " + " | ".join(NAMES) + " |",
             "|---|---:|---|" + "---|" * len(NAMES)]
    for row in rows:
        lines.append(f"| {row['code']} | {row['run']} | {row['load_before']} | " + " | ".join(
            f"{row[n]['wall_p50']} / {row[n]['cpu_p50']}" for n in NAMES) + " |")
    lines += ["", "| medians | " + " | ".join(NAMES) + " |", "|---|" + "---|" * len(NAMES)]
    for code in ("before", "after"):
        lines.append(f"| {code} | " + " | ".join(
            f"{medians[code][n]['wall_p50']} / {medians[code][n]['cpu_p50']}" for n in NAMES)
            + " |")
    save_results("search-latency", result, lines)


if __name__ == "__main__":
    main()
