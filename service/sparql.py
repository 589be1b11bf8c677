"""The SPARQL 1.1 Protocol endpoint: every request to /sparql, by method and operation.

A request is read once, here (service/protocol.py), and answered by its operation:

- a query (GET or POST) is evaluated under the limits and written in the accepted format
  (service/answers.py) straight from WSGI: Flask's request dispatch costs more than
  evaluating a small query;
- a query opened by a browser gets the editor with its results, a GET with no operation the
  service description (or the editor), an update is applied (service/writes.py): these go on
  to the Flask view below, which needs Flask's request context (templates, language,
  credentials) and takes the operation already read;
- OPTIONS, other methods and errors of the request's body (413) are Flask's: its automatic
  OPTIONS answer, its 405 with Allow, its error handlers.

What every answer needs (rate limits, security headers, CORS, kept answers) is done by the
WSGI layers around this one (service/app.py).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from kg.formats import GRAPH_FORMATS
from kg.store import Backend, DatasetSpec
from kg.store.oxigraph_backend import OxigraphBackend
from service.answers import INTERNAL_ERROR, answer_query, base_iri, respond, text
from service.dataset_info import dataset_info
from service.editor import editor_page, prefers_html
from service.limits import QueryLimits, StartResponse, WSGIApp, query_limits
from service.media import content_type, link_header, negotiate, write_graph
from service.protocol import Operation, ProtocolError, read_operation
from service.service_description import service_description
from service.writes import GRAPH_STORE, WriteRefused, graph_argument, sparql_update

log = logging.getLogger(__name__)
blueprint = Blueprint("sparql", __name__)

ENDPOINT = "/sparql"
PATHS = frozenset({ENDPOINT, ENDPOINT + "/"})
READ_METHODS = frozenset({"GET", "HEAD", "POST"})
# Where the endpoint leaves the operation it read for the Flask view.
OPERATION = "dmkg.sparql.operation"


class Endpoint:
    """WSGI: read each request to /sparql once; answer queries, hand the rest to Flask."""

    def __init__(self, app: WSGIApp, flask_app: Flask) -> None:
        self.app = app
        self.store: Backend = flask_app.extensions["dmkg.backend"]
        self.limits: QueryLimits = flask_app.extensions["dmkg.query_limits"]
        self.max_body: int | None = flask_app.config.get("MAX_CONTENT_LENGTH")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (environ.get("PATH_INFO") not in PATHS
                or environ.get("REQUEST_METHOD") not in READ_METHODS):
            return self.app(environ, start_response)
        request = Request(environ)
        # Refused on its announced length, unread (the worker did not wait for it either).
        request.max_content_length = request.max_form_memory_size = self.max_body
        try:
            operation = read_operation(request)
        except ProtocolError as error:
            return text(error.status, error.message)(environ, start_response)
        except HTTPException:
            return self.app(environ, start_response)  # Flask reads it again and renders it
        if operation is not None and operation.kind == "query" and not prefers_html(request):
            try:
                response = answer_query(self.store, self.limits, operation, base_iri(request),
                                        environ)
            except Exception:  # as Flask's own error handler answers
                log.exception("unexpected error")
                response = text(500, INTERNAL_ERROR)
            return response(environ, start_response)
        environ[OPERATION] = operation
        if request.method == "POST":
            # The body was read here; the view's request reads it again from the start.
            environ["wsgi.input"] = io.BytesIO(request.get_data())
        return self.app(environ, start_response)


@blueprint.route(ENDPOINT, methods=["GET", "POST"], strict_slashes=False)
def sparql() -> Response:
    """Answer what needs Flask: the description, the editor, updates."""
    if OPERATION in request.environ:
        operation: Operation | None = request.environ[OPERATION]
    else:  # the application called without its WSGI layers (Flask's test client)
        try:
            operation = read_operation(request)
        except ProtocolError as error:
            return text(error.status, error.message)
    if operation is None:
        return _description()
    if operation.kind == "update":
        return sparql_update(operation)
    if prefers_html(request):
        # A link to the endpoint opened in a browser: the query in the editor, with its results.
        return editor_page(operation.text, operation.dataset)
    return _answer(operation, base_iri(request))


def backend() -> Backend:
    """Return the application's store."""
    found: Backend = current_app.extensions["dmkg.backend"]
    return found


def _description() -> Response:
    fmt = negotiate(GRAPH_FORMATS, html=True)
    if fmt is None:
        response = editor_page()
    else:
        graph = service_description(request.base_url, backend(),
                                    updates="dmkg.writes" in current_app.extensions,
                                    info=dataset_info())
        response = respond(write_graph(graph, fmt), content_type(fmt))
    # The description in every RDF format, for clients that follow links.
    response.headers["Link"] = link_header(ENDPOINT)
    response.vary.add("Accept")
    return response


def _answer(operation: Operation, base: str | None) -> Response:
    return answer_query(backend(), query_limits(), operation, base, request.environ)


@blueprint.route(GRAPH_STORE, methods=["GET", "HEAD"])
def read_graph() -> Response:
    """Graph Store Protocol GET: a named graph, or the default graph (the union)."""
    store = backend()
    if not isinstance(store, OxigraphBackend):
        return text(404, "the Graph Store Protocol needs the embedded store")
    try:
        graph = graph_argument()
    except WriteRefused as refusal:
        return text(refusal.status, refusal.message)
    if graph is not None and not store.has_graph(graph):
        return text(404, f"no graph <{graph}> in the store")
    # The same path as a SPARQL answer: the union by default, capped, under the time limit.
    pattern = f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}"
    return _answer(Operation("query", query, DatasetSpec()), None)
