"""Authenticated writes: SPARQL 1.1 Update on /sparql and the Graph Store Protocol.

Writes are off unless WRITE_TOKENS names a file of `NAME TOKEN` lines. A write carries
`Authorization: Bearer TOKEN`; the token is compared in constant time with every known one,
and the name it belongs to is recorded with the write in the audit log. The build owns the
graphs of dist/ (ontology, facts, inferred): writes go to other named graphs only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, request

from kg.nesting import TooDeep, check_rdf
from kg.sparql_reading import in_client_text
from kg.sparql_text import (
    ALL,
    DEFAULT,
    NAMED,
    UpdateSyntaxError,
    has_update_dataset,
    keywords,
    update_targets,
)
from kg.store import DatasetSpec, QueryFailed, QueryRefused, QuerySyntaxError
from kg.store.base import GraphStateError, guard
from kg.store.oxigraph_backend import GraphWrite, OxigraphBackend
from service.limits import QueryTimeout, TextTooLong, check_text, query_limits, run_timed
from service.protocol import Operation

blueprint = Blueprint("writes", __name__)
log_error = logging.getLogger(__name__)

GRAPH_STORE = "/rdf-graphs/service"
MIN_TOKEN_LENGTH = 16
# Media types a graph may be written in (Oxigraph's parsers, none of which fetches anything).
WRITABLE = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
            "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json":
            ox.RdfFormat.JSON_LD, "text/n3": ox.RdfFormat.N3, "application/trig": ox.RdfFormat.TRIG}
# RDF/XML may declare entities; these bound what their references may expand to.
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s>]+)\s+(?:\"([^\"]*)\"|'([^']*)'|[^>]*)>")
MAX_ENTITY_EXPANSION = 1 << 20


class WriteRefused(Exception):
    """A write that is not allowed, with its status and message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def read_tokens(path: Path) -> dict[bytes, str]:
    """Read `NAME TOKEN` lines into {sha256(token): name}; refuse short or repeated tokens."""
    tokens: dict[bytes, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path}:{number}: expected NAME TOKEN")
        name, token = parts
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"{path}:{number}: the token of {name} is shorter than "
                             f"{MIN_TOKEN_LENGTH} characters")
        digest = hashlib.sha256(token.encode()).digest()
        if digest in tokens:
            raise ValueError(f"{path}:{number}: the token of {name} is already given to "
                             f"{tokens[digest]}")
        tokens[digest] = name
    return tokens


@dataclass
class Writes:
    """The write side of the service: its store, tokens, audit log and lock."""

    store: OxigraphBackend
    tokens: dict[bytes, str]
    audit: Path
    lock: threading.Lock
    # Relative IRIs of updates resolve against this (the configured IRI base).
    base: str = "https://w3id.org/dmkg/"

    def who(self) -> str:
        """Return the name behind the request's bearer token, or refuse with 401."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise WriteRefused(401, "writes need an Authorization: Bearer token")
        offered = hashlib.sha256(token.strip().encode()).digest()
        found = ""
        for digest, name in self.tokens.items():  # every one compared, in constant time
            if hmac.compare_digest(digest, offered):
                found = name
        if not found:
            raise WriteRefused(401, "the bearer token is not valid")
        return found

    def check_targets(self, targets: set[str]) -> None:
        """Refuse a write that could touch a graph the build owns."""
        if not self.store.protected:
            return
        wide = {DEFAULT: "the default graph (the union of the named graphs)",
                ALL: "ALL graphs", NAMED: "all NAMED graphs",
                "?": "a graph chosen by a variable"}
        for target in sorted(targets):
            if target in wide:
                raise WriteRefused(403, f"this write would reach {wide[target]}; writes name "
                                        "the graphs they change, outside the built ones")
            if target in self.store.protected:
                raise WriteRefused(403, f"<{target}> belongs to the build and cannot be "
                                        "written; write to another named graph")

    def record(self, who: str, operation: str, status: str, **details: Any) -> None:
        """Append one line to the audit log and make it durable before answering.

        A log that cannot be written is reported on the service's log: the write it records
        may already be applied and durable, and its client must hear so.
        """
        entry = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "who": who,
                 "client": request.remote_addr, "operation": operation, "status": status,
                 **details}
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        try:
            self.audit.parent.mkdir(parents=True, exist_ok=True)
            with self.audit.open("a", encoding="utf-8") as log:
                log.write(line)
                log.flush()
                os.fsync(log.fileno())
        except OSError:
            log_error.exception("the audit log %s could not record: %s", self.audit,
                                line.strip())


def writes() -> Writes | None:
    found: Writes | None = current_app.extensions.get("dmkg.writes")
    return found


def _authorise(disabled: str) -> tuple[Writes, str]:
    """The write side and the name behind the request's token; 403 when writes are off."""
    side = writes()
    if side is None:
        raise WriteRefused(403, disabled)
    return side, side.who()


def _text(status: int, message: str) -> Response:
    response = Response(message + "\n", status=status,
                        content_type="text/plain; charset=utf-8")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dmkg"'
    return response


def sparql_update(operation: Operation) -> Response:
    """Apply an update sent to /sparql (answers carry no CORS headers).

    Relative IRIs resolve against the configured IRI base, never against what a client says
    the service's address is. What is checked, executed and recorded is one text: the plain
    form of the update (kg.sparql_reading).
    """
    try:
        side, who = _authorise("updates are not enabled on this endpoint")
    except WriteRefused as refusal:
        return _text(refusal.status, refusal.message)
    dataset = operation.dataset
    digest = hashlib.sha256(operation.text.encode()).hexdigest()
    store = side.store
    executed = ""
    targets: set[str] = set()
    try:
        try:
            check_text(operation.text, query_limits().text_bytes, "update")
        except (TextTooLong, TooDeep) as error:
            raise WriteRefused(413 if isinstance(error, TextTooLong) else 400,
                               str(error)) from error
        # The plain form for every reader: rdflib reads the targets from it below.
        text = guard(operation.text, side.base, store.refuse_remote)
        if dataset and has_update_dataset(text):
            raise WriteRefused(400, "using-graph-uri and using-named-graph-uri cannot be "
                                    "combined with USING or WITH in the update")
        if (not dataset and store.protected and not has_update_dataset(text)
                and "WHERE" in keywords(text)):
            # As for queries, the default graph of WHERE is the union of the named graphs.
            dataset = DatasetSpec(tuple(g for g in store.graph_sizes() if g))
        executed = store.update_text(text, dataset or None)
        try:
            targets = update_targets(executed)
        except UpdateSyntaxError as error:
            raise WriteRefused(400, "update syntax error: " + in_client_text(
                _engine_message(executed, error), operation.text, executed)) from error
        side.check_targets(targets)
        with side.lock:
            try:
                run_timed(lambda: store.update(executed))
            except QueryTimeout:
                side.record(who, "update", "timed out", sha256=digest, targets=sorted(targets),
                            text=executed)
                raise
            side.record(who, "update", "applied", sha256=digest, targets=sorted(targets),
                        text=executed)
    except WriteRefused as refusal:
        side.record(who, "update", "refused", sha256=digest, reason=refusal.message,
                    **({"text": executed} if executed else {}))
        return _text(refusal.status, refusal.message)
    except (QuerySyntaxError, QueryRefused) as error:
        side.record(who, "update", "refused", sha256=digest, reason=str(error))
        reason = str(error)
        if isinstance(error, QuerySyntaxError) and executed:
            reason = in_client_text(reason, operation.text, executed)
        return _text(400, f"update refused: {reason}")
    except GraphStateError as error:
        # Nothing was applied, and a new request can succeed: the client's error.
        side.record(who, "update", "refused", sha256=digest, targets=sorted(targets),
                    text=executed, reason=str(error))
        return _text(error.status, f"the update could not be applied: {error}")
    except QueryFailed as error:
        side.record(who, "update", "failed", sha256=digest, targets=sorted(targets),
                    text=executed, reason=str(error))
        return _text(500, f"the update could not be applied: {error}")
    except QueryTimeout as error:
        return _text(503, str(error))
    current_app.extensions["dmkg.catalogue_refresh"]()
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


def _write_body(store: OxigraphBackend, graph: str, replace: bool) -> int:
    """Parse the body and write it to graph within the time limit, or leave the store as it
    was; return the triples written. Parsing and preparing count against the limit too."""
    fmt, mimetype = _body_format()
    body = request.get_data()
    gate = CommitGate()

    def work() -> int:
        prepared = GraphWrite.of(graph, _parse(body, fmt, mimetype, graph), replace)
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
    except QueryTimeout:
        if gate.abandon():
            raise
    # The commit had begun when the request gave up waiting: its outcome is the answer.
    if gate.error is not None:
        raise gate.error
    return gate.count


@blueprint.route(GRAPH_STORE, methods=["PUT", "POST", "DELETE"])
def write_graph() -> Response:
    """Graph Store Protocol writes: PUT replaces a graph, POST adds to it, DELETE drops it."""
    try:
        side, who = _authorise("writes are not enabled on this service")
    except WriteRefused as refusal:
        return _text(refusal.status, refusal.message)
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
        return _text(refusal.status, refusal.message)
    except QueryTimeout as error:
        # Nothing was committed (see CommitGate).
        side.record(who, operation, "failed", graph=graph, reason=str(error))
        return _text(503, f"{error}; nothing was written")
    except QuerySyntaxError as error:
        # The body parsed, but holds something the store cannot take.
        side.record(who, operation, "refused", graph=graph, reason=str(error))
        return _text(400, f"the {request.mimetype} body cannot be stored: {error}")
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        side.record(who, operation, "failed", graph=graph, reason=str(error))
        return _text(500, f"the write could not be applied: {error}")
    current_app.extensions["dmkg.catalogue_refresh"]()
    return Response(status=status)


def init_writes(app: Flask, backend: object) -> None:
    """Turn writes on when WRITE_TOKENS names a token file and the store can take them."""
    app.register_blueprint(blueprint)
    tokens_file = str(app.config["WRITE_TOKENS"] or "")
    if not tokens_file:
        return
    if not isinstance(backend, OxigraphBackend) or not backend.accepts_writes:
        raise ValueError("writes (WRITE_TOKENS) need the on-disk oxigraph store")
    audit = Path(app.config["AUDIT_LOG"] or Path(app.config["HOME"]) / "var" / "audit.log")
    app.extensions["dmkg.writes"] = Writes(backend, read_tokens(Path(tokens_file)), audit,
                                           threading.Lock(), str(app.config["IRI_BASE"]))


@blueprint.route("/admin/backup", methods=["GET"])
def backup() -> Response:
    """Every written graph as N-Quads, read from one snapshot of the store."""
    try:
        side, who = _authorise("writes are not enabled on this service")
    except WriteRefused as refusal:
        return _text(refusal.status, refusal.message)
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
    try:
        side, who = _authorise("writes are not enabled on this service")
    except WriteRefused as refusal:
        return _text(refusal.status, refusal.message)
    body = request.get_data()
    digest = hashlib.sha256(body).hexdigest()
    try:
        if request.mimetype != "application/n-quads":
            raise WriteRefused(415, "send the backup as application/n-quads")
        try:
            quads = list(ox.parse(body, format=ox.RdfFormat.N_QUADS))
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
        return _text(refusal.status, refusal.message)
    current_app.extensions["dmkg.catalogue_refresh"]()
    return Response(status=204)
