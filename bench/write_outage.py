"""Large graph writes past the default 10 s time limit, while another client keeps asking.

A live writable service of the built graphs (run `dmkg build` first) with QUERY_TIMEOUT=10
and one worker: a PUT of 100,000 triples (N-Triples, N-Triples of blank nodes, an N3 path)
while a probe sends `ASK {}` every 0.3 s. For each: the status and seconds to its answer,
the probe's slowest answer and failures, whether the worker was replaced, and the seconds
from the write's answer until the service answers again. With --before DIR (a checkout of
an earlier version), the same is measured with that version's code in one run.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from urllib.parse import quote

from bench.servers import Server
from bench.write_deadline import _post, each_version_service, versions

LIMIT = 10.0
TRIPLES = 100_000
BODIES = {
    "n-triples": ("application/n-triples", lambda: "".join(
        f'<urn:s{i}> <urn:p> "{i}" .\n' for i in range(TRIPLES)).encode()),
    "blank nodes": ("application/n-triples", lambda: "".join(
        f'_:b{i} <urn:p> "{i}" .\n' for i in range(TRIPLES)).encode()),
    "n3 path": ("text/n3", lambda: (
        "<urn:a> <urn:b> <urn:c>" + "!<urn:p>" * TRIPLES + " .\n").encode()),
}


def _ask(base: str, timeout: float = 15) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{base}/sparql?query={quote('ASK {}')}",
                                    timeout=timeout) as reply:
            return reply.status == 200
    except OSError:
        return False


def _workers(server: Server) -> set[int]:
    assert server.process is not None
    pid = server.process.pid
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _probe(base: str, stop: threading.Event, waits: list[float],
           failed: list[float]) -> None:
    """Ask every 0.3 s until stopped: the seconds of each answer, and when one failed."""
    while not stop.is_set():
        start = time.perf_counter()
        if not _ask(base):
            failed.append(start)
        waits.append(time.perf_counter() - start)
        stop.wait(0.3)


def measure(server: Server) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for number, (kind, (media, make)) in enumerate(BODIES.items()):
        body = make()
        before = _workers(server)
        waits: list[float] = []
        failed: list[float] = []
        stop = threading.Event()
        thread = threading.Thread(target=_probe, args=(server.base, stop, waits, failed),
                                  daemon=True)
        thread.start()
        time.sleep(0.5)
        status, seconds = _post(server.base, "PUT", f"/rdf-graphs/service?graph=urn:big{number}",
                                body, media)
        answered = time.perf_counter()
        while not _ask(server.base, 1) and time.perf_counter() - answered < 60:
            pass
        back = time.perf_counter() - answered
        time.sleep(2)  # a retired worker has been replaced by now
        stop.set()
        thread.join()
        rows.append({"body": kind, "status": status, "answer_s": round(seconds, 2),
                     "probe_slowest_s": round(max(waits), 2), "probe_failed": len(failed),
                     "worker_replaced": not before & _workers(server),
                     "serving_again_after_s": round(back, 2)})
    return rows


def main() -> None:
    """Measure this version (and an earlier one); write bench/results/write-outage-*."""
    options, trees = versions(__doc__)
    from bench.report import write_rows

    rows = []
    started = os.getloadavg()[0]
    for label, tree in trees:
        with each_version_service(options, tree, LIMIT) as server:
            for row in measure(server):
                rows.append({"code": label, **row})
                print(rows[-1], flush=True)
    write_rows("write-outage", f"PUTs of {TRIPLES} triples with a {LIMIT:g} s time limit while "
                               f"a client asks every 0.3 s (load average {started:.2f} at the "
                               f"start, {os.getloadavg()[0]:.2f} at the end)", rows)


if __name__ == "__main__":
    main()
