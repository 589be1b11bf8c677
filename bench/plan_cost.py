"""What Oxigraph takes to plan and run a query of N patterns, by the shape they are joined in.

For N = 25, 50, 100, 150, 200 and each shape (triple patterns sharing a subject, a chain,
OPTIONALs, UNION branches, MINUS, FILTER EXISTS, path sequences and alternatives, and the
same patterns in an update's WHERE), the median CPU time of reading and answering the text
with pyoxigraph directly, on an empty store and on the curated graph. A shape is not
measured at larger N once one run has taken more than CUT seconds.

Results: bench/results/plan-cost-latest.json and .md (and a dated copy).

    python -m bench.plan_cost [DATASET.nq] [--runs 3] [--cut 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyoxigraph import RdfFormat, Store

from kg.paths import default_layout

RESULTS = Path(__file__).parent / "results"
SIZES = (25, 50, 100, 150, 200)
# Triples that no pattern below matches in the curated graph either: the cost is the plan.
P = "urn:p:"


def star(n: int) -> str:
    return " ".join(f"?s <{P}{i}> ?o{i} ." for i in range(n))


def chain(n: int) -> str:
    return " ".join(f"?v{i} <{P}{i}> ?v{i + 1} ." for i in range(n))


def optionals(n: int) -> str:
    return "?s ?p ?o " + " ".join(f"OPTIONAL {{ ?s <{P}{i}> ?o{i} }}" for i in range(n))


def unions(n: int) -> str:
    return " UNION ".join(f"{{ ?s <{P}{i}> ?o }}" for i in range(n))


def minus(n: int) -> str:
    return "?s ?p ?o " + " ".join(f"MINUS {{ ?s <{P}{i}> ?o{i} }}" for i in range(n))


def exists(n: int) -> str:
    return "?s ?p ?o " + " ".join(f"FILTER EXISTS {{ ?s <{P}{i}> ?o{i} }}" for i in range(n))


def not_exists(n: int) -> str:
    return "?s ?p ?o " + " ".join(f"FILTER NOT EXISTS {{ ?s <{P}{i}> ?o{i} }}"
                                  for i in range(n))


def sequence(n: int) -> str:
    return "?s " + "/".join(f"<{P}{i}>" for i in range(n)) + " ?o"


def alternative(n: int) -> str:
    return "?s " + "|".join(f"<{P}{i}>" for i in range(n)) + " ?o"


def groups(n: int) -> str:
    return " ".join(f"{{ ?s <{P}{i}> ?o{i} }}" for i in range(n))


def predicate_list(n: int) -> str:
    return "?s " + " ; ".join(f"<{P}{i}> ?o{i}" for i in range(n)) + " ."


def unrelated(n: int) -> str:
    return " ".join(f"?s{i} <{P}{i}> ?o{i} ." for i in range(n))


WHERE: dict[str, Callable[[int], str]] = {
    "star": star, "predicate list": predicate_list, "chain": chain, "unrelated": unrelated,
    "groups": groups, "optional": optionals, "union": unions, "minus": minus,
    "exists": exists, "not exists": not_exists, "sequence path": sequence,
    "alternative path": alternative,
}
UPDATE_SHAPES = ("star", "chain", "optional", "union", "minus", "exists", "sequence path")


def query(shape: str, n: int) -> str:
    return f"SELECT * WHERE {{ {WHERE[shape](n)} }}"


def update(shape: str, n: int) -> str:
    return (f"DELETE {{ ?s <{P}gone> ?x }} INSERT {{ ?s <{P}made> 1 }} "
            f"WHERE {{ {WHERE[shape](n)} }}")


def cpu(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def measure(store: Store, text: str, is_update: bool, runs: int, cut: float) -> float:
    def work() -> None:
        if is_update:
            store.update(text)
        else:
            list(store.query(text, use_default_graph_as_union=True))  # type: ignore[arg-type]
    times = [cpu(work)]
    while len(times) < runs and times[0] < cut:
        times.append(cpu(work))
    return round(statistics.median(times), 3)


def curve(store: Store, text_of: Callable[[int], str], is_update: bool, runs: int,
          cut: float) -> dict[int, float]:
    found: dict[int, float] = {}
    for n in SIZES:
        found[n] = measure(store, text_of(n), is_update, runs, cut)
        print(f"  {n}: {found[n]} s", flush=True)
        if found[n] > cut:
            break
    return found


def main() -> None:
    layout = default_layout()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", nargs="?", type=Path,
                        default=layout.root / "dist" / "dmkg.nq",
                        help="N-Quads to load (default: the built dist/dmkg.nq)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cut", type=float, default=4.0)
    parser.add_argument("--shapes", nargs="*", help="only these shapes")
    options = parser.parse_args()
    if not options.dataset.is_file():
        raise SystemExit(f"{options.dataset} does not exist: run 'dmkg build' first")
    curated = Store()
    curated.bulk_load(path=str(options.dataset), format=RdfFormat.N_QUADS)
    stores = {"empty": Store(), "curated": curated}
    cases = [(shape, False) for shape in WHERE]
    cases += [(shape, True) for shape in UPDATE_SHAPES]
    if options.shapes:
        cases = [case for case in cases if case[0] in options.shapes]
    rows: list[dict[str, Any]] = []
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    for store_name, store in stores.items():
        for shape, is_update in cases:
            kind = "update" if is_update else "query"
            print(f"{store_name} {kind} {shape}", flush=True)
            text_of = (lambda n, s=shape: update(s, n)) if is_update else (
                lambda n, s=shape: query(s, n))
            rows.append({"store": store_name, "kind": kind, "shape": shape,
                         "cpu_s": curve(store, text_of, is_update, options.runs, options.cut)})
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    report = {"runs": options.runs, "cut_s": options.cut, "loadavg_before": load_before,
              "loadavg_after": load_after, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    lines = [f"Median CPU seconds of {options.runs} runs (one run past {options.cut} s); "
             f"load average {' '.join(load_before)} before, {' '.join(load_after)} after.", "",
             "| store | kind | shape | " + " | ".join(f"N={n}" for n in SIZES) + " |",
             "|---|---|---|" + "---|" * len(SIZES)]
    for row in rows:
        cells = [str(row["cpu_s"].get(n, "—")) for n in SIZES]
        lines.append(f"| {row['store']} | {row['kind']} | {row['shape']} | "
                     + " | ".join(cells) + " |")
    for name in (f"plan-cost-{stamp}", "plan-cost-latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n")
        (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
