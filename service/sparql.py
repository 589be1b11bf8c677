"""The SPARQL 1.1 Protocol endpoint: every request to /sparql, answered in one place.

Endpoint, a WSGI layer in front of Flask, answers every request to /sparql itself, from the
request read once (service/protocol.py), and hands every other path on to Flask:

- OPTIONS is answered with the methods allowed (a CORS preflight is answered before, by the
  route families), any other method than GET, HEAD, POST with a 405 naming them;
- a query (GET or POST) is evaluated under the limits and written in the accepted format
  (service/answers.py);
- a query opened by a browser gets the editor with it (service/editor.py), a GET with no
  operation the service description (or the editor, for a browser);
- an update is applied by the write side (service/writes.py), which reads the token and
  keeps the audit log;
- every error is rendered as Flask's error handlers render any other (service/errors.py).

None of them enters Flask: Flask's request dispatch costs more than evaluating a small query.
The editor is written with the application's templates, its links built from Flask's URL map
(where /sparql is a build-only rule, never matched), in the language every page is written in
(service/i18n.py). What every answer needs (rate limits, security headers, CORS, kept answers)
is done by the WSGI layers around this one (service/app.py).

The Graph Store Protocol's reads (a Flask view) are answered here too, as a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, request
from werkzeug.wrappers import Request

from kg.formats import GRAPH_FORMATS
from kg.store import Backend, Capability, DatasetSpec
from kg.store.union_upkeep import UPKEEP
from service.answers import WholeAnswer, answer_query, query_answer, respond
from service.editor import editor_page
from service.errors import ServiceError, as_service_error, error_response
from service.i18n import remember_language
from service.limits import StartResponse, WSGIApp
from service.media import (
    choose,
    content_type,
    format_parameter,
    link_header,
    prefers_html,
    write_graph,
)
from service.protocol import Operation, base_of, plain_query, read_operation
from service.request_threads import ON_LOOP, OnThread
from service.service_description import service_description
from service.services import Services, query_limits, services
from service.writes import GRAPH_STORE, graph_argument, sparql_update

blueprint = Blueprint("sparql", __name__)

ENDPOINT = "/sparql"
PATHS = frozenset({ENDPOINT, ENDPOINT + "/"})
METHODS = ("GET", "HEAD", "POST", "OPTIONS")
ALLOW = ("Allow", ", ".join(METHODS))
# In Flask's URL map for building links to it (url_for("sparql.sparql")) and for the route
# families' test, which walks the map: never matched, since Endpoint answers every request.
blueprint.add_url_rule(ENDPOINT, "sparql", build_only=True, methods=list(METHODS),
                       provide_automatic_options=False)


class Endpoint:
    """WSGI: every request to /sparql is answered here; the others go on to Flask."""

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
            # Most requests are a plain query: answered from the environment, no request built.
            plain = plain_query(environ)
            response = (self._answer(plain, environ) if plain is not None
                        else self.respond(self._reading(environ)))
        except Exception as error:  # rendered as Flask's own error handlers render it
            reading = self._reading(environ)
            response = remember_language(reading,
                                         error_response(as_service_error(error), reading))
        return response(environ, start_response)

    def _reading(self, environ: dict[str, Any]) -> Request:
        reading = Request(environ)
        # Refused on its announced length, unread (the worker did not wait for it either).
        reading.max_content_length = reading.max_form_memory_size = self.max_body
        return reading

    def _answer(self, operation: Operation, environ: dict[str, Any]) -> WholeAnswer:
        found = self.services
        return query_answer(found.backend, found.limits, found.runner, operation,
                            base_of(environ), environ)

    def respond(self, reading: Request) -> Response | WholeAnswer:
        """Answer one request to /sparql, or raise ServiceError (or a domain error)."""
        method = reading.method
        if method == "OPTIONS":
            answer = Response(status=204, headers=[ALLOW])
            answer.headers.remove("Content-Type")
            return answer
        if method not in METHODS:
            raise ServiceError(405, f"405 Method Not Allowed: the SPARQL endpoint answers "
                                    f"{', '.join(METHODS)}, not {method}", [ALLOW])
        operation = read_operation(reading)
        if reading.environ.get(ON_LOOP) and (operation is None or operation.kind == "update"
                                             or prefers_html(reading)):
            # The front's loop answers only a query's own answer (and only a cheap one, see
            # answers.py); a description, an update or a page is made on a request thread.
            raise OnThread
        if operation is None:
            return self._description(reading)
        if operation.kind == "update":
            return sparql_update(operation, reading, self.services)
        if prefers_html(reading):
            # A link to the endpoint opened in a browser: the query in the editor, with its
            # results.
            return editor_page(self.flask, self.services, reading, operation.text,
                               operation.dataset)
        return self._answer(operation, reading.environ)

    def _description(self, reading: Request) -> Response:
        """The service description in the accepted RDF format, or the editor for a browser."""
        fmt = choose(reading.headers.get("Accept", ""), format_parameter(reading.args),
                     GRAPH_FORMATS, html=True)
        if fmt is None:
            response = editor_page(self.flask, self.services, reading)
        else:
            found = self.services
            graph = service_description(reading.base_url, found.backend,
                                        updates=found.writes is not None,
                                        info=found.dataset_info)
            response = respond(write_graph(graph, fmt), content_type(fmt))
        # The description in every RDF format, for clients that follow links.
        response.headers["Link"] = link_header(ENDPOINT)
        return response


def backend() -> Backend:
    """Return the application's store."""
    found: Backend = services().backend
    return found


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
