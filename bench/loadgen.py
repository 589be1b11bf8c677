"""Drive a URL with wrk and read its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    """Throughput and latency of one wrk run."""

    requests_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    requests: int
    errors: int


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable latency {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def wrk(url: str, connections: int = 16, seconds: int = 10, threads: int = 2,
        headers: dict[str, str] | None = None, script: Path | None = None,
        timeout: int = 2) -> LoadResult:
    """Run wrk against url on 127.0.0.1 for a bounded time and parse its report.

    A Lua script, when given, writes each request (bench/unique.lua: a fresh query string).
    A request unanswered after timeout seconds counts as an error, not in the latencies.
    """
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (on Debian: apt-get install wrk)")
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               f"--timeout={timeout}s"]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                            timeout=seconds + timeout + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return LoadResult(rps, p50, p99, total, errors)
