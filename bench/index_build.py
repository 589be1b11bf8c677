"""The search index build, before and after a change, side by side on the synthetic graph.

For each scale, a synthetic graph is loaded once into the on-disk store; then the index is
built from it again and again, alternating the code of a git revision (before) and of this
tree (after), each build in a process of its own: read (the store's individuals) and write
(the Tantivy index into a fresh folder), wall and CPU seconds (CPU of the process, its threads
and the processes it waited for), peak resident memory and the load average before each run.
Each build then answers a sample of searches (names whole, starts, words, misspellings and
words of the quotes); before and after must give the same hits in the same order, tiers and
totals. Results go to bench/results/index-build-*.json and .md.

    python -m bench.index_build [--scales 1000000 2000000] [--before main] [--runs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from bench.search_engines import RESULTS
from bench.search_start import _home

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("read_s", "write_s", "total_s", "read_cpu_s", "write_cpu_s", "cpu_s")

# Run in a process of its own with the code under test first on the path: the code of the
# revision before has no bench module of this name, so the build is driven from this text.
CHILD = r"""
import hashlib, json, resource, sys, tempfile, time
from pathlib import Path
from kg.store.factory import StoreSettings, open_backend
from kg.search import build
from kg.catalogue import Catalogue

home, folder = Path(sys.argv[1]), Path(sys.argv[2])
backend = open_backend(StoreSettings("oxigraph", home, home / "store"))

def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime

began, began_cpu = time.perf_counter(), cpu()
records, terms = build.read(backend)
read, read_cpu = time.perf_counter(), cpu()
index = build.write(records, terms, folder)
written, written_cpu = time.perf_counter(), cpu()
entities = len(records)
del index, records
catalogue = Catalogue.open(folder)

def misspell(word):
    return word[:1] + word[2] + word[1] + word[3:] if len(word) > 3 else word

probes = [catalogue.by_id(f"{kind}/synthetic-{n}").label(lang)
          for kind in ("substance", "channel", "place", "actor") for n in (1, 7, 42)
          for lang in ("en", "fr")]
texts = ["finding", "constat", "tomika", "ket", "mesure", "rapport kamine", "ka"]
for probe in probes:
    texts += [probe, probe[:4], probe[:9], probe.split()[-1], misspell(probe)]
answers = []
for text in texts:
    found = catalogue.query(text, limit=20, facets=True)
    answers.append([text, found.total, found.total_exact, found.did_you_mean,
                    [[h.entity.iri, h.tier, h.name, h.snippet] for h in found.hits],
                    # Facets of fewer values than a page of them (50): the counts of a longer
                    # one are Tantivy's estimate, which follows the index's segments.
                    sorted((k, sorted(v)) for k, v in found.facets.items() if len(v) < 50)])
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
waited = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({
    "entities": entities,
    "read_s": round(read - began, 2), "write_s": round(written - read, 2),
    "total_s": round(written - began, 2), "read_cpu_s": round(read_cpu - began_cpu, 2),
    "write_cpu_s": round(written_cpu - read_cpu, 2), "cpu_s": round(written_cpu - began_cpu, 2),
    "peak_rss_mb": round(max(own, waited) / 1024),
    "searches": len(texts),
    "answers_sha1": hashlib.sha1(json.dumps(answers).encode()).hexdigest(),
    "answers": answers}))
"""


def _load(home: Path) -> None:
    """Load the store of a scale (kept from an earlier run when there)."""
    code = ("from pathlib import Path; from kg.store.factory import StoreSettings, open_backend; "
            f"h = Path({str(home)!r}); open_backend(StoreSettings('oxigraph', h, h / 'store'))")
    subprocess.run([sys.executable, "-c", code], check=True, env=_env(ROOT))


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def _checkout(revision: str, into: Path) -> Path:
    """The code of a revision, unpacked into a folder."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT,
                             capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    with tempfile.TemporaryFile() as stream:
        stream.write(archive)
        stream.seek(0)
        with tarfile.open(fileobj=stream) as tar:
            tar.extractall(into, filter="data")
    return into


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def child_row(tree: Path, child: str, *args: str) -> dict[str, Any]:
    """Run child (Python source) with the code of tree in a process of its own; return the
    JSON row it prints last, with the load average before it ran."""
    load = _loadavg()
    # Run from the tree: `python -c` puts the working folder first on the path.
    done = subprocess.run([sys.executable, "-c", child, *args], cwd=tree,
                          capture_output=True, text=True, env=_env(tree), check=False)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    row: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    row["load_before"] = load
    return row


def one(tree: Path, home: Path, scratch: Path) -> dict[str, Any]:
    """One build with the code of tree, in a process of its own."""
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        return child_row(tree, CHILD, str(home), folder)


def _revision(name: str) -> str:
    return subprocess.run(["git", "rev-parse", "--short", name], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def measure(root: Path, scale: int, runs: int, before: Path, scratch: Path
            ) -> dict[str, Any]:
    """Alternate builds before and after (old, new, new, old, ...) on one scale's store."""
    home, figures = _home(root, scale)
    _load(home)
    order = [("before", "after"), ("after", "before")]
    rows: list[dict[str, Any]] = []
    for turn in range(runs):
        for code in order[turn % 2]:
            row = one(before if code == "before" else ROOT, home, scratch)
            row.update({"code": code, "run": len(rows) + 1})
            print(json.dumps({k: v for k, v in row.items() if k != "answers"}), flush=True)
            rows.append(row)
    digests = {row["answers_sha1"] for row in rows}
    same = len(digests) == 1
    if not same:  # name the first search answered otherwise
        first = next(r for r in rows if r["code"] == "before")["answers"]
        other = next(r for r in rows if r["code"] == "after")["answers"]
        figures["first_difference"] = next((a, b) for a, b in zip(first, other, strict=True)
                                           if a != b)
    for row in rows:
        del row["answers"]
    figures.update({"scale": scale, "runs": rows, "same_answers": same,
                    "searches": rows[0]["searches"]})
    for code in ("before", "after"):
        mine = [r for r in rows if r["code"] == code]
        figures[code] = {p: round(statistics.median(r[p] for r in mine), 2) for p in PHASES}
        figures[code]["peak_rss_mb"] = max(r["peak_rss_mb"] for r in mine)
    figures["ratio"] = {p: round(figures["after"][p] / figures["before"][p], 2)
                        for p in PHASES if figures["before"][p]}
    return figures


def report(result: dict[str, Any]) -> list[str]:
    """The results as Markdown tables."""
    lines = [f"# search index build, before ({result['before']}) and after ({result['after']}) "
             f"({result['date']}, 2 cores shared)", "",
             "Each build a process of its own on the on-disk store: read then write into a "
             "fresh folder; wall and CPU seconds (CPU counts Tantivy's threads and the "
             "processes waited for); load average (1, 5, 15 min) read before each run.", ""]
    for scale in result["scales"]:
        lines += [f"## {scale['triples']} triples ({scale['runs'][0]['entities']} entities)", "",
                  "| code | run | read s | write s | total s | read CPU s | write CPU s | CPU s "
                  "| peak RSS MB | load before |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for row in scale["runs"]:
            lines.append(f"| {row['code']} | {row['run']} | "
                         + " | ".join(str(row[p]) for p in PHASES)
                         + f" | {row['peak_rss_mb']} | {row['load_before']} |")
        lines += ["", "| medians | " + " | ".join(PHASES) + " | peak RSS MB |",
                  "|---|" + "---:|" * (len(PHASES) + 1)]
        for code in ("before", "after"):
            lines.append(f"| {code} | " + " | ".join(str(scale[code][p]) for p in PHASES)
                         + f" | {scale[code]['peak_rss_mb']} |")
        lines.append("| after / before | " + " | ".join(
            str(scale["ratio"].get(p, "-")) for p in PHASES) + " | |")
        verdict = "the same" if scale["same_answers"] else "NOT the same"
        lines += ["", f"{scale['searches']} searches (top 20 hits with tiers, matched names, "
                      f"snippets, totals, facets of under 50 values, did you mean): {verdict} "
                      "before and after.",
                  ""]
        if "first_difference" in scale:
            lines += [f"First difference: `{json.dumps(scale['first_difference'])[:600]}`", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--before", default="main", help="git revision of the code before")
    parser.add_argument("--runs", type=int, default=2, help="builds of each code per scale")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep each scale's data and store here for later runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-") as tmp:
        before = _checkout(args.before, Path(tmp) / "before")
        root = args.cache or Path(tmp) / "homes"
        scales = [measure(root, scale, args.runs, before, Path(tmp))
                  for scale in args.scales]
    result = {"benchmark": "search index build, before and after",
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "before": _revision(args.before), "after": _revision("HEAD"),
              "load_average_after": _loadavg(), "scales": scales}
    lines = report(result)
    RESULTS.mkdir(exist_ok=True)
    stamp = str(result["date"]).replace(":", "").replace("-", "")[:15]
    for kept in (f"index-build-{stamp}", "index-build-latest"):
        (RESULTS / f"{kept}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{kept}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
