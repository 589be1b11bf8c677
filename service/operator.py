"""Probes for operators: /health (the process answers) and /ready (it can serve the data)."""

from __future__ import annotations

import json

from flask import Blueprint, Response

from kg.store import QueryFailed
from service.errors import ServiceError, without_paths
from service.services import services

blueprint = Blueprint("operator", __name__)


NO_STORE = ("Cache-Control", "no-store")  # a probe's answer is of the moment it was asked


def _json(status: int, body: dict[str, object]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json",
                    headers=[NO_STORE])


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
    version = services().dataset_info.version
    failed = [f"{name} {value}" for name, value in checks.items()
              if value.startswith("not ready")]
    if failed:
        # An error as every other (its family's JSON, an engine's file paths left out), with
        # each check's outcome as a member of its own for the orchestrator's log.
        raise ServiceError(503, "; ".join(failed), [NO_STORE], {
            "version": version,
            "checks": {name: without_paths(value) for name, value in checks.items()}})
    return _json(200, {"status": "ready", "version": version, "checks": checks})
