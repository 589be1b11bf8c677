"""What the fact loader needs to know of the ontology: its classes, properties and their ranges."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from kg.namespaces import DMO, DMR


@dataclass(frozen=True)
class PropertyInfo:
    """A DMO property with the classes (or datatypes) allowed at each end; empty means any."""

    iri: URIRef
    domain: frozenset[URIRef]
    range: frozenset[URIRef]


@dataclass
class OntologyIndex:
    """Classes and properties of the DMO namespace, by local name."""

    classes: dict[str, URIRef] = field(default_factory=dict)
    parents: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    object_properties: dict[str, PropertyInfo] = field(default_factory=dict)
    datatype_properties: dict[str, PropertyInfo] = field(default_factory=dict)
    # Individuals the ontology itself defines (value sets), by kind/slug id.
    individuals: dict[str, list[URIRef]] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, graph: Graph) -> OntologyIndex:
        """Index the DMO terms declared in graph."""
        index = cls()
        for term in graph.subjects(RDF.type, OWL.Class):
            if isinstance(term, URIRef):
                if term.startswith(str(DMO)):
                    index.classes[term.removeprefix(str(DMO))] = term
                index.parents[term] = {p for p in graph.objects(term, RDFS.subClassOf)
                                       if isinstance(p, URIRef)}
        # Dates are annotation properties (HermiT does not implement xsd:date); facts value
        # them like datatype properties.
        for kind, target in ((OWL.ObjectProperty, index.object_properties),
                             (OWL.DatatypeProperty, index.datatype_properties),
                             (OWL.AnnotationProperty, index.datatype_properties)):
            for prop in graph.subjects(RDF.type, kind):
                if isinstance(prop, URIRef) and prop.startswith(str(DMO)):
                    target[prop.removeprefix(str(DMO))] = PropertyInfo(
                        prop,
                        _members(graph, graph.value(prop, RDFS.domain)),
                        _members(graph, graph.value(prop, RDFS.range)),
                    )
        for individual in graph.subjects(RDF.type, OWL.NamedIndividual):
            if isinstance(individual, URIRef) and individual.startswith(str(DMR)):
                index.individuals[individual.removeprefix(str(DMR))] = [
                    t for t in graph.objects(individual, RDF.type)
                    if isinstance(t, URIRef) and t != OWL.NamedIndividual]
        return index

    def ancestors(self, cls: URIRef) -> set[URIRef]:
        """Return cls and every class above it."""
        seen: set[URIRef] = set()
        todo = [cls]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.parents.get(current, ()))
        return seen

    def type_closure(self, types: list[URIRef]) -> set[URIRef]:
        """Return every class an individual with these asserted types belongs to."""
        closure: set[URIRef] = set()
        for cls in types:
            closure |= self.ancestors(cls)
        return closure


def _members(graph: Graph, node: Node | None) -> frozenset[URIRef]:
    """Return the named classes of a domain or range: one class, or the members of a union."""
    if node is None or node == OWL.Thing:
        return frozenset()
    if isinstance(node, BNode):
        union = graph.value(node, OWL.unionOf)
        if union is None:
            return frozenset()
        return frozenset(m for m in Collection(graph, union) if isinstance(m, URIRef))
    return frozenset({node}) if isinstance(node, URIRef) else frozenset()
