"""The dataset as published: its IRI, its named graphs' IRIs, and its downloads.

https://w3id.org/dmkg/dataset and https://w3id.org/dmkg/graph/{name} map onto /dataset and
/graph/{name}: an HTML page for people, RDF by content negotiation (the VoID description, the
graph's triples). /dumps/ serves the built dataset files as they are and gzip-compressed,
with their length and a strong ETag (304 on If-None-Match).
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import threading
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, send_file
from rdflib import URIRef

from kg.formats import GRAPH_FORMATS
from kg.namespaces import GRAPH
from kg.store import DatasetSpec
from kg.void import DATASET
from service.answers import answer_query
from service.dataset_info import COMPRESSED, DUMPS
from service.errors import ServiceError
from service.i18n import WORDS, page_language
from service.media import content_type, link_header, negotiate, write_graph
from service.protocol import Operation
from service.services import query_limits, services
from service.sparql import backend
from service.void_route import void_graph

blueprint = Blueprint("publishing", __name__)


@lru_cache(maxsize=16)
def _digest(path: Path, mtime: float, size: int) -> str:
    """The SHA-256 of a file, read in pieces (a dump may be larger than memory allows)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while piece := stream.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def _compressed(path: Path, digest: str) -> Path:
    """A gzip copy of a dump, made once (deterministically) beside the store's folder."""
    folder = services().settings.store_dir.parent / "dumps"
    target = folder / f"{path.name}.{digest[:16]}.gz"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{threading.get_ident()}.partial")
        with path.open("rb") as source, partial.open("wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
            shutil.copyfileobj(source, packed, 1 << 20)
        partial.replace(target)  # whole or absent, whoever else made it meanwhile
        for stale in folder.glob(f"{path.name}.*.gz"):
            if stale != target:
                stale.unlink(missing_ok=True)
    return target


@blueprint.route("/dumps/<string:name>", methods=["GET", "HEAD"])
def dump(name: str) -> Response:
    """Serve a dump of the whole dataset, as built or gzip-compressed."""
    compressed = name.endswith(COMPRESSED)
    path = services().dataset_info.dump(name.removesuffix(COMPRESSED))
    if path is None:
        names = services().dataset_info.dump_names()
        raise ServiceError(404, f"no dump {name}; this service has: "
                   + (", ".join(names) or "none (it serves other data)"))
    stat = path.stat()
    digest = _digest(path, stat.st_mtime, stat.st_size)
    served = _compressed(path, digest) if compressed else path
    # Streamed from disk, with Content-Length, ETag, 304 and ranges done by werkzeug.
    response = send_file(served, mimetype="application/gzip" if compressed
                         else DUMPS[path.name], as_attachment=True, download_name=name,
                         conditional=True, etag=f"{digest[:32]}{'-gz' if compressed else ''}",
                         max_age=None)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _page(template: str, alternates: str, **context: object) -> Response:
    lang = page_language()
    html = render_template(template, lang=lang, words=WORDS[lang], info=services().dataset_info,
                           switch=f"{request.path}?lang={'fr' if lang == 'en' else 'en'}",
                           **context)
    # Its Vary (Accept and the language's headers) comes from its route family.
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Link"] = alternates
    return response


@blueprint.get("/dataset")
@blueprint.get("/dataset/<path:part>")
def dataset(part: str | None = None) -> Response:
    """The dataset's IRI (and its VoID subsets' and partitions'): a page or its VoID."""
    if part is not None and (URIRef(f"{DATASET}/{part}"), None, None) not in void_graph():
        raise ServiceError(404, f"no resource <{DATASET}/{part}> in this dataset's description")
    fmt = negotiate(GRAPH_FORMATS, html=True)
    alternates = link_header("/dataset")
    if fmt is not None:
        response = Response(write_graph(void_graph(), fmt), content_type=content_type(fmt))
        response.headers["Link"] = alternates
        return response
    graphs = [(name, name.removeprefix(str(GRAPH)), size)
              for name, size in backend().graph_sizes().items() if name.startswith(str(GRAPH))]
    forms = [{"label": f.label, "href": f"/dataset?format={f.keyword}", "type": f.media_type}
             for f in GRAPH_FORMATS]
    return _page("dataset.html", alternates, graphs=graphs, forms=forms,
                 total=sum(backend().graph_sizes().values()),
                 dumps=services().dataset_info.dump_names())


@blueprint.get("/graph/<path:name>")
def graph(name: str) -> Response:
    """A named graph's IRI: a page, or the graph's triples by negotiation."""
    iri = f"{GRAPH}{name}"
    sizes = backend().graph_sizes()
    if iri not in sizes:
        raise ServiceError(404, f"no graph <{iri}> in this dataset")
    path = f"/graph/{name}"
    alternates = link_header(path)
    fmt = negotiate(GRAPH_FORMATS, html=True)
    if fmt is None:
        forms = [{"label": f.label, "href": f"{path}?format={f.keyword}",
                  "type": f.media_type} for f in GRAPH_FORMATS]
        return _page("graph.html", alternates, iri=iri, size=sizes[iri], forms=forms)
    # The same path as a query's answer: capped, under the time limit, in the format chosen.
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
    # A dataset format carries the graph's name: its triples are read, then put in it.
    keyword = "ntriples" if fmt.dataset else fmt.keyword
    response = answer_query(backend(), query_limits(), services().runner,
                            Operation("query", query, DatasetSpec(), keyword), None,
                            request.environ)
    if fmt.dataset and response.status_code == 200:
        assert isinstance(fmt.oxigraph, ox.RdfFormat)
        named = ox.NamedNode(iri)
        quads = (ox.Quad(t.subject, t.predicate, t.object, named)
                 for t in ox.parse(response.get_data(), format=ox.RdfFormat.N_TRIPLES))
        response.set_data(ox.serialize(quads, format=fmt.oxigraph) or b"")
        response.headers["Content-Type"] = content_type(fmt)
    response.headers["Link"] = alternates
    return response
