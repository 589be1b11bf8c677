"""The ontology document: HTML documentation for people, RDF for machines."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app
from rdflib import Graph

from kg.docs import render_html
from kg.formats import GRAPH_FORMATS
from service.media import content_type, link_header, negotiate

blueprint = Blueprint("ontology", __name__)


@lru_cache(maxsize=4)
def _ontology(path: Path, mtime: float) -> Graph:
    return Graph().parse(path, format="turtle")


def ontology_graph() -> Graph:
    """Return the ontology graph, re-read when the file changes."""
    path: Path = current_app.extensions["dmkg.layout"].ontology_ttl
    return _ontology(path, path.stat().st_mtime)


@blueprint.get("/ontology")
def ontology() -> Response:
    """Serve the ontology as HTML documentation or RDF, by Accept or ?format=."""
    fmt = negotiate(GRAPH_FORMATS, html=True)
    graph = ontology_graph()
    links = {f.media_type: f"/ontology?format={f.keyword}" for f in GRAPH_FORMATS}
    if fmt is None:
        response = Response(render_html(graph, links=links),
                            content_type="text/html; charset=utf-8")
    else:
        response = Response(graph.serialize(format=fmt.rdflib_name, encoding="utf-8"),
                            content_type=content_type(fmt))
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = link_header("/ontology")
    return response
