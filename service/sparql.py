"""The SPARQL 1.1 Protocol endpoint, its service description and its query editor."""

from __future__ import annotations

import json

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from kg.formats import GRAPH_FORMATS
from kg.queryfiles import read_queries
from kg.store import Backend, DatasetSpec
from kg.store.oxigraph_backend import OxigraphBackend
from service.answers import answer_query, base_iri, respond, text
from service.i18n import EDITOR_WORDS, page_language
from service.limits import query_limits
from service.media import content_type, negotiate
from service.protocol import Operation, ProtocolError, read_operation
from service.service_description import service_description
from service.writes import GRAPH_STORE, WriteRefused, graph_argument, sparql_update

blueprint = Blueprint("sparql", __name__)

# Preflight answers also say what a request may use.
PREFLIGHT_HEADERS = (
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, Accept"),
    ("Access-Control-Max-Age", "86400"),
)


def backend() -> Backend:
    """Return the application's store."""
    found: Backend = current_app.extensions["dmkg.backend"]
    return found


def _editor() -> Response:
    layout = current_app.extensions["dmkg.layout"]
    examples = [{"name": q.title, "description": q.description, "query": q.text}
                for q in read_queries(layout.queries_dir)]
    lang = page_language()
    html = render_template("editor.html", examples=json.dumps(examples, ensure_ascii=False),
                           lang=lang, words=EDITOR_WORDS[lang])
    return respond(html, "text/html; charset=utf-8")


def _description() -> Response:
    fmt = negotiate(GRAPH_FORMATS, html=True)
    if fmt is None:
        return _editor()
    graph = service_description(request.base_url, backend(),
                                updates="dmkg.writes" in current_app.extensions)
    return respond(graph.serialize(format=fmt.rdflib_name, encoding="utf-8"), content_type(fmt))


@blueprint.route("/sparql", methods=["GET", "POST"], strict_slashes=False,
                 provide_automatic_options=False)
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol request."""
    try:
        operation = read_operation(request)
    except ProtocolError as error:
        return text(error.status, error.message)
    if operation is None:
        return _description()
    base = base_iri(request, operation)
    if operation.kind == "update":
        return sparql_update(operation, base)
    return _answer(operation, base)


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


@blueprint.route("/sparql", methods=["OPTIONS"], strict_slashes=False)
def preflight() -> Response:
    """Answer a CORS preflight request: pages of any origin may query the endpoint."""
    response = respond(b"", "text/plain; charset=utf-8", 204)
    response.headers.extend(PREFLIGHT_HEADERS)
    return response
