"""What the application serves from, in one typed object under one app.extensions key."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from flask import Flask, current_app, request
from rdflib import Graph

from kg.catalogue import Catalogue
from kg.paths import Layout
from kg.store import Backend
from service.config import Settings
from service.dataset_info import DatasetInfo
from service.errors import ServiceError
from service.limits import WATCH, ClientLimiter, Deadline, DeadlineRunner, QueryLimits
from service.resources import LinkCache
from service.response_cache import ResponseCache

if TYPE_CHECKING:
    from service.claim_selection import ClaimFacets
    from service.write_access import Writes

log = logging.getLogger(__name__)
KEY = "dmkg"
T = TypeVar("T")


def index_folder(settings: Settings) -> Path | None:
    """Where the search index of the configured store is kept, or None to keep it in memory.

    Indexes are kept for the on-disk store, beside it and named by its content: data files
    (DATA), in-memory engines and remote servers are indexed when the service starts.
    """
    if settings.store != "oxigraph" or settings.data:
        return None
    return settings.store_dir / ("writable" if settings.write_tokens else "")


def open_catalogue(backend: Backend, folder: Path | None) -> Catalogue:
    """Open the search index of the store's content, building it only when there is none."""
    if folder is None:
        return Catalogue.from_backend(backend)
    return Catalogue.for_store(backend, folder, backend.version())


@dataclass
class Derived:
    """What pages compute from the data once, kept until the data changes (None: not yet)."""

    claim_counts: dict[str, Counter[str]] | None = None  # the home page's charts
    void: Graph | None = None  # the VoID description
    class_parents: dict[str, set[str]] | None = None  # each DMO class's superclasses
    claim_facets: list[ClaimFacets] | None = None  # the claims browser's facet values

    def clear(self) -> None:
        """Forget everything computed."""
        for found in fields(self):
            setattr(self, found.name, None)


@dataclass
class Services:
    """The store, the search index, the limits, the kept answers and the writes of one app."""

    settings: Settings
    layout: Layout
    backend: Backend
    catalogue: Catalogue  # updated in place when the data changes
    dataset_info: DatasetInfo
    limits: QueryLimits
    limiter: ClientLimiter
    kept: ResponseCache
    runner: DeadlineRunner
    writes: Writes | None = None
    derived: Derived = field(default_factory=Derived)
    links: LinkCache = field(default_factory=LinkCache)  # the look-ups' labels
    _wanted: threading.Event = field(default_factory=threading.Event, repr=False)
    _rebuilder: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def data_changed(self) -> None:
        """Forget what was derived from the data; rebuild the search index in the background."""
        self.dataset_info.changed()
        self.derived.clear()
        self.kept.clear()
        self.links.clear()
        self.catalogue.stale()
        self._wanted.set()
        with self._lock:
            if self._rebuilder is None or not self._rebuilder.is_alive():
                self._rebuilder = threading.Thread(target=self._rebuild, name="catalogue",
                                                   daemon=True)
                self._rebuilder.start()

    def _rebuild(self) -> None:
        """Index again what writes changed, on a background thread, at most once a second."""
        while True:
            self._wanted.wait()
            time.sleep(1.0)  # let a burst of writes land first
            self._wanted.clear()
            try:
                self.catalogue.update(self.backend)
                # Pages and answers made meanwhile read the old catalogue's labels.
                self.derived.clear()
                self.kept.clear()
            except Exception:  # the old catalogue keeps serving; the next write retries
                log.exception("the search catalogue could not be updated")


def services(app: Flask | None = None) -> Services:
    """Return the services of an application (by default the current one)."""
    found: Services = (app or current_app).extensions[KEY]
    return found


def query_limits() -> QueryLimits:
    """Return the current application's query limits."""
    return services().limits


def request_deadline() -> Deadline:
    """When the current request's time is up: the time limit, from when it was read."""
    return Deadline.of(request.environ, services().limits.seconds)


def run_timed(work: Callable[[], T], cut: Callable[[], BaseException] | None = None,
              on_memory: Callable[[], ServiceError | None] | None = None,
              retire: bool = True) -> T:
    """Run work for the current request within its deadline (see DeadlineRunner.run).

    Reads (work with no cut of its own) run on the request's thread when the HTTP front
    keeps its time limit; writes, which may wait for their commit past it, on a helper."""
    watch = request.environ.get(WATCH) if cut is None else None
    return services().runner.run(work, request_deadline(),
                                 request.environ.get("gunicorn.socket"), request.full_path, cut,
                                 on_memory, retire, watch)
