"""Authenticated writes: SPARQL 1.1 Update on /sparql and the Graph Store Protocol.

Writes are off unless WRITE_TOKENS names a file of `NAME TOKEN` lines. A write carries
`Authorization: Bearer TOKEN`; the token is compared in constant time with every known one,
and the name it belongs to is recorded with the write in the audit log. The build owns the
graphs of dist/ (ontology, facts, inferred): writes go to other named graphs only.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

import pyoxigraph as ox
from flask import Blueprint, Response, after_this_request, request
from werkzeug.wrappers import Request

from kg.nesting import MAX_DEPTH, PIECE_BYTES, TooDeep, check_rdf, first_too_deep
from kg.sparql_reading import ReadQuery, in_client_text
from kg.sparql_text import (
    UpdateSyntaxError,
    data_triples,
    has_update_dataset,
    update_targets,
)
from kg.store import DatasetSpec, QuerySyntaxError, Writable
from kg.store.base import PreparedWrite, guarded
from kg.store.hidden_graphs import HIDDEN, graphs_of, hidden_named, is_hidden
from kg.store.hidden_graphs import refusal as hidden_refusal
from kg.store.long_lines import read_nquads, too_long
from kg.surrogates import lone_surrogate, lone_surrogate_in
from service.backup_file import write_backup
from service.errors import INTERNAL_ERROR, QueryTimeout, ServiceError, service_error
from service.limits import Deadline, check_text
from service.protocol import Operation
from service.services import Services, request_deadline, services
from service.write_access import WriteRefused, Writes
from service.write_stop import STOPPED
from service.write_time import APPLIED, NOT_APPLIED, PACE, CommitGate, TimedWrite, WriteCut

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


def _write_side(found: Services, disabled: str) -> Writes:
    """The write side; 403 when writes are off."""
    if found.writes is None:
        raise WriteRefused(403, disabled)
    return found.writes


def _authorise(disabled: str) -> tuple[Writes, str]:
    """The write side and the name behind the Flask request's token; 403 when writes are off.
    The write is under way until it is recorded or answered."""
    side = _write_side(services(), disabled)
    who = side.who(request)

    @after_this_request
    def ended(response: Response) -> Response:
        side.ended()
        return response

    return side, who


def _refusal(error: Exception, what: str) -> ServiceError:
    """The answer a failed write gets: an error of the server's own (one no status stands
    for) is logged and answered with a 500, once the write is recorded as failed."""
    found = service_error(error, what)
    if found is None:
        log_error.error("the %s failed", what, exc_info=error)
        return ServiceError(500, INTERNAL_ERROR)
    return found


def _unexpected(side: Writes, who: str, operation: str, error: Exception,
                **details: Any) -> ServiceError:
    """Record a write that met an error no refusal stands for as failed (named by its class:
    its words may say little), and return its answer (logged, 500), as an update's."""
    refusal = _refusal(error, operation)
    status = "refused" if refusal.status < 500 else "failed"
    reason = str(error) if refusal.status < 500 else f"{type(error).__name__}: {error}"
    side.record(who, operation, status, reason=reason, **details)
    return refusal


def sparql_update(operation: Operation, asking: Request, found: Services) -> Response:
    """Apply an update sent to /sparql in the request asking (answers carry no CORS headers).

    Relative IRIs resolve against the configured IRI base, never against what a client says
    the service's address is. What is checked, executed and recorded is one text: the plain
    form of the update (kg.sparql_reading). Every step, from reading the text to the upkeep
    after the engine's apply, is within the request's time limit (service/write_time.py).
    """
    side = _write_side(found, "updates are not enabled on this endpoint")
    who = side.who(asking)
    try:
        return _update(operation, asking, found, side, who)
    finally:
        side.ended()


def _update(operation: Operation, asking: Request, found: Services, side: Writes,
            who: str) -> Response:
    digest = hashlib.sha256(operation.text.encode()).hexdigest()
    read = _ReadUpdate(side, operation, found.limits.text_bytes)
    timed = TimedWrite(side, who, "update", "update", {"sha256": digest}, asking, found)
    client = asking.remote_addr
    try:
        # Reading ends by itself past the deadline (its cost is bounded by the text's length
        # and nesting), and then meets the closed commit gate: the process goes on serving.
        run, targets = timed.run(read, retire=False)
        timed.details.update(targets=sorted(targets), text=run.text)

        def apply() -> None:
            # Data alone is refused at once, as a Graph Store body is, if its commit would
            # outlast the time left: once begun, no limit cuts it short.
            timed.enter(data_triples(run))
            side.store.update(run, targets=targets)

        # Without a WHERE (data, graph management) the engine's apply is bounded by the text
        # and the graphs it names, as a Graph Store write's: one under way at the deadline is
        # waited for, the client hears whether it landed, and the process goes on serving.
        # With a WHERE it has no bound, and the engine can neither be interrupted nor given
        # a time limit (pyoxigraph's Store.update takes none): it is not waited for, the
        # client is told its outcome is unknown, and the process is replaced.
        bounded = "WHERE" not in run.words
        timed.commit(apply, wait=None if bounded else 0, retire=not bounded)
        side.record(who, "update", "applied", client, sha256=digest, targets=sorted(targets),
                    text=run.text)
    except WriteCut as cut:
        side.record(who, "update", "timed out", client, outcome=cut.outcome,
                    reason=cut.message, **timed.details)
        if cut.outcome == APPLIED:
            found.data_changed()
        raise
    except Exception as error:
        if isinstance(error, QuerySyntaxError) and read.executed:
            # The client is told where in its own text the error is.
            error = QuerySyntaxError(in_client_text(str(error), read.run, read.update.source))
        refusal = _refusal(error, "update")
        # A graph in the wrong state, like a refusal, is the client's error: nothing applied.
        read_so_far: dict[str, Any] = {"targets": sorted(read.targets), "text": read.executed}
        # An error of the server's own is named by its class (its words may say little).
        reason = str(error) if refusal.status < 500 else f"{type(error).__name__}: {error}"
        side.record(who, "update", "refused" if refusal.status < 500 else "failed", client,
                    sha256=digest, reason=reason,
                    **{key: value for key, value in read_so_far.items() if value})
        raise refusal from error
    found.data_changed()
    return _empty(204)


class _ReadUpdate:
    """Read an update for the write side (on a helper thread, within the time limit): its
    plain form, the dataset it reads, the text executed and the graphs it writes, refused if
    one of them belongs to the build."""

    def __init__(self, side: Writes, operation: Operation, text_bytes: int) -> None:
        self.side = side
        self.operation = operation
        self.text_bytes = text_bytes
        self.update: ReadQuery
        self.run: ReadQuery
        self.executed = ""
        self.targets: set[str] = set()

    def __call__(self) -> tuple[ReadQuery, set[str]]:
        store, dataset = self.side.store, self.operation.dataset
        check_text(self.operation.text, self.text_bytes)
        # The plain form for every reader: its targets are read from it below.
        update = self.update = guarded(self.operation.text, self.side.base, store.refuse_remote,
                                       what="update")
        hidden = hidden_named(update, *graphs_of(dataset))
        if hidden:
            raise WriteRefused(403, hidden_refusal(hidden))
        if dataset and has_update_dataset(update):
            raise WriteRefused(400, "using-graph-uri and using-named-graph-uri cannot be "
                                    "combined with USING or WITH in the update")
        # Refused before any work that grows with the data (the USING plan below may look for
        # the triples graphs share, for an operation whose solutions count: see merged_using):
        # the dataset added to the text changes none of its targets.
        targets = self.targets = self._targets(update)
        self.side.check_targets(targets)
        if (not dataset and store.protected and not has_update_dataset(update)
                and "WHERE" in update.words):
            # As for queries, the default graph of WHERE is the union of the named graphs.
            # Every graph named too: GRAPH in the WHERE still reads the graph it names.
            names = tuple(store.graph_names())
            dataset = DatasetSpec(names, names)
        run = self.run = store.update_text(update, dataset or None)
        self.executed = run.text
        # What is recorded is read from the executed text (a second parse only if it differs).
        self.targets = targets if run.text == update.text else self._targets(run)
        # The merged graphs the executed text fills for its USING are the store's own doing:
        # the client's text was refused above if it named one.
        self.side.check_targets({t for t in self.targets if not t.startswith(HIDDEN)})
        return run, self.targets

    def _targets(self, read: ReadQuery) -> set[str]:
        """The graphs an update writes; a 400 if it cannot be read."""
        try:
            return update_targets(read)
        except UpdateSyntaxError as error:
            raise WriteRefused(400, "update syntax error: " + in_client_text(
                _engine_message(read.text, error), read, self.update.source)) from error


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
    if is_hidden(iri):
        raise WriteRefused(403, hidden_refusal([iri]))
    return iri


def _unparsed(what: str, body: bytes, syntax: str, error: Exception) -> str:
    """What a body the engine could not parse is answered: its error, and the lone
    surrogate that explains it, if the body holds one (which the engine's words may not say)."""
    surrogate = lone_surrogate(body, syntax)
    return f"{what} does not parse: " + (f"{surrogate} ({error})" if surrogate else str(error))


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


# Quads read between two looks at the deadline: a few milliseconds of parsing.
CHUNK = 2000


def _parse(body: bytes, fmt: ox.RdfFormat, mimetype: str, graph: str,
           deadline: Deadline) -> list[ox.Triple]:
    """The triples of a body, read piece by piece: past the deadline, raise QueryTimeout
    (within a piece of it, so that the process that read it goes on serving)."""
    if fmt == ox.RdfFormat.RDF_XML:
        _check_entities(body)
    syntax = {ox.RdfFormat.JSON_LD: "json", ox.RdfFormat.RDF_XML: "xml"}.get(fmt, "text")
    try:
        check_rdf(body, syntax)
    except TooDeep as error:
        raise WriteRefused(400, str(error)) from error
    triples: list[ox.Triple] = []
    named = False
    hidden: set[str] = set()
    try:
        parsed = ox.parse(body, format=fmt, base_iri=graph)
        while quads := list(islice(parsed, CHUNK)):
            if deadline.passed():
                raise QueryTimeout("the body was still being read at the deadline")
            # N3 formulas come as quads in blank-node graphs: their triples go to the graph.
            triples.extend(ox.Triple(q.subject, q.predicate, q.object) for q in quads)
            named = named or (fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD) and any(
                not isinstance(q.graph_name, ox.DefaultGraph) for q in quads))
            # Graphs named in the body are not written as such, but a body may not name the
            # store's own.
            hidden.update(g.value for g in (q.graph_name for q in quads)
                          if isinstance(g, ox.NamedNode) and is_hidden(g.value))
    except MemoryError as error:  # a line or token longer than the parser's buffer
        raise WriteRefused(413, f"the {mimetype} body does not parse: {too_long(error)}") \
            from error
    except (SyntaxError, ValueError, TypeError, RuntimeError) as error:
        raise WriteRefused(400, _unparsed(f"the {mimetype} body", body, syntax, error)) \
            from error
    if hidden:
        raise WriteRefused(403, hidden_refusal(sorted(hidden)))
    if named:
        raise WriteRefused(400, f"the {mimetype} body names graphs: a write fills the one "
                                "graph of ?graph=, so send its triples only")
    return triples


# A write of this many triples is written to the store's files before it is answered: a
# process that ends without flushing leaves its successor the store's log to replay first
# (seconds for 100,000 triples, during which nothing answers), and a stop just after it has
# a moment only (service/write_stop.py) for a flush that takes seconds on a loaded machine.
FLUSH_AFTER = 10_000


def _flush(store: Writable, cost: int) -> None:
    """Write what the store holds in memory to its files if a commit of cost triples added
    or removed made it large (the engine lets go of Python; the write lock is free)."""
    if cost < FLUSH_AFTER:
        return
    try:
        store.flush()
    except OSError:  # a full disk: the store's log keeps the write
        log_error.warning("a large write could not be flushed to the store's files",
                          exc_info=True)


def _write_body(timed: TimedWrite, graph: str, replace: bool) -> tuple[int, bool]:
    """Parse the body and write it to graph within the time limit, or leave the store as it
    was; return the triples written and whether the graph existed before."""
    fmt, mimetype = _body_format()
    body = request.get_data()
    # Reading looks at the deadline as it goes: a write cut there leaves the process serving.
    triples = timed.run(lambda: _parse(body, fmt, mimetype, graph, timed.deadline),
                        retire=False)
    store = timed.side.store
    # Refused now, not after waiting for the lock, if its commit cannot fit any more: the
    # triples a PUT removes cost as the triples it adds.
    timed.fits(len(triples), store.graph_size(graph) if replace else 0)

    costs: list[int] = []

    def write() -> tuple[int, bool]:
        existed = store.has_graph(graph)
        prepared = store.graph_write(graph, triples, replace)
        timed.details["triples"] = len(prepared.triples)
        costs.append(_commit(timed, prepared))
        return len(prepared.triples), existed

    # A commit's cost is bounded by the body and the graph it replaces: one under way at the
    # deadline is waited for, and the client hears whether it landed; the process goes on.
    written = timed.commit(write, wait=None, retire=False)
    _flush(store, sum(costs))
    return written


def _commit(timed: TimedWrite, prepared: PreparedWrite) -> int:
    """Commit a prepared graph write, refused first if it would outlast the time left at
    the pace of the commits so far (see CommitPace), and learn the pace from it; return its
    cost (the triples added and removed)."""
    store = timed.side.store
    timed.enter(len(prepared.triples), prepared.replaced)
    cost = len(prepared.triples) + prepared.replaced
    began = time.monotonic()
    store.commit(prepared)
    PACE.measured(cost, time.monotonic() - began)
    return cost


def _drop(timed: TimedWrite, graph: str) -> None:
    store = timed.side.store
    if not store.has_graph(graph):
        raise WriteRefused(404, f"no graph <{graph}> in the store")
    # Its triples are removed in its commit: refused now if they cannot be in the time left.
    timed.fits(0, store.graph_size(graph))

    def drop() -> int:
        if not store.has_graph(graph):
            raise WriteRefused(404, f"no graph <{graph}> in the store")
        timed.details["triples"] = 0
        return _commit(timed, store.graph_write(graph, [], replace=True, drop=True))

    _flush(store, timed.commit(drop, wait=None, retire=False))


@blueprint.route(GRAPH_STORE, methods=["PUT", "POST", "DELETE"])
def graph_store_write() -> Response:
    """Graph Store Protocol writes: PUT replaces a graph, POST adds to it, DELETE drops it."""
    side, who = _authorise("writes are not enabled on this service")
    operation = request.method.lower()
    graph: str | None = None
    timed = TimedWrite(side, who, operation, "write", {}, request, services())
    try:
        graph = graph_argument()
        if graph is None:
            raise WriteRefused(403, "the default graph is the union of the named graphs and "
                                    "cannot be written; name a graph with ?graph=")
        side.check_targets({graph})
        timed.details["graph"] = graph
        if operation == "delete":
            _drop(timed, graph)
            side.record(who, operation, "applied", graph=graph)
            status = 204
        else:
            digest = timed.details["sha256"] = hashlib.sha256(request.get_data()).hexdigest()
            written, existed = _write_body(timed, graph, replace=operation == "put")
            side.record(who, operation, "applied", graph=graph, triples=written, sha256=digest)
            status = 204 if existed else 201
    except WriteRefused as refusal:
        side.record(who, operation, "refused", graph=graph, reason=refusal.message)
        raise
    except WriteCut as cut:
        side.record(who, operation, "timed out", outcome=cut.outcome, reason=cut.message,
                    **timed.details)  # the graph, and what was read of the body
        if cut.outcome == APPLIED:
            services().data_changed()
        raise
    except QuerySyntaxError as error:
        # The body parsed, but holds something the store cannot take.
        side.record(who, operation, "refused", graph=graph, reason=str(error))
        raise ServiceError(400, f"the {request.mimetype} body cannot be stored: {error}") from error
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        side.record(who, operation, "failed", graph=graph, reason=str(error))
        raise ServiceError(500, f"the write could not be applied: {error}") from error
    except Exception as error:
        raise _unexpected(side, who, operation, error, graph=graph) from error
    services().data_changed()
    return _empty(status)


def _empty(status: int) -> Response:
    """An answer without a body (a write's 204 or 201): no Content-Type, which would name
    the media type of a body it does not have (and give it a page's headers)."""
    answer = Response(status=status)
    del answer.headers["Content-Type"]
    return answer


@blueprint.route("/admin/backup", methods=["GET"])
def backup() -> Response:
    """Every written graph as N-Quads, read from one snapshot of the store a piece at a time
    and sent from a temporary file (service/backup_file.py)."""
    side, who = _authorise("writes are not enabled on this service")
    begun = side.restores
    _not_restoring(side, who)
    # Every graph's read begins between the same two writes; it is read while writes go on.
    left = request_deadline().left()
    if not side.lock.acquire(timeout=-1 if left is None else left):
        side.record(who, "backup", "failed", reason="a write held the store past the limit")
        raise ServiceError(503, "the backup could not begin: a write held the store past the "
                                "time limit", [("Retry-After", "60")])
    try:
        quads = side.store.written_quads()
    finally:
        side.lock.release()
    try:
        written = write_backup(quads)
    except OSError as error:  # the store could not be read, or the temporary file written
        side.record(who, "backup", "failed", reason=str(error))
        raise ServiceError(503, f"the backup could not be made: {error}",
                           [("Retry-After", "60")]) from error
    if side.restores != begun:  # a restore began while it was read: it may hold part of it
        written.file.close()
        _not_restoring(side, who, always=True)
    side.record(who, "backup", "applied", quads=written.quads, graphs=len(written.graphs))
    return Response(written.pieces(), headers=written.headers(), direct_passthrough=True)


RESTORE_UNDER_WAY = ("a restore is under way: a backup taken now would save part of it; "
                     "retry after Retry-After seconds")


def _not_restoring(side: Writes, who: str, always: bool = False) -> None:
    """Refuse a backup while a restore changes the written graphs (503, Retry-After)."""
    if always or side.restoring.is_set():
        side.record(who, "backup", "refused", reason=RESTORE_UNDER_WAY)
        raise ServiceError(503, RESTORE_UNDER_WAY, [("Retry-After", "10")])


@blueprint.route("/admin/restore", methods=["POST"])
def restore() -> Response:
    """Make the written graphs exactly those of an N-Quads backup, all or nothing.

    The backup is read from its temporary file a piece at a time: once to hash it and
    measure its nesting, once to check it whole (it parses, names only graphs a client may
    write), then into the store, so that memory holds a piece of it, never the whole (see
    Writable.replace_written).
    """
    side, who = _authorise("writes are not enabled on this service")
    # What a stop leaves of it: nothing until its staged quads begin to replace the graphs.
    restoring = _Restore(CommitGate(side.stopped))
    side.timing(restoring)
    # A backup may be larger than other bodies: the front reads it to a temporary file.
    request.max_content_length = services().settings.max_restore_bytes or None
    # One pass over the body, a piece at a time, hashes it and measures its nesting (a stop
    # meanwhile hashes the body on its own: _Restore.details). Like the parses that follow,
    # it costs in proportion to the body, which MAX_RESTORE_BYTES bounds: a restore, a token
    # holder's, is not under the time limit of queries.
    restoring.body = request.environ["wsgi.input"]
    hashed = hashlib.sha256()
    too_deep = first_too_deep(request.stream, seen=hashed.update)
    digest = restoring.known["sha256"] = hashed.hexdigest()
    try:
        if request.mimetype != "application/n-quads":
            raise WriteRefused(415, "send the backup as application/n-quads")
        if too_deep is not None:
            # Refused before it is parsed: the parser and the store recurse on triple terms.
            raise WriteRefused(400, f"line {too_deep} of the backup: "
                                    f"{TooDeep('quad', MAX_DEPTH)}")
        quads, graphs = _checked_backup()
        restoring.known.update(quads=quads, graphs=len(graphs))
        side.check_targets(graphs)
        with side.lock:
            side.restores += 1
            side.restoring.set()
            try:
                _replace(side, restoring.gate)
            finally:
                side.restoring.clear()
            side.record(who, "restore", "applied", **restoring.details)
    except WriteRefused as refusal:
        side.record(who, "restore", "refused", sha256=digest, reason=refusal.message)
        raise
    except (OSError, RuntimeError, ValueError) as error:
        # A full disk, as a write's: said in plain words (errors.without_paths), audited.
        side.record(who, "restore", "failed", reason=str(error), **restoring.details)
        raise ServiceError(500, f"the restore could not be applied: {error}") from error
    except Exception as error:
        raise _unexpected(side, who, "restore", error, **restoring.details) from error
    services().data_changed()
    return _empty(204)


@dataclass
class _Restore:
    """A restore as the service's stop sees it (service/write_stop.py): its commit gate, and
    what its records carry (the backup's sha256, quads and graphs, once known)."""

    gate: CommitGate
    known: dict[str, Any] = field(default_factory=dict)
    body: IO[bytes] | None = None  # the backup, once its first reading begins
    operation: str = "restore"
    what: str = "restore"

    @property
    def details(self) -> dict[str, Any]:
        """What its records carry: the sha256 (of the whole body, hashed now if its reading
        has not ended), the quads and graphs ("unknown" until the backup is checked)."""
        found = {"quads": "unknown", "graphs": "unknown", **self.known}
        if "sha256" not in found and self.body is not None:
            try:
                found["sha256"] = _sha256_of(self.body)
            except (OSError, ValueError):  # a body that is no file: the record goes on
                found["sha256"] = "unknown"
        return found


def _sha256_of(body: IO[bytes]) -> str:
    """The sha256 of a body being read by another thread, whose place in it is left as is."""
    if isinstance(body, io.BytesIO):
        return hashlib.sha256(body.getbuffer()).hexdigest()
    digest, handle, offset = hashlib.sha256(), body.fileno(), 0
    while piece := os.pread(handle, PIECE_BYTES, offset):
        digest.update(piece)
        offset += len(piece)
    return digest.hexdigest()


def _replace(side: Writes, gate: CommitGate) -> None:
    """Stage the request's backup and replace the written graphs with it, unless the service
    stopped before the replacing began (then nothing was applied)."""
    try:
        side.store.replace_written(read_nquads(_again()), begin=gate.enter)
    except QueryTimeout as stopped:  # the stop closed the gate: the staged quads are gone
        raise WriteRefused(503, STOPPED[NOT_APPLIED].format(what="restore"),
                           [("Retry-After", "5")]) from stopped
    except BaseException as error:
        gate.left(error)
        raise
    gate.left()


def _checked_backup() -> tuple[int, set[str]]:
    """The quads of the request's backup and the graphs they name, read a piece at a time;
    refuse one that does not parse or holds a quad outside a named graph."""
    quads, graphs = 0, set()
    try:
        # Lines too long for Oxigraph's parser are read by the long-line reader.
        parsed = read_nquads(_again())
        while piece := list(islice(parsed, CHUNK)):
            quads += len(piece)
            for quad in piece:
                if not isinstance(quad.graph_name, ox.NamedNode):
                    raise WriteRefused(400, "a backup holds named graphs only")
                graphs.add(quad.graph_name.value)
    except MemoryError as error:
        raise WriteRefused(413, "the backup does not parse: " + too_long(error)) from error
    except (SyntaxError, ValueError) as error:
        surrogate = lone_surrogate_in(_again(), "text")
        raise WriteRefused(400, "the backup does not parse: " + (
            f"{surrogate} ({error})" if surrogate else str(error))) from error
    return quads, graphs


def _again() -> IO[bytes]:
    """The request's body from its start again (the front hands it on as a file)."""
    body: IO[bytes] = request.environ["wsgi.input"]
    body.seek(0)
    return body
