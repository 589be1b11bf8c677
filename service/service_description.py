"""The SPARQL 1.1 Service Description of the endpoint."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS
from kg.store import Backend
from service.dataset_info import DatasetInfo

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")


def service_description(endpoint: str, backend: Backend, updates: bool = False,
                        info: DatasetInfo | None = None) -> Graph:
    """Describe the endpoint at the URL it was reached by, with its dataset's graph sizes."""
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", FORMATS)
    service = BNode("service")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(endpoint)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if updates:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    graph.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        if fmt.w3c_format:
            graph.add((service, SD.resultFormat, FORMATS[fmt.w3c_format]))
    dataset = BNode("dataset")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    if info is not None:
        info.describe(graph, dataset, endpoint.rsplit("/", 1)[0])
    sizes = backend.graph_sizes()
    default = BNode("default-graph")
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, VOID.triples, Literal(sum(sizes.values()), datatype=XSD.integer)))
    for number, (name, size) in enumerate(sorted(sizes.items())):
        if not name:
            continue
        # Blank node labels must be names in RDF/XML (NCName) and N-Triples: numbered.
        named, inner = BNode(f"named{number}"), BNode(f"graph{number}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
        graph.add((named, SD.graph, inner))
        graph.add((inner, RDF.type, SD.Graph))
        graph.add((inner, VOID.triples, Literal(size, datatype=XSD.integer)))
    return graph
