"""The dataset as published: its IRI, its named graphs' IRIs, and its downloads.

https://w3id.org/dmkg/dataset and https://w3id.org/dmkg/graph/{name} map onto /dataset and
/graph/{name}: an HTML page for people, RDF by content negotiation (the VoID description, the
graph's triples). /dumps/ serves the built dataset files as they are and gzip-compressed,
with their length and a strong ETag (304 on If-None-Match).
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request
from werkzeug.http import parse_etags, quote_etag

from kg.formats import GRAPH_FORMATS
from kg.namespaces import GRAPH
from kg.store import DatasetSpec
from service.answers import answer_query
from service.dataset_info import COMPRESSED, DUMPS, dataset_info
from service.i18n import WORDS, page_language
from service.limits import query_limits
from service.media import content_type, link_header, negotiate, write_graph
from service.protocol import Operation
from service.sparql import backend
from service.void_route import void_graph

blueprint = Blueprint("publishing", __name__)


@lru_cache(maxsize=8)
def _dump_bytes(path: Path, mtime: float, size: int, compressed: bool) -> tuple[bytes, str]:
    """A dump's bytes (gzip-compressed, deterministically, when asked) and their digest."""
    data = path.read_bytes()
    if compressed:
        data = gzip.compress(data, compresslevel=6, mtime=0)
    return data, hashlib.sha256(data).hexdigest()[:32]


@blueprint.route("/dumps/<string:name>", methods=["GET", "HEAD"])
def dump(name: str) -> Response:
    """Serve a dump of the whole dataset, as built or gzip-compressed."""
    compressed = name.endswith(COMPRESSED)
    path = dataset_info().dump(name.removesuffix(COMPRESSED))
    if path is None:
        abort(404, f"no dump {name}; this service has: "
                   + (", ".join(dataset_info().dump_names()) or "none (it serves other data)"))
    stat = path.stat()
    data, digest = _dump_bytes(path, stat.st_mtime, stat.st_size, compressed)
    media_type = "application/gzip" if compressed else DUMPS[path.name]
    if digest in parse_etags(request.headers.get("If-None-Match")):
        response = Response(status=304)
    else:
        response = Response(data, content_type=media_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["ETag"] = quote_etag(digest)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _page(template: str, alternates: str, **context: object) -> Response:
    lang = page_language()
    html = render_template(template, lang=lang, words=WORDS[lang], info=dataset_info(),
                           switch=f"{request.path}?lang={'fr' if lang == 'en' else 'en'}",
                           **context)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Link"] = alternates
    return response


@blueprint.get("/dataset")
@blueprint.get("/dataset/<path:part>")
def dataset(part: str | None = None) -> Response:
    """The dataset's IRI (and its VoID subsets' and partitions'): a page or its VoID."""
    fmt = negotiate(GRAPH_FORMATS, html=True)
    alternates = link_header("/dataset")
    if fmt is not None:
        response = Response(write_graph(void_graph(), fmt), content_type=content_type(fmt))
        response.headers["Vary"] = "Accept"
        response.headers["Link"] = alternates
        return response
    graphs = [(name, name.removeprefix(str(GRAPH)), size)
              for name, size in backend().graph_sizes().items() if name.startswith(str(GRAPH))]
    forms = [{"label": f.label, "href": f"/dataset?format={f.keyword}", "type": f.media_type}
             for f in GRAPH_FORMATS]
    return _page("dataset.html", alternates, graphs=graphs, forms=forms,
                 total=sum(backend().graph_sizes().values()),
                 dumps=dataset_info().dump_names())


@blueprint.get("/graph/<path:name>")
def graph(name: str) -> Response:
    """A named graph's IRI: a page, or the graph's triples by negotiation."""
    iri = f"{GRAPH}{name}"
    sizes = backend().graph_sizes()
    if iri not in sizes:
        abort(404, f"no graph <{iri}> in this dataset")
    path = f"/graph/{name}"
    alternates = link_header(path)
    fmt = negotiate(GRAPH_FORMATS, html=True)
    if fmt is None:
        forms = [{"label": f.label, "href": f"{path}?format={f.keyword}",
                  "type": f.media_type} for f in GRAPH_FORMATS]
        return _page("graph.html", alternates, iri=iri, size=sizes[iri], forms=forms)
    # The same path as a query's answer: capped, under the time limit, in the format chosen.
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
    response = answer_query(backend(), query_limits(),
                            Operation("query", query, DatasetSpec(), fmt.keyword), None,
                            request.environ)
    response.headers["Link"] = alternates
    return response
