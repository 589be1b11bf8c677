"""The home page: what the graph is, how big, and where to go from here."""

from __future__ import annotations

import json
from collections import Counter

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from kg.catalogue import Catalogue
from kg.void import DATASET
from service.browse import kind_counts
from service.claim_selection import aggregate_counts
from service.claims_browser import CHARTED, charts
from service.dataset_info import DUMPS
from service.i18n import WORDS, page_language
from service.services import services
from service.sparql import backend

blueprint = Blueprint("home", __name__)


def claim_counts() -> dict[str, Counter[str]]:
    """Claims per source, kind, trend and confidence, counted once per version of the data
    (about 2 s at a million triples)."""
    kept = services().derived.claim_counts
    if kept is None:
        kept = services().derived.claim_counts = aggregate_counts(backend(), CHARTED, {})
    return kept


def schema_dataset() -> str:
    """The dataset as a schema.org Dataset in JSON-LD, for search engines' dataset indexes."""
    info = services().dataset_info
    site = request.host_url.rstrip("/")
    described = {
        "@context": {"@vocab": "https://schema.org/"},
        "@type": "Dataset",
        "@id": str(DATASET),
        "name": "DMKG, the Drug-Market Knowledge Graph",
        "description": "How drugs reach people in France: substances, sales channels (SMS "
                       "ordering, home delivery, Drive points, the dark web, dating apps), "
                       "actors, places and regulations, each statement traced to the source "
                       "that made it, with its verbatim quote.",
        "url": f"{site}/dataset",
        "version": info.version,
        "dateModified": info.modified.isoformat(),
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "isAccessibleForFree": True,
        "inLanguage": ["en", "fr"],
        "keywords": ["drug markets", "drug supply", "knowledge graph", "linked data"],
        "distribution": [
            {"@type": "DataDownload", "contentUrl": f"{site}/dumps/{name}",
             "encodingFormat": DUMPS.get(name, "application/gzip")}
            for name in info.dump_names()],
    }
    return json.dumps(described, ensure_ascii=False, indent=1).replace("<", "\\u003c")


@blueprint.get("/")
def home() -> Response:
    """Explain the graph, give its size with links to the lists, and chart its claims."""
    catalogue: Catalogue = services().catalogue
    lang = page_language()
    html = render_template("home.html", lang=lang, words=WORDS[lang],
                           kinds=kind_counts(catalogue, lang),
                           dataset=Markup(schema_dataset()),  # JSON with "<" escaped
                           total=sum(backend().graph_sizes().values()),
                           charts=charts(claim_counts(), lang),
                           switch=f"/?lang={'fr' if lang == 'en' else 'en'}")
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = lang
    response.headers["Link"] = '</.well-known/void>; rel="describedby"; type="text/turtle"'
    return response
