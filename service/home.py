"""The home page: what the graph is, how big, and where to go from here."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from kg.catalogue import Catalogue
from service.browse import kind_counts
from service.claims_browser import all_facets, charts
from service.i18n import WORDS, page_language
from service.sparql import backend

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def home() -> Response:
    """Explain the graph, give its size with links to the lists, and chart its claims."""
    catalogue: Catalogue = current_app.extensions["dmkg.catalogue"]
    lang = page_language()
    html = render_template("home.html", lang=lang, words=WORDS[lang],
                           kinds=kind_counts(catalogue),
                           total=sum(backend().graph_sizes().values()),
                           charts=charts(all_facets(), lang),
                           switch=f"/?lang={'fr' if lang == 'en' else 'en'}")
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Content-Language"] = lang
    response.headers["Link"] = '</.well-known/void>; rel="describedby"; type="text/turtle"'
    return response
