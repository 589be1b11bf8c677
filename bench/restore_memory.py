"""What a restore of many quads costs: the seconds it takes (and quads per second) and the
peak resident memory of the worker that applies it (VmHWM), over HTTP against the real
service with the built graphs. With --before DIR (a checkout of an earlier version), the same
restore is measured with that version's code, side by side in the same run, the two taking
turns --repeat times (each going first in every other turn); medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from kg.paths import default_layout
from tests.attack.writable import write_settings
from tests.http import request
from tests.live import LiveServer

TOKEN = "bench-restore-token-0123456789"


def _backup(path: Path, quads: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(quads):
            out.write(f'<urn:bench:s{n}> <urn:bench:p{n % 7}> "value number {n} of the '
                      f'restore" <urn:bench:g{n % 5}> .\n')


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def measure(code: Path, backup: Path) -> dict[str, object]:
    """Restore backup on a fresh service running code; the worker's peak memory and time."""
    os.environ["PYTHONPATH"] = str(code)
    with tempfile.TemporaryDirectory() as folder:
        settings = write_settings(Path(folder), TOKEN, QUERY_TIMEOUT="600")
        with LiveServer(Path(folder), home=default_layout().root, settings=settings,
                        timeout=600) as server:
            [worker] = server.workers()
            before = _peak_mb(worker)
            # What earlier runs left to write back to disk is written now, not during this one
            # (it slowed whichever run came next by up to half).
            os.sync()
            started = time.monotonic()
            reply = request("POST", f"{server.url}/admin/restore", backup.read_bytes(),
                            {"Authorization": f"Bearer {TOKEN}",
                             "Content-Type": "application/n-quads"}, timeout=3600)
            took = time.monotonic() - started
            assert reply.status == 204, reply.text
            return {"code": str(code), "status": reply.status, "seconds": round(took, 1),
                    "quads_per_s": round(_count(backup) / took),
                    "peak_mb_before": before, "peak_mb_after": _peak_mb(worker)}


def _count(backup: Path) -> int:
    with backup.open("rb") as lines:
        return sum(1 for _ in lines)


def _medians(runs: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Per version: the median of each figure over its runs."""
    found: dict[str, dict[str, float]] = {}
    for code in dict.fromkeys(str(run["code"]) for run in runs):
        mine = [run for run in runs if run["code"] == code]
        found[code] = {key: statistics.median(float(run[key]) for run in mine)  # type: ignore[arg-type]
                       for key in ("seconds", "quads_per_s", "peak_mb_after")}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quads", type=int, default=500_000)
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each version")
    parser.add_argument("--name", default="latest", help="results file: restore-memory-NAME")
    arguments = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        backup = Path(folder) / "backup.nq"
        _backup(backup, arguments.quads)
        runs = []
        versions = [here, arguments.before.resolve()] if arguments.before else [here]
        for turn in range(arguments.repeat):
            # Each version goes first in every other turn: a run is slowed by the one before.
            for code in versions if turn % 2 == 0 else versions[::-1]:
                runs.append(measure(code, backup))
    medians = _medians(runs)
    result: dict[str, object] = {"quads": arguments.quads, "load_average_before": load,
                                 "load_average_after": os.getloadavg(), "medians": medians,
                                 "runs": runs}
    if arguments.before:
        after, before = medians[str(here)], medians[str(arguments.before.resolve())]
        result["speedup"] = round(before["seconds"] / after["seconds"], 2)
    out = here / "bench" / "results" / f"restore-memory-{arguments.name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
