"""Probes for operators: /health (the process answers) and /ready (it can serve the data)."""

from __future__ import annotations

import json

from flask import Blueprint, Response

from kg.store import QueryFailed
from service.services import services

blueprint = Blueprint("operator", __name__)


def _json(status: int, body: dict[str, object]) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/health")
def health() -> Response:
    """Say that the process is up and which version it runs."""
    return _json(200, {"status": "up", "version": services().dataset_info.version})


@blueprint.get("/ready")
def ready() -> Response:
    """Say whether the store answers and the search index is loaded (503 and why if not)."""
    backend, catalogue = services().backend, services().catalogue
    checks: dict[str, str] = {}
    try:
        backend.query("ASK {}")
        checks["store"] = f"{backend.name}: answers"
    except (QueryFailed, OSError) as error:
        checks["store"] = f"not ready: {error}"
    checks["search_index"] = (f"{catalogue.size} entities" if catalogue.size
                              else "not ready: no entity indexed")
    ok = not any(value.startswith("not ready") for value in checks.values())
    version = services().dataset_info.version
    return _json(200 if ok else 503, {"status": "ready" if ok else "not ready",
                                      "version": version, "checks": checks})
