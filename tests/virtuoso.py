"""A throw-away Virtuoso on 127.0.0.1: its own database folder, free ports, no row cap."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.live import free_port

INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = 50000
MaxDirtyBuffers = 30000
ThreadsPerQuery = 2
; Moving a large staged graph into place is one transaction: allow it a large log.
TransactionAfterImageLimit = 1500000000
; The service caps answers with a LIMIT; Virtuoso sorts at most this many rows for one.
MaxSortedTopRows = 100000000
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 10
MaxClientConnections = 20
Charset = UTF-8
EnabledGzipContent = 0
[SPARQL]
; No silent truncation: the cap is far above any answer the tests or the service ask for.
ResultSetMaxRows = 100000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""


class Virtuoso:
    """virtuoso-t in the foreground, in its own folder; dba/dba on a fresh database."""

    user = "dba"
    password = "dba"

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("virtuoso-t")
        if binary is None:
            raise RuntimeError("virtuoso-t is not installed (Debian: virtuoso-opensource); "
                               "./dev test installs it")
        self.binary = binary
        self.folder = folder
        self.http_port = free_port()
        self.sql_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def update_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql-auth"

    def __enter__(self) -> Virtuoso:
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(INI.format(folder=self.folder, sql_port=self.sql_port,
                                  http_port=self.http_port))
        with (self.folder / "stdout.log").open("wb") as log:
            self.process = subprocess.Popen([self.binary, "+foreground", "+configfile",
                                             str(ini)], stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.folder)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Virtuoso exited:\n" + (self.folder / "stdout.log").read_text())
            try:
                with urllib.request.urlopen(f"{self.endpoint}?query=ASK%7B%7D", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError("Virtuoso did not answer in 120 s")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
