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
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from kg.formats import GRAPH_FORMATS
from kg.store import Backend, Capability, DatasetSpec
from kg.store.union_upkeep import UPKEEP
from service.answers import answer_query, base_iri, respond
from service.editor import editor_page
from service.errors import ServiceError, as_service_error, wsgi_error
from service.limits import QueryLimits, StartResponse, WSGIApp
from service.media import content_type, link_header, negotiate, prefers_html, write_graph
from service.protocol import Operation, read_operation
from service.service_description import service_description
from service.services import query_limits, services
from service.writes import GRAPH_STORE, graph_argument, sparql_update

log = logging.getLogger(__name__)
blueprint = Blueprint("sparql", __name__)

ENDPOINT = "/sparql"
PATHS = frozenset({ENDPOINT, ENDPOINT + "/"})
READ_METHODS = frozenset({"GET", "HEAD", "POST"})
# Where the endpoint leaves the operation it read for the Flask view.
OPERATION = "dmkg.sparql.operation"


class Endpoint:
    """WSGI: read each request to /sparql once; answer queries, hand the rest to Flask."""

    def __init__(self, app: WSGIApp, store: Backend, limits: QueryLimits,
                 max_body: int | None) -> None:
        self.app = app
        self.store = store
        self.limits = limits
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (environ.get("PATH_INFO") not in PATHS
                or environ.get("REQUEST_METHOD") not in READ_METHODS):
            return self.app(environ, start_response)
        request = Request(environ)
        # Refused on its announced length, unread (the worker did not wait for it either).
        request.max_content_length = request.max_form_memory_size = self.max_body
        try:
            operation = read_operation(request)
        except ServiceError as error:
            return wsgi_error(error, environ, start_response)
        except HTTPException:
            return self.app(environ, start_response)  # Flask reads it again and renders it
        if operation is not None and operation.kind == "query" and not prefers_html(request):
            try:
                response = answer_query(self.store, self.limits, operation,
                                        base_iri(request), environ)
            except Exception as error:  # as Flask's own error handlers answer
                return wsgi_error(as_service_error(error), environ, start_response)
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
        operation = read_operation(request)
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
    found: Backend = services().backend
    return found


def _description() -> Response:
    fmt = negotiate(GRAPH_FORMATS, html=True)
    if fmt is None:
        response = editor_page()
    else:
        graph = service_description(request.base_url, backend(),
                                    updates=services().writes is not None,
                                    info=services().dataset_info)
        response = respond(write_graph(graph, fmt), content_type(fmt))
    # The description in every RDF format, for clients that follow links.
    response.headers["Link"] = link_header(ENDPOINT)
    return response


def _answer(operation: Operation, base: str | None) -> Response:
    return answer_query(backend(), query_limits(), operation, base, request.environ)


@blueprint.route(GRAPH_STORE, methods=["GET", "HEAD"])
def read_graph() -> Response:
    """Graph Store Protocol GET: a named graph, or the default graph (the union)."""
    store = backend()
    if Capability.GRAPH_STORE not in store.capabilities:
        raise ServiceError(404, "the Graph Store Protocol needs the embedded store")
    graph = graph_argument()
    if graph == UPKEEP:
        raise ServiceError(403, f"<{UPKEEP}> is the store's own and cannot be read")
    if graph is not None and not store.has_graph(graph):
        raise ServiceError(404, f"no graph <{graph}> in the store")
    # The same path as a SPARQL answer: the union by default, capped, under the time limit.
    pattern = f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}"
    return _answer(Operation("query", query, DatasetSpec()), None)
