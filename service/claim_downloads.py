"""The claims browser's selection as a file: CSV (plain, or as Excel opens it) and JSON.

Every linked value is written twice: its code (the id the facets and the API filter by, or
its IRI when it is not one of the graph's), and its label in the reader's language in the
column of the same name ending in _label; the web pages a claim was checked in are
addresses only. A claim with several values of one link lists
them in the same order in both columns.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response

from kg.namespaces import DMO
from service.claim_selection import ClaimFacets
from service.description import ClaimLink, Link
from service.resources import Resources

# The columns of a download, in order; a linked value's code is followed by its label.
COLUMNS = ("id", "iri", "ref", "label", "kind", "kind_label", "quote", "quote_lang",
           "quote_origin", "quote_origin_label", "summary", "note",
           "confidence", "confidence_label", "trend", "trend_label", "trend_of", "trend_of_label",
           "period_start", "period_end", "source", "source_label", "source_date",
           "corroborated_by", "corroborated_by_label", "checked_in",
           "attributed_to", "attributed_to_label", "about", "about_label",
           "substance", "substance_label", "channel", "channel_label", "place", "place_label")
# Links a claim may hold several of: a list in JSON, values joined by this in CSV.
MANY = ("trend", "trend_of", "corroborated_by", "checked_in", "about", "substance", "channel",
        "place")
# The links read from the claim's own statements, beside those its description has.
MORE_LINKS = {"quote_origin": str(DMO.quoteOrigin), "trend_of": str(DMO.trendOf),
              "corroborated_by": str(DMO.corroboratedBy), "checked_in": str(DMO.checkedIn)}
JOINED = "; "
# The facets a claim's subjects are read from (their ids, labelled by the catalogue).
SUBJECTS = ("substance", "channel", "place")
# Excel reads a cell starting with one of these as a formula: a text from the graph (which
# contributed graphs may hold) must never run as one in a researcher's spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The separator Excel expects in a CSV it opens: its locale's list separator, a semicolon
# where the decimal mark is a comma (French), a comma elsewhere.
EXCEL_SEPARATOR = {"en": ",", "fr": ";"}
FOR_VALUES = ("excel",)


def _code(link: Link) -> str:
    return link.id or link.iri


def _linked(name: str, links: Iterable[Link]) -> dict[str, list[str]]:
    kept = list(links)
    return {name: [_code(x) for x in kept], f"{name}_label": [x.label for x in kept]}


def _one(name: str, link: Link | None) -> dict[str, str]:
    return {name: _code(link) if link else "", f"{name}_label": link.label if link else ""}


def more_links(resources: Resources, iri: str, lang: str) -> dict[str, list[Link]]:
    """The claim's links that its description leaves out, by column name."""
    out = resources.outgoing(iri)
    return {name: sorted(resources.links(out.get(link, []), lang), key=_code)
            for name, link in MORE_LINKS.items()}


def record(claim: ClaimLink, facets: ClaimFacets, more: dict[str, list[Link]],
           label: Callable[[str, str], str]) -> dict[str, Any]:
    """One claim as a row of a download; more holds its links by more_links, and
    label(facet, id) names a facet value."""
    source, quote = claim.source, claim.quote
    origin = more["quote_origin"]
    row: dict[str, Any] = {
        "id": facets.id, "iri": claim.iri, "ref": claim.ref or "", "label": claim.label,
        "kind": claim.kind, "kind_label": claim.kind_label or claim.kind,
        "quote": quote.value if quote else "", "quote_lang": quote.lang if quote else "",
        **_one("quote_origin", origin[0] if origin else None),
        "summary": claim.summary or "", "note": claim.note or "",
        **_one("confidence", claim.confidence), **_linked("trend", claim.trend),
        **_linked("trend_of", more["trend_of"]),
        "period_start": claim.period_start or "", "period_end": claim.period_end or "",
        "source": (source.id or source.iri) if source else "",
        "source_label": source.title if source else "",
        "source_date": (source.date or "") if source else "",
        **_linked("corroborated_by", more["corroborated_by"]),
        # Web pages outside the graph, named by nothing but their addresses.
        "checked_in": [x.iri for x in more["checked_in"]],
        **_one("attributed_to", claim.attributed_to), **_linked("about", claim.about),
    }
    for name in SUBJECTS:
        ids = sorted(facets.values.get(name, ()))
        row[name], row[f"{name}_label"] = ids, [label(name, i) for i in ids]
    return row


def _cell(value: Any, excel: bool) -> str:
    text = JOINED.join(value) if isinstance(value, list) else str(value)
    if excel and text.startswith(FORMULA_STARTS):
        return "'" + text  # shown as written, never evaluated
    return text


def csv_file(rows: list[dict[str, Any]], lang: str, excel: bool) -> Response:
    """The rows as CSV: RFC 4180 (commas, CRLF, UTF-8 without a byte-order mark), or for
    Excel with a byte-order mark (so that it reads UTF-8) and its locale's separator."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=EXCEL_SEPARATOR[lang] if excel else ",",
                        lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c], excel) for c in COLUMNS])
    body = ("\ufeff" if excel else "") + out.getvalue()
    name = f"dmkg-claims-excel-{lang}.csv" if excel else "dmkg-claims.csv"
    return _attachment(Response(body, content_type="text/csv; charset=utf-8"), name, lang)


def json_file(rows: list[dict[str, Any]], chosen: dict[str, list[str]], lang: str) -> Response:
    """The rows as a JSON object: their count, the filters that chose them, the rows."""
    body = json.dumps({"total": len(rows), "filters": chosen, "lang": lang, "results": rows},
                      ensure_ascii=False, indent=1)
    return _attachment(Response(body, content_type="application/json"), "dmkg-claims.json",
                       lang)


def _attachment(response: Response, name: str, lang: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Language"] = lang
    return response
