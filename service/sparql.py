"""The SPARQL 1.1 Protocol endpoint, its service description and its query editor."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template, request

from kg.formats import GRAPH_FORMATS
from kg.queryfiles import read_queries
from kg.store import Backend, QueryFailed, QuerySyntaxError
from service.media import choose, content_type
from service.protocol import ProtocolError, read_operation
from service.service_description import service_description

blueprint = Blueprint("sparql", __name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Max-Age": "86400",
}


def backend() -> Backend:
    """Return the application's store."""
    found: Backend = current_app.extensions["dmkg.backend"]
    return found


def _text(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _editor() -> Response:
    layout = current_app.extensions["dmkg.layout"]
    examples = [{"name": q.title, "description": q.description, "query": q.text}
                for q in read_queries(layout.queries_dir)]
    html = render_template("editor.html", examples=json.dumps(examples, ensure_ascii=False))
    return Response(html, content_type="text/html; charset=utf-8")


def _description() -> Response:
    fmt = choose(request.accept_mimetypes, request.args.get("format"), GRAPH_FORMATS, html=True)
    if fmt is None:
        return _editor()
    graph = service_description(request.base_url, backend())
    return Response(graph.serialize(format=fmt.rdflib_name, encoding="utf-8"),
                    content_type=content_type(fmt))


@blueprint.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol request."""
    try:
        operation = read_operation(request)
    except ProtocolError as error:
        return _text(error.status, error.message)
    if operation is None:
        response = _description()
    elif operation.kind == "update":
        return _text(403, "updates are not enabled on this endpoint")
    else:
        try:
            outcome = backend().query(operation.text, operation.dataset or None,
                                      base=request.base_url)
        except QuerySyntaxError as error:
            return _text(400, f"query syntax error: {error}")
        except QueryFailed as error:
            return _text(500, f"the query could not be evaluated: {error}")
        fmt = choose(request.accept_mimetypes, request.values.get("format"), outcome.formats)
        assert fmt is not None
        response = Response(backend().serialize(outcome, fmt), content_type=content_type(fmt))
    response.headers["Vary"] = "Accept"
    return response


@blueprint.route("/sparql", methods=["OPTIONS"], strict_slashes=False)
def preflight() -> Response:
    """Answer a CORS preflight request."""
    return Response(status=204)


@blueprint.after_request
def cors(response: Response) -> Response:
    """Let pages of any origin query the endpoint."""
    response.headers.update(CORS_HEADERS)
    return response
