"""Stopping a writable service (SIGTERM to its master) during and just after a large write.

A store of --triples plain triples in ten graphs (no entities: the search index, rebuilt at
each start after a write, would take minutes) served writable with one worker;
each round PUTs 60,000 triples to a graph of its own and SIGTERMs the master either 1 s after
sending (the write in hand) or as soon as it is answered (its flush under way). For each: the
seconds from SIGTERM until the master has ended, the status the cut client heard, and the
seconds the round's start took until it answered, after the previous round's stop (the first
round starts from a fresh copy), and the seconds opening the store takes right after the stop
(a log of writes not flushed to the store's files is replayed first). With
--before DIR (a checkout of an earlier version), the same with that version's code.

    python -m bench.stop_writes --triples 3000000 --rounds 5 [--before /tmp/main]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from bench.servers import Server, free_port, seeded_store

TOKEN = "bench-stop-token-0123456789"
TRIPLES = 60_000


def _service(tree: Path, folder: Path, data: Path) -> Server:
    """The writable service of data, its code from tree, its store in folder."""
    (folder / "tokens").write_text(f"bench {TOKEN}\n", encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-P", "-m", "dmkg_cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), f"--data={data}"]
    env = {"PYTHONPATH": str(tree), "DMKG_WRITE_TOKENS": str(folder / "tokens"),
           "DMKG_STORE_DIR": str(folder / "store"), "DMKG_AUDIT_LOG": str(folder / "audit"),
           "DMKG_QUERY_TIMEOUT": "120", "DMKG_MAX_REQUEST_BYTES": str(64 << 20)}
    return Server(f"dmkg ({tree})", command, "/sparql?format=ntriples", port, env,
                  log=folder / "server.log", start_seconds=1800)


def _put(base: str, graph: str, body: bytes, answers: list[object]) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=300)
    try:
        connection.request("PUT", f"/rdf-graphs/service?graph={graph}", body,
                           {"Content-Type": "application/n-triples",
                            "Authorization": f"Bearer {TOKEN}"})
        answers.append(connection.getresponse().status)
    except (OSError, http.client.HTTPException) as cut:
        answers.append(type(cut).__name__)
    finally:
        connection.close()


def _stop(server: Server) -> float:
    assert server.process is not None
    start = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=60)
    return time.monotonic() - start


def _round(tree: Path, folder: Path, data: Path, number: int, during: bool) -> dict[str, object]:
    body = "".join(f'<urn:bench:s{number}:{i}> <urn:bench:p> "a value of some length {i}" .\n'
                   for i in range(TRIPLES)).encode()
    answers: list[object] = []
    started = time.monotonic()
    with _service(tree, folder, data) as server:
        opened = time.monotonic() - started
        sender = threading.Thread(target=_put, args=(server.base, f"urn:bench:g{number}",
                                                     body, answers))
        sender.start()
        if during:
            time.sleep(1.0)
        else:
            sender.join()
        stopped = _stop(server)
        sender.join(timeout=120)
    began = time.monotonic()
    store = ox.Store(str(folder / "store" / "writable" / "live"))
    reopened = time.monotonic() - began
    del store
    return {"moment": "during" if during else "after", "stop_s": round(stopped, 3),
            "answer": answers[0] if answers else None, "start_s": round(opened, 2),
            "open_s": round(reopened, 2)}


def main() -> None:
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="a checkout of the version to compare")
    parser.add_argument("--triples", type=int, default=3_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    from bench.report import write_rows

    trees = [("before", options.before.resolve())] if options.before else []
    trees.append(("after", here))
    rows: list[dict[str, object]] = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        data, seeded = seeded_store(Path(scratch), options.triples,
                                    lambda folder, quads: _service(here, folder, quads))
        for label, tree in trees:
            folder = Path(scratch) / label
            shutil.copytree(seeded, folder)
            size = sum(f.stat().st_size for f in (folder / "store").rglob("*") if f.is_file())
            for number in range(options.rounds):
                for during in (True, False):
                    row = _round(tree, folder, data, number * 2 + during, during)
                    rows.append({"version": label, "store_mb": size >> 20, **row})
                    print(rows[-1], flush=True)
            shutil.rmtree(folder)
    summary = []
    for label, _ in trees:
        for moment in ("during", "after"):
            mine = [r for r in rows if r["version"] == label and r["moment"] == moment]
            summary.append({"version": label, "moment": moment, "rounds": len(mine),
                            "median_stop_s": round(statistics.median(
                                float(str(r["stop_s"])) for r in mine), 3),
                            "max_stop_s": max(float(str(r["stop_s"])) for r in mine),
                            "answers": sorted({str(r["answer"]) for r in mine}),
                            "median_start_s": round(statistics.median(
                                float(str(r["start_s"])) for r in mine), 2),
                            "median_open_s": round(statistics.median(
                                float(str(r["open_s"])) for r in mine), 2)})
    loads = f"{load:.1f} to {os.getloadavg()[0]:.1f}"
    title = (f"Stopping a writable service of {options.triples} triples during and just after "
             f"a {TRIPLES}-triple write (load average {loads})")
    write_rows("stop-writes", title, [{**row, "load": loads} for row in summary])
    write_rows("stop-writes-rounds", title, rows)


if __name__ == "__main__":
    main()
