"""How long the claims' facets take as the graph grows (synthetic data, in-memory Oxigraph):
the claims browser's read of every claim's facet values with its counts (kept until the data
changes), beside the home page's four per-facet counts done by the store."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.synthetic import write
from kg.store.factory import StoreSettings, open_backend
from service.claim_selection import aggregate_counts, counts, read_facets, select

RESULTS = Path(__file__).parent / "results"


def measure(triples: int, runs: int = 3) -> dict[str, float | int]:
    """Read the facets of a synthetic graph of about this many triples, runs times."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "synthetic.nq"
        write(triples, data)
        backend = open_backend(StoreSettings("memory", Path(folder), Path(folder),
                                               (str(data),)))
        times, claims = [], []
        for _ in range(runs):
            started = time.perf_counter()
            claims = read_facets(backend)
            counts(claims)
            times.append(time.perf_counter() - started)
        sources = claims[0].values["source"] if claims else set()
        some = next(iter(sources)) if sources else ""
        aggregated = []
        for _ in range(runs):
            started = time.perf_counter()
            aggregate_counts(backend, ("source", "kind", "trend", "confidence"), {})
            aggregated.append(time.perf_counter() - started)
        started = time.perf_counter()
        chosen = select(claims, {"source": some}) if some else []
        selected = time.perf_counter() - started
        return {"triples": triples, "claims": len(claims),
                "read_and_count_s": statistics.median(times),
                "select_one_source_ms": selected * 1000, "selected": len(chosen),
                "home_counts_s": statistics.median(aggregated)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scales", nargs="*", type=int, metavar="TRIPLES",
                        help="sizes of the synthetic graph (default: 10k, 100k and 1M)")
    scales = parser.parse_args().scales or [10_000, 100_000, 1_000_000]
    rows = [measure(n) for n in scales]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "claim-facets-latest.json").write_text(json.dumps(rows, indent=1))
    lines = ["| triples | claims | claims browser: read facets and count | then select one "
             "source | home page: four counts by the store |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['triples']} | {r['claims']} | {r['read_and_count_s']:.2f} s | "
              f"{r['select_one_source_ms']:.1f} ms | {r['home_counts_s']:.2f} s |"
              for r in rows]
    lines.append("\nMedians of 3 runs; in-memory Oxigraph on the synthetic graph.")
    (RESULTS / "claim-facets-latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
