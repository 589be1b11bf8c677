"""Run the application under gunicorn: one worker process or several (service/front.py).

gunicorn's master forks the workers and replaces any that ends, so a query that outlives its
time limit or holds too much memory is stopped by retiring its process (see
service/limits.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import click
from flask import Flask
from gunicorn import sock as gunicorn_sockets
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from kg.store import QueryFailed
from kg.store.embedded import prepare_store
from kg.store.factory import StoreUnavailable, prepare_writable, remote_backend
from service.app import create_app
from service.config import Settings
from service.isolation import leave_network
from service.services import KEY
from service.write_access import read_tokens
from service.write_stop import flushed

STOP_LOG = logging.getLogger("service.stop")


def _in_child_process(function: Callable[..., Any], *args: Any) -> None:
    """Run function in a forked child process; raise StoreUnavailable with its error.

    Opening RocksDB starts its background threads (flushes, compactions) once per process;
    workers forked from a master that opened it inherit the belief that they exist, not the
    threads, and then wait for a flush that never comes when they stop. The master never
    opens it: a child loads or refreshes the store, and the workers open it.
    """
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        message = b""
        try:
            function(*args)
        except BaseException as error:  # handed to the parent as its message
            message = (str(error) or type(error).__name__).encode()
        os.write(write, message)
        os._exit(1 if message else 0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read()
    os.waitpid(child, 0)
    if message:
        raise StoreUnavailable(message.decode(errors="replace"))


def _post_fork(isolate: bool, _server: object, _worker: object) -> None:
    # A new worker leaves the network before it answers anything. (The worker itself tells its
    # application's time limit that it may retire the process: service/front.py, AsyncWorker.)
    if isolate:
        leave_network()


# How long a worker ending otherwise than by a stop (SIGTERM) writes the store's memory to
# its files: past it the process ends anyway, and the store's log, which holds every commit,
# is replayed when the store is next opened.
FLUSH_SECONDS = 0.3


def _flush_within(backend: Any, seconds: float) -> None:
    """Flush the store, waiting for it no longer than seconds."""
    def flush() -> None:
        with contextlib.suppress(OSError, RuntimeError):  # a full disk: the log keeps it
            backend.flush()

    thread = threading.Thread(target=flush, name="flush", daemon=True)
    thread.start()
    thread.join(seconds)


def _worker_exit(_server: object, worker: Any) -> None:
    # Leave without finalising Python: a query thread may still be inside the store, and
    # finalisation with helper threads about can hang. Writes are already in the store's log.
    found = getattr(getattr(worker, "wsgi", None), "extensions", {}).get(KEY)
    if found is not None and found.writes is not None:
        found.writes.interrupted()  # writes cut by the stop, before the process goes
    if found is not None and found.writes is not None and found.writes.flushing is not None:
        # Begun at the stop, beside the answers in hand.
        _say_stopped(worker, flushed(found.writes))
    elif found is not None and not found.runner.retiring:
        _flush_within(found.backend, FLUSH_SECONDS)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _say_stopped(worker: Any, flush_ended: float | None) -> None:
    """Log the stop's steps in a worker taking writes: when its answers in hand and its
    store's flush ended, in seconds after the signal (the operator's measure of a stop)."""
    began = getattr(getattr(worker, "front", None), "stopped_at", None)
    answered = getattr(worker, "answered_at", None)
    if began is None or answered is None:
        return
    if flush_ended is None:
        STOP_LOG.warning("stopped: answers in hand ended %.3f s after the signal, the store's "
                         "flush was cut short at %.3f s: its log is replayed at the next "
                         "start", answered - began, time.monotonic() - began)
    else:
        STOP_LOG.info("stopped: answers in hand ended %.3f s after the signal, the store's "
                      "flush %.3f s (whole)", answered - began, flush_ended - began)


# How often a stopping master looks whether its workers have ended.
REAP_LOOK = 0.01


class _Arbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, ending as soon as its workers have (gunicorn looks every 0.1 s)."""

    LISTENERS: list[Any]

    def stop(self, graceful: bool = True) -> None:
        """Stop the workers: SIGTERM, then SIGKILL for those left at the graceful timeout."""
        unlink = self.reexec_pid == self.master_pid == 0 and not self.systemd \
            and not self.cfg.reuse_port
        gunicorn_sockets.close_sockets(self.LISTENERS, unlink)
        self.LISTENERS = []
        limit = time.monotonic() + self.cfg.graceful_timeout
        self.kill_workers(signal.SIGTERM if graceful else signal.SIGQUIT)
        while self.WORKERS and time.monotonic() < limit:
            self.reap_workers()
            if self.WORKERS:
                time.sleep(REAP_LOOK)
        self.kill_workers(signal.SIGKILL)
        self.reap_workers()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn serving create_app(settings)."""

    def __init__(self, settings: Settings, options: Mapping[str, Any],
                 application: Flask | None = None) -> None:
        self.settings = settings
        self.options = dict(options)
        self.application = application
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def run(self) -> None:
        """Serve under the master above (gunicorn's own run, with its master)."""
        try:
            _Arbiter(self).run()
        except RuntimeError as error:
            raise click.ClickException(str(error)) from error

    def load(self) -> Flask:
        # With preload_app the master builds the app once and the workers inherit it.
        if self.application is None:
            self.application = create_app(self.settings)
        return self.application


def _check_files(settings: Settings) -> None:
    """Fail in one line, naming the setting, when a file the settings name cannot be used."""
    log = settings.access_log
    if log and log != "-":
        try:
            with open(log, "a", encoding="utf-8"):
                pass
        except OSError as error:
            raise click.ClickException(f"ACCESS_LOG (DMKG_ACCESS_LOG): cannot write {log}: "
                                       f"{error.strerror or error}") from None
    tokens = settings.write_tokens
    if tokens:
        try:
            read_tokens(Path(tokens))
        except OSError as error:
            raise click.ClickException(f"WRITE_TOKENS (DMKG_WRITE_TOKENS): cannot read "
                                       f"{tokens}: {error.strerror or error}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise click.ClickException(f"WRITE_TOKENS (DMKG_WRITE_TOKENS): {error}") from None


def run(settings: Settings, host: str, port: int, workers: int | None) -> None:
    """Serve until interrupted; fail with a clear message when the store cannot open."""
    # What the service says while it starts (how long the store and the index took), and
    # its errors, on standard error beside gunicorn's own lines.
    logging.basicConfig(format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: "
                               "%(message)s", datefmt="%Y-%m-%d %H:%M:%S %z")
    logging.getLogger("service").setLevel(logging.INFO)
    logging.getLogger("kg.store").setLevel(logging.INFO)  # says when a new store is swapped in
    engine = settings.store
    writable = bool(settings.write_tokens)
    on_disk = engine == "oxigraph" and not settings.data
    remote = engine.startswith("sparql+")
    application = None
    if writable and workers and workers > 1:
        raise click.ClickException("writes (WRITE_TOKENS) are served by one process, which "
                                   "alone opens the store for writing: drop --workers")
    _check_files(settings)
    try:
        if writable:
            read_tokens(Path(settings.write_tokens))
            # The worker opens it; fail here, clearly, if it cannot.
            _in_child_process(prepare_writable, settings.storage)
        elif on_disk:
            # Load once here, so that each worker only opens it.
            _in_child_process(prepare_store, settings.storage.dataset, settings.store_dir)
        elif remote:
            # Workers that cannot reach it would fail and be restarted for ever: say so once.
            remote_backend(settings.storage).graph_sizes()
        else:
            # An in-memory store is loaded once, here; forked workers share its pages.
            application = create_app(settings)
    except (StoreUnavailable, QueryFailed, OSError, ValueError, SyntaxError) as error:
        raise click.ClickException(str(error)) from error
    timeout = settings.query_timeout or 60.0
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers or 1,
        # Every request is read whole before a thread sees it (see front.py).
        "worker_class": "service.front.AsyncWorker",
        "preload_app": application is not None,
        # A worker silent for this long is killed by gunicorn itself, a last resort.
        "timeout": max(30, int(timeout * 3)),
        # Stopping the server cuts the answers still in hand after 1 s, the writes sooner
        # (service/write_stop.py); a worker taking writes then flushes its store for a moment
        # (_worker_exit) before the master's deadline, which only a stuck worker meets.
        "graceful_timeout": 2 if writable else 1,
        # Query processes of a local store have no network (see service/isolation.py).
        "post_fork": partial(_post_fork, not remote),
        # X-Forwarded-Proto and the like are believed from these proxies only.
        "forwarded_allow_ips": ",".join(sorted(settings.trusted_proxies)),
        "worker_exit": _worker_exit,
        "accesslog": settings.access_log or None,
        "control_socket_disable": True,
    }
    try:
        _Gunicorn(settings, options, application).run()
    except SystemExit as stop:
        # The master has stopped its workers and has nothing left to write: leave without
        # Python's finalisation, which takes most of a second over all the modules loaded.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1)
