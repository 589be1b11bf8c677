"""Writes with a 1 s time limit over HTTP: a large update, queued PUTs, a small update.

A live writable service of the built graphs (run `dmkg build` first) with QUERY_TIMEOUT=1:
the median time to answer a 500-triple INSERT DATA of long literals (about 320 kB) and its
statuses; eight 20,000-triple PUTs sent at once, with how many succeeded after the limit;
and the median latency of a one-triple INSERT DATA. With --before DIR (a checkout of an
earlier version), the same is measured with that version's code, side by side in one run
(each version's service in its own processes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from bench.servers import Server, free_port

TOKEN = "bench-write-deadline-0123456789"
LIMIT = 1.0
QUEUED = 8


def _post(base: str, method: str, path: str, body: bytes, media: str) -> tuple[int, float]:
    """Send one write; return its status (0: no answer) and the seconds to its answer."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]),
                                            timeout=300)
    start = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": media})
        reply = connection.getresponse()
        reply.read()
        return reply.status, time.perf_counter() - start
    except ConnectionError:  # counted as status 0: the connection was closed unanswered
        return 0, time.perf_counter() - start
    finally:
        connection.close()


def _large_update(number: int) -> bytes:
    literal = "x" * 600
    lines = "".join(f'<urn:bench:s{i}> <urn:bench:p> "{literal} {i}" .\n' for i in range(500))
    return f"INSERT DATA {{ GRAPH <urn:bench:large{number}> {{\n{lines}}} }}".encode()


def _statuses(answers: list[tuple[int, float]]) -> str:
    return " ".join(f"{status}x{count}" for status, count in sorted(Counter(
        status for status, _ in answers).items()))


def measure(base: str, rounds: int) -> dict[str, object]:
    """Measure the service at base."""
    update = "application/sparql-update"
    large = [_post(base, "POST", "/sparql", _large_update(n), update) for n in range(rounds)]
    body = "".join(f'<urn:bench:s{i}> <urn:bench:p> "value {i}" .\n'
                   for i in range(20_000)).encode()
    with ThreadPoolExecutor(QUEUED) as pool:
        queued = list(pool.map(lambda n: _post(
            base, "PUT", f"/rdf-graphs/service?graph={quote(f'urn:bench:queued{n}', safe='')}",
            body, "application/n-triples"), range(QUEUED)))
    small = [_post(base, "POST", "/sparql", (
        f'INSERT DATA {{ GRAPH <urn:bench:small> {{ <urn:bench:s> <urn:bench:p> "{n}" }} }}'
    ).encode(), update) for n in range(30)]
    return {"large_update_statuses": _statuses(large),
            "large_update_median_s": round(statistics.median(t for _, t in large), 2),
            "queued_put_statuses": _statuses(queued),
            "queued_2xx_past_limit": sum(1 for s, t in queued if 200 <= s < 300 and t > LIMIT),
            "queued_slowest_s": round(max(t for _, t in queued), 2),
            "small_update_statuses": _statuses(small),
            "small_update_median_ms": round(statistics.median(t for _, t in small) * 1000, 1)}


def writable_service(tree: Path, home: Path, folder: Path, limit: float = LIMIT) -> Server:
    """The service of home, its code from tree, writable with TOKEN, its time limit limit s."""
    (folder / "tokens").write_text(f"bench {TOKEN}\n", encoding="utf-8")
    port = free_port()
    # -P: the code comes from tree only, never from the current folder.
    command = [sys.executable, "-P", "-m", "dmkg_cli", "--home", str(home), "serve",
               "--host", "127.0.0.1", "--port", str(port)]
    env = {"PYTHONPATH": str(tree), "DMKG_WRITE_TOKENS": str(folder / "tokens"),
           "DMKG_STORE_DIR": str(folder / "store"), "DMKG_AUDIT_LOG": str(folder / "audit"),
           "DMKG_QUERY_TIMEOUT": str(limit)}
    return Server(f"dmkg ({tree})", command, "/sparql?format=ntriples", port, env,
                  log=folder / "server.log")


def versions(doc: str | None,
             rounds: bool = False) -> tuple[argparse.Namespace, list[tuple[str, Path]]]:
    """The command line of a before/after write benchmark: its options and the code trees to run."""
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--before", type=Path, help="a checkout of the version to compare")
    parser.add_argument("--home", type=Path, default=here,
                        help="the project folder whose build is served (default: this one)")
    if rounds:
        parser.add_argument("--rounds", type=int, default=5, help="large updates sent, one by one")
    options = parser.parse_args()
    trees = [("before", options.before.resolve())] if options.before else []
    trees.append(("after", here))
    return options, trees


@contextmanager
def each_version_service(options: argparse.Namespace, tree: Path,
                         limit: float = LIMIT) -> Iterator[Server]:
    """A writable service of options.home with tree's code, in a scratch folder of its own."""
    with tempfile.TemporaryDirectory() as scratch, \
            writable_service(tree, options.home.resolve(), Path(scratch), limit) as server:
        yield server


def main() -> None:
    """Measure this version (and an earlier one); write bench/results/write-deadline-*."""
    options, trees = versions(__doc__, rounds=True)
    from bench.report import write_rows

    rows = []
    started = os.getloadavg()[0]
    for label, tree in trees:
        with each_version_service(options, tree) as server:
            rows.append({"code": label, **measure(server.base, options.rounds)})
            print(rows[-1], flush=True)
    write_rows("write-deadline", f"Writes with a {LIMIT:g} s time limit over HTTP (medians; "
                                 f"load average {started:.2f} at the start, "
                                 f"{os.getloadavg()[0]:.2f} at the end)", rows)


if __name__ == "__main__":
    main()
