"""The SPARQL 1.1 Protocol endpoint, its service description and its query editor."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, request

from kg.formats import GRAPH_FORMATS
from kg.store import Backend, Capability, DatasetSpec
from service.answers import answer_query, base_iri, respond
from service.editor import editor_page
from service.errors import ServiceError
from service.media import content_type, link_header, negotiate, prefers_html, write_graph
from service.protocol import Operation, read_operation
from service.service_description import service_description
from service.services import query_limits, services
from service.writes import GRAPH_STORE, graph_argument, sparql_update

blueprint = Blueprint("sparql", __name__)

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
    response.headers["Link"] = link_header("/sparql")
    return response


@blueprint.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol request."""
    operation = read_operation(request)
    if operation is None:
        return _description()
    if operation.kind == "query" and prefers_html(request):
        # A link to the endpoint opened in a browser: the query in the editor, with its results.
        return editor_page(operation.text, operation.dataset)
    if operation.kind == "update":
        return sparql_update(operation)
    return _answer(operation, base_iri(request, operation))


def _answer(operation: Operation, base: str | None) -> Response:
    return answer_query(backend(), query_limits(), operation, base, request.environ)


@blueprint.route(GRAPH_STORE, methods=["GET", "HEAD"])
def read_graph() -> Response:
    """Graph Store Protocol GET: a named graph, or the default graph (the union)."""
    store = backend()
    if Capability.GRAPH_STORE not in store.capabilities:
        raise ServiceError(404, "the Graph Store Protocol needs the embedded store")
    graph = graph_argument()
    if graph is not None and not store.has_graph(graph):
        raise ServiceError(404, f"no graph <{graph}> in the store")
    # The same path as a SPARQL answer: the union by default, capped, under the time limit.
    pattern = f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}"
    return _answer(Operation("query", query, DatasetSpec()), None)

