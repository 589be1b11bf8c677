"""Large INSERT DATA updates over HTTP, beside a Graph Store PUT of the same triples.

A live writable service of the built graphs (run `dmkg build` first) with a 10 s time limit:
the median time to answer an INSERT DATA of N triples into a graph of its own (N-Triples
lines, about 80 bytes each) and its statuses, and the median time of a Graph Store PUT of the
same lines. With --before DIR (a checkout of an earlier version), the same is measured with
that version's code, side by side in one run (each version's service in its own processes).
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from urllib.parse import quote

from bench.write_deadline import _post, each_version_service, versions

SIZES = (1000, 4000, 11_000)
LIMIT = 10.0


def _lines(size: int, number: int) -> str:
    return "".join(f'<urn:bench:s{i}> <urn:bench:p{i % 7}> "value {number} of triple {i}" .\n'
                   for i in range(size))


def measure(base: str, size: int, rounds: int) -> dict[str, object]:
    """Measure updates and PUTs of size triples at base."""
    updates, puts = [], []
    for number in range(rounds):
        text = f"INSERT DATA {{ GRAPH <urn:bench:u{size}-{number}> {{\n{_lines(size, number)}}} }}"
        updates.append(_post(base, "POST", "/sparql", text.encode(), "application/sparql-update"))
        graph = quote(f"urn:bench:p{size}-{number}", safe="")
        puts.append(_post(base, "PUT", f"/rdf-graphs/service?graph={graph}",
                          _lines(size, number).encode(), "application/n-triples"))
    return {"triples": size, "update_kb": round(len(text) / 1024),
            "update_statuses": " ".join(f"{s}x{n}" for s, n in
                                        sorted(Counter(s for s, _ in updates).items())),
            "update_median_s": round(statistics.median(t for _, t in updates), 2),
            "put_median_s": round(statistics.median(t for _, t in puts), 2)}


def main() -> None:
    """Measure this version (and an earlier one); write bench/results/data-update-*."""
    options, trees = versions(__doc__, rounds=True)
    from bench.report import write_rows

    rows = []
    started = os.getloadavg()[0]
    for label, tree in trees:
        with each_version_service(options, tree, LIMIT) as server:
            for size in SIZES:
                rows.append({"code": label, **measure(server.base, size, options.rounds)})
                print(rows[-1], flush=True)
    write_rows("data-update", f"INSERT DATA of N triples and a PUT of them over HTTP (medians; "
                              f"load average {started:.2f} at the start, "
                              f"{os.getloadavg()[0]:.2f} at the end)", rows)


if __name__ == "__main__":
    main()
