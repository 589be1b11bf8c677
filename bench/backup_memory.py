"""What a backup of many quads holds in memory: the peak resident memory of the worker that
answers GET /admin/backup (VmHWM, reset just before), over HTTP against the real service with
the built graphs, after a restore of the quads. With --before DIR (a checkout of an earlier
version), the same backup is measured with that version's code, side by side in the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import save_results
from kg.paths import default_layout
from tests.attack.writable import write_settings
from tests.http import request
from tests.live import LiveServer

TOKEN = "bench-backup-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _write_quads(path: Path, quads: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(quads):
            out.write(f'<urn:bench:s{n}> <urn:bench:p{n % 7}> "value number {n} of the '
                      f'backup" <urn:bench:g{n % 5}> .\n')


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def measure(code: Path, quads: Path, rounds: int) -> dict[str, object]:
    """Restore quads on a fresh service running code, then back them up rounds times; the
    worker's peak memory growth and time of each backup."""
    os.environ["PYTHONPATH"] = str(code)
    with tempfile.TemporaryDirectory() as folder:
        settings = write_settings(Path(folder), TOKEN, QUERY_TIMEOUT="600")
        with LiveServer(Path(folder), home=default_layout().root, settings=settings,
                        timeout=600) as server:
            reply = request("POST", f"{server.url}/admin/restore", quads.read_bytes(),
                            {**AUTH, "Content-Type": "application/n-quads"}, timeout=3600)
            assert reply.status == 204, reply.text
            [worker] = server.workers()
            grown, seconds, size = [], [], 0
            for _ in range(rounds):
                Path(f"/proc/{worker}/clear_refs").write_text("5")  # peak := present
                before = _status_mb(worker, "VmHWM")
                started = time.monotonic()
                saved = request("GET", f"{server.url}/admin/backup", headers=AUTH, timeout=3600)
                seconds.append(round(time.monotonic() - started, 2))
                assert saved.status == 200, saved.text
                grown.append(round(_status_mb(worker, "VmHWM") - before, 1))
                size = len(saved.body)
            return {"code": str(code), "backup_bytes": size, "peak_growth_mb": grown,
                    "seconds": seconds, "rss_mb_after": _status_mb(worker, "VmRSS")}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quads", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version")
    arguments = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        quads = Path(folder) / "quads.nq"
        _write_quads(quads, arguments.quads)
        runs = [measure(here, quads, arguments.rounds)]
        if arguments.before:
            runs.append(measure(arguments.before.resolve(), quads, arguments.rounds))
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "quads": arguments.quads, "load_average_before": load,
              "load_average_after": os.getloadavg(), "runs": runs}
    lines = [f"# Backup memory ({arguments.quads} quads, {arguments.rounds} rounds)", "",
             f"Load average before {load}, after {result['load_average_after']}.", "",
             "| code | median peak growth (MB) | median seconds | bytes |", "|---|---|---|---|"]
    lines += [f"| {run['code']} | {_median(run['peak_growth_mb'])} "  # type: ignore[arg-type]
              f"| {_median(run['seconds'])} | {run['backup_bytes']} |"  # type: ignore[arg-type]
              for run in runs]
    save_results("backup-memory", result, lines)


if __name__ == "__main__":
    main()
