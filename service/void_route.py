"""The VoID description at /.well-known/void."""

from __future__ import annotations

from flask import Blueprint, Response, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.formats import GRAPH_FORMATS
from kg.namespaces import BASE
from kg.void import DATASET, VOID
from service.media import content_type, link_header, negotiate, write_graph
from service.services import services
from service.sparql import backend

blueprint = Blueprint("void", __name__)


def void_graph() -> Graph:
    """The VoID description of the dataset served (kept until the data changes)."""
    cached = services().derived.void
    if cached is not None:
        return cached
    built = services().settings.home / "dist" / "void.ttl"
    graph = Graph()
    if not services().settings.data and built.is_file():
        graph.parse(built, format="turtle")
    else:
        sizes = backend().graph_sizes()
        graph.add((DATASET, RDF.type, VOID.Dataset))
        graph.add((DATASET, VOID.triples, Literal(sum(sizes.values()), datatype=XSD.integer)))
        for name, size in sizes.items():
            if name:
                subset = URIRef(name)
                graph.add((DATASET, VOID.subset, subset))
                graph.add((subset, VOID.triples, Literal(size, datatype=XSD.integer)))
    graph.add((DATASET, VOID.sparqlEndpoint, URIRef(request.host_url.rstrip("/") + "/sparql")))
    services().dataset_info.describe(graph, DATASET, BASE.rstrip("/"))
    services().derived.void = graph
    return graph


@blueprint.get("/.well-known/void")
def void() -> Response:
    """Serve the dataset's VoID description in the RDF format asked for (Turtle by default)."""
    fmt = negotiate(GRAPH_FORMATS)
    assert fmt is not None
    body = write_graph(void_graph(), fmt)
    response = Response(body, content_type=content_type(fmt))
    response.headers["Link"] = link_header("/.well-known/void")
    return response
