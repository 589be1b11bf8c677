"""Answer a SPARQL query: evaluate it under the limits, cap it, write it in the accepted format.

Used by the endpoint (service/sparql.py), the Graph Store Protocol and the graph pages; it needs
no Flask context, so that the endpoint answers queries straight from WSGI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from flask import Response

from kg.formats import RESULT_FORMATS, Format
from kg.sparql_reading import in_client_text
from kg.sparql_text import with_row_limit
from kg.store import Backend, Capability, QuerySyntaxError
from kg.store.hidden_graphs import graphs_of, hidden_named, refusal
from service.errors import ServiceError, service_error
from service.limits import WATCH, Deadline, DeadlineRunner, QueryLimits, check_text
from service.media import choose, content_type
from service.protocol import Operation
from service.request_threads import LOOP_TRIPLES, ON_LOOP, OnThread

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ENDPOINT = "/sparql"
TSV = next(f for f in RESULT_FORMATS if f.keyword == "tsv")
# Functions whose value changes from one evaluation to the next: such answers are not kept,
# nor those of a store whose data may change without this service knowing.
VOLATILE = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})
NOT_KEPT = ("Cache-Control", "no-store")


class QueryAnswer(Response):
    """A query's answer, its body whole, handed to the server as one piece (a list): none of
    werkzeug's header fix-ups (a Location, the length of a streamed body) apply to it."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        start_response(self.status, self.headers.to_wsgi_list())
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.get_data()]


class WholeAnswer:
    """A query's answer as the endpoint writes it: the same head and body as a QueryAnswer,
    made without a werkzeug response (the endpoint's answers need none of its machinery)."""

    __slots__ = ("body", "headers")

    def __init__(self, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.body = body
        self.headers = headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        start_response("200 OK", self.headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]


def respond(body: bytes | str, content_type: str, status: int = 200) -> Response:
    """Build an endpoint answer (its route family adds the headers every one carries)."""
    return Response(body, status=status, content_type=content_type)


@dataclass(frozen=True)
class Answer:
    body: bytes
    format: Format
    truncated: bool
    volatile: bool = False  # evaluated again, the query could answer otherwise


def answer_query(store: Backend, limits: QueryLimits, runner: DeadlineRunner,
                 operation: Operation, base: str | None, environ: dict[str, Any]) -> Response:
    """Evaluate a query under the time limit and answer it, capped, in the accepted format."""
    whole = query_answer(store, limits, runner, operation, base, environ)
    return QueryAnswer(whole.body, headers=whole.headers)


def query_answer(store: Backend, limits: QueryLimits, runner: DeadlineRunner,
                 operation: Operation, base: str | None, environ: dict[str, Any]
                 ) -> WholeAnswer:
    """Evaluate a query under the time limit; return its answer, capped, in the accepted
    format, as WSGI writes it."""
    accept = environ.get("HTTP_ACCEPT", "")
    try:
        # The query may run on a helper thread, outside any application context (on the
        # request's own thread under the HTTP front, which keeps the time limit).
        # Every step, from reading the text on, counts against the time limit.
        on_loop = bool(environ.get(ON_LOOP))
        answer = runner.run(lambda: _evaluate(store, operation, base, accept, limits, on_loop),
                            Deadline.of(environ, limits.seconds), environ.get("gunicorn.socket"),
                            _target(environ), watch=environ.get(WATCH))
    except Exception as error:
        found = service_error(error)
        if found is None:
            raise
        raise found from None
    headers = [("Content-Type", content_type(answer.format)),
               ("Content-Length", str(len(answer.body)))]
    if answer.truncated:
        headers += [("DMKG-Result-Truncated", "true"), ("DMKG-Result-Limit", str(limits.rows))]
    if answer.volatile:
        headers.append(NOT_KEPT)
    return WholeAnswer(answer.body, headers)


def _target(environ: dict[str, Any]) -> str:
    """The request's path and query string (they say how a 503 written on its socket looks)."""
    path = environ.get("PATH_INFO") or ENDPOINT
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def _evaluate(store: Backend, operation: Operation, base: str | None, accept: str,
              limits: QueryLimits, on_loop: bool = False) -> Answer:
    """Run a query and write its answer, keeping at most the cap's rows or triples; on the
    HTTP front's loop, only a query known to read few triples (else OnThread)."""
    try:
        return _evaluate_here(store, operation, base, accept, limits, on_loop)
    except Exception as error:
        # The error goes to the request's thread; the frames of its traceback hold pyoxigraph
        # results, which may only be dropped on the thread that made them: this one.
        chained: list[BaseException] = [error]
        while chained:
            cause = chained.pop()
            cause.__traceback__ = None
            chained += [c for c in (cause.__cause__, cause.__context__)
                        if c is not None and c.__traceback__ is not None]
        raise


def _evaluate_here(store: Backend, operation: Operation, base: str | None, accept: str,
                   limits: QueryLimits, on_loop: bool) -> Answer:
    check_text(operation.text, limits.text_bytes)
    cap = limits.rows
    dataset = operation.dataset or None
    # One reading is checked, rewritten and executed: the plain form of the query, lexed
    # once and carried as a value through every step.
    read = store.checked(operation.text, base)
    if on_loop and (dataset or not store.bounded(read, LOOP_TRIPLES)):
        # Nothing could stop it on the loop past its time limit.
        raise OnThread
    hidden = hidden_named(read, *graphs_of(dataset))
    if hidden:
        raise ServiceError(403, refusal(hidden))
    query = with_row_limit(read, cap + 1) if cap else read
    try:
        outcome = store.query(query, dataset)
    except QuerySyntaxError as error:
        # The client is told where in its own text the error is.
        raise QuerySyntaxError(in_client_text(str(error), query)) from None
    outcome.limit = cap or None
    fmt = choose(accept, operation.format, outcome.formats)
    assert fmt is not None
    body = store.serialize(outcome, fmt)
    truncated = outcome.truncated
    if cap and outcome.form == "solutions" and len(body) > cap:
        # Every row takes at least one byte: only an answer this long can exceed the cap.
        # The rows are counted as written, whatever the rewrite above made of the query.
        rows = store.serialize(store.query(query, dataset), TSV).split(b"\n")
        if len(rows) - 2 > cap:  # the header, and the empty piece after the last newline
            kept = ox.parse_query_results(b"\n".join(rows[:cap + 1]) + b"\n",
                                          format=ox.QueryResultsFormat.TSV)
            assert isinstance(fmt.oxigraph, ox.QueryResultsFormat)
            body, truncated = bytes(kept.serialize(format=fmt.oxigraph) or b""), True
    volatile = (Capability.SEES_EVERY_CHANGE not in store.capabilities
                or not VOLATILE.isdisjoint(read.words))
    return Answer(body, fmt, truncated, volatile)
