"""The Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from kg.paths import Layout
from kg.store.factory import open_backend
from service.config import load_config
from service.media import NotAcceptable, UnknownFormat

log = logging.getLogger(__name__)


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
        response = _plain(error.code or 500, f"{error.code} {error.name}: {error.description}")
        for header in ("Allow",):
            if error.get_response().headers.get(header):
                response.headers[header] = error.get_response().headers[header]
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return _plain(500, "500 Internal Server Error: the server could not answer this request")


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the DMKG application from its configuration and open its store."""
    app = Flask(__name__)
    settings = load_config(overrides)
    app.config.update(settings)
    app.extensions["dmkg.layout"] = Layout(Path(settings["HOME"]))
    app.extensions["dmkg.backend"] = open_backend(settings)

    from service import home, ontology_pages, sparql, void_route

    for module in (home, ontology_pages, sparql, void_route):
        app.register_blueprint(module.blueprint)
    register_errors(app)
    return app
