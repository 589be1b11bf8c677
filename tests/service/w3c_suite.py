"""Read the W3C SPARQL evaluation manifests and compare answers, with rdflib."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.query import Result
from rdflib.term import Node


def _suite() -> Path:
    """The suites in the shared folder beside the checkout (whatever the checkout's depth)."""
    for folder in Path(__file__).resolve().parents:
        found = folder / "shared" / "conformance" / "w3c-sparql-tests" / "sparql"
        if found.is_dir():
            return found
    return Path("/nonexistent")


SUITE = _suite()
MANIFESTS = {"query": ("sparql10/manifest-evaluation.ttl", "sparql11/manifest-sparql11-query.ttl"),
             "update": ("sparql11/manifest-sparql11-update.ttl",)}
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
KINDS = {MF.QueryEvaluationTest: "query", MF.UpdateEvaluationTest: "update"}
# A FROM or FROM NAMED clause, as the suite's queries write them (this reads test files only).
FROM = re.compile(r"\bFROM\s+(NAMED\s+)?<([^>]*)>", re.IGNORECASE)
ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)

Term = URIRef | Literal | BNode
Row = dict[str, Term]


@dataclass
class Case:
    """One evaluation test: its files, its dataset and what it must give."""

    name: str  # path of its manifest under the suite, '#', its local name
    kind: str  # "query" or "update"
    text: str
    text_iri: str
    data: list[str] = field(default_factory=list)  # default graph files (IRIs)
    graphs: list[tuple[str, str]] = field(default_factory=list)  # (graph name, file IRI)
    result: str | None = None  # query: the expected result file
    result_data: list[str] = field(default_factory=list)  # update: expected default graph
    result_graphs: list[tuple[str, str]] = field(default_factory=list)

    def from_clauses(self) -> tuple[list[str], list[str]]:
        """The graphs the query names itself (FROM, FROM NAMED), resolved against its file."""
        default: list[str] = []
        named: list[str] = []
        for is_named, iri in FROM.findall(self.text):
            absolute = str(URIRef(iri, base=self.text_iri))
            (named if is_named else default).append(absolute)
        return default, named

    @property
    def ordered(self) -> bool:
        return bool(ORDER_BY.search(self.text))


def path_of(iri: str) -> Path:
    """The file behind a file: IRI of the suite."""
    return Path(iri.removeprefix("file://"))


def _manifests(path: Path) -> Iterator[tuple[Graph, URIRef, Path]]:
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    for manifest in graph.subjects(RDF.type, MF.Manifest):
        for included in graph.objects(manifest, MF.include):
            for child in Collection(graph, included):
                yield from _manifests(path_of(str(child)))
        for entries in graph.objects(manifest, MF.entries):
            for entry in Collection(graph, entries):
                assert isinstance(entry, URIRef)
                yield graph, entry, path


def _graph_data(graph: Graph, node: Node | None, name_key: URIRef) -> list[tuple[str, str]]:
    """(graph name, file) pairs: qt:graphData names the graph by its file, ut:graphData by label."""
    found = []
    for item in graph.objects(node, name_key):
        if isinstance(item, URIRef):
            found.append((str(item), str(item)))
        else:
            found.append((str(graph.value(item, RDFS.label)), str(graph.value(item, UT.graph))))
    return sorted(found)


def _case(graph: Graph, entry: URIRef, path: Path, kind: str) -> Case:
    action = graph.value(entry, MF.action)
    result = graph.value(entry, MF.result)
    name = f"{path.relative_to(SUITE).parent}#{str(entry).rsplit('#', 1)[-1]}"
    key = QT.query if kind == "query" else UT.request
    text_iri = str(graph.value(action, key))
    case = Case(name, kind, path_of(text_iri).read_text(encoding="utf-8"), text_iri)
    data_key, graph_key = (QT.data, QT.graphData) if kind == "query" else (UT.data, UT.graphData)
    case.data = sorted(str(d) for d in graph.objects(action, data_key))
    case.graphs = _graph_data(graph, action, graph_key)
    if kind == "query":
        case.result = str(result) if result is not None else None
    else:
        case.result_data = sorted(str(d) for d in graph.objects(result, UT.data))
        case.result_graphs = _graph_data(graph, result, UT.graphData)
    return case


def load_cases(kind: str) -> list[Case]:
    """Every evaluation test of the query or update manifests."""
    if not SUITE.is_dir():
        return []
    cases = []
    for manifest in MANIFESTS[kind]:
        for graph, entry, path in _manifests(SUITE / manifest):
            test_type = graph.value(entry, RDF.type)
            if KINDS.get(test_type) == kind:  # type: ignore[call-overload]
                cases.append(_case(graph, entry, path, kind))
    return cases


# --- answers as rdflib terms ----------------------------------------------------------------

def plain(term: Term) -> Term:
    """A literal typed xsd:string is the simple literal (RDF 1.1): one spelling for both."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


@dataclass
class Answer:
    """A query answer: rows in order, a boolean, or a graph."""

    rows: list[Row] | None = None
    boolean: bool | None = None
    graph: Graph | None = None

    def describe(self) -> str:
        if self.boolean is not None:
            return f"boolean {self.boolean}"
        if self.graph is not None:
            return "graph:\n" + "\n".join(sorted(
                " ".join(t.n3() for t in triple) for triple in self.graph))
        assert self.rows is not None
        return f"{len(self.rows)} rows:\n" + "\n".join(
            " ".join(f"?{k}={v.n3()}" for k, v in sorted(row.items())) for row in self.rows)


def answer_of_result(result: Result) -> Answer:
    """An rdflib query result (parsed from a results document) as an Answer."""
    if result.type == "ASK":
        return Answer(boolean=bool(result.askAnswer))
    rows = [{str(k): plain(v) for k, v in row.items()  # type: ignore[arg-type]
             if v is not None}
            for row in result.bindings]
    return Answer(rows=rows)


def answer_of_result_set(graph: Graph) -> Answer:
    """An answer written in the DAWG result-set vocabulary (rs:ResultSet) as an Answer."""
    result_set = next(graph.subjects(RDF.type, RS.ResultSet))
    boolean = graph.value(result_set, RS.boolean)
    if boolean is not None:
        return Answer(boolean=bool(boolean.toPython()))  # type: ignore[attr-defined]
    indexed = []
    for solution in graph.objects(result_set, RS.solution):
        row = {str(graph.value(b, RS.variable)): plain(graph.value(b, RS.value))  # type: ignore[arg-type]
               for b in graph.objects(solution, RS.binding)}
        index = graph.value(solution, RS["index"])
        indexed.append((int(str(index)) if index is not None else 0, row))
    indexed.sort(key=lambda pair: pair[0])
    return Answer(rows=[row for _, row in indexed])


# --- comparison -------------------------------------------------------------------------------

def shape(row: Row) -> frozenset[tuple[str, object]]:
    """A row with its blank nodes made alike: what rows must share to be matched at all."""
    return frozenset((k, "_" if isinstance(v, BNode) else v) for k, v in row.items())


def _match_rows(left: Sequence[Row], right: Sequence[Row], ordered: bool) -> bool:
    """Whether the rows are the same multiset (same sequence when ordered) up to a bijection of
    blank nodes."""
    if len(left) != len(right):
        return False

    if not ordered and Counter(map(shape, left)) != Counter(map(shape, right)):
        return False
    forward: dict[BNode, BNode] = {}
    backward: dict[BNode, BNode] = {}
    used = [False] * len(right)

    def fits(a: Row, b: Row, added: list[BNode]) -> bool:
        if a.keys() != b.keys():
            return False
        for key, value in a.items():
            other = b[key]
            if isinstance(value, BNode) and isinstance(other, BNode):
                if value in forward:
                    if forward[value] != other:
                        return False
                elif other in backward:
                    return False
                else:
                    forward[value], backward[other] = other, value
                    added.append(value)
            elif value != other:
                return False
        return True

    def undo(added: list[BNode]) -> None:
        for node in added:
            del backward[forward.pop(node)]

    def search(index: int) -> bool:
        if index == len(left):
            return True
        candidates = [index] if ordered else range(len(right))
        for j in candidates:
            if used[j]:
                continue
            added: list[BNode] = []
            if fits(left[index], right[j], added):
                used[j] = True
                if search(index + 1):
                    return True
                used[j] = False
            undo(added)
        return False

    return search(0)


def same(left: Answer, right: Answer, ordered: bool) -> bool:
    """Whether two answers agree: booleans equal, graphs isomorphic, solutions the same multiset
    (the same sequence when the query orders them) up to blank node labels."""
    if left.boolean is not None or right.boolean is not None:
        return left.boolean == right.boolean
    if left.graph is not None or right.graph is not None:
        return (left.graph is not None and right.graph is not None
                and isomorphic(left.graph, right.graph))
    assert left.rows is not None and right.rows is not None
    if ordered:
        # The order of blank nodes among themselves is the engine's choice (their labels are
        # new at each load): ordered rows must agree with blank nodes made alike.
        return ([shape(r) for r in left.rows] == [shape(r) for r in right.rows]
                and _match_rows(left.rows, right.rows, False))
    return _match_rows(left.rows, right.rows, False)


SYNTAX_MANIFESTS = ("sparql10/manifest-syntax.ttl", "sparql11/manifest-sparql11-query.ttl",
                    "sparql11/manifest-sparql11-update.ttl")
# Test type -> (query or update, whether the text is valid).
SYNTAX_KINDS = {MF.PositiveSyntaxTest: ("query", True), MF.NegativeSyntaxTest: ("query", False),
                MF.PositiveSyntaxTest11: ("query", True), MF.NegativeSyntaxTest11: ("query", False),
                MF.PositiveUpdateSyntaxTest11: ("update", True),
                MF.NegativeUpdateSyntaxTest11: ("update", False)}


@dataclass
class SyntaxCase:
    """One syntax test: a query or update text, valid or not."""

    name: str
    kind: str
    valid: bool
    text: str
    text_iri: str


def load_syntax_cases() -> list[SyntaxCase]:
    """Every syntax test of the SPARQL 1.0 and 1.1 query and update manifests."""
    if not SUITE.is_dir():
        return []
    cases = []
    for manifest in SYNTAX_MANIFESTS:
        for graph, entry, path in _manifests(SUITE / manifest):
            found = SYNTAX_KINDS.get(graph.value(entry, RDF.type))  # type: ignore[call-overload]
            if found is None:
                continue
            iri = str(graph.value(entry, MF.action))
            name = f"{path.relative_to(SUITE).parent}#{str(entry).rsplit('#', 1)[-1]}"
            # Bytes decoded leniently: some negative tests are not UTF-8 on purpose.
            text = path_of(iri).read_bytes().decode("utf-8", errors="replace")
            cases.append(SyntaxCase(name, found[0], found[1], text, iri))
    return cases
