"""Label search and entity look-up as the graph grows: 10k, 100k and 1M triples.

For each scale: load a synthetic dataset into the embedded store, build the search index,
then time searches (exact, prefix, substring) and REST look-ups in process; medians and p99
in milliseconds go to bench/results/search-scale-*.json and .md.

    python -m bench.search_scale [--scales 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench import save_results
from bench.synthetic import write
from kg.catalogue import Catalogue
from kg.store.oxigraph_backend import OxigraphBackend
from service.resources import Resources


def _timed(action, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples),
            "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))]}


def measure(triples: int, folder: Path) -> dict[str, object]:
    """Figures for one scale."""
    data = folder / f"synthetic-{triples}.nq"
    lines = write(triples, data)
    backend = OxigraphBackend.in_memory()
    start = time.perf_counter()
    backend.load(data)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    catalogue = Catalogue.from_backend(backend)
    index_s = time.perf_counter() - start
    entity = catalogue.by_id("substance/synthetic-1")
    assert entity is not None
    probe = entity.label()  # a substance name: a few random syllables
    resources = Resources(backend, catalogue)
    return {
        "triples": lines,
        "entities": catalogue.size,
        "load_seconds": round(load_s, 2),
        "index_seconds": round(index_s, 2),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        # What the REST search does: the total and one page of 20.
        "search_exact": _timed(lambda: catalogue.find(probe, limit=20), 200),
        "search_prefix": _timed(lambda: catalogue.find(probe[:4], limit=20), 50),
        "search_substring": _timed(lambda: catalogue.find(probe[2:7], limit=20), 200),
        "matches_prefix": catalogue.find(probe[:4], limit=1)[0],
        # The worst case: a word in every claim's label (tens of thousands of matches).
        "search_broad": _timed(lambda: catalogue.find("finding", limit=20), 20),
        "matches_broad": catalogue.find("finding", limit=1)[0],
        "lookup": _timed(lambda: Resources(backend, catalogue).describe(entity.id), 50),
        "describe_cached": _timed(lambda: resources.outgoing(entity.iri), 50),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-") as tmp:
        for scale in args.scales:
            figures.append(measure(scale, Path(tmp)))
            print(json.dumps(figures[-1]))
    result = {"benchmark": "search and look-up at scale (in process, embedded Oxigraph)",
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "scales": figures}
    lines = [f"# {result['benchmark']} ({result['date']})", "",
             "| triples | entities | load s | index s | exact p50 ms | prefix p50 ms | "
             "substring p50 ms | broad p50 ms (matches) | look-up p50 ms | look-up p99 ms |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in figures:
        lines.append(
            f"| {row['triples']} | {row['entities']} | {row['load_seconds']} | "
            f"{row['index_seconds']} | {row['search_exact']['p50_ms']:.3f} | "  # type: ignore[index]
            f"{row['search_prefix']['p50_ms']:.3f} | "  # type: ignore[index]
            f"{row['search_substring']['p50_ms']:.3f} | "  # type: ignore[index]
            f"{row['search_broad']['p50_ms']:.1f} ({row['matches_broad']}) | "  # type: ignore[index]
            f"{row['lookup']['p50_ms']:.2f} | {row['lookup']['p99_ms']:.2f} |")  # type: ignore[index]
    save_results("search-scale", result, lines)


if __name__ == "__main__":
    main()
