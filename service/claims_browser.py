"""The claims browser: claims narrowed by facets, each with its quote and source; the
selection as CSV, JSON or the equivalent SPARQL query; charts of claims per facet."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from kg.catalogue import Catalogue
from kg.namespaces import DMO, DMR
from service.charts import Bar, bar_chart
from service.claim_downloads import FOR_VALUES, csv_file, json_file, more_links, record
from service.claim_selection import (
    CLAIM_KINDS,
    FACETS,
    Chosen,
    ClaimFacets,
    counts,
    read_facets,
    select,
    sparql,
)
from service.errors import ServiceError
from service.i18n import WORDS, date_text, page_language
from service.paging import Paging, choice, with_args
from service.resources import Resources
from service.services import services

blueprint = Blueprint("claims_browser", __name__)

CHARTED = ("source", "kind", "trend", "confidence")


def _catalogue() -> Catalogue:
    found: Catalogue = services().catalogue
    return found


def all_facets() -> list[ClaimFacets]:
    """Every claim's facet values, read once per version of the data."""
    kept = services().derived.claim_facets
    if kept is None:
        kept = services().derived.claim_facets = read_facets(services().backend)
    return kept


def value_label(facet: str, value: str, lang: str) -> str:
    """What a reader calls a facet value."""
    catalogue = _catalogue()
    if facet == "kind":
        return catalogue.label(str(DMO[value]), lang) or value
    if facet == "period":
        return value
    return catalogue.label(f"{DMR}{value}", lang) or value


def for_excel(fmt: str) -> bool:
    """Whether ?for=excel asks for the CSV as Excel opens it: 400 for any other value, or
    for a format other than CSV."""
    wanted = request.args.get("for")
    if wanted is None:
        return False
    if wanted not in FOR_VALUES:
        raise ServiceError(400, f"parameter 'for': expected {', '.join(FOR_VALUES)}")
    if fmt != "csv":
        raise ServiceError(400, "parameter 'for': applies to format=csv only")
    return True


def chosen_facets() -> Chosen:
    """The facet values asked for, each checked: 400 naming the parameter otherwise. A facet
    given several times keeps every value (claims having any of them)."""
    chosen: Chosen = {}
    for name in FACETS:
        for value in (v.strip() for v in request.args.getlist(name)):
            if not value or value in chosen.get(name, ()):
                continue
            if name == "kind":
                ok = value in CLAIM_KINDS
            elif name == "period":
                ok = re.fullmatch(r"\d{4}", value) is not None
            else:
                ok = _catalogue().by_id(value) is not None
            if not ok:
                raise ServiceError(400, f"parameter '{name}': {value!r} is not a {name} "
                                        "of this graph")
            chosen.setdefault(name, []).append(value)
    return chosen


def _toggled(chosen: Chosen, name: str, value: str) -> str:
    """This page with value added to its facet, or taken out of it when chosen."""
    values = chosen.get(name, [])
    kept = [v for v in values if v != value] if value in values else [*values, value]
    return with_args(**{name: kept or None})


def charts(found: dict[str, Counter[str]], lang: str, facets: tuple[str, ...] = CHARTED,
           base: Chosen | None = None) -> list[dict[str, Any]]:
    """A bar chart per facet, with the rows it draws (its text equivalent)."""
    words = WORDS[lang]
    drawn = []
    for name in facets:
        rows = []
        for value, count in sorted(found[name].items(), key=lambda x: (-x[1], x[0]))[:15]:
            href = "/claims?" + urlencode({**(base or {}), name: [value], "lang": lang},
                                          doseq=True)
            rows.append(Bar(value_label(name, value, lang), count, href))
        if not rows:
            continue
        title = f"{words['claims_per']} {words['claim_facet_' + name]}"
        chart = bar_chart(title, rows, words["colon"])
        drawn.append({"name": name, "title": title, "rows": rows,
                      "svg": Markup(chart)})  # built from escaped parts
    return drawn


@blueprint.get("/claims")
def claims_page() -> Response:
    """Claims narrowed by facets, paged; ?format=csv or json downloads the whole selection
    (?for=excel: the CSV as Excel opens it)."""
    lang = page_language()
    chosen = chosen_facets()
    everything = all_facets()
    selected = select(everything, chosen)
    fmt = choice("format", ("html", "csv", "json"))
    resources = Resources(services().backend, _catalogue())
    if fmt in ("csv", "json"):
        excel = for_excel(fmt)
        records = [record(resources.claim(c.iri, lang), c, more_links(resources, c.iri, lang),
                          lambda f, v: value_label(f, v, lang)) for c in selected]
        if fmt == "json":
            return json_file(records, chosen, lang)
        return csv_file(records, lang, excel)
    for_excel(fmt)
    paging = Paging.from_request(per_page=25)
    rows = [resources.claim(c.iri, lang) for c in paging.cut(selected)]
    found = counts(selected)
    facets = []
    for name in FACETS:
        values = sorted(found[name].items(), key=lambda x: (-x[1], x[0]))
        if name == "period":
            values = sorted(found[name].items())
        facets.append({"name": name, "label": WORDS[lang]["claim_facet_" + name],
                       "chosen": chosen.get(name, []),
                       "values": [{"value": v, "count": n, "label": value_label(name, v, lang),
                                   "href": _toggled(chosen, name, v)} for v, n in values]})
    query = sparql(chosen)
    other = "fr" if lang == "en" else "en"
    html = render_template(
        "claims.html", lang=lang, words=WORDS[lang], rows=rows, facets=facets, chosen=chosen,
        pills=[{"facet": name, "label": value_label(name, value, lang),
                "href": _toggled(chosen, name, value)}
               for name, values in chosen.items() for value in values],
        paging=paging.links(len(selected)), with_args=with_args,
        downloads={"csv": with_args(format="csv"), "json": with_args(format="json"),
                   "excel": with_args(format="csv", **{"for": "excel"})},
        # In the address, not the fragment: the editor's plain form shows it without JavaScript.
        editor="/sparql?" + urlencode({"query": query, "lang": lang}),
        query=query, charts=charts(found, lang, base=chosen), date_text=date_text,
        switch=with_args(lang=other))
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = lang
    response.headers["Link"] = (f'<{with_args(format="json")}>; rel="alternate"; '
                                'type="application/json", '
                                f'<{with_args(format="csv")}>; rel="alternate"; type="text/csv"')
    return response


