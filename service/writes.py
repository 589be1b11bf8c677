"""Authenticated writes: SPARQL 1.1 Update on /sparql and the Graph Store Protocol.

Writes are off unless WRITE_TOKENS names a file of `NAME TOKEN` lines. A write carries
`Authorization: Bearer TOKEN`; the token is compared in constant time with every known one,
and the name it belongs to is recorded with the write in the audit log. The build owns the
graphs of dist/ (ontology, facts, inferred): writes go to other named graphs only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from typing import IO

import pyoxigraph as ox
from flask import Blueprint, Response, request

from kg.nesting import TooDeep, check_rdf
from kg.sparql_reading import in_client_text
from kg.sparql_text import (
    UpdateSyntaxError,
    has_update_dataset,
    update_targets,
)
from kg.store import DatasetSpec, QuerySyntaxError, Writable
from kg.store.base import guarded
from service.errors import ServiceError, service_error
from service.limits import QueryTimeout, check_text
from service.protocol import Operation
from service.services import query_limits, run_timed, services
from service.write_access import WriteRefused, Writes

blueprint = Blueprint("writes", __name__)
log_error = logging.getLogger(__name__)

GRAPH_STORE = "/rdf-graphs/service"
# Media types a graph may be written in (Oxigraph's parsers, none of which fetches anything).
WRITABLE = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
            "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json":
            ox.RdfFormat.JSON_LD, "text/n3": ox.RdfFormat.N3, "application/trig": ox.RdfFormat.TRIG}
# RDF/XML may declare entities; these bound what their references may expand to.
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s>]+)\s+(?:\"([^\"]*)\"|'([^']*)'|[^>]*)>")
MAX_ENTITY_EXPANSION = 1 << 20


def _authorise(disabled: str) -> tuple[Writes, str]:
    """The write side and the name behind the request's token; 403 when writes are off."""
    side = services().writes
    if side is None:
        raise WriteRefused(403, disabled)
    return side, side.who()


def _refusal(error: Exception, what: str) -> ServiceError:
    """The answer a failed write gets; an error of the server's own is raised as it is."""
    found = service_error(error, what)
    if found is None:
        raise error
    return found


def sparql_update(operation: Operation) -> Response:
    """Apply an update sent to /sparql (answers carry no CORS headers).

    Relative IRIs resolve against the configured IRI base, never against what a client says
    the service's address is. What is checked, executed and recorded is one text: the plain
    form of the update (kg.sparql_reading).
    """
    side, who = _authorise("updates are not enabled on this endpoint")
    dataset = operation.dataset
    digest = hashlib.sha256(operation.text.encode()).hexdigest()
    store = side.store
    executed = ""
    targets: set[str] = set()
    try:
        check_text(operation.text, query_limits().text_bytes, "update")
        # The plain form for every reader: rdflib reads the targets from it below.
        update = guarded(operation.text, side.base, store.refuse_remote)
        if dataset and has_update_dataset(update):
            raise WriteRefused(400, "using-graph-uri and using-named-graph-uri cannot be "
                                    "combined with USING or WITH in the update")
        if (not dataset and store.protected and not has_update_dataset(update)
                and "WHERE" in update.words):
            # As for queries, the default graph of WHERE is the union of the named graphs.
            # Every graph named too: GRAPH in the WHERE still reads the graph it names.
            names = tuple(store.graph_names())
            dataset = DatasetSpec(names, names)
        run = store.update_text(update, dataset or None)
        executed = run.text
        try:
            targets = update_targets(executed)
        except UpdateSyntaxError as error:
            raise WriteRefused(400, "update syntax error: " + in_client_text(
                _engine_message(executed, error), run, update.source)) from error
        side.check_targets(targets)
        with side.lock:
            try:
                run_timed(lambda: store.update(run, targets=targets))
            except QueryTimeout as error:
                # The engine applies an update in one transaction that cannot be cut short:
                # stopped while committing, it may still land. The client is told so.
                side.record(who, "update", "timed out", sha256=digest, targets=sorted(targets),
                            text=executed, outcome="unknown")
                raise QueryTimeout(
                    f"the update ran longer than the {query_limits().seconds:g} s time limit "
                    "and was stopped; if it was already being committed it may still have "
                    "been applied: read the graphs it writes to know") from error
            side.record(who, "update", "applied", sha256=digest, targets=sorted(targets),
                        text=executed)
    except QueryTimeout:
        raise  # recorded above
    except Exception as error:
        if isinstance(error, QuerySyntaxError) and executed:
            # The client is told where in its own text the error is.
            error = QuerySyntaxError(in_client_text(str(error), run, update.source))
        refusal = _refusal(error, "update")
        # A graph in the wrong state, like a refusal, is the client's error: nothing applied.
        side.record(who, "update", "refused" if refusal.status < 500 else "failed",
                    sha256=digest, reason=str(error),
                    **({"targets": sorted(targets)} if targets else {}),
                    **({"text": executed} if executed else {}))
        raise refusal from error
    services().data_changed()
    return Response(status=204)


def _engine_message(text: str, error: Exception) -> str:
    """The engine's syntax error for an update, if it refuses it too, else error's message."""
    try:
        # An empty store in memory: only the parse matters, the text has passed the guard.
        ox.Store().update(text)
    except SyntaxError as engine:
        return str(engine)
    except (OSError, ValueError, RuntimeError):
        pass
    return str(error)


def graph_argument() -> str | None:
    """Return the graph IRI named by ?graph=, or None for ?default; refuse anything else."""
    graph = request.args.getlist("graph")
    default = "default" in request.args
    if len(graph) + default != 1:
        raise WriteRefused(400, "name one graph: ?graph=IRI or ?default")
    if default:
        return None
    iri = graph[0]
    try:
        ox.NamedNode(iri)
    except ValueError as error:
        raise WriteRefused(400, f"?graph= is not an absolute IRI: {error}") from error
    if ":" not in iri:
        raise WriteRefused(400, "?graph= is not an absolute IRI")
    return iri


def _check_entities(body: bytes) -> None:
    """Refuse RDF/XML whose entities could expand far beyond the body (entity bombs)."""
    if b"<!ENTITY" not in body:
        return
    if b"\x00" in body:
        raise WriteRefused(400, "RDF/XML with entity declarations must be UTF-8")
    values: dict[bytes, bytes] = {}
    for match in _ENTITY.finditer(body):
        parameter, name, double, single = match.groups()
        value = double if double is not None else single
        if parameter or value is None:
            raise WriteRefused(400, "RDF/XML may declare only internal general entities "
                                    "(no external or parameter entities)")
        if b"&" in value or b"%" in value:
            raise WriteRefused(400, "RDF/XML entities may not refer to other entities")
        values[name] = value
    if body.count(b"<!ENTITY") != len(values):
        raise WriteRefused(400, "RDF/XML entity declarations could not be checked")
    expansion = sum(len(value) * body.count(b"&" + name + b";") for name, value in values.items())
    if expansion > MAX_ENTITY_EXPANSION:
        raise WriteRefused(413, f"RDF/XML entities would expand to {expansion} bytes "
                                f"(at most {MAX_ENTITY_EXPANSION})")


def _body_format() -> tuple[ox.RdfFormat, str]:
    mimetype = request.mimetype
    fmt = WRITABLE.get(mimetype)
    if fmt is None:
        raise WriteRefused(415, f"send the graph as one of {', '.join(WRITABLE)}"
                                + (f", not {mimetype}" if mimetype else ""))
    return fmt, mimetype


def _parse(body: bytes, fmt: ox.RdfFormat, mimetype: str, graph: str) -> list[ox.Triple]:
    if fmt == ox.RdfFormat.RDF_XML:
        _check_entities(body)
    syntax = {ox.RdfFormat.JSON_LD: "json", ox.RdfFormat.RDF_XML: "xml"}.get(fmt, "text")
    try:
        check_rdf(body, syntax)
    except TooDeep as error:
        raise WriteRefused(400, str(error)) from error
    try:
        quads = list(ox.parse(body, format=fmt, base_iri=graph))
    except (SyntaxError, ValueError, TypeError, RuntimeError) as error:
        raise WriteRefused(400, f"the {mimetype} body does not parse: {error}") from error
    if fmt == ox.RdfFormat.TRIG and any(not isinstance(q.graph_name, ox.DefaultGraph)
                                        for q in quads):
        raise WriteRefused(400, "the application/trig body names graphs: a write fills the "
                                "one graph of ?graph=, so send its triples only")
    # N3 formulas come as quads in blank-node graphs: their triples go to the graph.
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


class CommitGate:
    """Lets a write commit only before its request gave up waiting, so that an answer of
    "not applied" is true: past the deadline a write that has not started committing never
    will, and one already committing is waited for (its commit is the engine's alone).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "preparing"
        self._done = threading.Event()
        self.error: BaseException | None = None
        self.count = 0

    def enter(self) -> None:
        """Start committing, or raise QueryTimeout if the request has given up."""
        with self._lock:
            if self._state == "abandoned":
                raise QueryTimeout("the write was abandoned at its deadline")
            self._state = "committing"

    def left(self) -> None:
        self._done.set()

    def abandon(self) -> bool:
        """Give up on a write not yet committing (True); else wait for its commit (False)."""
        with self._lock:
            if self._state == "preparing":
                self._state = "abandoned"
                return True
        self._done.wait()
        return False


class AppliedLate(Exception):
    """A write whose commit had begun at its request's deadline and ended after it: applied,
    but never answered as a success past the time limit."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} triples written after the time limit")
        self.count = count


def _write_body(store: Writable, graph: str, replace: bool) -> int:
    """Parse the body and write it to graph within the time limit, or leave the store as it
    was; return the triples written. Parsing and preparing count against the limit too."""
    fmt, mimetype = _body_format()
    body = request.get_data()
    gate = CommitGate()

    def work() -> int:
        prepared = store.graph_write(graph, _parse(body, fmt, mimetype, graph), replace)
        gate.enter()
        gate.count = len(prepared.triples)
        try:
            store.commit(prepared)
        except BaseException as error:
            gate.error = error
            raise
        finally:
            gate.left()
        return len(prepared.triples)

    try:
        return run_timed(work)
    except QueryTimeout as error:
        if gate.abandon():
            raise QueryTimeout(f"the write ran longer than the {query_limits().seconds:g} s "
                               "time limit and was stopped before its commit") from error
    # The commit had begun when the request gave up waiting: its outcome is the answer.
    if gate.error is not None:
        raise gate.error
    raise AppliedLate(gate.count)


@blueprint.route(GRAPH_STORE, methods=["PUT", "POST", "DELETE"])
def write_graph() -> Response:
    """Graph Store Protocol writes: PUT replaces a graph, POST adds to it, DELETE drops it."""
    side, who = _authorise("writes are not enabled on this service")
    operation = request.method.lower()
    graph: str | None = None
    try:
        graph = graph_argument()
        if graph is None:
            raise WriteRefused(403, "the default graph is the union of the named graphs and "
                                    "cannot be written; name a graph with ?graph=")
        side.check_targets({graph})
        store = side.store
        with side.lock:
            existed = store.has_graph(graph)
            if operation == "delete":
                if not existed:
                    raise WriteRefused(404, f"no graph <{graph}> in the store")
                store.drop_graph(graph)
                side.record(who, operation, "applied", graph=graph)
                status = 204
            else:
                written = _write_body(store, graph, replace=operation == "put")
                side.record(who, operation, "applied", graph=graph, triples=written,
                            sha256=hashlib.sha256(request.get_data()).hexdigest())
                status = 204 if existed else 201
    except WriteRefused as refusal:
        side.record(who, operation, "refused", graph=graph, reason=refusal.message)
        raise
    except AppliedLate as late:
        side.record(who, operation, "applied late", graph=graph, triples=late.count,
                    sha256=hashlib.sha256(request.get_data()).hexdigest())
        services().data_changed()
        raise ServiceError(503, f"the write ran longer than the {query_limits().seconds:g} s "
                                "time limit: it was being committed at the limit and has been "
                                "applied since; read the graph to see it") from late
    except QueryTimeout as error:
        # Nothing was committed (see CommitGate).
        side.record(who, operation, "failed", graph=graph, reason=str(error))
        raise ServiceError(503, f"{error}; nothing was written") from error
    except QuerySyntaxError as error:
        # The body parsed, but holds something the store cannot take.
        side.record(who, operation, "refused", graph=graph, reason=str(error))
        raise ServiceError(400, f"the {request.mimetype} body cannot be stored: {error}") from error
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        side.record(who, operation, "failed", graph=graph, reason=str(error))
        raise ServiceError(500, f"the write could not be applied: {error}") from error
    services().data_changed()
    return Response(status=status)


@blueprint.route("/admin/backup", methods=["GET"])
def backup() -> Response:
    """Every written graph as N-Quads, read from one snapshot of the store."""
    side, who = _authorise("writes are not enabled on this service")
    quads = side.store.written_quads()
    body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    graphs = len({q.graph_name.value for q in quads})  # type: ignore[union-attr]
    side.record(who, "backup", "applied", quads=len(quads), graphs=graphs)
    return Response(body, headers=[("Content-Type", "application/n-quads"),
                                   ("DMKG-Quads", str(len(quads))),
                                   ("DMKG-Graphs", str(graphs))])


@blueprint.route("/admin/restore", methods=["POST"])
def restore() -> Response:
    """Make the written graphs exactly those of an N-Quads backup, in one transaction."""
    side, who = _authorise("writes are not enabled on this service")
    # A backup may be larger than other bodies: the front reads it to a temporary file.
    request.max_content_length = services().settings.max_restore_bytes or None
    digest = _digest(request.stream)
    try:
        if request.mimetype != "application/n-quads":
            raise WriteRefused(415, "send the backup as application/n-quads")
        try:
            quads = list(ox.parse(_again(), format=ox.RdfFormat.N_QUADS))
        except (SyntaxError, ValueError) as error:
            raise WriteRefused(400, f"the backup does not parse: {error}") from error
        graphs = set()
        for quad in quads:
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise WriteRefused(400, "a backup holds named graphs only")
            graphs.add(quad.graph_name.value)
        side.check_targets(graphs)
        with side.lock:
            side.store.replace_written(quads)
            side.record(who, "restore", "applied", quads=len(quads), graphs=len(graphs),
                        sha256=digest)
    except WriteRefused as refusal:
        side.record(who, "restore", "refused", sha256=digest, reason=refusal.message)
        raise
    services().data_changed()
    return Response(status=204)


def _digest(stream: IO[bytes]) -> str:
    """The SHA-256 of a body read piece by piece."""
    digest = hashlib.sha256()
    while piece := stream.read(1 << 20):
        digest.update(piece)
    return digest.hexdigest()


def _again() -> IO[bytes]:
    """The request's body from its start again (the front hands it on as a file)."""
    body: IO[bytes] = request.environ["wsgi.input"]
    body.seek(0)
    return body
