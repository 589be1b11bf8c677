"""What the one-reading guard costs beside the query it guards, in one run, in process.

For each query of queries/ (the competency questions) and one REST-style look-up: the median
time to lex the text once, bound its nesting on those tokens, put it in plain form and check
it (a text met for the first time, and one met again), and the median time Oxigraph takes to
answer it on the curated graph.

Results: bench/results/guard-cost-latest.json and .md.

    python -m bench.guard_cost [DATASET.nq]     # default: dist/dmkg.nq
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from kg.paths import default_layout
from kg.queryfiles import read_queries
from kg.store.base import _guard, guard
from kg.store.oxigraph_backend import OxigraphBackend

RESULTS = Path(__file__).parent / "results"
LOOKUP = ("SELECT ?p ?o WHERE { <https://w3id.org/dmkg/id/substance/ketamine> ?p ?o }")


def median_us(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1e6, 1)


def main() -> None:
    layout = default_layout()
    store = OxigraphBackend.in_memory()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", nargs="?", type=Path,
                        default=layout.root / "dist" / "dmkg.nq",
                        help="N-Quads to load (default: the built dist/dmkg.nq)")
    dataset = parser.parse_args().dataset
    if not dataset.is_file():
        raise SystemExit(f"{dataset} does not exist: run 'dmkg build' first")
    store.load(dataset)
    texts = {q.title[:40]: q.text for q in read_queries(layout.queries_dir)}
    texts["look-up"] = LOOKUP
    rows = []
    for name, text in texts.items():
        executed = guard(text, only_oxigraph=True)
        rows.append({
            "query": name,
            "bytes": len(text.encode()),
            "guard_first_us": median_us(lambda t=text: _guard(t, None, True, True), 200),
            "guard_again_us": median_us(lambda t=text: guard(t, only_oxigraph=True), 200),
            "engine_us": median_us(lambda e=executed: list(store.store.query(
                e, use_default_graph_as_union=True)), 50),  # type: ignore[arg-type]
        })
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "guard-cost-latest.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["| query | bytes | guard, first (µs) | guard, again (µs) | engine (µs) |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['query']} | {r['bytes']} | {r['guard_first_us']} | {r['guard_again_us']} "
              f"| {r['engine_us']} |" for r in rows]
    (RESULTS / "guard-cost-latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
