"""Serialize graphs byte for byte the same from the same input."""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph

from kg.namespaces import PREFIXES


class _SortedGraph(Graph):
    """A graph whose subjects and predicate-object pairs come out sorted.

    rdflib's RDF/XML writer walks the store in its internal (hash) order; this view gives it
    the same order every run.
    """

    def subjects(self, predicate=None, object=None, unique=False):  # type: ignore[no-untyped-def]
        found = set(super().subjects(predicate, object))
        return iter(sorted(found, key=lambda n: n.n3()))

    def predicate_objects(self, subject=None, unique=False):  # type: ignore[no-untyped-def]
        pairs = super().predicate_objects(subject)
        return iter(sorted(pairs, key=lambda pair: (pair[0].n3(), pair[1].n3())))


def stable(graph: Graph) -> Graph:
    """Return a copy with deterministic blank-node labels and triples inserted in sorted order."""
    canonical = to_canonical_graph(graph) if any(True for _ in _bnodes(graph)) else graph
    result = _SortedGraph()
    for prefix, ns in PREFIXES.items():
        result.bind(prefix, ns, override=True, replace=True)
    for triple in sorted(canonical, key=lambda t: tuple(term.n3() for term in t)):
        result.add(triple)
    return result


def _bnodes(graph: Graph):  # type: ignore[no-untyped-def]
    from rdflib import BNode

    return (t for t in graph if isinstance(t[0], BNode) or isinstance(t[2], BNode))


def nquads(graphs: Mapping[str, Graph]) -> str:
    """Return N-Quads of named graphs, one statement per line, sorted."""
    lines: list[str] = []
    for name, graph in graphs.items():
        text = stable(graph).serialize(format="nt", encoding="utf-8").decode("utf-8")
        for line in text.splitlines():
            if line.strip():
                lines.append(f"{line.rstrip()[:-1].rstrip()} <{name}> .")
    return "\n".join(sorted(lines)) + "\n"


class _SortedDataset(Dataset):
    """A dataset whose named graphs come out in IRI order (the TriG writer walks them)."""

    def contexts(self, triple=None):  # type: ignore[no-untyped-def]
        return iter(sorted(super().contexts(triple), key=lambda g: str(g.identifier)))


def dataset(graphs: Mapping[str, Graph]) -> Dataset:
    """Gather named graphs into one dataset with the project prefixes bound."""
    result = _SortedDataset()
    for prefix, ns in PREFIXES.items():
        result.bind(prefix, ns, override=True, replace=True)
    for name, graph in graphs.items():
        named = result.graph(URIRef(name))
        for triple in stable(graph):
            named.add(triple)
    return result


def text(graph: Graph, fmt: str) -> str:
    """Serialize a graph deterministically in an rdflib format."""
    return stable(graph).serialize(format=fmt, encoding="utf-8").decode("utf-8")
