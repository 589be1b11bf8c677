"""The Flask application factory."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from kg.catalogue import Catalogue
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
    backend = open_backend(settings)
    app.extensions["dmkg.backend"] = backend
    app.extensions["dmkg.catalogue"] = Catalogue.from_backend(backend)

    from service import api, home, linked_data, ontology_pages, reconcile, sparql, void_route

    for module in (home, linked_data, ontology_pages, reconcile, sparql, void_route):
        app.register_blueprint(module.blueprint)
    api.init_app(app)
    register_errors(app)
    return app
