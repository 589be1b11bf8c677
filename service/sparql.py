"""The SPARQL 1.1 Protocol endpoint, its service description and its query editor."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template, request

from kg.formats import GRAPH_FORMATS
from kg.queryfiles import read_queries
from kg.sparql_text import has_relative_iri
from kg.store import Backend, QueryFailed, QueryRefused, QuerySyntaxError
from service.media import choose, content_type, negotiate
from service.protocol import ProtocolError, read_operation
from service.service_description import service_description

blueprint = Blueprint("sparql", __name__)

# Answers carry the origin header; preflight answers also say what a request may use.
CORS_HEADERS = (("Access-Control-Allow-Origin", "*"),)
PREFLIGHT_HEADERS = (
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, Accept"),
    ("Access-Control-Max-Age", "86400"),
)


def backend() -> Backend:
    """Return the application's store."""
    found: Backend = current_app.extensions["dmkg.backend"]
    return found


def _respond(body: bytes | str, content_type: str, status: int = 200) -> Response:
    """Build a response with the CORS and Vary headers every endpoint answer carries."""
    return Response(body, status=status, headers=[("Content-Type", content_type),
                                                  ("Vary", "Accept"), *CORS_HEADERS])


def _text(status: int, message: str) -> Response:
    return _respond(message + "\n", "text/plain; charset=utf-8", status)


def _editor() -> Response:
    layout = current_app.extensions["dmkg.layout"]
    examples = [{"name": q.title, "description": q.description, "query": q.text}
                for q in read_queries(layout.queries_dir)]
    html = render_template("editor.html", examples=json.dumps(examples, ensure_ascii=False))
    return _respond(html, "text/html; charset=utf-8")


def _description() -> Response:
    fmt = negotiate(GRAPH_FORMATS, html=True)
    if fmt is None:
        return _editor()
    graph = service_description(request.base_url, backend())
    return _respond(graph.serialize(format=fmt.rdflib_name, encoding="utf-8"), content_type(fmt))


@blueprint.route("/sparql", methods=["GET", "POST"], strict_slashes=False,
                 provide_automatic_options=False)
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol request."""
    try:
        operation = read_operation(request)
    except ProtocolError as error:
        return _text(error.status, error.message)
    if operation is None:
        return _description()
    if operation.kind == "update":
        return _text(403, "updates are not enabled on this endpoint")
    store = backend()
    base = None
    if has_relative_iri(operation.text):
        # The endpoint is the base IRI of relative IRIs (built directly: base_url is slow).
        base = f"{request.scheme}://{request.host}{request.path}"
    try:
        outcome = store.query(operation.text, operation.dataset or None, base=base)
    except QuerySyntaxError as error:
        return _text(400, f"query syntax error: {error}")
    except QueryRefused as error:
        return _text(400, f"query refused: {error}")
    except QueryFailed as error:
        return _text(500, f"the query could not be evaluated: {error}")
    fmt = choose(request.headers.get("Accept", ""), operation.format, outcome.formats)
    assert fmt is not None
    return _respond(store.serialize(outcome, fmt), content_type(fmt))


@blueprint.route("/sparql", methods=["OPTIONS"], strict_slashes=False)
def preflight() -> Response:
    """Answer a CORS preflight request: pages of any origin may query the endpoint."""
    response = _respond(b"", "text/plain; charset=utf-8", 204)
    response.headers.extend(PREFLIGHT_HEADERS)
    return response
