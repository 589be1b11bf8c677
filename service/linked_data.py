"""Dereferenceable IRIs: /id/{kind}/{slug} as an HTML page or RDF, and the HTML search page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup
from rdflib import Dataset, Graph, URIRef

from kg.catalogue import Catalogue
from kg.docs import anchor
from kg.formats import GRAPH_FORMATS
from kg.namespaces import DMO, ENTITY_KINDS, PREFIXES
from kg.search.fields import FACETS, fold
from kg.search.query import control_character
from kg.store import Backend
from kg.store.base import iri_text
from kg.store.rdflib_terms import term_of_value
from service.claim_selection import aggregate_counts
from service.claims_browser import charts as claim_charts
from service.description import Label
from service.errors import ServiceError
from service.i18n import KIND_NAMES, WORDS, facet_label, page_language
from service.media import content_type, link_header, negotiate, write_graph
from service.neighbourhood import Group, svg
from service.paging import Paging
from service.resources import NotFound, Resources
from service.services import services
from service.timeline import bars as timeline_bars
from service.timeline import svg as timeline_svg

blueprint = Blueprint("linked_data", __name__)

# The JSON-LD context of every JSON-LD answer, also published at /context.jsonld.
CONTEXT: dict[str, Any] = {name: str(ns) for name, ns in PREFIXES.items()}


@blueprint.app_template_filter("term_href")
def term_href(iri: str, lang: str) -> str:
    """Where a page links a term: DMO's to their entry on this service's ontology page (the
    IRI would leave for w3id.org and back), other vocabularies' to themselves."""
    if iri.startswith(str(DMO)):
        return f"/ontology?lang={lang}#{anchor(URIRef(iri))}"
    return iri


@blueprint.app_template_filter("other_names")
def other_names(names: list[Label], lang: str, labels: Iterable[str] = ()) -> list[Label]:
    """An entity's other names as a page shows them: those in the page's language first, each
    name once (a name written alike in two languages is shown in the page's), none repeating
    one of the entity's labels, shown beside its name already."""
    seen = {fold(label) for label in labels}
    shown = []
    for name in sorted(names, key=lambda n: n.lang != lang):
        if fold(name.value) not in seen:
            seen.add(fold(name.value))
            shown.append(name)
    return shown


def _services() -> tuple[Backend, Catalogue]:
    return services().backend, services().catalogue


def _page(template: str, lang: str, alternates: str, **context: Any) -> Response:
    html = render_template(template, lang=lang, words=WORDS[lang], **context)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Link"] = alternates
    response.headers["Content-Language"] = lang
    return response


def entity_graph(iri: str) -> Graph:
    """Every triple of the store with iri as subject or object."""
    backend, _ = _services()
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        # replace: rdflib binds geo to GeoSPARQL of its own accord, ours would become geo1.
        graph.bind(prefix, ns, replace=True)
    graph.parse(data=backend.describe(iri), format="nt")
    return graph


def entity_quads(iri: str) -> Dataset:
    """Every quad of the store with iri as subject or object, in its named graph."""
    backend, _ = _services()
    node = iri_text(iri)
    rows = backend.select("SELECT ?s ?p ?o ?g WHERE { "
                          f"{{ GRAPH ?g {{ {node} ?p ?o }} BIND({node} AS ?s) }} UNION "
                          f"{{ GRAPH ?g {{ ?s ?p {node} }} BIND({node} AS ?o) }} }}")
    dataset = Dataset()
    for prefix, ns in PREFIXES.items():
        dataset.bind(prefix, ns, replace=True)
    for row in rows:
        # rdflib writes these formats: the values become its terms here, at that edge.
        dataset.graph(term_of_value(row["g"])).add(
            (term_of_value(row["s"]), term_of_value(row["p"]), term_of_value(row["o"])))
    return dataset


@blueprint.get("/id/<string:kind>/<string:slug>")
def entity(kind: str, slug: str) -> Response:
    """Serve an individual: an HTML page for people, RDF for machines."""
    backend, catalogue = _services()
    found = catalogue.by_id(f"{kind}/{slug}") if kind in ENTITY_KINDS else None
    if found is None:
        raise ServiceError(404, f"no entity {kind}/{slug} in this graph")
    path = f"/id/{kind}/{slug}"
    fmt = negotiate(GRAPH_FORMATS, html=True)
    alternates = link_header(path)
    if fmt is not None:
        if fmt.dataset:
            body = entity_quads(found.iri).serialize(format=fmt.rdflib_name, encoding="utf-8")
        else:
            body = write_graph(entity_graph(found.iri), fmt, CONTEXT)
        response = Response(body, content_type=content_type(fmt))
        response.headers["Link"] = alternates
        return response
    lang = page_language()
    try:
        described = Resources(backend, catalogue).describe(found.id, lang)
    except NotFound:
        raise ServiceError(404, f"no entity {found.id} in this graph") from None
    forms = [{"label": f.label, "href": f"{path}?format={f.keyword}", "type": f.media_type}
             for f in GRAPH_FORMATS]
    forms.append({"label": "JSON (REST API)", "href": f"/api/entities/{found.id}?lang={lang}",
                  "type": "application/json"})
    other = "fr" if lang == "en" else "en"
    words = {**WORDS[lang], **{f"kind_{k}": v for k, v in KIND_NAMES[lang].items()}}

    def more(group: Group) -> str:
        if described.kind == "source" and group.property_iri == str(DMO.statedIn):
            return f"/claims?{urlencode({'source': found.id, 'lang': lang})}"
        return "#relations" if group.outgoing else "#incoming"

    charts = []
    if described.claims_stated:
        chosen = {"source": [found.id]}
        facets = ("kind", "trend", "confidence")
        charts = claim_charts(aggregate_counts(backend, facets, chosen), lang, facets, chosen)
    return _page("entity.html", lang, alternates, entity=described, forms=forms,
                 picture=Markup(svg(described, more=more, words=words)),  # escaped parts
                 timeline=Markup(timeline_svg(described.measures,
                                              words["timeline_of"].format(name=described.label),
                                              dt.date.today(), lang=lang)),  # escaped parts
                 timeline_rows=timeline_bars(described.measures),
                 charts=charts, switch=f"{path}?lang={other}")


@blueprint.get("/context.jsonld")
def context() -> Response:
    """The JSON-LD context used by every JSON-LD answer."""
    response = Response(json.dumps({"@context": CONTEXT}, indent=2),
                        content_type="application/ld+json")
    return response


@blueprint.get("/search")
def search() -> Response:
    """Search names in English and French, as a page (the REST API has the same as JSON)."""
    _, catalogue = _services()
    lang = page_language()
    text = request.args.get("q", "").strip()[:200]
    if found_control := control_character(text):
        raise ServiceError(400, f"the search text holds a control character ({found_control})")
    chosen = {name: value[:300] for name in FACETS
              if (value := request.args.get(name, "").strip())}
    paging = Paging.from_request()
    found = catalogue.query(text, {k: [v] for k, v in chosen.items()},
                            offset=(paging.page - 1) * paging.per_page, limit=paging.per_page,
                            facets=True, lang=lang) if text else None
    # The API names the class filter "type" and refuses names it does not know.
    api = "/api/search?" + urlencode({"q": text, "lang": lang, **{
        "type" if name == "class" else name: value for name, value in chosen.items()}})
    alternates = f'<{api}>; rel="alternate"; type="application/json"'
    other = "fr" if lang == "en" else "en"
    # Snippets are Tantivy's HTML: the texts escaped, the matched words in <b>; each with the
    # language of its texts, marked where it is not the page's.
    snippets = {h.entity.iri: (Markup(h.snippet), h.snippet_lang)
                for h in found.hits if h.snippet} if found else {}
    facets = [(name, [(facet_label(catalogue, name, value, lang), count,
                       value == chosen.get(name),
                       "/search?" + urlencode({**chosen, "q": text, "lang": lang, name: value}))
                      for value, count in values[:12]],
               "/search?" + urlencode({**{k: v for k, v in chosen.items() if k != name},
                                       "q": text, "lang": lang}) if name in chosen else None)
              for name, values in (found.facets.items() if found else ()) if values]
    # The name a hit matched, when not its label (which the page shows), in lang if it can.
    also = {h.entity.iri: shown for h in (found.hits if found else ())
            if not h.preferred and not h.snippet
            and (shown := h.entity.matched_in(h.name, lang, text))[0] != h.entity.label(lang)}
    suggestion = None
    if found and found.suggested and found.did_you_mean:
        suggestion = found.suggested.written(found.did_you_mean, lang)
    return _page("search.html", lang, alternates, text=text, found=found, facets=facets,
                 suggestion=suggestion, paging=paging.links(found.total) if found else None,
                 hits=found.hits if found else [], snippets=snippets, also=also,
                 switch="/search?" + urlencode({"q": text, "lang": other}))
