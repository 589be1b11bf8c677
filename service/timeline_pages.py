"""Time lines of control measures for the whole graph and per jurisdiction, drawn by
service.timeline (the one an entity page shows)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from kg.catalogue import Catalogue
from service.description import Measure
from service.errors import ServiceError
from service.i18n import WORDS, page_language
from service.paging import with_args
from service.resources import Resources
from service.services import services
from service.timeline import bars, svg

blueprint = Blueprint("timeline_pages", __name__)


def _measures(lang: str) -> list[Measure]:
    catalogue: Catalogue = services().catalogue
    resources = Resources(services().backend, catalogue)
    return [resources.measure(e.iri, lang) for e in catalogue.of_type("ControlMeasure")]


@blueprint.get("/timeline")
def timeline() -> Response:
    """Every control measure as a bar in time, or those of one jurisdiction (?jurisdiction=)."""
    lang = page_language()
    catalogue: Catalogue = services().catalogue
    measures = _measures(lang)
    where = request.args.get("jurisdiction", "").strip()
    place = None
    if where:
        place = catalogue.by_id(where)
        if place is None or place.kind != "place":
            raise ServiceError(400, f"parameter 'jurisdiction': {where!r} is not a place of "
                                    "this graph")
    places = Counter((m.jurisdiction.id, m.jurisdiction.label)
                     for m in measures if m.jurisdiction and m.jurisdiction.id)
    if place is not None:
        measures = [m for m in measures if m.jurisdiction and m.jurisdiction.id == where]
    title = WORDS[lang]["timeline"] + (f" · {place.label(lang)}" if place else "")
    other = "fr" if lang == "en" else "en"
    html = render_template(
        "timeline.html", lang=lang, words=WORDS[lang], title=title, chosen=where,
        places=sorted(places.items(), key=lambda x: (-x[1], x[0][1])),
        timeline=Markup(svg(measures, title, dt.date.today(), lang=lang)),  # escaped parts
        timeline_rows=bars(measures), switch=with_args(lang=other))
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = lang
    return response
