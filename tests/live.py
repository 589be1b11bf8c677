"""Start the real service in a subprocess on 127.0.0.1 and wait until it answers."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

# Ports below the kernel's ephemeral range (32768 and up): no client's connection is given
# one of them as its own end, which could take a server's port between its choice and its bind.
PORTS = range(20000, 32768)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    while True:
        port = random.choice(PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # taken: another
                continue
            return port


class PortTaken(RuntimeError):
    """The server's port was taken before it could listen on it."""


class LiveServer:
    """`dmkg serve` running in a child process."""

    def __init__(self, workdir: Path, args: tuple[str, ...] = (), home: Path | None = None,
                 timeout: float = 120.0, settings: dict[str, str] | None = None,
                 descriptors: int | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.args = args
        self.home = home
        self.timeout = timeout
        # Tests send requests back to back from one address: no rate limits unless asked.
        self.settings = {"RATE_LIMIT": "0", "CONCURRENCY_LIMIT": "0", **(settings or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "server.log"
        # The server's soft limit of file descriptors, if lower than this process's.
        self.descriptors = descriptors

    def __enter__(self) -> LiveServer:
        for _ in range(3):
            try:
                return self._start()
            except PortTaken:  # by another test's server between its choice and its bind
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        return self._start()

    def _start(self) -> LiveServer:
        command = [sys.executable, "-m", "dmkg_cli",
                   *(["--home", str(self.home)] if self.home else []),
                   "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args]
        with self.log.open("wb") as log:
            # Its own process group: stopping it stops its workers too, whatever happens.
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.workdir, env=self.environment(),
                                            start_new_session=True,
                                            preexec_fn=self._limit_descriptors
                                            if self.descriptors is not None else None)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = self.log.read_text()
                if "Address already in use" in said:
                    raise PortTaken(said)
                raise RuntimeError(f"the server exited early:\n{said}")
            try:
                with urllib.request.urlopen(self.url + "/sparql?format=ntriples", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)  # a refused connection costs nothing; the suite starts many
        self.__exit__(None, None, None)
        raise RuntimeError(f"the server did not answer in {self.timeout}s:\n{self.log.read_text()}")

    def _limit_descriptors(self) -> None:
        """In the child before it starts: lower its soft limit of file descriptors."""
        assert self.descriptors is not None
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.descriptors, hard))

    def environment(self) -> dict[str, str]:
        """The environment of the server: this one, with the settings as DMKG_* variables."""
        return {**os.environ, **{f"DMKG_{key}": value for key, value in self.settings.items()}}

    def workers(self) -> set[int]:
        """The process ids of the server's gunicorn workers."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any worker left behind
