"""The backend contract every store implements: query, describe, load, size and version."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from kg.nesting import check_tokens
from kg.sparql_reading import KEPT_TEXT, ReadQuery, Unreadable, lexed_query, read
from kg.sparql_text import remote_operations

if TYPE_CHECKING:
    import pyoxigraph as ox


class QuerySyntaxError(ValueError):
    """The query does not parse; the message is the parser's."""


class QueryFailed(RuntimeError):
    """The query parsed but could not be evaluated."""


class CannotWrite(QueryFailed):
    """The answer holds what the chosen format cannot write (the client may ask for another)."""


class GraphStateError(QueryFailed):
    """The update names a graph that must exist and does not, or must not and does.

    The client's fault, not the service's: the engine's message says which graph.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status = 404 if "does not exist" in message else 409


# Oxigraph's messages for the two graph states an update can require (its other evaluation
# errors are the service's: storage, input/output).
_GRAPH_STATE = re.compile(r"^The graph \S+ (?:does not exist|already exists)$")


def engine_error(error: Exception) -> QueryFailed:
    """Return the QueryFailed for an engine error, a GraphStateError when the client caused it."""
    message = str(error)
    if isinstance(error, RuntimeError) and _GRAPH_STATE.match(message):
        return GraphStateError(message)
    return QueryFailed(message)


def unsupported(error: Exception) -> bool:
    """Whether the engine refused a function it does not know: the query's fault, named while
    the query is planned, not the store's."""
    return isinstance(error, RuntimeError) and "is not supported" in str(error)


class StoreUnreachable(QueryFailed):
    """The store could not be reached (a remote server down or refusing connections)."""


class QueryRefused(ValueError):
    """The query asks for something this service never does (reach other servers)."""


def guard(sparql: str, base: str | None = None, refuse_remote: bool = True,
          only_oxigraph: bool = False) -> str:
    """Return the text to execute for sparql (see guarded)."""
    return guarded(sparql, base, refuse_remote, only_oxigraph).text


def guarded(sparql: str, base: str | None = None, refuse_remote: bool = True,
            only_oxigraph: bool = False, what: str = "query") -> ReadQuery:
    """Return the query to execute: sparql read once, in plain form, SERVICE and LOAD refused.

    The plain form (kg.sparql_reading) is read the same way by every SPARQL reader, so the
    text checked here is the text the engine runs; relative IRIs are resolved against base.
    Its tokens are bounded first (kg.nesting: TooDeep, TooWide name it as what, "query" or
    "update"), before any parser reads the text. refuse_remote=False is for the tests of the
    network isolation only; only_oxigraph: see read().
    """
    if len(sparql) <= KEPT_TEXT:
        return _kept_guard(sparql, base, refuse_remote, only_oxigraph, what)
    return _guard(sparql, base, refuse_remote, only_oxigraph, what)


def _guard(sparql: str, base: str | None, refuse_remote: bool, only_oxigraph: bool,
           what: str = "query") -> ReadQuery:
    # Lexed once: the bounds and the plain form read the same tokens.
    lexed = lexed_query(sparql)
    check_tokens(lexed.tokens, what)
    try:
        query = read(lexed, base, only_oxigraph)
    except Unreadable as error:
        raise QueryRefused(f"{error}; a text is run only when every SPARQL parser reads it "
                           "the same way") from error
    if refuse_remote:
        refuse_remote_operations(query)
    return query


def refuse_remote_operations(query: ReadQuery) -> None:
    """Raise QueryRefused if a query in plain form would fetch from other servers."""
    found = remote_operations(query)
    if found:
        raise QueryRefused(f"{' and '.join(found)} refused: this endpoint never fetches "
                           "data from other servers")


# The same queries come back again and again: the readings of short texts are kept (at most
# 512 of them, so a few megabytes).
_kept_guard = lru_cache(maxsize=512)(_guard)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset named by the protocol (default-graph-uri, named-graph-uri)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass
class QueryOutcome:
    """An evaluated query, ready to be written in the format a client accepts."""

    form: str  # "solutions", "boolean" or "graph"
    payload: object = field(repr=False)
    # At most this many triples are written; truncated tells whether some were left out.
    limit: int | None = None
    truncated: bool = False

    @property
    def formats(self) -> tuple[Format, ...]:
        """The formats this outcome can be written in."""
        if self.form == "graph":
            return GRAPH_FORMATS
        return RESULT_FORMATS


class Capability(Enum):
    """What a backend can do beyond the contract; callers ask for it rather than for an engine."""

    # Takes writes from the service: SPARQL Update and Graph Store PUT, POST and DELETE.
    WRITES = "writes"
    # Serves one named graph by name under the Graph Store Protocol (it keeps empty graphs).
    GRAPH_STORE = "graph-store"
    # Its data changes only through this service, which can then say when answers go stale
    # (a SPARQL server elsewhere may be written to by others).
    SEES_EVERY_CHANGE = "sees-every-change"
    # Reads the triples of one predicate in the default graph straight from its indexes
    # (default_quads), for bulk reads where a query's rows cost more.
    INDEXED_QUADS = "indexed-quads"


XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING, XSD_INTEGER, XSD_DATE = f"{XSD}string", f"{XSD}integer", f"{XSD}date"


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """A literal as plain Python: its lexical form, and a language tag or a datatype IRI.

    The datatype None, with no language, is xsd:string.
    """

    value: str
    datatype: str | None = None  # None when lang is set
    lang: str | None = None

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class BlankValue:
    """A blank node (or a triple term) as plain Python: its label."""

    label: str

    def __str__(self) -> str:
        return self.label


# A value as every engine gives it, without rdflib or the engine's own terms: an IRI is its
# text (a plain str, the commonest value, made at no cost), a literal or a blank node one of
# the two small types above. Answers are made of them, and queries are bound with them.
Value = str | LiteralValue | BlankValue
# Values given to variables of a query, never pasted into its text.
Bindings = Mapping[str, Value]


class Rows(list[dict[str, Value]]):
    """The rows of a SELECT answer as plain values (unbound variables left out), with its
    variables in projection order."""

    def __init__(self, columns: list[str], rows: list[dict[str, Value]]) -> None:
        super().__init__(rows)
        self.columns = columns


class ValueRows(list[tuple[Value | None, ...]]):
    """The rows of a SELECT answer as plain values in projection order (None: unbound)."""

    def __init__(self, columns: list[str], rows: list[tuple[Value | None, ...]]) -> None:
        super().__init__(rows)
        self.columns = columns


def integer_value(number: int) -> LiteralValue:
    """An xsd:integer literal."""
    return LiteralValue(str(number), XSD_INTEGER)


def date_value(day: dt.date) -> LiteralValue:
    """An xsd:date literal."""
    return LiteralValue(day.isoformat(), XSD_DATE)


def bound_value(value: object) -> Value:
    """Return value if it is a plain value a query can be bound with, else raise TypeError.

    An IRI is a str and nothing else: an rdflib Literal is a str too, and would be taken for
    an IRI.
    """
    if type(value) is str or isinstance(value, LiteralValue | BlankValue):
        return value
    raise TypeError(f"a query is bound with plain values (str for an IRI, LiteralValue, "
                    f"BlankValue), not {type(value).__name__}")


# Characters an IRI cannot hold in SPARQL's <...> (IRIREF), besides controls and spaces.
_NOT_IN_IRI = frozenset('<>"{}|^`\\')


def iri_text(iri: str) -> str:
    """Write an IRI as SPARQL reads it, <iri>; raise ValueError if no IRIREF can hold it."""
    if any(c in _NOT_IN_IRI or c <= " " for c in iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


# IRIs named in one query by the default adjacent().
ADJACENT_BATCH = 200


class PreparedWrite(Protocol):
    """A graph write ready to commit: its graph, its triples, and the update text that
    writes them (kg.store.oxigraph_backend.GraphWrite)."""

    @property
    def graph(self) -> str: ...

    @property
    def triples(self) -> list[ox.Triple]: ...

    @property
    def replace(self) -> bool: ...

    @property
    def text(self) -> str: ...

    @property
    def replaced(self) -> int:
        """The triples of the graph that the commit removes (a replace or a drop)."""
        ...

    def unnamed(self) -> list[ox.Quad]:
        """Quads the commit removes after the text, which cannot name them (blank nodes)."""
        ...


class Writable(Protocol):
    """A store that takes the service's writes: what a backend declaring WRITES offers."""

    # The graphs the build owns: writes to them are refused.
    protected: frozenset[str]
    refuse_remote: bool

    def graph_sizes(self) -> dict[str, int]: ...

    def has_graph(self, graph: str) -> bool: ...

    def graph_size(self, graph: str) -> int: ...

    def update_text(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
                    base: str | None = None) -> ReadQuery: ...

    def graph_names(self) -> list[str]: ...

    def update(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
               base: str | None = None, targets: set[str] | None = None) -> None: ...

    def graph_write(self, graph: str, triples: list[ox.Triple],
                    replace: bool, drop: bool = False) -> PreparedWrite: ...

    def commit(self, write: PreparedWrite) -> None: ...

    def drop_graph(self, graph: str) -> None: ...

    def written_quads(self) -> Iterator[ox.Quad]: ...

    def replace_written(self, quads: Iterable[ox.Quad],
                        begin: Callable[[], None] | None = None) -> None: ...

    def flush(self) -> None: ...


class Backend(ABC):
    """A store of named graphs that answers SPARQL; the default graph is their union."""

    name: str = "backend"
    capabilities: frozenset[Capability] = frozenset()
    # False only in tests of the network isolation of query processes (TEST_WITHOUT_GUARD).
    refuse_remote: bool = True
    # Oxigraph alone reads the texts this backend executes (see kg.sparql_reading.plain).
    only_oxigraph: bool = False

    def writer(self) -> Writable | None:
        """This backend as a store that takes writes when it declares Capability.WRITES, else
        None: the capability and the type that goes with it in one answer."""
        return None

    def shared_folder(self) -> Path | None:
        """The folder of this store's data when another process may open it to read with the
        same engine (bulk reads split over two processes), else None."""
        return None

    def checked(self, sparql: str | ReadQuery, base: str | None = None) -> ReadQuery:
        """Return the query this backend executes for sparql (see guard).

        A query already read in plain form is taken as it is (its relative IRIs were resolved
        then) when it was read for readers at least this backend's; only the refusal of
        remote operations, a look at its words, is made again.
        """
        if isinstance(sparql, ReadQuery):
            if sparql.source is not None and (self.only_oxigraph or not sparql.only_oxigraph):
                if self.refuse_remote:
                    refuse_remote_operations(sparql)
                return sparql
            sparql = (sparql.source or sparql).text
        return guarded(sparql, base, self.refuse_remote, self.only_oxigraph)

    @abstractmethod
    def query(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
              base: str | None = None, bindings: Bindings | None = None) -> QueryOutcome:
        """Evaluate a SPARQL query (a text, or one read already); raise QuerySyntaxError or
        QueryFailed.

        Relative IRIs resolve against base; bindings give variables plain values
        (never pasted into the text); a bound variable must be in the SELECT projection.
        """

    def default_quads(self, predicate: str) -> Iterator[ox.Quad]:
        """The triples of predicate in the default graph, from the indexes: offered by the
        backends declaring Capability.INDEXED_QUADS."""
        raise NotImplementedError(f"{self.name} does not read its indexes directly")

    @abstractmethod
    def select(self, sparql: str, bindings: Bindings | None = None,
               dataset: DatasetSpec | None = None) -> Rows:
        """Run a SELECT query and return its rows as plain values (unbound variables left out)."""

    def select_values(self, sparql: str) -> list[tuple[str | None, ...]]:
        """Run a SELECT query; return each row's lexical values in projection order (None if
        unbound). For bulk reads that need no more than the texts."""
        rows = self.select(sparql)
        return [tuple(str(row[c]) if c in row else None for c in rows.columns) for row in rows]

    def select_rows(self, sparql: str, dataset: DatasetSpec | None = None) -> ValueRows:
        """Run a SELECT query; return its rows as plain values in projection order (None if
        unbound), for readers that take a row apart by position (the REST and page
        descriptions)."""
        rows = self.select(sparql, dataset=dataset)
        return ValueRows(rows.columns, [tuple(row.get(c) for c in rows.columns) for row in rows])

    def bounded(self, query: ReadQuery, most: int) -> bool:
        """Tell whether the query surely reads at most `most` stored triples, known from its
        text and the indexes at once (False when it cannot be told so cheaply): work that may
        then be done where the time limit could not stop it."""
        return False

    def adjacent(self, graphs: tuple[str, ...], subjects: Iterable[str] = (),
                 objects: Iterable[str] = ()) -> list[tuple[Value, str, Value]]:
        """Return the triples of graphs whose subject is one of subjects or whose object is
        one of objects (IRIs), each once, as plain values: what a description of those
        resources reads. This default asks SPARQL, ADJACENT_BATCH IRIs a query; the embedded
        engines override it with their indexes (no query text to parse)."""
        found: dict[tuple[Value, str, Value], None] = {}
        for variable, iris in (("s", sorted(set(subjects))), ("o", sorted(set(objects)))):
            for start in range(0, len(iris), ADJACENT_BATCH):
                names = " ".join(iri_text(iri) for iri in iris[start:start + ADJACENT_BATCH])
                # Each graph named, not a dataset of them: Virtuoso answers a bound object
                # over a dataset 30 times slower.
                branches = " UNION ".join(f"{{ GRAPH {iri_text(g)} {{ ?s ?p ?o }} }}"
                                          for g in graphs)
                for s, p, o in self.select_rows(
                        f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?{variable} {{ {names} }} "
                        f"{branches} }}"):
                    assert isinstance(p, str) and s is not None and o is not None
                    found.setdefault((s, p, o), None)
        return list(found)

    @abstractmethod
    def serialize(self, outcome: QueryOutcome, fmt: Format) -> bytes:
        """Write an outcome of this backend in fmt."""

    @abstractmethod
    def describe(self, iri: str) -> bytes:
        """Return N-Triples of every triple whose subject or object is iri."""

    @abstractmethod
    def load(self, path: Path, graph: str | None = None) -> None:
        """Add an RDF file: a dataset keeps its graphs, triples go to graph (default graph)."""

    @abstractmethod
    def graph_sizes(self) -> dict[str, int]:
        """Return the number of triples in each named graph ('' for the default graph)."""

    @abstractmethod
    def flush(self) -> None:
        """Write to disk what the store still holds in memory, before its process ends.

        Raise OSError when the disk refuses it; a store with nothing of its own to write (read
        only, in memory, or a server elsewhere) returns at once.
        """

    def has_graph(self, graph: str) -> bool:
        """Whether the store holds the named graph (an engine may also keep empty ones)."""
        return graph in self.graph_sizes()

    def version(self) -> str:
        """Return a short text that changes whenever the data changes (from graph sizes)."""
        digest = hashlib.sha256()
        for name, size in self.graph_sizes().items():
            digest.update(f"{name}\t{size}\n".encode())
        return digest.hexdigest()[:16]
