"""The SPARQL 1.1 Protocol endpoint: every request to /sparql, by method and operation.

One object, Endpoint, answers every request to /sparql: its respond() reads the request once
(service/protocol.py) and decides by method and operation, raising ServiceError for what it
refuses:

- OPTIONS is answered with the methods allowed (a CORS preflight is answered before, by the
  route families), any other method than GET, HEAD, POST with a 405 naming them;
- a query (GET or POST) is evaluated under the limits and written in the accepted format
  (service/answers.py) with no Flask context: Flask's request dispatch costs more than
  evaluating a small query;
- a query opened by a browser gets the editor with its results, a GET with no operation the
  service description (or the editor), an update is applied (service/writes.py): these need
  Flask's request context (templates, language, credentials), so respond() called in front
  of Flask hands them on to it, and Flask's view calls respond() again, with the operation
  already read.

What every answer needs (rate limits, security headers, CORS, kept answers) is done by the
WSGI layers around this one (service/app.py); errors are rendered by service/errors.py.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, has_request_context, request
from werkzeug.wrappers import Request

from kg.formats import GRAPH_FORMATS
from kg.store import Backend, Capability, DatasetSpec
from kg.store.union_upkeep import UPKEEP
from service.answers import answer_query, base_iri, respond
from service.editor import editor_page
from service.errors import ServiceError, as_service_error, wsgi_error
from service.limits import StartResponse, WSGIApp
from service.media import content_type, link_header, negotiate, prefers_html, write_graph
from service.protocol import Operation, read_operation
from service.service_description import service_description
from service.services import Services, query_limits, services
from service.writes import GRAPH_STORE, graph_argument, sparql_update

log = logging.getLogger(__name__)
blueprint = Blueprint("sparql", __name__)

ENDPOINT = "/sparql"
PATHS = frozenset({ENDPOINT, ENDPOINT + "/"})
METHODS = ("GET", "HEAD", "POST", "OPTIONS")
ALLOW = ("Allow", ", ".join(METHODS))
# Where the endpoint leaves the operation it read when it hands the request on to Flask.
OPERATION = "dmkg.sparql.operation"


class _ForFlask(Exception):
    """The answer needs Flask's request context: the request goes on to Flask's view."""

    def __init__(self, operation: Operation | None, reading: Request) -> None:
        super().__init__()
        self.operation = operation
        # A POST's body, read here: the view's request reads it again from the start.
        self.body = reading.get_data() if reading.method == "POST" else None


class Endpoint:
    """WSGI: every request to /sparql is answered by respond(), in front of Flask or in it."""

    def __init__(self, app: WSGIApp, flask: Flask, max_body: int | None) -> None:
        self.app = app  # the next layer: Flask
        self.flask = flask
        self.max_body = max_body
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        """The application's services (made after this layer, which they hold)."""
        if self._services is None:
            self._services = services(self.flask)
        return self._services

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in PATHS:
            return self.app(environ, start_response)
        try:
            response = self.respond(environ)
        except _ForFlask as handed:
            environ[OPERATION] = handed.operation
            if handed.body is not None:
                environ["wsgi.input"] = io.BytesIO(handed.body)
            return self.app(environ, start_response)
        except Exception as error:  # rendered as Flask's own error handlers render it
            return wsgi_error(as_service_error(error), environ, start_response)
        return response(environ, start_response)

    def respond(self, environ: dict[str, Any]) -> Response:
        """Answer one request to /sparql, or raise ServiceError (or a domain error)."""
        method = environ.get("REQUEST_METHOD")
        if method == "OPTIONS":
            answer = Response(status=204, headers=[ALLOW])
            answer.headers.remove("Content-Type")
            return answer
        if method not in METHODS:
            raise ServiceError(405, f"405 Method Not Allowed: the SPARQL endpoint answers "
                                    f"{', '.join(METHODS)}, not {method}", [ALLOW])
        if OPERATION in environ:  # read in front of Flask, handed on
            return self._in_flask(environ[OPERATION])
        reading = Request(environ)
        # Refused on its announced length, unread (the worker did not wait for it either).
        reading.max_content_length = reading.max_form_memory_size = self.max_body
        operation = read_operation(reading)
        if operation is not None and operation.kind == "query" and not prefers_html(reading):
            found = self.services
            return answer_query(found.backend, found.limits, found.runner, operation,
                                base_iri(reading), environ)
        if not has_request_context():
            raise _ForFlask(operation, reading)
        return self._in_flask(operation)

    def _in_flask(self, operation: Operation | None) -> Response:
        """What needs Flask's request context: the description, the editor, updates."""
        if operation is None:
            return _description()
        if operation.kind == "update":
            return sparql_update(operation)
        # A link to the endpoint opened in a browser: the query in the editor, with its results.
        return editor_page(operation.text, operation.dataset)


@blueprint.route(ENDPOINT, methods=list(METHODS), strict_slashes=False,
                 provide_automatic_options=False)
def sparql() -> Response:
    """Every request to /sparql that reaches Flask: the endpoint's own answer."""
    return services().endpoint.respond(request.environ)


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
    return answer_query(backend(), query_limits(), services().runner, operation, base,
                        request.environ)


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
