"""Describe the dataset with VoID: its graphs, sizes, classes and where to get it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from kg.namespaces import BASE, DMO, DMR, PREFIXES

VOID = Namespace("http://rdfs.org/ns/void#")
DATASET = URIRef(BASE + "dataset")


def _count(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def void_description(graphs: Mapping[str, Graph]) -> Graph:
    """Return a VoID description of the named graphs as one dataset with a subset per graph."""
    void = Graph()
    for prefix, ns in PREFIXES.items():
        void.bind(prefix, ns)
    void.bind("void", VOID)
    union = Graph()
    for graph in graphs.values():
        union += graph
    void.add((DATASET, RDF.type, VOID.Dataset))
    void.add((DATASET, DCTERMS.title, Literal("DMKG, the Drug-Market Knowledge Graph", lang="en")))
    void.add((DATASET, DCTERMS.title,
              Literal("DMKG, le graphe de connaissances des marchés de drogues", lang="fr")))
    void.add((DATASET, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    void.add((DATASET, VOID.sparqlEndpoint, URIRef(BASE + "sparql")))
    void.add((DATASET, VOID.uriSpace, Literal(str(DMR))))
    void.add((DATASET, VOID.vocabulary, URIRef(str(DMO))))
    void.add((DATASET, VOID.dataDump, URIRef(BASE + "dumps/dmkg.nq")))
    void.add((DATASET, VOID.triples, _count(len(union))))
    void.add((DATASET, VOID.distinctSubjects, _count(len(set(union.subjects())))))
    void.add((DATASET, VOID.properties, _count(len(set(union.predicates())))))
    individuals = {s for s in union.subjects() if isinstance(s, URIRef) and s.startswith(str(DMR))}
    void.add((DATASET, VOID.entities, _count(len(individuals))))
    classes: Counter[URIRef] = Counter(
        c for s, c in union.subject_objects(RDF.type) if isinstance(c, URIRef) and s in individuals)
    void.add((DATASET, VOID.classes, _count(len(classes))))
    for name, graph in graphs.items():
        subset = URIRef(f"{DATASET}/graph/{name.rsplit('/', 1)[-1]}")
        void.add((DATASET, VOID.subset, subset))
        void.add((subset, RDF.type, VOID.Dataset))
        void.add((subset, URIRef("http://www.w3.org/ns/sparql-service-description#name"),
                  URIRef(name)))
        void.add((subset, VOID.triples, _count(len(graph))))
    for cls, count in sorted(classes.items()):
        partition = URIRef(f"{DATASET}/class/{cls.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}")
        void.add((DATASET, VOID.classPartition, partition))
        void.add((partition, VOID["class"], cls))
        void.add((partition, VOID.entities, _count(count)))
    return void
