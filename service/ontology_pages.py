"""The ontology document: HTML documentation for people, RDF for machines."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request
from rdflib import Graph

from kg.docs import render_html
from service.media import GRAPH_FORMATS, HTML, by_keyword, negotiate

blueprint = Blueprint("ontology", __name__)


@lru_cache(maxsize=4)
def _ontology(path: Path, mtime: float) -> Graph:
    return Graph().parse(path, format="turtle")


def ontology_graph() -> Graph:
    """Return the ontology graph, re-read when the file changes."""
    path: Path = current_app.extensions["dmkg.layout"].ontology_ttl
    return _ontology(path, path.stat().st_mtime)


def _alternates() -> dict[str, str]:
    return {fmt.media_type: f"/ontology?format={fmt.keyword}" for fmt in GRAPH_FORMATS}


@blueprint.get("/ontology")
def ontology() -> Response:
    """Serve the ontology as HTML documentation or RDF, by Accept or ?format=."""
    keyword = request.args.get("format")
    if keyword:
        chosen = HTML if keyword == "html" else getattr(by_keyword(keyword), "media_type", None)
        if chosen is None:
            abort(400, f"unknown format {keyword!r}")
    else:
        chosen = negotiate(request.accept_mimetypes, [HTML, *(f.media_type for f in GRAPH_FORMATS)])
        if chosen is None:
            abort(406)
    graph = ontology_graph()
    if chosen == HTML:
        body = render_html(graph, links=_alternates())
    else:
        fmt = next(f for f in GRAPH_FORMATS if f.media_type == chosen)
        body = graph.serialize(format=fmt.rdflib_name)
    response = Response(body, mimetype=chosen)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = ", ".join(
        f'<{href}>; rel="alternate"; type="{media}"' for media, href in _alternates().items()
    )
    return response
