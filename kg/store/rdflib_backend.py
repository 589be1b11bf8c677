"""A pure-Python reference backend on rdflib, for differential tests and small data."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
import rdflib.plugins.sparql
from pyparsing import ParseException
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.query import Result

from kg.formats import Format
from kg.sparql_reading import ReadQuery
from kg.sparql_text import PARSER_LOCK
from kg.store.base import (
    Backend,
    Bindings,
    Capability,
    DatasetSpec,
    QueryFailed,
    QueryOutcome,
    QuerySyntaxError,
    Rows,
    Value,
)
from kg.store.rdflib_terms import bound_term, value_of_term

# rdflib would fetch a FROM graph it does not hold from the web; a graph the store does not
# hold is an empty graph instead.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

DATASET_SUFFIXES = {".nq": "nquads", ".trig": "trig"}
# Datasets named by queries, kept: building one copies every triple of its graphs.
VIEWS_KEPT = 4
GRAPH_SUFFIXES = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml", ".owl": "xml", ".xml": "xml",
                  ".jsonld": "json-ld", ".n3": "n3"}


class RdflibBackend(Backend):
    """An rdflib Dataset whose default graph is the union of its graphs."""

    name = "rdflib"
    capabilities = frozenset({Capability.SEES_EVERY_CHANGE})

    def __init__(self) -> None:
        self.data = Dataset(default_union=True)
        # rdflib's SPARQL parser is not thread-safe: one lock for every user of it.
        self._lock = PARSER_LOCK
        self._views: OrderedDict[DatasetSpec, Dataset] = OrderedDict()

    def _view(self, dataset: DatasetSpec) -> Dataset:
        """The dataset as its own rdflib Dataset, kept for the next query naming it."""
        with self._lock:
            if dataset in self._views:
                self._views.move_to_end(dataset)
                return self._views[dataset]
            view = Dataset()
            for name in dataset.default_graphs:
                view.default_graph += self.data.graph(URIRef(name))
            for name in dataset.named_graphs:
                named = view.graph(URIRef(name))
                named += self.data.graph(URIRef(name))
            self._views[dataset] = view
            if len(self._views) > VIEWS_KEPT:
                self._views.popitem(last=False)
            return view

    def query(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
              base: str | None = None, bindings: Bindings | None = None) -> QueryOutcome:
        text = self.checked(sparql, base).text
        initial = {name: bound_term(value) for name, value in (bindings or {}).items()}
        target = self._view(dataset) if dataset else self.data
        with self._lock:
            try:
                prepared = prepareQuery(text)
            except ParseException as error:
                raise QuerySyntaxError(str(error)) from error
            except Exception as error:  # unknown prefixes and the like are plain Exceptions
                raise QuerySyntaxError(str(error)) from error
            if dataset:
                # The protocol's dataset replaces the query's FROM and FROM NAMED.
                prepared.algebra["datasetClause"] = None
            try:
                result = target.query(prepared, initBindings=initial)
                if result.type == "SELECT":
                    result.bindings  # noqa: B018 - evaluate now, under the lock
            except Exception as error:  # rdflib raises plain Exceptions during evaluation
                raise QueryFailed(str(error)) from error
        form = {"SELECT": "solutions", "ASK": "boolean"}.get(str(result.type), "graph")
        return QueryOutcome(form, result)

    def select(self, sparql: str, bindings: Bindings | None = None,
               dataset: DatasetSpec | None = None) -> Rows:
        result = self.query(sparql, dataset, bindings=bindings).payload
        assert isinstance(result, Result)
        if result.type != "SELECT":
            raise QueryFailed("select() needs a SELECT query")
        rows: list[dict[str, Value]] = []
        for row in result.bindings:
            rows.append({str(name): value_of_term(value) for name, value in row.items()
                         if isinstance(value, URIRef | Literal | BNode)})
        return Rows([str(v) for v in result.vars or []], rows)

    def serialize(self, outcome: QueryOutcome, fmt: Format) -> bytes:
        result = outcome.payload
        assert isinstance(result, Result)
        if outcome.form == "graph":
            graph = result.graph
            assert graph is not None
            if outcome.limit is not None and len(graph) > outcome.limit:
                kept = Graph(namespace_manager=graph.namespace_manager)
                for triple in islice(graph, outcome.limit):
                    kept.add(triple)
                graph, outcome.truncated = kept, True
            if fmt.dataset:
                holder = Dataset()
                holder.default_graph += graph
                return holder.serialize(format=fmt.rdflib_name, encoding="utf-8")
            return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")
        if fmt.keyword == "tsv" or (outcome.form == "boolean" and fmt.keyword == "csv"):
            # rdflib has no TSV writer, nor CSV for a boolean; Oxigraph's writes the JSON
            # results again.
            solutions = ox.parse_query_results(result.serialize(format="json"),
                                               format=ox.QueryResultsFormat.JSON)
            return bytes(solutions.serialize(format=fmt.oxigraph) or b"")  # type: ignore[arg-type]
        return result.serialize(format=fmt.rdflib_name, encoding="utf-8") or b""

    def adjacent(self, graphs: tuple[str, ...], subjects: Iterable[str] = (),
                 objects: Iterable[str] = ()) -> list[tuple[Value, str, Value]]:
        found: dict[tuple[Value, str, Value], None] = {}
        with self._lock:
            for graph in graphs:
                held = self.data.graph(URIRef(graph))
                for subject in dict.fromkeys(subjects):
                    for _, p, o in held.triples((URIRef(subject), None, None)):
                        assert isinstance(o, URIRef | Literal | BNode)
                        found.setdefault((subject, str(p), value_of_term(o)), None)
                for obj in dict.fromkeys(objects):
                    for s, p, _ in held.triples((None, None, URIRef(obj))):
                        assert isinstance(s, URIRef | BNode)
                        found.setdefault((value_of_term(s), str(p), obj), None)
        return list(found)

    def describe(self, iri: str) -> bytes:
        node = URIRef(iri)
        found = Graph()
        for s, p, o, _ in self.data.quads((node, None, None, None)):
            found.add((s, p, o))
        for s, p, o, _ in self.data.quads((None, None, node, None)):
            found.add((s, p, o))
        lines = sorted(found.serialize(format="nt").splitlines())
        return ("\n".join(line for line in lines if line) + "\n").encode()

    def load(self, path: Path, graph: str | None = None) -> None:
        with self._lock:
            self._views.clear()  # copies of the data before this load
        suffix = path.suffix.lower()
        if suffix in DATASET_SUFFIXES:
            self.data.parse(path, format=DATASET_SUFFIXES[suffix])
        elif suffix in GRAPH_SUFFIXES:
            target = self.data.graph(URIRef(graph)) if graph else self.data.default_graph
            target.parse(path, format=GRAPH_SUFFIXES[suffix])
        else:
            raise ValueError(f"{path}: unknown RDF file extension {path.suffix!r}")

    def flush(self) -> None:
        """Nothing to write: the graphs live in this process's memory only."""

    def graph_sizes(self) -> dict[str, int]:
        sizes = {}
        for graph in self.data.graphs():
            if len(graph):
                name = "" if graph.identifier == self.data.default_graph.identifier \
                    else str(graph.identifier)
                sizes[name] = len(graph)
        return dict(sorted(sizes.items()))

