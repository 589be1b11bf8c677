"""The SPARQL 1.1 Protocol endpoint, its service description and its query editor."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from kg.formats import GRAPH_FORMATS, Format
from kg.queryfiles import read_queries
from kg.sparql_text import has_relative_iri, with_row_limit
from kg.store import Backend, DatasetSpec, QueryFailed, QueryRefused, QuerySyntaxError
from kg.store.oxigraph_backend import OxigraphBackend
from service.limits import RUNNER, QueryTimeout
from service.media import choose, content_type, negotiate
from service.protocol import Operation, ProtocolError, read_operation
from service.service_description import service_description
from service.writes import GRAPH_STORE, WriteRefused, graph_argument, sparql_update

blueprint = Blueprint("sparql", __name__)

# Answers carry the origin header; preflight answers also say what a request may use.
CORS_HEADERS = (("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", "DMKG-Result-Truncated, DMKG-Result-Limit"))
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
    graph = service_description(request.base_url, backend(),
                                updates="dmkg.writes" in current_app.extensions)
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
    base = None
    if has_relative_iri(operation.text):
        # The endpoint is the base IRI of relative IRIs (built directly: base_url is slow).
        base = f"{request.scheme}://{request.host}{request.path}"
    if operation.kind == "update":
        return sparql_update(operation, base)
    return answer_query(operation, base)


def answer_query(operation: Operation, base: str | None) -> Response:
    """Evaluate a query under the time limit and answer it, capped, in the accepted format."""
    accept = request.headers.get("Accept", "")
    store, config = backend(), current_app.config
    cap = int(config["RESULT_LIMIT"])
    try:
        # The helper thread has no application context: it gets what it needs here.
        answer = RUNNER.run(lambda: _evaluate(store, operation, base, accept, cap),
                            float(config["QUERY_TIMEOUT"]),
                            request.environ.get("gunicorn.socket"))
    except QuerySyntaxError as error:
        return _text(400, f"query syntax error: {error}")
    except QueryRefused as error:
        return _text(400, f"query refused: {error}")
    except QueryFailed as error:
        return _text(500, f"the query could not be evaluated: {error}")
    except QueryTimeout as error:
        return _text(503, str(error))
    response = _respond(answer.body, content_type(answer.format))
    if answer.truncated:
        response.headers["DMKG-Result-Truncated"] = "true"
        response.headers["DMKG-Result-Limit"] = str(cap)
    return response


@dataclass(frozen=True)
class Answer:
    body: bytes
    format: Format
    truncated: bool


def _evaluate(store: Backend, operation: Operation, base: str | None, accept: str,
              cap: int) -> Answer:
    """Run a query and write its answer, keeping at most cap rows or triples (0: all)."""
    dataset = operation.dataset or None
    text = with_row_limit(operation.text, cap + 1) if cap else operation.text
    outcome = store.query(text, dataset, base=base)
    outcome.limit = cap or None
    fmt = choose(accept, operation.format, outcome.formats)
    assert fmt is not None
    body = store.serialize(outcome, fmt)
    truncated = outcome.truncated
    if cap and outcome.form == "solutions" and len(body) > cap:
        # Every row takes at least one byte: only an answer this long can exceed the cap.
        counted = f"BASE <{base}>\n{text}" if base else text
        if len(store.select(counted, dataset=dataset)) > cap:
            outcome = store.query(with_row_limit(operation.text, cap), dataset, base=base)
            body, truncated = store.serialize(outcome, fmt), True
    return Answer(body, fmt, truncated)


@blueprint.route(GRAPH_STORE, methods=["GET", "HEAD"])
def read_graph() -> Response:
    """Graph Store Protocol GET: a named graph, or the default graph (the union)."""
    store = backend()
    if not isinstance(store, OxigraphBackend):
        return _text(404, "the Graph Store Protocol needs the embedded store")
    try:
        graph = graph_argument()
    except WriteRefused as refusal:
        return _text(refusal.status, refusal.message)
    if graph is not None and not store.has_graph(graph):
        return _text(404, f"no graph <{graph}> in the store")
    # The same path as a SPARQL answer: the union by default, capped, under the time limit.
    pattern = f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}"
    return answer_query(Operation("query", text, DatasetSpec()), None)


@blueprint.route("/sparql", methods=["OPTIONS"], strict_slashes=False)
def preflight() -> Response:
    """Answer a CORS preflight request: pages of any origin may query the endpoint."""
    response = _respond(b"", "text/plain; charset=utf-8", 204)
    response.headers.extend(PREFLIGHT_HEADERS)
    return response
