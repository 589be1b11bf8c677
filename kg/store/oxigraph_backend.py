"""The default backend: Oxigraph through pyoxigraph, results written by its own writers."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, islice, pairwise
from pathlib import Path

import pyoxigraph as ox

from kg.formats import Format
from kg.sparql_reading import ReadQuery
from kg.sparql_text import (
    UpdateSyntaxError,
    dataset_clauses,
    has_dataset_clause,
    one_pattern,
    update_targets,
    values_block,
    with_leading_values,
    with_using,
    without_dataset_clauses,
)
from kg.store import merged_using, restoring, union_graph, union_note, union_upkeep
from kg.store.base import (
    XSD_STRING,
    Backend,
    Bindings,
    BlankValue,
    CannotWrite,
    Capability,
    DatasetSpec,
    LiteralValue,
    PreparedWrite,
    QueryFailed,
    QueryOutcome,
    QueryRefused,
    QuerySyntaxError,
    Rows,
    Value,
    ValueRows,
    Writable,
    bound_value,
    engine_error,
    guarded,
    unsupported,
)
from kg.store.embedded import file_identity
from kg.store.hidden_graphs import is_hidden, merged_in, visible
from kg.store.merged_graphs import MergedGraphs
from kg.store.merged_using import with_merged_using

# The targets of an update after which a kept union is rebuilt, not followed.
REBUILD = ["*"]
# Merged copies kept for datasets whose graphs overlap (each holds their triples).
VIEWS_KEPT = 2


def to_oxigraph(value: Value) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """Convert a plain value (see kg.store.base.Value) to pyoxigraph's term."""
    value = bound_value(value)
    if isinstance(value, str):
        return ox.NamedNode(value)
    if isinstance(value, LiteralValue):
        if value.lang:
            return ox.Literal(value.value, language=value.lang)
        return ox.Literal(value.value, datatype=ox.NamedNode(value.datatype or XSD_STRING))
    return ox.BlankNode(value.label)


def sparql_term(term: object) -> str:
    """Write a term as SPARQL data, a triple term between <<( and )>>."""
    if isinstance(term, ox.Triple):
        # str() of a triple leaves out the <<( )>> that mark a triple term.
        return f"<<( {sparql_triple(term)} )>>"
    return str(term)


def sparql_triple(triple: ox.Triple) -> str:
    """Write a triple as SPARQL data: subject, predicate and object."""
    return " ".join(sparql_term(t) for t in (triple.subject, triple.predicate, triple.object))


def sparql_lines(triples: Iterable[ox.Triple]) -> str:
    """Write triples as lines of SPARQL data."""
    return "\n".join(f"{sparql_triple(t)} ." for t in triples)


@dataclass(frozen=True)
class GraphWrite:
    """A graph write ready to commit: its triples, and the update text that writes them."""

    graph: str
    triples: list[ox.Triple]
    replace: bool
    text: str
    # For a store that keeps its union: its change, the part no text can name left to do.
    union: union_graph.Change = field(default_factory=union_graph.Change)
    # The triples the graph held, which a replace or a drop removes in the same commit.
    replaced: int = 0

    def unnamed(self) -> list[ox.Quad]:
        return self.union.unnamed()

    @classmethod
    def of(cls, graph: str, triples: list[ox.Triple], replace: bool,
           union: Callable[[list[ox.Triple]], union_graph.Change] | None = None,
           replaced: int = 0, drop: bool = False) -> GraphWrite:
        """Prepare adding triples to a named graph, or replacing its content with them
        (replaced: the triples it holds), or dropping it (drop, with no triples).

        Blank nodes get fresh labels of the engine's own making: a parser may keep labels
        (JSON-LD's `_:a:b`) that SPARQL cannot write. union: what the write changes in a
        kept union, for the relabelled triples; it goes in the same text where it can.
        """
        fresh: dict[ox.BlankNode, ox.BlankNode] = {}
        triples = [restoring.relabelled(t, fresh) for t in triples]  # type: ignore[misc]
        change = union_graph.Change() if union is None else union(triples)
        name = ox.NamedNode(graph)
        steps = [f"DROP SILENT GRAPH {name}"] if replace or drop else []
        if not drop:
            steps.append(f"CREATE SILENT GRAPH {name}")
        # In one INSERT DATA, a blank node label names one node in every graph.
        data = (f"GRAPH {name} {{\n{sparql_lines(triples)}\n}}\n" if triples else "") \
            + sparql_lines(change.joining)
        if data.strip():
            steps.append(f"INSERT DATA {{\n{data}\n}}")
        named = change.named()
        if named:
            steps.append(f"DELETE DATA {{\n{sparql_lines(named)}\n}}")
        return cls(graph, triples, replace or drop, " ;\n".join(steps), change,
                   replaced if replace or drop else 0)


def write_outcome(outcome: QueryOutcome, fmt: Format) -> bytes:
    """Write pyoxigraph solutions, a boolean or triples with Oxigraph's own writers."""
    payload = outcome.payload
    try:
        if outcome.form == "graph":
            assert isinstance(payload, Iterable)
            triples = list(islice(payload, outcome.limit + 1) if outcome.limit is not None
                           else payload)
            if outcome.limit is not None and len(triples) > outcome.limit:
                triples = triples[:outcome.limit]
                outcome.truncated = True
            items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples] \
                if fmt.dataset else triples
            data = ox.serialize(items, format=fmt.oxigraph)  # type: ignore[arg-type]
        else:
            data = payload.serialize(format=fmt.oxigraph)  # type: ignore[attr-defined]
    except (OSError, ValueError) as error:
        if "does not support RDF 1.2" in str(error):
            raise CannotWrite(f"the answer holds RDF 1.2 triple terms, which {fmt.label} cannot "
                              "write; ask for Turtle, N-Triples or RDF/XML (Accept or ?format=)"
                              ) from error
        raise QueryFailed(str(error)) from error
    return bytes(data or b"")


def _solutions(outcome: QueryOutcome, reader: str) -> tuple[list[str], ox.QuerySolutions]:
    """The variables and the solutions of an outcome, which reader needs to be a SELECT's."""
    solutions = outcome.payload
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryFailed(f"{reader}() needs a SELECT query")
    return [v.value for v in solutions.variables], solutions


def rows_of(outcome: QueryOutcome) -> Rows:
    """Turn an outcome holding pyoxigraph solutions into rows of plain values."""
    names, solutions = _solutions(outcome, "select")
    # A solution unpacks in variable order, far faster than looking each variable up.
    return Rows(names, [{name: _plain(value)
                         for name, value in zip(names, solution, strict=True)
                         if value is not None} for solution in solutions])


def values_of(outcome: QueryOutcome) -> list[tuple[str | None, ...]]:
    """Turn an outcome holding pyoxigraph solutions into rows of lexical values."""
    solutions = outcome.payload
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryFailed("select_values() needs a SELECT query")
    return [tuple(None if value is None else value.value for value in solution)
            for solution in solutions]


def plain_value(term: object) -> Value:
    """Convert a pyoxigraph term to a plain value (an IRI is its text)."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        language = term.language
        if language:
            return LiteralValue(term.value, None, language)
        return LiteralValue(term.value, term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return BlankValue(term.value)
    return BlankValue(str(term))  # a triple term: no description reads one


# The same IRIs and literals come back in answer after answer, and most values of a
# description in the next one: each is converted once (values are immutable).
_plain = lru_cache(maxsize=1 << 16)(plain_value)


def value_rows_of(outcome: QueryOutcome) -> ValueRows:
    """Turn an outcome holding pyoxigraph solutions into rows of plain values."""
    names, solutions = _solutions(outcome, "select_rows")
    return ValueRows(names, [tuple(None if value is None else _plain(value)
                                   for value in solution) for solution in solutions])


def _once(by_graph: list[list[tuple[Value, str, Value]]]) -> list[tuple[Value, str, Value]]:
    """The triples found in several graphs, each once (most are found in one graph only:
    they need no hashing)."""
    found = [triples for triples in by_graph if triples]
    if len(found) == 1:
        return found[0]
    return list(dict.fromkeys(t for triples in found for t in triples))


def _bind(sparql: ReadQuery, bindings: Bindings, options: dict[str, object]) -> ReadQuery:
    """Bind variables: by a VALUES block opening the WHERE group where one can go (Oxigraph
    then starts from the bound terms), else by substitutions in the options.

    sparql is in plain form; the block, checked on its own, goes between two of its tokens
    with a space on each side, so the whole reads as the two read apart.
    """
    # The terms are written by Oxigraph (N-Triples syntax, escaped).
    block = values_block({name: str(to_oxigraph(term)) for name, term in bindings.items()})
    bound = with_leading_values(sparql, guarded(block, only_oxigraph=True))
    if bound is None:
        options["substitutions"] = {ox.Variable(name): to_oxigraph(term)
                                    for name, term in bindings.items()}
        return sparql
    return bound


def _reads_any_graph(update: ReadQuery) -> bool:
    """Tell whether an update reads GRAPH ?var over every named graph of the store (it names
    none with USING NAMED)."""
    pairs = list(pairwise(update.tokens))
    return any(token.is_keyword("GRAPH") and following.kind == "var"
               for token, following in pairs) and \
        not any(token.is_keyword("USING") and following.is_keyword("NAMED")
                for token, following in pairs)


def rdf_format_of(path: Path) -> ox.RdfFormat:
    """Guess an RDF format from a file name."""
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown RDF file extension {path.suffix!r}")
    return fmt


class OxigraphBackend(Backend):
    """A pyoxigraph Store: in memory, or on disk (read-only when served by several workers)."""

    name = "oxigraph"
    only_oxigraph = True
    capabilities = frozenset({Capability.GRAPH_STORE, Capability.SEES_EVERY_CHANGE,
                              Capability.INDEXED_QUADS})

    def __init__(self, store: ox.Store, version: str = "") -> None:
        self.store = store
        self._version = version
        self._sizes: dict[str, int] | None = None
        self._disjoint: bool | None = None  # no triple in two graphs; None: not known yet
        # Whether the graphs of a dataset overlap, by graphs: a check that joins them.
        self._overlaps: dict[tuple[str, ...], bool] = {}
        self._views: dict[DatasetSpec, ox.Store] = {}
        self._views_lock = threading.Lock()
        # Set when the union is kept as a set inside the store (a writable store with built
        # graphs): queries then read it, and no write or open checks the whole data.
        self._kept: union_graph.KeptUnion | None = None
        # For a kept union: whether its contributed graphs share no triple with one another
        # nor with a base graph (None: not known), followed by each write at the cost of the
        # triples it adds, so that an update's USING plan reads no quad to tell.
        self._apart: bool | None = None
        # Hidden graphs that make overlapping default graphs sets (see merged_graphs), in a
        # store this process may write (hosts); a read-only store uses merged copies instead.
        self._hidden = MergedGraphs()
        self._hosts = False
        # Whether the store may hold the upkeep graph of an update (being followed, or cut
        # off): known at opening, then followed by the writes that make and remove it.
        self._upkeep_held = store.contains_named_graph(union_upkeep.UPKEEP_NODE)

    @classmethod
    def in_memory(cls) -> OxigraphBackend:
        backend = cls(ox.Store())
        backend._hosts = True
        return backend

    @classmethod
    def on_disk(cls, path: Path, version: str) -> OxigraphBackend:
        """Open a loaded store read-only: several processes may share it."""
        backend = cls(ox.Store.read_only(str(path)), version)
        backend.path = path  # other processes may open it too (see kg.search.build)
        # The loader noted whether the union holds a triple twice (a check that reads every
        # quad); without a note the check is made here, as the store cannot take one.
        note = union_note.read(path, backend.store)
        backend._disjoint = None if note is None else note.is_set
        backend._prepare_union()
        return backend

    @classmethod
    def writable(cls, path: Path, protected: tuple[str, ...] = ()) -> OxigraphBackend:
        """Open a store read-write (one process only); protected graphs refuse writes."""
        backend = cls(ox.Store(str(path)))
        backend.protected = frozenset(protected)
        backend.capabilities = cls.capabilities | {Capability.WRITES}
        backend.path = path
        backend._hosts = True
        # A restore cut off once its quads were staged is finished from them (see restoring).
        backend._finish_restore()
        # Merged graphs left by a process stopped while it kept them: the data changed since.
        for graph in merged_in(backend.store):
            backend.store.remove_graph(graph)
        # Read from the note its writes keep: opening reads no quad (see union_note).
        backend._graphs = union_note.graph_names(backend.store)
        note = union_note.read(path, backend.store, backend._graphs)
        if protected:
            backend._keep_union(path, note)
        elif note is None:
            backend._note_union(not backend._overlap(None))
        else:
            backend._disjoint, backend._generation = note.is_set, note.generation
        backend._prepare_union()
        return backend

    def _keep_union(self, path: Path, note: union_note.Note | None) -> None:
        """Read the kept union from a trusted note; else repair it (a write cut short, or a
        store whose union was not kept yet), at the cost of the contributed graphs."""
        if note is not None and note.kept is not None:
            self._kept = union_graph.KeptUnion(note.kept)
            self._disjoint, self._generation = True, note.generation
            self._apart = note.apart
            return
        base = union_note.kept_base(path)
        if base is not None and union_note.follows_upkeep(path):
            # Cut off mid-write: what the write may have changed is named in the upkeep graph.
            self._kept = union_graph.KeptUnion(base)
            self._reconcile()
            self._note_union(True)
            return
        self._kept = union_graph.keep(self.store, tuple(sorted(self.protected)), base)
        self._upkeep_gone()
        self._note_union(True)

    protected: frozenset[str] = frozenset()
    path: Path | None = None
    # The N-Quads file a read-only store was loaded from, with what identified it then (its
    # inode, size and time, see kg.store.embedded).
    loaded_from: tuple[Path, list[int]] | None = None
    # The writable store's graph names (as union_note writes them), followed by its writes.
    # Replaced, never changed in place: queries on other threads read it as it was.
    _graphs: frozenset[str] | None = None
    # A write failed on the disk: RocksDB then refuses every write until it is reopened.
    failed = False

    def _writable(self) -> ox.Store:
        """The store to write to, reopened first if a write failed (the disk filled up)."""
        if self.failed and self.path is not None:
            # RocksDB holds its folder's lock until the old store is gone.
            self.store = None  # type: ignore[assignment]
            gc.collect()
            try:
                self.store = ox.Store(str(self.path))
            except OSError:
                # Still no room, or a query still holds the old store: read on, retry later.
                self.store = ox.Store.read_only(str(self.path))
                raise
            self.failed = False
        return self.store

    def _write(self, sparql: str, base: str | None = None) -> None:
        try:
            self._writable().update(sparql, base_iri=base)
        except OSError:
            self.failed = True
            raise

    writes = 0

    def _changing(self, upkeep: bool = False) -> None:
        """Before a write: the union note is not to be trusted until the write is settled.

        upkeep: a store cut off during the write is repaired from the upkeep graph alone (the
        write names there what it may change, or keeps the union in its own transaction).
        """
        if Capability.WRITES in self.capabilities and self.path is not None:
            union_note.changing(self.path, self._kept_base(), upkeep and not self._broken)

    def _changed(self, disjoint: bool | None = None, graphs: Iterable[str] | None = None,
                 added: Iterable[ox.Triple] | None = None) -> None:
        """After a write: drop what was derived from the data, and settle the union note.

        disjoint: whether the union is a set, when the write tells without reading the
        store; otherwise the write pays for the check (it reads every quad), not a query.
        graphs: the only graphs the write may have made or removed (None: any).
        added: every triple the write may have added to a graph (None: not known).
        """
        self._follow_graphs(graphs)
        self.writes += 1
        self._version = ""
        self._forget(graphs)
        if self._kept is not None:
            self._apart = self._apart_after(added)
            if (not self._upkept or self._broken) and not self._rebuilt():
                return  # the note stays changing: the next open repairs the union
            disjoint = True  # each write keeps it so
        self._note_union(not self._overlap(None) if disjoint is None else disjoint)
        self._prepare_union()

    def _follow_graphs(self, graphs: Iterable[str] | None) -> None:
        """Bring the graph names up to date: by a look-up each for the graphs a write names."""
        if self._graphs is None:
            return
        if graphs is None:
            self._graphs = union_note.graph_names(self.store)
            return
        names = set(self._graphs)
        for graph in graphs:
            node = ox.NamedNode(graph)
            if self.store.contains_named_graph(node):
                names.add(str(node))
            else:
                names.discard(str(node))
        self._graphs = frozenset(names)

    # False between a write's commit and the end of its upkeep of the kept union; broken: a
    # rebuild after a failed upkeep failed too (it is tried again after each write).
    _upkept = True
    _broken = False

    def _rebuilt(self) -> bool:
        """Rebuild the kept union after a write whose upkeep failed past its commit (the disk
        filled up, say); tell whether it could be."""
        assert self._kept is not None
        try:
            self._kept.rebuild(self._writable())
        except OSError:
            self.failed = self._broken = True
            return False
        self._upkeep_gone()
        self._upkept, self._broken = True, False
        return True

    def _apart_after(self, added: Iterable[ox.Triple] | None) -> bool | None:
        """Whether the contributed graphs are apart after a write that may have added the
        triples added (one look-up each): removing triples keeps them apart, and only a
        count tells whether it made them so (None)."""
        assert self._kept is not None
        if self._apart is not True or added is None:
            return None
        try:
            return not self._kept.shared(self.store, added)
        except OSError:
            return None

    def _apart_now(self) -> bool:
        """Whether the contributed graphs of the kept union are apart: known, else counted
        once (kept until a write makes it unknown again)."""
        assert self._kept is not None
        if self._apart is None:
            writes = self.writes
            apart = self._kept.apart(self.store)
            if writes == self.writes:  # no write settled meanwhile: still true of the store
                self._apart = apart
            return apart
        return self._apart

    def _kept_base(self) -> tuple[str, ...] | None:
        return None if self._kept is None else self._kept.base

    def _note_union(self, disjoint: bool) -> None:
        self._disjoint = disjoint
        self._generation = ""
        if Capability.WRITES in self.capabilities and self.path is not None:
            note = union_note.settle(self.path, self.store, disjoint, self._kept_base(),
                                     self._graphs,
                                     self._apart if self._kept is not None else None)
            self._generation = "" if note is None else note.generation

    def _forget(self, graphs: Iterable[str] | None = None) -> None:
        """Drop what was derived from the data: sizes, overlap, merged copies, and the hidden
        graphs that merge one of graphs (the IRIs a write reached; None: any)."""
        self._sizes = None
        self._disjoint = None
        self._overlaps = {}
        with self._views_lock:
            self._views.clear()
        written = None if graphs is None else [str(ox.NamedNode(g)) for g in graphs
                                                if ":" in g]
        for name in self._hidden.invalidate(written):
            try:
                self._writable().remove_graph(ox.NamedNode(name))
            except OSError:
                self.failed = True  # found again (and replaced) by the next query needing it

    def _hidden_write(self, text: str) -> None:
        """Write a hidden graph (a store's own, outside the data a client writes): from a
        query's thread, so a store whose write failed is left for the next write to reopen."""
        if self.failed:
            raise OSError("a write failed: the store is reopened by the next write")
        try:
            self.store.update(text)
        except OSError:
            self.failed = True
            raise

    def _graph_size(self, graph: ox.NamedNode | ox.DefaultGraph) -> int:
        """The triples of a graph: from the sizes when known, else counted (not the store)."""
        if self._sizes is not None:
            return self._sizes.get("" if isinstance(graph, ox.DefaultGraph) else graph.value, 0)
        pattern = "?s ?p ?o" if isinstance(graph, ox.DefaultGraph) else \
            f"GRAPH {graph} {{ ?s ?p ?o }}"
        found = self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        assert isinstance(found, ox.QuerySolutions)
        return int(next(iter(found))["n"].value)

    def _merged_graph(self, graphs: list[ox.NamedNode] | None) -> list[ox.NamedNode |
                                                                       ox.DefaultGraph]:
        """The default graph that reads graphs (None: every graph) as a set, through a
        hidden graph of the store."""
        return self._hidden.get(self.store, graphs, self._graph_size,
                                self._hidden_write).default_graph()

    def _merged_target(self, dataset: DatasetSpec | None, graphs: tuple[str, ...],
                       options: dict[str, object]) -> ox.Store:
        """The store (and default graph, in options) that reads graphs (none: every graph)
        as a set: through a hidden graph where the store can be written, else a copy."""
        if self._hosts:
            try:
                options["default_graph"] = self._merged_graph(
                    [ox.NamedNode(g) for g in graphs] if graphs else None)
                return self.store
            except OSError:
                pass  # the disk is full: a copy in memory meanwhile
        options.pop("default_graph", None)
        return self._merged(dataset)

    def _visible_graphs(self) -> list[ox.NamedNode]:
        """The named graphs a client sees (from the followed names, when the store has them)."""
        if self._graphs is not None:
            return [ox.NamedNode(name[1:-1]) for name in self._graphs
                    if name.startswith("<") and not is_hidden(name[1:-1])]
        return visible(self.store.named_graphs())

    def writer(self) -> Writable | None:
        return self if Capability.WRITES in self.capabilities else None

    def shared_folder(self) -> Path | None:
        return self.path

    def update_text(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
                    base: str | None = None) -> ReadQuery:
        """Return the update update() executes for sparql: its plain form, USING clauses
        added (the text with them is new, and read again)."""
        update = self.checked(sparql, base)
        if dataset:
            update = self.checked(with_using(update, dataset.default_graphs,
                                             dataset.named_graphs))
        if "USING" in update.words:
            merged = with_merged_using(update, self._using_plan)
            if merged != update.text:
                update = self.checked(merged)
        return update

    def _using_plan(self, graphs: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                            tuple[str, ...]] | None:
        """How an update's USING graphs are read as a set (see merged_using): None when
        they share no triple; else the graphs read in place and those merged."""
        if self._kept is None and self._disjoint is True:
            return None  # no triple in two graphs of the store
        if self._kept is not None and self._apart_now():
            # The base graphs share no triple, nor does any contributed graph with another
            # or with a base graph: any of them together are a set (known, not counted).
            return None
        return merged_using.split(self.store, graphs,
                                  frozenset(self._kept.base if self._kept else ()))

    def update(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
               base: str | None = None, targets: set[str] | None = None) -> None:
        """Apply a SPARQL update in one transaction; USING graphs come from dataset.

        targets: the graphs the update may write (kg.sparql_text.update_targets), when the
        caller has read them already; a store that keeps its union needs them.
        """
        update = self.update_text(sparql, dataset, base)
        if self._hidden and _reads_any_graph(update):
            # GRAPH ?g in its WHERE would read the store's hidden graphs too.
            self._forget()
        kept = self._kept_targets(update, targets)
        added: list[ox.Triple] | None = None  # what it may have added, once known
        text = None if kept is None or kept == REBUILD else union_upkeep.copied(update)
        if text is not None:
            # What runs is read again as a whole: the copies added are text like any other.
            text = self.checked(text).text
        # Where the triples it may change cannot be named ahead: its targets are compared.
        before = self._compared(kept) if text is None else set()
        self._changing(upkeep=text is not None)
        self._upkeep_held = self._upkeep_held or text is not None
        try:
            try:
                self._write(text or update.text)
            except SyntaxError:
                if text is None:
                    raise
                # The copies could not be read with it (nothing ran): the update runs as it
                # came, and its syntax error, if it has one, is in the client's own text.
                text, before = None, self._compared(kept)
                self._changing()
                self._write(update.text)
            if kept is not None:
                self._upkept = False
                if text is not None:
                    added = self._reconcile()
                else:
                    added = self._keep_after_update(kept, before)
                self._upkept = True
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            raise engine_error(error) from error
        finally:
            named = targets is not None and all(":" in t for t in targets)
            self._changed(graphs=targets if named else None, added=added)

    def _compared(self, kept: list[str] | None) -> set[ox.Triple]:
        """The triples of an update's target graphs, to compare with after it (if followed)."""
        if kept is None or kept == REBUILD:
            return set()
        return union_graph.triples_of(self.store, kept)

    def _kept_targets(self, update: ReadQuery, targets: set[str] | None) -> list[str] | None:
        """The graphs an update writes, read before it runs so that the kept union follows
        it: None if the store keeps no union; REBUILD if the union is to be rebuilt after it
        (a target is wide, a variable or a base graph: never so through the service)."""
        if self._kept is None:
            return None
        union_upkeep.refuse_named(update)
        if targets is None:
            try:
                targets = update_targets(update)
            except UpdateSyntaxError as error:
                raise QuerySyntaxError(str(error)) from error
        if any(":" not in t or t in self._kept.base for t in targets):
            return REBUILD
        return sorted(targets)

    def _keep_after_update(self, targets: list[str],
                           before: set[ox.Triple]) -> list[ox.Triple] | None:
        """Bring the kept union in step with an applied update: from what its target graphs
        gained and lost (a second transaction: the note says changing until it is done).
        Return the triples they gained (None: not known, after a rebuild)."""
        assert self._kept is not None
        store = self._writable()
        if targets == REBUILD:
            self._kept.rebuild(store)
            return None
        after = union_graph.triples_of(store, targets)
        self._apply(self._kept.change(store, after - before, before - after))
        return list(after - before)

    # Quads passed through the upkeep graph since the store was last flushed.
    _upkept_quads = 0

    def _reconcile(self) -> list[ox.Triple]:
        """Bring the kept union in step with the triples of the upkeep graph, then remove it
        (a second transaction: a store cut off before the end does it again when opened).
        Return those triples: every one the update may have added or removed."""
        assert self._kept is not None
        store = self._writable()
        change, named = union_upkeep.change(store, self._kept)
        count = len(named)
        if not count:
            self._upkeep_held = store.contains_named_graph(union_upkeep.UPKEEP_NODE)
            return named
        self._apply(change)
        store.remove_graph(union_upkeep.UPKEEP_NODE)
        self._upkeep_gone()
        self._upkept_quads += count
        if self._upkept_quads >= union_upkeep.FLUSH_AFTER:
            store.flush()
            self._upkept_quads = 0
        return named

    def _upkeep_gone(self) -> None:
        """Follow the removal of the upkeep graph in the graph names."""
        self._upkeep_held = False
        if self._graphs is not None:
            self._graphs = self._graphs - {str(union_upkeep.UPKEEP_NODE)}

    def _apply(self, change: union_graph.Change) -> None:
        """Apply a change of the kept union through the store's API."""
        store = self._writable()
        if change.joining:
            store.extend(union_graph.in_default(change.joining))
        named = change.named()
        if named:
            store.update(f"DELETE DATA {{\n{sparql_lines(named)}\n}}")
        for quad in change.unnamed():
            store.remove(quad)

    def source(self) -> Path | None:
        """The N-Quads file this store holds exactly, loaded from it and unchanged since, or
        None: parsed again, it gives the store's quads several times quicker than the store's
        indexes give them (the store looks up each term's text on its own)."""
        if self.loaded_from is None or Capability.WRITES in self.capabilities:
            return None
        path, identity = self.loaded_from
        return path if file_identity(path) == identity else None

    def default_quads(self, predicate: str) -> Iterator[ox.Quad]:
        """The triples of predicate in the default graph (the union of every graph, as a set),
        straight from the indexes: for bulk reads, where a query's rows cost more than them."""
        node = ox.NamedNode(predicate)
        if self._kept is not None:
            for graph in self._kept.default_graph():
                yield from self.store.quads_for_pattern(None, node, None, graph)
        elif self._union_is_set() and not self._hidden:
            yield from self.store.quads_for_pattern(None, node, None)
        elif self._hosts:
            graphs: list[ox.NamedNode | ox.DefaultGraph] = [ox.DefaultGraph(),
                                                            *self._visible_graphs()]
            for term in (graphs if self._union_is_set() else self._merged_graph(None)):
                yield from self.store.quads_for_pattern(None, node, None, term)
        else:
            yield from self._merged(None).quads_for_pattern(None, node, None, ox.DefaultGraph())

    def graph_names(self) -> list[str]:
        """The IRIs of the store's named graphs (followed by its writes: no quad is read)."""
        names = self._graphs if self._graphs is not None else \
            union_note.graph_names(self.store)
        return sorted(name[1:-1] for name in names if name.startswith("<")
                      and name[1:-1] != union_upkeep.UPKEEP and not is_hidden(name[1:-1]))

    def flush(self) -> None:
        """Write the memtables of a store opened for writing to its files."""
        # pyoxigraph refuses to flush a read-only store, which holds nothing to write; a store
        # whose write failed is reopened by its next write, not here.
        if Capability.WRITES in self.capabilities and not self.failed:
            self.store.flush()

    def has_graph(self, graph: str) -> bool:
        return self.store.contains_named_graph(ox.NamedNode(graph))

    def write_graph(self, graph: str, triples: list[ox.Triple], replace: bool) -> None:
        """Add triples to a named graph, or replace its content, in one transaction."""
        self.commit(self.graph_write(graph, triples, replace))

    def graph_size(self, graph: str) -> int:
        """The triples of a named graph (a count: no triple is read into Python)."""
        return self._graph_size(ox.NamedNode(graph))

    def graph_write(self, graph: str, triples: list[ox.Triple], replace: bool,
                    drop: bool = False) -> GraphWrite:
        """Prepare a graph write for this store (see GraphWrite.of): a kept union's change is
        read from the store as it is (the caller holds the write lock until the commit).
        drop: remove the graph (no triples), not only its content."""
        kept = self._kept
        replace = replace or drop
        replaced = self.graph_size(graph) if replace else 0
        if kept is None:
            return GraphWrite.of(graph, triples, replace, replaced=replaced, drop=drop)

        def change(written: list[ox.Triple]) -> union_graph.Change:
            assert kept is not None
            removed = union_graph.triples_of(self.store, [graph]) - set(written) \
                if replace else set()
            return kept.change(self.store, written, removed, frozenset({graph}))

        return GraphWrite.of(graph, triples, replace, change, replaced, drop)

    def commit(self, write: PreparedWrite) -> None:
        """Apply a prepared graph write in one transaction (its cost is the engine's alone)."""
        before = self._disjoint
        self._changing(upkeep=not write.unnamed())
        try:
            self._write(write.text)
            self._upkept = False
            # Triples of blank nodes leaving the kept union: no text can name them.
            for quad in write.unnamed():
                self._writable().remove(quad)
            self._upkept = True
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            raise engine_error(error) from error
        finally:
            # Triples added make the union a multiset only if another graph holds one of
            # them (one look-up each); only removing triples can make it a set again.
            if self._kept is not None:
                after: bool | None = True  # kept so by the write itself
            elif before is True:
                after = not union_note.held_elsewhere(
                    self.store, write.triples, write.graph)
            else:
                after = False if before is False and not write.replace else None
            self._changed(after, [write.graph], added=write.triples)

    def drop_graph(self, graph: str) -> None:
        before = self._disjoint
        text = f"DROP GRAPH {ox.NamedNode(graph)}"
        change = union_graph.Change()
        if self._kept is not None:
            change = self._kept.change(self.store, [], union_graph.triples_of(
                self.store, [graph]), frozenset({graph}))
            named = change.named()
            if named:
                text += f" ;\nDELETE DATA {{\n{sparql_lines(named)}\n}}"
        self._changing(upkeep=not change.unnamed())
        try:
            self._write(text)
            self._upkept = False
            for quad in change.unnamed():
                self._writable().remove(quad)
            self._upkept = True
        finally:
            self._changed(True if before is True else None, [graph], added=[])

    def written_quads(self) -> Iterator[ox.Quad]:
        """The quads of every named graph the build does not own, graph by graph, each read
        from a snapshot of the store taken now: one state of the store when no write commits
        during the call (the caller holds the write lock while calling; not while reading).
        Read them on this thread: the engine's reads may not move between threads.

        Only those graphs are read: the built graphs and the default graph (a kept union
        holds as many triples as all the others) are not scanned."""
        protected = self.protected
        return chain.from_iterable([
            self.store.quads_for_pattern(None, None, None, graph)
            for graph in self.store.named_graphs()
            if isinstance(graph, ox.NamedNode) and graph.value not in protected
            and not is_hidden(graph.value)])

    def replace_written(self, quads: Iterable[ox.Quad],
                        begin: Callable[[], None] | None = None) -> None:
        """Make the written graphs exactly quads' graphs, all or nothing, holding a piece of
        quads at a time (see kg.store.restoring). begin: called once they are staged, before
        anything a client sees changes; what it raises leaves the store as it was."""
        try:
            self._replace_written(quads, begin)
        except OSError:
            self.failed = True  # the disk filled up: the next write reopens the store
            raise

    def _replace_written(self, quads: Iterable[ox.Quad],
                         begin: Callable[[], None] | None) -> None:
        store = self._writable()
        self._finish_restore()  # one cut off before: its graphs are replaced in any case
        staged = restoring.stage(store, quads)
        if begin is not None:
            try:
                begin()
            except BaseException:
                restoring.remove(store, staged.values())
                raise
        self._changing()
        try:
            self._finish_restore((staged, False))
            if self._kept is not None:
                # Every written graph is replaced: so is the rest of the union (a second
                # transaction, as costly as the backup).
                self._upkept = False
                self._kept.rebuild(self._writable())
                self._upkept = True
        finally:
            self._changed()

    def _finish_restore(self, found: tuple[dict[str, str], bool] | None = None) -> None:
        """Finish a restore whose quads are staged, from where it stands (None: one that
        its note says was cut off, if any)."""
        if found is None:
            found = restoring.left(self.path) if self.path is not None else None
            if found is None:
                return
        staged, moving = found
        if not moving:
            if self.path is not None:
                restoring.noted(self.path, staged)
            restoring.drop_written(self.store, self.protected)
            if self.path is not None:
                restoring.noted(self.path, staged, moving=True)
        restoring.move(self.store, staged)
        if self.path is not None:
            restoring.done(self.path)
        restoring.remove(self.store, staged.values())

    def _target(self, sparql: ReadQuery, dataset: DatasetSpec | None,
                options: dict[str, object]) -> ox.Store:
        """The store to run on and the dataset options that make its default graph a set.

        Oxigraph 0.5 merges several graphs into the default graph as a multiset: a triple held
        by two of them matches twice. Where graphs overlap, the query reads the largest in place
        and the others through a hidden graph of the store (kg.store.merged_graphs), or, on a
        store that cannot be written, runs on a merged copy.
        """
        if dataset:
            # A protocol dataset is the whole dataset: no other named graph is visible.
            options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
            # A graph named twice is one graph of the dataset.
            graphs = tuple(dict.fromkeys(dataset.default_graphs))
            if len(graphs) > 1 and self._overlap(graphs):
                return self._merged_target(dataset, graphs, options)
            options["default_graph"] = [ox.NamedNode(g) for g in graphs]
        elif not has_dataset_clause(sparql):
            # The union default graph would override the query's own FROM clauses.
            if self._kept is not None:
                options["default_graph"] = self._kept.default_graph()
            elif not self._union_is_set():
                target = self._merged_target(None, (), options)
                if target is not self.store:
                    return target
            elif self._hidden:
                options["default_graph"] = [ox.DefaultGraph(), *self._visible_graphs()]
            else:
                options["use_default_graph_as_union"] = True
            if self._hidden or self._upkeep_held:
                # No graph of the store's own (merged graphs; the upkeep graph of an update
                # being followed, or cut off) is seen by GRAPH.
                options["named_graphs"] = self._visible_graphs()
        return self.store

    def _union_is_set(self) -> bool:
        """Tell whether no triple is held twice (by two graphs), checked once per change."""
        if self._disjoint is None:
            self._disjoint = not self._overlap(None)
        return self._disjoint

    def _overlap(self, graphs: tuple[str, ...] | None) -> bool:
        """Tell whether some triple is in two of graphs (None: any graphs, default included);
        checked once per graphs until the data changes (the check joins the graphs)."""
        if graphs is None:
            return union_note.overlaps(self.store, None)
        found = self._overlaps.get(graphs)
        if found is None:
            found = self._overlaps[graphs] = union_note.overlaps(self.store, graphs)
        return found

    def _prepare_union(self) -> None:
        """Settle, before any request, whether the union needs a merged copy (or a hidden
        graph), and make it."""
        if not self._union_is_set():
            self._merged_target(None, (), {})

    def _merged(self, dataset: DatasetSpec | None) -> ox.Store:
        """A copy whose default graph is the set of the dataset's default triples (the union
        of every graph for None), with its named graphs; kept until the data changes."""
        key = dataset or DatasetSpec()
        with self._views_lock:
            view = self._views.get(key)
            if view is not None:
                return view
        view = ox.Store()
        if dataset is None:
            quads = list(self.store.quads_for_pattern(None, None, None))
            view.extend(q for q in quads if not isinstance(q.graph_name, ox.DefaultGraph))
        else:
            quads = [q for g in dataset.default_graphs
                     for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(g))]
            for name in dataset.named_graphs:
                view.extend(self.store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
        view.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
        with self._views_lock:
            self._views[key] = view
            while len(self._views) > VIEWS_KEPT:
                del self._views[next(iter(self._views))]
        return view

    def bounded(self, query: ReadQuery, most: int) -> bool:
        # One pattern, with a term given, over the store's own union (no merged copy to
        # make): its solutions are among the quads matching it in any graph, counted here
        # up to most + 1 straight from the indexes.
        pattern = one_pattern(query)
        if (pattern is None or has_dataset_clause(query) or self._kept is not None
                or self._disjoint is not True):
            return False
        try:
            terms = [None if t.kind == "var" else ox.NamedNode(t.text[1:-1]) for t in pattern]
        except ValueError:  # a relative IRI: the engine resolves it against the base
            return False
        if all(term is None for term in terms):
            return False
        subject, predicate, item = terms
        matches = self.store.quads_for_pattern(subject, predicate, item, None)
        return sum(1 for _ in islice(matches, most + 1)) <= most

    def query(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
              base: str | None = None, bindings: Bindings | None = None) -> QueryOutcome:
        query = self.checked(sparql, base)
        if self._kept is not None:
            union_upkeep.refuse_named(query, (*dataset.default_graphs, *dataset.named_graphs)
                                       if dataset else ())
        if not dataset and has_dataset_clause(query):
            # The query's own FROM clauses name a dataset like the protocol's, whose default
            # graph is then a set too (the engine merges them as a multiset).
            dataset = DatasetSpec(*dataset_clauses(query))
            query = without_dataset_clauses(query)
        options: dict[str, object] = {}
        target = self._target(query, dataset, options)
        if bindings:
            query = _bind(query, bindings, options)
        try:
            result = target.query(query.text, **options)  # type: ignore[arg-type]
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except RuntimeError as error:
            if unsupported(error):
                raise QueryRefused(str(error)) from error
            raise QueryFailed(str(error)) from error
        except (OSError, ValueError, TypeError) as error:
            raise QueryFailed(str(error)) from error
        if isinstance(result, ox.QueryBoolean):
            return QueryOutcome("boolean", result)
        if isinstance(result, ox.QuerySolutions):
            return QueryOutcome("solutions", result)
        return QueryOutcome("graph", result)

    def select(self, sparql: str, bindings: Bindings | None = None,
               dataset: DatasetSpec | None = None) -> Rows:
        return rows_of(self.query(sparql, dataset, bindings=bindings))

    def select_values(self, sparql: str) -> list[tuple[str | None, ...]]:
        return values_of(self.query(sparql))

    def select_rows(self, sparql: str, dataset: DatasetSpec | None = None) -> ValueRows:
        return value_rows_of(self.query(sparql, dataset))

    def serialize(self, outcome: QueryOutcome, fmt: Format) -> bytes:
        return write_outcome(outcome, fmt)

    def adjacent(self, graphs: tuple[str, ...], subjects: Iterable[str] = (),
                 objects: Iterable[str] = ()) -> list[tuple[Value, str, Value]]:
        # Straight from the indexes: a SPARQL text would cost more to check than to run.
        names = [ox.NamedNode(g) for g in graphs]
        found: list[tuple[Value, str, Value]] = []
        read = dict.fromkeys(subjects)
        iri = ox.NamedNode
        # An IRI's text is read straight from it: most values are IRIs, and the kept
        # conversions would hash each one first.
        for subject in read:
            node = ox.NamedNode(subject)
            found += _once([[(subject, q.predicate.value,
                              o.value if type(o := q.object) is iri else _plain(o))
                             for q in self.store.quads_for_pattern(node, None, None, graph)]
                            for graph in names])
        for obj in dict.fromkeys(objects):
            node = ox.NamedNode(obj)
            # A triple whose subject was read above is there already.
            found += _once([[(s, q.predicate.value, obj)
                             for q in self.store.quads_for_pattern(None, None, node, graph)
                             if (s := (t.value if type(t := q.subject) is iri else _plain(t)))
                             not in read]
                            for graph in names])
        return found

    def describe(self, iri: str) -> bytes:
        node = ox.NamedNode(iri)
        quads = [*self.store.quads_for_pattern(node, None, None),
                 *self.store.quads_for_pattern(None, None, node)]
        if self.protected:
            # What the build says: written graphs are read through queries, never as the
            # description of a curated entity.
            quads = [q for q in quads if getattr(q.graph_name, "value", "") in self.protected]
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        ordered = sorted(triples, key=str)
        return bytes(ox.serialize(ordered, format=ox.RdfFormat.N_TRIPLES) or b"")

    def load(self, path: Path, graph: str | None = None) -> None:
        fmt = rdf_format_of(path)
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        if fmt in {ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG}:
            self.store.bulk_load(path=str(path), format=fmt)
        else:
            self.store.bulk_load(path=str(path), format=fmt, to_graph=target)
        self._version = ""
        self._forget()
        self._apart = None
        self._note_union(not self._overlap(None))  # the load pays for the check
        self._prepare_union()

    def graph_sizes(self) -> dict[str, int]:
        if self._sizes is None:
            sizes: dict[str, int] = {}
            named = self.store.query(
                "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
            assert isinstance(named, ox.QuerySolutions)
            for row in named:
                if not is_hidden(row["g"].value):
                    sizes[row["g"].value] = int(row["n"].value)
            default = self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            assert isinstance(default, ox.QuerySolutions)
            count = int(next(iter(default))["n"].value)
            # A kept union's default graph is no graph of the dataset (see union_graph).
            if count and self._kept is None:
                sizes[""] = count
            self._sizes = dict(sorted(sizes.items()))
        return self._sizes

    # The writable store's state as its note names it: new at every write.
    _generation = ""

    def version(self) -> str:
        # A store loaded from dist/ is named by the digest of that file, the writable store by
        # its note (counting its quads would read them all); others by their sizes.
        if not self._version and self._generation:
            self._version = self._generation[:16]
        if not self._version:
            base = super().version()
            self._version = f"{base[:12]}-{self.writes}" if self.writes else base
        return self._version
