"""The Flask application factory."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kg.paths import Layout
from kg.store.factory import open_backend
from service.config import Settings, load_settings
from service.dataset_info import DatasetInfo
from service.errors import register_errors
from service.limits import ClientLimiter, DeadlineRunner, Guarded, QueryLimits
from service.response_cache import ResponseCache
from service.routes import RouteFamilies
from service.services import KEY, Services, index_folder, open_catalogue
from service.sparql import Endpoint
from service.write_access import open_writes

log = logging.getLogger(__name__)


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the DMKG application from its settings and open its store.

    Given Settings, the application reads nothing else (no environment, no file); given a
    mapping of overrides, the settings are read first (defaults, file, DMKG_* variables).
    """
    app = Flask(__name__)
    settings = config if isinstance(config, Settings) else load_settings(config)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes or None
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]
    limits = QueryLimits(settings.query_timeout, settings.result_limit,
                         settings.max_query_bytes)
    runner = DeadlineRunner()
    runner.memory.limit = settings.query_memory_mb << 20
    started = time.perf_counter()
    backend = open_backend(settings.storage)
    opened = time.perf_counter()
    log.info("store %s open in %.1f s", backend.name, opened - started)
    catalogue = open_catalogue(backend, index_folder(settings))
    log.info("search index of %d entities ready in %.1f s", catalogue.size,
             time.perf_counter() - opened)
    backend.refuse_remote = not settings.test_without_guard
    # Outermost: the client's address as the proxies tell it, then each route family's
    # headers (CORS, Vary, page headers), then admission within the client limits,
    # then kept answers, then the SPARQL endpoint (every request to /sparql, see sparql.py).
    endpoint = Endpoint(app.wsgi_app, app, app.config["MAX_CONTENT_LENGTH"])
    kept = ResponseCache(endpoint, settings.response_cache_mb * 1024 * 1024)
    limiter = ClientLimiter(settings.rate_limit, settings.rate_burst,
                            settings.concurrency_limit)
    app.extensions[KEY] = Services(
        settings=settings, layout=Layout(settings.home), backend=backend, catalogue=catalogue,
        dataset_info=DatasetInfo.of(settings.home, serves_dist=not settings.data),
        limits=limits, limiter=limiter, kept=kept, runner=runner,
        writes=open_writes(settings, backend))
    _register(app)
    app.wsgi_app = RouteFamilies(Guarded(kept, limiter))  # type: ignore[method-assign]
    if settings.proxy_hops and settings.trusted_proxies:
        hops = settings.proxy_hops
        app.wsgi_app = FromTrustedProxies(  # type: ignore[method-assign]
            ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops), app.wsgi_app,
            settings.trusted_proxies)
    return app


def _register(app: Flask) -> None:
    """Attach the routes, the languages and the error handlers."""
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
        writes,
    )

    for module in (home, browse, claims_browser, map_page, timeline_pages, linked_data,
                   ontology_pages, operator, publishing, reconcile, sparql, void_route, favicon,
                   writes):
        app.register_blueprint(module.blueprint)
    i18n.init_app(app)
    with app.app_context():  # the API's schemas read the served ontology's classes
        api.init_app(app)
    register_errors(app)


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
