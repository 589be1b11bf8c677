"""What a small query costs on a writable store, in process: the median time of a one-entity
look-up through OxigraphBackend.query on the built graphs in a store on disk, with no write
and after a write. With --before DIR (a checkout of an earlier version), the same is measured
with that version's code, in a child process of the same run.

Results: bench/results/query-target-latest.json and .md.

    python -m bench.query_target [--before DIR] [--runs 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import save_results

LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/ketamine> ?p ?o }"
WRITE = ("INSERT DATA { GRAPH <urn:bench:mine> { <urn:bench:a> <urn:bench:b> "
         "<urn:bench:c> } }")


def _measure(dataset: Path, runs: int) -> dict[str, float]:
    """Median microseconds of the look-up before and after one write (this process's code)."""
    import pyoxigraph as ox

    from kg.store.oxigraph_backend import OxigraphBackend

    with tempfile.TemporaryDirectory() as folder:
        loaded = ox.Store(folder)
        loaded.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
        loaded.flush()
        del loaded
        backend = OxigraphBackend.writable(Path(folder))
        figures = {}
        for label in ("no write", "after a write"):
            if label == "after a write":
                backend.update(WRITE)
            for _ in range(200):
                backend.query(LOOKUP)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                backend.query(LOOKUP)
                times.append(time.perf_counter() - started)
            figures[label] = round(statistics.median(times) * 1e6, 1)
        return figures


def main() -> None:
    from kg.paths import default_layout

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version")
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--dataset", type=Path,
                        default=default_layout().root / "dist" / "dmkg.nq")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(_measure(options.dataset, options.runs)))
        return
    codes = {"this version": Path(__file__).resolve().parents[1]}
    if options.before:
        codes = {"before": options.before.resolve(), **codes}
    load = Path("/proc/loadavg").read_text().split()[:3]
    rows = {}
    for name, code in codes.items():
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--runs",
             str(options.runs), "--dataset", str(options.dataset)],
            cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, check=True,
            capture_output=True, text=True)
        rows[name] = json.loads(done.stdout)
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "runs": options.runs,
              "loadavg": load, "median_us": rows}
    lines = [f"Median µs of {options.runs} look-ups through OxigraphBackend.query, writable "
             f"store on disk, built graphs; load average {' '.join(load)}.", "",
             "| code | no write | after a write |", "|---|---|---|"]
    lines += [f"| {name} | {row['no write']} | {row['after a write']} |"
              for name, row in rows.items()]
    save_results("query-target", result, lines)


if __name__ == "__main__":
    main()
