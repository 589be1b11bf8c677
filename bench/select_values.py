"""SELECT answers of the store contract as plain values, beside a revision's, in process.

Loads a synthetic graph (1M triples by default) into the embedded store and times select()
as the service calls it, interleaved, with the embedded backend of a git revision (before:
its answers made of rdflib terms) and the working tree's (after), on the same store: the
claims list of /api/claims (one substance bound), the subjects of reconciliation's
property conditions, and a bulk read of every label (tens of thousands of literals, more
than the kept conversions hold). Both answers are checked to hold the same texts first.
Medians and p90 go to bench/results/select-values-*.json and .md.

    python -m bench.select_values [--triples 1000000] [--before REVISION] [--repeat 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import save_results
from bench.lookup import _load, _old
from bench.synthetic import DMO, DMR, write
from kg.store import LiteralValue
from kg.store.oxigraph_backend import OxigraphBackend

# The last revision whose select() answered rdflib terms.
BEFORE = "fce444d"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
# What each side is asked: a query, and its bindings as plain values (the old side gets them
# as rdflib terms).
QUERIES: dict[str, tuple[str, dict[str, str | LiteralValue]]] = {
    "claims about a substance (/api/claims)": (
        f"SELECT DISTINCT ?claim ?substance WHERE {{ ?claim a <{DMO}Claim> . "
        f"?claim <{DMO}aboutSubstance> ?substance . }}",
        {"substance": f"{DMR}substance/synthetic-1"}),
    "subjects of a condition (reconciliation)": (
        "SELECT DISTINCT ?s WHERE { ?s ?p ?o }",
        {"p": f"{DMO}aboutPlace", "o": f"{DMR}place/synthetic-1"}),
    "every label (bulk)": (f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }}", {}),
}


def _rdflib(bindings: dict[str, str | LiteralValue]) -> dict[str, Any]:
    """The bindings as the old contract took them."""
    from rdflib import Literal, URIRef

    return {name: URIRef(value) if isinstance(value, str)
            else Literal(value.value, lang=value.lang) for name, value in bindings.items()}


def _texts(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{name: str(value) for name, value in row.items()} for row in rows]


def _stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 3),
            "p90_ms": round(samples[int(len(samples) * 0.9)], 3)}


def _measure(args: argparse.Namespace, data: Path, lines: int) -> dict[str, Any]:
    load = [_load()]
    old = _old(args.before)
    backend = OxigraphBackend.in_memory()
    backend.load(data)
    old_backend = old["kg.store.oxigraph_backend"].OxigraphBackend(backend.store)
    figures: dict[str, dict[str, Any]] = {}
    for name, (query, bindings) in QUERIES.items():
        terms = _rdflib(bindings)
        sides: dict[str, Callable[[], list[dict[str, Any]]]] = {
            "before": lambda q=query, b=terms: old_backend.select(q, b or None),
            "after": lambda q=query, b=bindings: backend.select(q, b or None)}
        answers = {side: _texts(run()) for side, run in sides.items()}
        assert answers["before"] == answers["after"], name
        samples: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(args.repeat):
            for side, run in sides.items():
                start = time.perf_counter()
                run()
                samples[side].append((time.perf_counter() - start) * 1000)
        figures[name] = {"rows": len(answers["after"]),
                         **{side: _stats(found) for side, found in samples.items()}}
    load.append(_load())
    return {"benchmark": "SELECT answers as plain values, in process (embedded Oxigraph)",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "triples": lines,
            "before": args.before, "repeat": args.repeat, "load_average": load,
            "queries": figures}


def _write(result: dict[str, Any]) -> None:
    load = result["load_average"]
    lines = [f"# {result['benchmark']} ({result['date']})", "",
             f"{result['triples']} triples; before = `{result['before']}` (rdflib terms), "
             f"after = plain values; {result['repeat']} runs a side, interleaved; load average "
             f"(1, 5, 15 min) {' '.join(map(str, load[0]))} at the start, "
             f"{' '.join(map(str, load[-1]))} at the end.", "",
             "Wall time, milliseconds.", "",
             "| query | rows | before p50 | before p90 | after p50 | after p90 | after/before |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, row in result["queries"].items():
        before, after = row["before"], row["after"]
        ratio = after["p50_ms"] / before["p50_ms"] if before["p50_ms"] else 0.0
        lines.append(f"| {name} | {row['rows']} | {before['p50_ms']} | {before['p90_ms']} | "
                     f"{after['p50_ms']} | {after['p90_ms']} | {ratio:.2f} |")
    save_results("select-values", result, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--before", default=BEFORE, help="git revision of the old code")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-") as tmp:
        data = Path(tmp) / "synthetic.nq"
        lines = write(args.triples, data)
        result = _measure(args, data, lines)
    _write(result)


if __name__ == "__main__":
    main()
