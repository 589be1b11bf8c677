"""Start a server in a child process on 127.0.0.1, wait until it answers, stop it by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    """Return a port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def running_code(folder: Path) -> dict[str, str]:
    """The environment under which `python -m` runs the code in folder (a checkout before a
    change): first on the path, before the working directory, which `-m` would put first
    (PYTHONSAFEPATH) and which is the current checkout when a benchmark runs from it."""
    return {"PYTHONPATH": str(folder), "PYTHONSAFEPATH": "1"}


class Server:
    """A server command run in its own process group; `url` answers once it is up."""

    def __init__(self, name: str, command: list[str], probe: str, port: int,
                 env: dict[str, str] | None = None, log: Path | None = None,
                 start_seconds: float = 180) -> None:
        self.name = name
        self.start_seconds = start_seconds
        self.command = command
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.probe = self.base + probe
        # The load generator is one client sending thousands of requests a second: DMKG's
        # per-client limits are lifted (other servers ignore the variables).
        self.env = {**os.environ, "DMKG_RATE_LIMIT": "0", "DMKG_CONCURRENCY_LIMIT": "0",
                    **(env or {})}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        out = self.log.open("wb") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT,
                                        env=self.env, start_new_session=True)
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.probe, timeout=5) as reply:
                    if reply.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.name} did not answer {self.probe}")

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by the server's processes still running."""
        assert self.process is not None
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # a process that ended meanwhile
                continue
            if int(fields[3]) == self.process.pid:  # its session: the server and its workers
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def seeded_store(scratch: Path, triples: int,
                 service: Callable[[Path, Path], Server]) -> tuple[Path, Path]:
    """Bulk quads of triples lines in ten graphs, and a folder whose store a writable service
    has loaded them into once, to be copied for each run; return (the quads, the folder)."""
    data = scratch / "synthetic.nq"
    with data.open("w", encoding="utf-8") as out:
        out.writelines(f'<urn:bulk:s{i}> <urn:bulk:p{i % 20}> "value {i}" '
                       f'<urn:bulk:g{i % 10}> .\n' for i in range(triples))
    seeded = scratch / "seeded"
    seeded.mkdir()
    with service(seeded, data):
        pass  # started on the quads and stopped: the store is loaded
    return data, seeded
