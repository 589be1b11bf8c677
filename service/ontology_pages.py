"""The ontology document: HTML documentation for people, RDF for machines."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, request
from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from kg.docs import render_html
from kg.formats import GRAPH_FORMATS
from kg.namespaces import ONTOLOGY_IRI
from service.errors import ServiceError
from service.i18n import page_language
from service.media import content_type, link_header, negotiate, write_graph
from service.services import services

blueprint = Blueprint("ontology", __name__)


@lru_cache(maxsize=4)
def _ontology(path: Path, mtime: float) -> Graph:
    return Graph().parse(path, format="turtle")


def ontology_graph() -> Graph:
    """Return the ontology graph, re-read when the file changes."""
    path: Path = services().layout.ontology_ttl
    return _ontology(path, path.stat().st_mtime)


@blueprint.get("/ontology")
@blueprint.get("/ontology/<string:version>")
def ontology(version: str | None = None) -> Response:
    """Serve the ontology (also at its version IRI) as HTML documentation or RDF."""
    graph = ontology_graph()
    if version is not None:
        declared = str(graph.value(URIRef(ONTOLOGY_IRI), OWL.versionInfo))
        if version != declared:
            raise ServiceError(404, f"this service has version {declared} of the ontology, "
                                    f"not {version}")
    fmt = negotiate(GRAPH_FORMATS, html=True)
    links = {f.media_type: f"/ontology?format={f.keyword}" for f in GRAPH_FORMATS}
    if fmt is None:
        lang = page_language()
        other = "fr" if lang == "en" else "en"
        response = Response(render_html(graph, links=links, lang=lang,
                                        switch=f"{request.path}?lang={other}"),
                            content_type="text/html; charset=utf-8")
        response.headers["Content-Language"] = lang
    else:
        response = Response(write_graph(graph, fmt), content_type=content_type(fmt))
    response.headers["Link"] = link_header("/ontology")
    return response
