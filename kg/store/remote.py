"""A backend that speaks the SPARQL 1.1 Protocol to an external server (Virtuoso, Fuseki, …).

Answers are fetched in one well-defined format (SPARQL JSON results, N-Triples) and written
in the format asked for by Oxigraph's writers, so that every server's quirks stay behind this
class; select() reads the JSON results straight into the contract's plain values. Bindings
travel as a VALUES block of terms written by Oxigraph: the protocol has no other way to send
them.
"""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from SPARQLWrapper import DIGEST, JSON, POST, POSTDIRECTLY, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from kg.formats import Format
from kg.sparql_reading import ReadQuery
from kg.sparql_text import (
    has_dataset_clause,
    values_block,
    with_leading_values,
    with_trailing,
    without_dataset_clauses,
)
from kg.store.base import (
    XSD_STRING,
    Backend,
    Bindings,
    BlankValue,
    DatasetSpec,
    LiteralValue,
    QueryFailed,
    QueryOutcome,
    QuerySyntaxError,
    Rows,
    StoreUnreachable,
    Value,
    guarded,
)
from kg.store.loader import STAGING, push
from kg.store.oxigraph_backend import to_oxigraph, write_outcome

TRUNCATION_HEADERS = ("x-sparql-maxrows",)


def with_values(sparql: ReadQuery, bindings: Bindings) -> ReadQuery:
    """Bind variables with a VALUES block (terms written by Oxigraph, fully escaped): opening
    the WHERE group where one can go, so that the server starts from them; else after the
    query."""
    block = guarded(values_block({name: str(to_oxigraph(value))
                                  for name, value in bindings.items()}))
    return with_leading_values(sparql, block) or with_trailing(sparql, block)


# A graph no store holds: named where a dataset has no default graph or no named graph.
NO_GRAPH = "urn:x-dmkg:no-graph"


def json_value(cell: dict[str, Any]) -> Value:
    """Read one value of SPARQL JSON results as a plain value, as Oxigraph's reader would
    (a language tag in lower case, a literal without datatype an xsd:string)."""
    kind, text = cell["type"], cell["value"]
    if kind == "uri":
        return str(text)
    if kind in {"literal", "typed-literal"}:  # typed-literal: the 2007 note's name
        if "xml:lang" in cell:
            return LiteralValue(text, None, str(cell["xml:lang"]).lower())
        return LiteralValue(text, cell.get("datatype") or XSD_STRING)
    if kind == "bnode":
        return BlankValue(text)
    if kind == "triple":  # a triple term: no reader of select() takes one apart
        return BlankValue(" ".join(str(json_value(text[part]))
                                   for part in ("subject", "predicate", "object")))
    raise ValueError(f"unknown value type {kind!r}")


def json_rows(raw: bytes) -> Rows:
    """Read SPARQL JSON results of a SELECT as rows of plain values."""
    try:
        answer = json.loads(raw)
        columns = [str(name) for name in answer["head"]["vars"]]
        solutions = answer["results"]["bindings"]
        return Rows(columns, [{str(name): json_value(cell) for name, cell in solution.items()}
                              for solution in solutions])
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not the results of a SELECT ({error!r} missing or malformed)"
                         ) from None


def readable_labels(raw: bytes) -> bytes:
    """SPARQL JSON results with blank node labels Oxigraph's reader takes: Virtuoso writes
    nodeID://b10001, which it refuses. A label names a node within one answer only, so each
    is given a fresh one, the same for each of its uses."""
    if b'"bnode"' not in raw:
        return raw
    answer = json.loads(raw)
    fresh: dict[str, str] = {}
    for solution in answer.get("results", {}).get("bindings", []):
        for cell in solution.values():
            if cell.get("type") == "bnode":
                cell["value"] = fresh.setdefault(cell["value"], f"b{len(fresh)}")
    return json.dumps(answer).encode()


class RemoteBackend(Backend):
    """A SPARQL 1.1 server reached over HTTP; read-only unless an update endpoint is given."""

    name = "sparql"

    def __init__(self, endpoint: str, update_endpoint: str | None = None,
                 user: str | None = None, password: str | None = None,
                 timeout: int = 60) -> None:
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.user = user
        self.password = password
        self.timeout = timeout
        self._sizes: dict[str, int] | None = None

    def _client(self, url: str) -> SPARQLWrapper:
        client = SPARQLWrapper(url)
        client.setTimeout(self.timeout)
        client.setMethod(POST)
        if self.user:
            client.setHTTPAuth(DIGEST)
            client.setCredentials(self.user, self.password or "")
        return client

    def _fetch(self, sparql: str, dataset: DatasetSpec | None, accept: str) -> bytes:
        client = self._client(self.endpoint)
        client.setQuery(sparql)
        client.setReturnFormat(accept)
        if dataset:
            # A dataset names every graph the query sees, but a server given only one of the
            # two parameters fills the other with its own graphs (Virtuoso does): a graph it
            # does not hold stands for "none".
            for graph in dataset.default_graphs or (NO_GRAPH,):
                client.addDefaultGraph(graph)
            for graph in dataset.named_graphs or (NO_GRAPH,):
                client.addNamedGraph(graph)
        try:
            response = client.query().response
        except QueryBadFormed as error:
            raise QuerySyntaxError(str(error).split("Response:", 1)[-1].strip()) from error
        except (SPARQLWrapperException, urllib.error.HTTPError) as error:
            raise QueryFailed(f"{self.endpoint}: {error}") from error
        except (urllib.error.URLError, OSError) as error:
            # No answer at all (refused, unknown host, timed out): the server is away.
            reason = getattr(error, "reason", None) or error
            raise StoreUnreachable(f"the SPARQL store {self.endpoint} cannot be reached: "
                                   f"{reason}") from error
        for header in TRUNCATION_HEADERS:
            if response.headers.get(header):
                raise QueryFailed(f"{self.endpoint} truncated the answer at "
                                  f"{response.headers[header]} rows")
        data: bytes = response.read()
        return data

    def _prepared(self, sparql: str | ReadQuery, dataset: DatasetSpec | None,
                  base: str | None, bindings: Bindings | None
                  ) -> tuple[ReadQuery, DatasetSpec | None]:
        """The text to send for a query, and the dataset to name beside it."""
        query = self.checked(sparql, base)
        if query.form is None:
            raise QuerySyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
        if dataset and has_dataset_clause(query):
            query = without_dataset_clauses(query)
        elif not dataset and not has_dataset_clause(query):
            # The union of the served graphs, not the server's own default graph (Virtuoso's
            # holds its system graphs too).
            graphs = tuple(self.graph_sizes())
            dataset = DatasetSpec(graphs, graphs) if graphs else None
        if bindings:
            query = with_values(query, bindings)
        return query, dataset

    def query(self, sparql: str | ReadQuery, dataset: DatasetSpec | None = None,
              base: str | None = None, bindings: Bindings | None = None) -> QueryOutcome:
        query, dataset = self._prepared(sparql, dataset, base, bindings)
        form = query.form
        if form in {"SELECT", "ASK"}:
            raw = self._fetch(query.text, dataset, JSON)
            try:
                parsed = ox.parse_query_results(readable_labels(raw),
                                                format=ox.QueryResultsFormat.JSON)
            except (SyntaxError, ValueError) as error:
                raise QueryFailed(f"{self.endpoint} sent unreadable results: {error}") from error
            if isinstance(parsed, ox.QueryBoolean):
                return QueryOutcome("boolean", parsed)
            if form == "ASK":
                return QueryOutcome("boolean", _as_boolean(parsed))
            return QueryOutcome("solutions", parsed)
        raw = self._fetch(query.text, dataset, TURTLE)
        try:
            triples = list(ox.parse(raw, format=ox.RdfFormat.TURTLE))
        except SyntaxError as error:
            raise QueryFailed(f"{self.endpoint} sent unreadable RDF: {error}") from error
        return QueryOutcome("graph", triples)

    def select(self, sparql: str, bindings: Bindings | None = None,
               dataset: DatasetSpec | None = None) -> Rows:
        """Run a SELECT query; its rows are read straight from the server's JSON results."""
        query, dataset = self._prepared(sparql, dataset, None, bindings)
        if query.form != "SELECT":
            raise QueryFailed("select() needs a SELECT query")
        raw = self._fetch(query.text, dataset, JSON)
        try:
            return json_rows(raw)
        except ValueError as error:
            raise QueryFailed(f"{self.endpoint} sent unreadable results: {error}") from error

    def serialize(self, outcome: QueryOutcome, fmt: Format) -> bytes:
        return write_outcome(outcome, fmt)

    def describe(self, iri: str) -> bytes:
        found: set[ox.Triple] = set()
        for row in self._solutions("SELECT ?p ?o ?x WHERE { ?x ?p ?o }", {"x": iri}):
            found.add(ox.Triple(ox.NamedNode(iri), row["p"], row["o"]))
        for row in self._solutions("SELECT ?s ?p ?x WHERE { ?s ?p ?x }", {"x": iri}):
            found.add(ox.Triple(row["s"], row["p"], ox.NamedNode(iri)))
        return bytes(ox.serialize(sorted(found, key=str), format=ox.RdfFormat.N_TRIPLES) or b"")

    def _solutions(self, sparql: str, bindings: Bindings) -> ox.QuerySolutions:
        outcome = self.query(sparql, bindings=bindings)
        assert isinstance(outcome.payload, ox.QuerySolutions)
        return outcome.payload

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update on the server (needs the update endpoint and credentials)."""
        client = self._client(self.update_endpoint)
        client.setRequestMethod(POSTDIRECTLY)
        client.setQuery(sparql)
        try:
            client.query()
        except (SPARQLWrapperException, urllib.error.URLError, OSError) as error:
            message = str(error)
            if len(message) > 600:
                message = message[:600] + " …"
            raise QueryFailed(f"{self.update_endpoint}: {message}") from error
        self._sizes = None

    def load(self, path: Path, graph: str | None = None) -> None:
        push(self, path, graph)

    def flush(self) -> None:
        """Nothing to write: the server keeps the data, and each update was answered once done."""

    def graph_sizes(self) -> dict[str, int]:
        if self._sizes is None:
            raw = self._fetch("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                              "GROUP BY ?g", None, JSON)
            parsed = ox.parse_query_results(raw, format=ox.QueryResultsFormat.JSON)
            assert isinstance(parsed, ox.QuerySolutions)
            rows = [{"g": row["g"].value, "n": row["n"].value} for row in parsed]
            sizes = {str(r["g"]): int(str(r["n"])) for r in rows}
            self._sizes = {name: size for name, size in sorted(sizes.items())
                           if not _system_graph(name) and STAGING not in name}
        return self._sizes



def _as_boolean(table: ox.QuerySolutions) -> ox.QueryBoolean:
    """Read an ASK answered as a table, as Virtuoso may (`SELECT TOP 1 1 AS __ask_retval`):
    true when a row holds a value other than 0 or false."""
    found = any(value is not None and value.value not in {"0", "false"}
                for row in table for value in row)
    answer = ox.parse_query_results(f'{{"head": {{}}, "boolean": {str(found).lower()}}}',
                                    format=ox.QueryResultsFormat.JSON)
    assert isinstance(answer, ox.QueryBoolean)
    return answer


def _system_graph(name: str) -> bool:
    # Virtuoso keeps its own graphs (schemas, system data) beside the user's.
    return name.startswith(("http://www.openlinksw.com/", "http://localhost:8890/",
                            "http://localuriqaserver/", "http://www.w3.org/ns/ldp#",
                            "urn:activitystreams-owl:map", "http://www.w3.org/2002/07/owl#",
                            "urn:core:services:sparql"))

