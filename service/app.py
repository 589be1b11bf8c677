"""The Flask application factory."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from kg.catalogue import Catalogue
from kg.paths import Layout
from kg.store import Backend, StoreUnreachable
from kg.store.factory import open_backend
from service.answers import INTERNAL_ERROR
from service.config import load_config
from service.dataset_info import DatasetInfo
from service.limits import RUNNER, ClientLimiter, Guarded, QueryLimits
from service.media import NotAcceptable, UnknownFormat
from service.response_cache import ResponseCache
from service.route_families import RouteFamilies
from service.writes import init_writes

log = logging.getLogger(__name__)
# What pages compute from the data once, forgotten when the data changes.
DERIVED = ("dmkg.claim_facets", "dmkg.class_parents", "dmkg.home_counts")


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def register_errors(app: Flask) -> None:
    """Answer every error with its status and a short message, never a traceback."""

    @app.errorhandler(UnknownFormat)
    def unknown_format(error: UnknownFormat) -> Response:
        return _plain(400, str(error))

    @app.errorhandler(NotAcceptable)
    def not_acceptable(error: NotAcceptable) -> Response:
        return _plain(406, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if request.path.startswith(("/api/", "/reconcile")):
            # Machine clients get JSON errors, shaped like flask-smorest's own.
            data = getattr(error, "data", None) or {}
            body: dict[str, Any] = {"code": error.code, "status": error.name,
                                    "message": data.get("message", error.description)}
            if "messages" in data:
                body["errors"] = data["messages"]
                fields = [f"'{name}'" for where in data["messages"].values()
                          for name in where]
                body["message"] = f"invalid parameter {', '.join(fields)}"
            return Response(json.dumps(body, ensure_ascii=False), status=error.code or 500,
                            content_type="application/json")
        response = _plain(error.code or 500, f"{error.code} {error.name}: {error.description}")
        for header in ("Allow",):
            if error.get_response().headers.get(header):
                response.headers[header] = error.get_response().headers[header]
        return response

    @app.errorhandler(StoreUnreachable)
    def store_away(error: StoreUnreachable) -> Response:
        # Every route that reads the store answers alike when a remote store is down.
        if request.path.startswith(("/api/", "/reconcile")):
            return Response(json.dumps({"code": 503, "status": "Service Unavailable",
                                        "message": str(error)}, ensure_ascii=False),
                            status=503, content_type="application/json")
        return _plain(503, str(error))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return _plain(500, INTERNAL_ERROR)


def index_folder(settings: Mapping[str, Any]) -> Path | None:
    """Where the search index of the configured store is kept, or None to keep it in memory.

    Indexes are kept for the on-disk store, beside it and named by its content: data files
    (DATA), in-memory engines and remote servers are indexed when the service starts.
    """
    if str(settings["STORE"]) != "oxigraph" or settings.get("DATA"):
        return None
    return Path(settings["STORE_DIR"]) / ("writable" if settings.get("WRITE_TOKENS") else "")


def open_catalogue(backend: Backend, folder: Path | None) -> Catalogue:
    """Open the search index of the store's content, building it only when there is none."""
    if folder is None:
        return Catalogue.from_backend(backend)
    return Catalogue.for_store(backend, folder, backend.version())


class CatalogueRefresher:
    """After writes, rebuild the search catalogue on a background thread, at most once a second."""

    def __init__(self, app: Flask, backend: Backend, folder: Path | None) -> None:
        self.app = app
        self.backend = backend
        self.folder = folder
        self.wanted = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def __call__(self) -> None:
        self.app.extensions["dmkg.dataset_info"].changed()
        self.app.extensions.pop("dmkg.void", None)
        self.app.extensions["dmkg.response_cache"].clear()
        self.wanted.set()
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="catalogue", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            self.wanted.wait()
            time.sleep(1.0)  # let a burst of writes land first
            self.wanted.clear()
            try:
                self.app.extensions["dmkg.catalogue"] = open_catalogue(self.backend, self.folder)
                for derived in DERIVED:
                    self.app.extensions.pop(derived, None)
                # Answers made meanwhile read the old catalogue's labels.
                self.app.extensions["dmkg.response_cache"].clear()
            except Exception:  # the old catalogue keeps serving; the next write retries
                log.exception("the search catalogue could not be rebuilt")


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the DMKG application from its configuration and open its store."""
    app = Flask(__name__)
    settings = load_config(overrides)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = int(settings["MAX_REQUEST_BYTES"]) or None
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]
    app.extensions["dmkg.layout"] = Layout(Path(settings["HOME"]))
    app.extensions["dmkg.query_limits"] = QueryLimits(float(settings["QUERY_TIMEOUT"]),
                                                      int(settings["RESULT_LIMIT"]),
                                                      int(settings["MAX_QUERY_BYTES"]))
    RUNNER.memory.limit = int(settings["QUERY_MEMORY_MB"]) << 20
    started = time.perf_counter()
    backend = open_backend(settings)
    opened = time.perf_counter()
    log.info("store %s open in %.1f s", backend.name, opened - started)
    folder = index_folder(settings)
    catalogue = open_catalogue(backend, folder)
    log.info("search index of %d entities ready in %.1f s", catalogue.size,
             time.perf_counter() - opened)
    backend.refuse_remote = not settings["TEST_WITHOUT_GUARD"]
    app.extensions["dmkg.backend"] = backend
    app.extensions["dmkg.dataset_info"] = DatasetInfo.of(
        Path(settings["HOME"]), serves_dist=not settings["DATA"])
    app.extensions["dmkg.catalogue"] = catalogue
    app.extensions["dmkg.catalogue_refresh"] = CatalogueRefresher(app, backend, folder)

    from service import (
        api,
        browse,
        claims_browser,
        favicon,
        home,
        i18n,
        linked_data,
        map_page,
        ontology_pages,
        operator,
        publishing,
        reconcile,
        sparql,
        timeline_pages,
        void_route,
    )

    for module in (home, browse, claims_browser, map_page, timeline_pages, linked_data,
                   ontology_pages, operator, publishing, reconcile, sparql, void_route, favicon):
        app.register_blueprint(module.blueprint)
    i18n.init_app(app)
    api.init_app(app)
    init_writes(app, backend)
    register_errors(app)
    # Outermost: the client's address as the proxies tell it, then each route family's
    # headers (CORS), then admission and security headers,
    # then kept answers, then the SPARQL endpoint (queries answered without Flask's dispatch).
    limiter = ClientLimiter(float(settings["RATE_LIMIT"]), int(settings["RATE_BURST"]),
                            int(settings["CONCURRENCY_LIMIT"]))
    cache = ResponseCache(sparql.Endpoint(app.wsgi_app, app),
                          int(settings["RESPONSE_CACHE_MB"]) * 1024 * 1024)
    app.extensions["dmkg.response_cache"] = cache
    app.wsgi_app = RouteFamilies(Guarded(cache, limiter))  # type: ignore[method-assign]
    if settings["PROXY_HOPS"] and settings["TRUSTED_PROXIES"]:
        hops = int(settings["PROXY_HOPS"])
        app.wsgi_app = FromTrustedProxies(  # type: ignore[method-assign]
            ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops), app.wsgi_app,
            frozenset(str(settings["TRUSTED_PROXIES"]).split(",")))
    return app


class FromTrustedProxies:
    """Believe X-Forwarded-* headers (through ProxyFix) only from the configured proxies."""

    def __init__(self, trusting: Any, plain: Any, proxies: frozenset[str]) -> None:
        self.trusting = trusting
        self.plain = plain
        self.proxies = proxies

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REMOTE_ADDR") in self.proxies:
            return self.trusting(environ, start_response)
        return self.plain(environ, start_response)
