"""Slow readers of big answers: the worker's extra memory and a healthy client's ASK latency.

N clients each ask for an answer of about 16 MiB and then stop reading it; meanwhile a
healthy client sends ASK queries. Run twice in one go, side by side: with the cap on the
answers held for slow readers off (QUERY_MEMORY_MB=0) and on (QUERY_MEMORY_MB=300). Reported:
the worker's resident memory beyond what it held before the readers came (MB), how many
answers were held and how many refused (503), and the healthy client's median ASK latency,
idle and with the readers connected.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.report import write_rows
from bench.servers import Server, free_port
from kg.paths import default_layout

CAPS_MB = (0, 300)
ASKS = 200


def big_query(number: int) -> bytes:
    """A query of a few hundred bytes answering 4 rows of 4 MiB (numbered: none alike)."""
    binds = [f"BIND({number} AS ?n)", 'BIND(CONCAT(STR(?i), "-0123456789abcd") AS ?a0)']
    binds += [f"BIND(CONCAT(?a{k}, ?a{k}) AS ?a{k + 1})" for k in range(18)]
    return f"SELECT ?a18 WHERE {{ VALUES ?i {{ 0 1 2 3 }} {' '.join(binds)} }}".encode()


def _reader(port: int, number: int) -> tuple[socket.socket, bytes]:
    """A client that sends its query, reads the answer's head and reads no more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    body = big_query(number)
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nAccept: text/tab-separated-values\r\n"
                 b"Content-Type: application/sparql-query\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1024)
        if not chunk:
            break
        head += chunk
    return sock, head


def _resident_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf(
        "SC_PAGE_SIZE") / (1 << 20)


def _asks_ms(port: int) -> float:
    """The median latency of ASK on one kept-alive connection, in milliseconds (POST: each
    is evaluated, none is an answer kept from before)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(ASKS):
        started = time.perf_counter()
        connection.request("POST", "/sparql", body=b"ASK { ?s ?p ?o }",
                           headers={"Accept": "application/sparql-results+json",
                                    "Content-Type": "application/sparql-query"})
        connection.getresponse().read()
        times.append(time.perf_counter() - started)
    connection.close()
    return statistics.median(times) * 1000


def _measure(cap_mb: int, readers: int, folder: Path) -> dict[str, object]:
    data = folder / "tiny.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "dmkg_cli", "--home", str(default_layout().root), "serve",
               "--host", "127.0.0.1", "--port", str(port)]
    env = {"DMKG_STORE": "memory", "DMKG_DATA": str(data), "DMKG_QUERY_MEMORY_MB": str(cap_mb)}
    with Server(f"cap {cap_mb}", command, "/sparql?query=ASK%7B%7D", port, env=env) as server:
        assert server.process is not None
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        [worker] = [int(pid) for pid in children.read_text().split()]
        idle = _asks_ms(port)
        before = _resident_mb(worker)
        # One after another: what grows is what is held for readers that do not read.
        held = [_reader(port, number) for number in range(readers)]
        time.sleep(1)
        extra = _resident_mb(worker) - before
        busy = _asks_ms(port)
        statuses = [head.split(b" ", 2)[1:2] for _, head in held]
        for sock, _ in held:
            sock.close()
    return {"cap": f"{cap_mb} MB" if cap_mb else "off", "slow_readers": readers,
            "answers_held": statuses.count([b"200"]), "refused_503": statuses.count([b"503"]),
            "extra_resident_mb": round(extra), "ask_idle_median_ms": round(idle, 2),
            "ask_median_ms": round(busy, 2),
            "load": Path("/proc/loadavg").read_text().split()[0]}


def main() -> None:
    """Measure with the cap off and on; write bench/results/slow-readers-*.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readers", type=int, default=40, help="slow clients (40)")
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for cap in CAPS_MB:
            rows.append(_measure(cap, options.readers, Path(folder)))
            print(rows[-1], flush=True)
    write_rows("slow-readers", "Slow readers of 16 MiB answers: the worker's extra memory and "
                               "a healthy client's ASK latency (medians)", rows)


if __name__ == "__main__":
    main()
