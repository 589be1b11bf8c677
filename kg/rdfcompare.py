"""Compare RDF graphs as OWL tools see them: OWL set-valued lists compare regardless of order."""

from __future__ import annotations

from rdflib import BNode, Graph, Node
from rdflib.collection import Collection
from rdflib.compare import graph_diff, to_isomorphic
from rdflib.namespace import OWL, RDF

# OWL reads these lists as sets; the OWL API and Protégé write their members in their own order.
SET_LISTS = (
    OWL.members,
    OWL.unionOf,
    OWL.intersectionOf,
    OWL.oneOf,
    OWL.disjointUnionOf,
    OWL.distinctMembers,
)
# Symmetric axioms that writers may state either way round.
SYMMETRIC = (
    OWL.disjointWith,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.propertyDisjointWith,
    OWL.sameAs,
    OWL.differentFrom,
)


def _sort_key(graph: Graph, node: Node) -> str:
    if isinstance(node, BNode):
        # Blank members are compared by their own content, which is stable across writers.
        return "~" + " ".join(sorted(f"{p.n3()} {o.n3()}" for p, o in graph.predicate_objects(node)
                                     if not isinstance(o, BNode)))
    return node.n3()


def canonical_lists(graph: Graph) -> Graph:
    """Return a copy of graph with OWL set-valued lists and symmetric axioms in sorted order."""
    result = Graph()
    for prefix, ns in graph.namespaces():
        result.bind(prefix, ns)
    list_nodes: set[Node] = set()
    rewrites: list[tuple[Node, Node, list[Node]]] = []
    for list_property in SET_LISTS:
        for owner, head in graph.subject_objects(list_property):
            items = list(Collection(graph, head))
            node: Node | None = head
            while isinstance(node, BNode):
                list_nodes.add(node)
                node = graph.value(node, RDF.rest)
            rewrites.append((owner, list_property,
                             sorted(items, key=lambda n: _sort_key(graph, n))))
    for s, p, o in graph:
        if s in list_nodes or p in SET_LISTS:
            continue
        if p in SYMMETRIC and not isinstance(s, BNode) and not isinstance(o, BNode):
            first, second = sorted((s, o), key=lambda n: n.n3())
            result.add((first, p, second))
        else:
            result.add((s, p, o))
    for owner, kind, members in rewrites:
        head = BNode()
        Collection(result, head, members)
        result.add((owner, kind, head))
    return result


def same_graph(left: Graph, right: Graph) -> bool:
    """Tell whether two graphs are isomorphic once OWL set-valued lists are put in order."""
    return bool(to_isomorphic(canonical_lists(left)) == to_isomorphic(canonical_lists(right)))


def describe_difference(left: Graph, right: Graph, limit: int = 10) -> list[str]:
    """List up to limit triples found in only one of the two graphs."""
    _, only_left, only_right = graph_diff(
        to_isomorphic(canonical_lists(left)), to_isomorphic(canonical_lists(right))
    )
    lines = [f"- {' '.join(t.n3() for t in triple)}" for triple in sorted(only_left)[:limit]]
    lines += [f"+ {' '.join(t.n3() for t in triple)}" for triple in sorted(only_right)[:limit]]
    return lines
