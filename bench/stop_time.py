"""Where a writable service's stop (SIGTERM to its master) spends its time, step by step.

A store of --triples plain triples served writable with one worker. Each round starts it from
a fresh copy, makes either three small updates or one PUT of 100,000 triples, keeps one
connection idle (as browsers do), sends a query, and SIGTERMs the master while that query is
in hand. Measured from the signal, in seconds: until the listening socket refuses
connections (front_closed), until the query in hand is answered (in_hand), until the worker
has ended (worker_exit), until the master has ended (master_exit); and, from the worker's
own stop line in its log where the version writes one: until its answers in hand ended
(answers), until the store's flush ended (flush) and whether it ended before the worker
did (flush_whole). Then the seconds opening the store takes
(a log of writes not flushed to the store's files is replayed first). Rounds run as the
machine is ("idle": nothing added; the load average says what else ran) and loaded (one
`yes` per core besides); with --before DIR (an export of an earlier
version), the same with that version's code. With --spare, small writes only, and a
connection opened and never sent a request (as browsers open one in case) at the signal.

    python -m bench.stop_time --rounds 5 [--before /tmp/main] [--spare]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from bench.servers import Server, free_port, running_code, seeded_store

TOKEN = "bench-stop-time-0123456789"
LARGE = 100_000
# A query taking a moment on the synthetic store: in hand when the signal comes.
IN_HAND = ("SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:bulk:p1> ?o . "
           "{ SELECT ?u WHERE { ?t <urn:bulk:p2> ?u } LIMIT 400 } }")
# The worker's stop line (service/server.py): its steps' seconds after the signal.
STOP_LINE = re.compile(r"stopped: answers in hand ended ([0-9.]+) s after the signal, the "
                       r"store's flush (was cut short at )?([0-9.]+) s")
STEPS = ("front_closed", "in_hand", "answers", "flush", "worker_exit", "master_exit")


def _service(tree: Path, folder: Path, data: Path) -> Server:
    """The writable service of data, its code from tree, its store in folder."""
    (folder / "tokens").write_text(f"bench {TOKEN}\n", encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "dmkg_cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), f"--data={data}"]
    env = {**running_code(tree), "DMKG_WRITE_TOKENS": str(folder / "tokens"),
           "DMKG_STORE_DIR": str(folder / "store"), "DMKG_AUDIT_LOG": str(folder / "audit"),
           "DMKG_QUERY_TIMEOUT": "300", "DMKG_MAX_REQUEST_BYTES": str(64 << 20)}
    return Server(f"dmkg ({tree})", command, "/sparql?query=ASK%7B%7D", port, env,
                  log=folder / "server.log", start_seconds=600)


def _send(port: int, method: str, path: str, body: bytes, media: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=400)
    try:
        connection.request(method, path, body, {"Content-Type": media,
                                                "Authorization": f"Bearer {TOKEN}"})
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def _write(port: int, large: bool, number: int) -> None:
    if large:
        body = "".join(f'<urn:w:s{number}:{i}> <urn:w:p> "a value of some length {i}" .\n'
                       for i in range(LARGE)).encode()
        status, said = _send(port, "PUT", f"/rdf-graphs/service?graph=urn:w:g{number}", body,
                       "application/n-triples")
        assert status == 201, (status, said)
        return
    for n in range(3):
        text = f"INSERT DATA {{ GRAPH <urn:w:small> {{ <urn:w:a{number}> <urn:w:b> {n} }} }}"
        status, said = _send(port, "POST", "/sparql", text.encode(), "application/sparql-update")
        assert status == 204, (status, said)


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def _ended(pid: int) -> bool:
    """Whether a process has ended (gone, or a zombie not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _watch(port: int, workers: list[int], signalled: float, seen: dict[str, float],
           done: threading.Event) -> None:
    """Note when the front stops accepting and when the workers have ended."""
    while not done.is_set() and ("front_closed" not in seen or "worker_exit" not in seen):
        now = time.monotonic() - signalled
        if "front_closed" not in seen and _refused(port):
            seen["front_closed"] = now
        if "worker_exit" not in seen and all(_ended(pid) for pid in workers):
            seen["worker_exit"] = now
        time.sleep(0.002)


def _in_hand(port: int, answers: list[tuple[float, int | str]]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = "/sparql?query=" + IN_HAND.replace(" ", "%20").replace("{", "%7B").replace(
        "}", "%7D").replace("<", "%3C").replace(">", "%3E").replace("+", "%2B")
    try:
        connection.request("GET", path, headers={"Accept": "text/csv"})
        reply = connection.getresponse()
        reply.read()
        answers.append((time.monotonic(), reply.status))
    except (OSError, http.client.HTTPException) as cut:
        answers.append((time.monotonic(), type(cut).__name__))
    finally:
        connection.close()


def _round(tree: Path, folder: Path, data: Path, large: bool, number: int,
           spare: bool = False) -> dict[str, object]:
    with _service(tree, folder, data) as server:
        assert server.process is not None
        _write(server.port, large, number)
        kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        kept.request("GET", "/sparql?query=ASK%7B%7D")
        kept.getresponse().read()
        # A connection opened in case, as browsers do, and never sent a request.
        unused = socket.create_connection(("127.0.0.1", server.port)) if spare else None
        answers: list[tuple[float, int | str]] = []
        asking = threading.Thread(target=_in_hand, args=(server.port, answers))
        asking.start()
        time.sleep(0.05)  # the query is read and running
        workers = _children(server.process.pid)
        seen: dict[str, float] = {}
        done = threading.Event()
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        watcher = threading.Thread(target=_watch, args=(server.port, workers, signalled,
                                                        seen, done))
        watcher.start()
        code = server.process.wait(timeout=60)
        seen["master_exit"] = time.monotonic() - signalled
        done.set()
        watcher.join()
        asking.join(timeout=30)
        kept.close()
        if unused is not None:
            unused.close()
    if answers:
        seen["in_hand"] = answers[0][0] - signalled
    said = STOP_LINE.findall((folder / "server.log").read_text(errors="replace"))
    if said:
        seen["answers"], seen["flush"] = float(said[-1][0]), float(said[-1][2])
    began = time.monotonic()
    store = ox.Store(str(folder / "store" / "writable" / "live"))
    reopened = time.monotonic() - began
    del store
    return {**{step: round(seen[step], 3) if step in seen else "" for step in STEPS},
            "flush_whole": ("no" if said[-1][1] else "yes") if said else "",
            "exit_code": code, "answer": answers[0][1] if answers else "",
            "open_s": round(reopened, 2)}


@contextmanager
def _loaded(load: bool) -> Iterator[None]:
    """One busy process per core while the block runs, if load."""
    busy = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
            for _ in range(os.cpu_count() or 1)] if load else []
    try:
        yield
    finally:
        for process in busy:
            process.kill()
            process.wait()


def _median(rows: list[dict[str, object]], step: str) -> float | str:
    values = [float(str(r[step])) for r in rows if r[step] != ""]
    return round(statistics.median(values), 3) if values else ""


def main() -> None:
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="an export of the version to compare")
    parser.add_argument("--triples", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--spare", action="store_true",
                        help="small writes only, with a connection open and never used")
    options = parser.parse_args()
    from bench.report import write_rows

    trees = [("before", options.before.resolve())] if options.before else []
    trees.append(("after", here))
    rows: list[dict[str, object]] = []
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as scratch:
        data, seeded = seeded_store(Path(scratch), options.triples,
                                    lambda folder, quads: _service(here, folder, quads))
        for load in (False, True):
            with _loaded(load):
                for number in range(options.rounds):
                    for label, tree in trees:
                        for large in (False,) if options.spare else (False, True):
                            folder = Path(scratch) / "round"
                            shutil.copytree(seeded, folder)
                            row = {"version": label, "machine": "loaded" if load else "idle",
                                   "writes": f"{LARGE} triples" if large else "3 small",
                                   **_round(tree, folder, data, large, number,
                                            options.spare)}
                            shutil.rmtree(folder)
                            rows.append(row)
                            print(row, flush=True)
                    loads.append(os.getloadavg()[0])
    summary = []
    for machine in ("idle", "loaded"):
        for writes in ("3 small",) if options.spare else ("3 small", f"{LARGE} triples"):
            for label, _ in trees:
                mine = [r for r in rows if (r["machine"], r["writes"], r["version"])
                        == (machine, writes, label)]
                summary.append({"machine": machine, "writes": writes, "version": label,
                                "rounds": len(mine),
                                **{f"{step}_s": _median(mine, step) for step in STEPS},
                                "max_master_exit_s": max(float(str(r["master_exit"]))
                                                         for r in mine),
                                "exit_codes": sorted({str(r["exit_code"]) for r in mine}),
                                "flushes_cut": sum(r["flush_whole"] == "no" for r in mine),
                                "open_s": _median(mine, "open_s")})
    span = f"{min(loads):.1f} to {max(loads):.1f}"
    title = (f"A writable service's stop, step by step, medians in seconds after SIGTERM "
             f"(store of {options.triples} triples; load average {span}; loaded: one `yes` "
             f"per core besides{'; a spare connection never used' if options.spare else ''})")
    name = "stop-time-spare" if options.spare else "stop-time"
    write_rows(name, title, [{**row, "load": span} for row in summary])
    write_rows(f"{name}-rounds", title, rows)


if __name__ == "__main__":
    main()
