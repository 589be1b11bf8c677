"""The claims browser: claims narrowed by facets, each with its quote and source; the
selection as CSV, JSON or the equivalent SPARQL query; charts of claims per facet."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from kg.catalogue import Catalogue
from kg.namespaces import DMO, DMR
from service.charts import Bar, bar_chart
from service.claim_selection import (
    CLAIM_KINDS,
    FACETS,
    ClaimFacets,
    counts,
    read_facets,
    select,
    sparql,
)
from service.description import ClaimLink
from service.errors import ServiceError
from service.i18n import WORDS, date_text, page_language
from service.paging import Paging, with_args
from service.resources import Resources
from service.services import services

blueprint = Blueprint("claims_browser", __name__)

# A coded value is written as its code (what the facets and the API filter by), with its
# label in the reader's language beside it. No byte-order mark: Python's csv module, reading
# the UTF-8 it is given, would take it for part of the first column's name.
CSV_COLUMNS = ("id", "iri", "ref", "kind", "kind_label", "label", "quote", "quote_lang",
               "summary", "confidence", "confidence_label", "trend", "trend_label",
               "period_start", "period_end", "source", "source_title", "source_date",
               "substance", "channel", "place")
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


def chosen_facets() -> dict[str, str]:
    """The facet values asked for, each checked: 400 naming the parameter otherwise."""
    chosen: dict[str, str] = {}
    for name in FACETS:
        value = request.args.get(name, "").strip()
        if not value:
            continue
        if name == "kind":
            ok = value in CLAIM_KINDS
        elif name == "period":
            ok = re.fullmatch(r"\d{4}", value) is not None
        else:
            ok = _catalogue().by_id(value) is not None
        if not ok:
            raise ServiceError(400, f"parameter '{name}': {value!r} is not a {name} of this graph")
        chosen[name] = value
    return chosen


def charts(found: dict[str, Counter[str]], lang: str, facets: tuple[str, ...] = CHARTED,
           base: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """A bar chart per facet, with the rows it draws (its text equivalent)."""
    words = WORDS[lang]
    drawn = []
    for name in facets:
        rows = []
        for value, count in sorted(found[name].items(), key=lambda x: (-x[1], x[0]))[:15]:
            href = "/claims?" + urlencode({**(base or {}), name: value, "lang": lang})
            rows.append(Bar(value_label(name, value, lang), count, href))
        if not rows:
            continue
        title = f"{words['claims_per']} {words['claim_facet_' + name]}"
        chart = bar_chart(title, rows, words["colon"])
        drawn.append({"name": name, "title": title, "rows": rows,
                      "svg": Markup(chart)})  # built from escaped parts
    return drawn


def _record(claim: ClaimLink, facets: ClaimFacets, lang: str) -> dict[str, Any]:
    source, quote = claim.source, claim.quote
    return {
        "id": claim.id, "iri": claim.iri, "ref": claim.ref or "",
        "kind": claim.kind, "kind_label": claim.kind_label or "", "label": claim.label,
        "quote": quote.value if quote else "", "quote_lang": quote.lang if quote else "",
        "summary": claim.summary or "",
        "confidence": (claim.confidence.id or "") if claim.confidence else "",
        "confidence_label": claim.confidence.label if claim.confidence else "",
        "trend": [t.id or "" for t in claim.trend], "trend_label": [t.label for t in claim.trend],
        "period_start": claim.period_start or "", "period_end": claim.period_end or "",
        "source": (source.id or "") if source else "",
        "source_title": source.title if source else "",
        "source_date": (source.date or "") if source else "",
        **{name: sorted(value_label(name, v, lang) for v in facets.values.get(name, ()))
           for name in ("substance", "channel", "place")},
    }


def _csv(records: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow(["; ".join(v) if isinstance(v := record[c], list) else v
                         for c in CSV_COLUMNS])
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="dmkg-claims.csv"'
    return response


@blueprint.get("/claims")
def claims_page() -> Response:
    """Claims narrowed by facets, paged; ?format=csv or json downloads the whole selection."""
    lang = page_language()
    chosen = chosen_facets()
    everything = all_facets()
    selected = select(everything, chosen)
    fmt = request.args.get("format", "html")
    resources = Resources(services().backend, _catalogue())
    if fmt in ("csv", "json"):
        records = [_record(resources.claim(c.iri, lang), c, lang) for c in selected]
        if fmt == "csv":
            return _csv(records)
        response = Response(json.dumps({"total": len(records), "filters": chosen,
                                        "results": records}, ensure_ascii=False, indent=1),
                            content_type="application/json")
        response.headers["Content-Disposition"] = 'attachment; filename="dmkg-claims.json"'
        return response
    if fmt != "html":
        raise ServiceError(400, "parameter 'format': expected html, csv or json")
    paging = Paging.from_request(per_page=25)
    rows = [resources.claim(c.iri, lang) for c in paging.cut(selected)]
    found = counts(selected)
    facets = []
    for name in FACETS:
        values = sorted(found[name].items(), key=lambda x: (-x[1], x[0]))
        if name == "period":
            values = sorted(found[name].items())
        facets.append({"name": name, "label": WORDS[lang]["claim_facet_" + name],
                       "chosen": chosen.get(name),
                       "values": [{"value": v, "count": n, "label": value_label(name, v, lang),
                                   "href": with_args(**{name: None if chosen.get(name) == v
                                                        else v})} for v, n in values]})
    query = sparql(chosen)
    other = "fr" if lang == "en" else "en"
    html = render_template(
        "claims.html", lang=lang, words=WORDS[lang], rows=rows, facets=facets, chosen=chosen,
        chosen_labels={k: value_label(k, v, lang) for k, v in chosen.items()},
        paging=paging.links(len(selected)), with_args=with_args,
        downloads={f: with_args(format=f) for f in ("csv", "json")},
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


