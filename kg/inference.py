"""Materialise what RDFS entails from the class and property hierarchies."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS


def _closure(graph: Graph, relation: URIRef) -> dict[URIRef, set[URIRef]]:
    parents: dict[URIRef, set[URIRef]] = {}
    for child, parent in graph.subject_objects(relation):
        if isinstance(child, URIRef) and isinstance(parent, URIRef):
            parents.setdefault(child, set()).add(parent)
    closure: dict[URIRef, set[URIRef]] = {}
    for start in parents:
        seen: set[URIRef] = set()
        todo = list(parents[start])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(parents.get(current, ()))
        closure[start] = seen
    return closure


def entailed(schema: Graph, data: Graph) -> Graph:
    """Return the types and super-property statements of data that schema entails, not asserted."""
    superclasses = _closure(schema, RDFS.subClassOf)
    superproperties = _closure(schema, RDFS.subPropertyOf)
    result = Graph()
    for subject, cls in data.subject_objects(RDF.type):
        if isinstance(cls, URIRef):
            for parent in superclasses.get(cls, ()):
                if parent != OWL.Thing and (subject, RDF.type, parent) not in data:
                    result.add((subject, RDF.type, parent))
    for prop, parents in superproperties.items():
        for subject, value in data.subject_objects(prop):
            for parent in parents:
                if (subject, parent, value) not in data:
                    result.add((subject, parent, value))
    return result
