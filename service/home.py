"""The home page: what the graph is, how big, and where to go from here."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from kg.catalogue import Catalogue
from service.i18n import WORDS, page_language
from service.sparql import backend

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def home() -> Response:
    """Explain the graph, give its size and link to its parts."""
    catalogue: Catalogue = current_app.extensions["dmkg.catalogue"]
    kinds = sorted(catalogue.kind_counts().items())
    lang = page_language()
    html = render_template("home.html", lang=lang, words=WORDS[lang], kinds=kinds,
                           total=sum(backend().graph_sizes().values()),
                           switch=f"/?lang={'fr' if lang == 'en' else 'en'}")
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept-Language"
    response.headers["Link"] = '</.well-known/void>; rel="describedby"; type="text/turtle"'
    return response
