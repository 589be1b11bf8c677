"""The map of the places: cities where Drive points operate, where trafficking murders are
reported, and the places claims report on, drawn as SVG over Natural Earth boundaries."""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

from babel import Locale
from babel.core import get_global
from babel.numbers import format_decimal
from flask import Blueprint, Response, render_template
from markupsafe import Markup

from kg.catalogue import Catalogue
from kg.geo import View, boundary_paths
from kg.namespaces import DMO, DMR, GEO, GEONAMES
from service.i18n import WORDS, minus, page_language
from service.paging import choice, with_args
from service.services import services

blueprint = Blueprint("map_page", __name__)

BOUNDARIES = (Path(__file__).parent / "static" / "vendor" / "world-atlas-2.0.2"
              / "countries-50m.json")
# Metropolitan France and its neighbours' edges.
FRANCE = View(west=-5.6, south=41.2, east=10.0, north=51.4, width=640)
MURDERS = f"{DMR}risk/violence-and-homicide"
ROLES_QUERY = f"""SELECT DISTINCT ?place ?role ?by WHERE {{
  {{ ?by <{DMO.operatesIn}> ?place . ?by a <{DMO.PointOfSale}> . BIND("drive" AS ?role) }}
  UNION {{ ?by <{DMO.aboutPlace}> ?place . ?by <{DMO.aboutRisk}> <{MURDERS}> .
          BIND("murders" AS ?role) }}
  UNION {{ ?by <{DMO.aboutPlace}> ?place . BIND("reported" AS ?role) }}
  UNION {{ ?by <{DMO.operatesIn}> ?place . FILTER(STRSTARTS(STR(?by), "{DMR}actor/"))
          BIND("actor" AS ?role) }}
}}"""
# Coordinates are facts of the graph, each with the data set it was read from.
COORDINATES_QUERY = f"""SELECT ?place ?lat ?long ?source ?confidence ?feature WHERE {{
  ?place <{GEO.lat}> ?lat ; <{GEO.long}> ?long ; <{DMO.coordinatesSource}> ?source ;
         <{DMO.coordinatesConfidence}> ?confidence .
  OPTIONAL {{ ?place <http://www.w3.org/2004/02/skos/core#exactMatch> ?feature .
             FILTER(STRSTARTS(STR(?feature), "{GEONAMES}")) }}
}}"""
# Roles, most telling first: a place is drawn in the colour of its first role.
ROLES = ("drive", "murders", "reported", "actor")
ROLE_COLOURS = {"drive": "#2471a3", "murders": "#c0392b", "reported": "#e08e0b",
                "actor": "#7d3c98", "other": "#9aa3ad"}
LEGEND = (*ROLES, "other")
ROLE_WORDS = {
    "en": {"drive": "Drive points operate here", "murders": "trafficking murders reported",
           "reported": "claims report on this place",
           "actor": "actors of the graph are active here", "other": "a place of the graph"},
    "fr": {"drive": "des «\u00a0Drive\u00a0» y opèrent",
           "murders": "meurtres liés aux trafics signalés",
           "reported": "des affirmations portent sur ce lieu",
           "actor": "des acteurs du graphe y sont actifs",
           "other": "un lieu du graphe"},
}


def place_roles() -> dict[str, dict[str, list[str]]]:
    """Place id → role → ids of the entities or claims giving it that role."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    backend = services().backend
    for place, role, by in backend.select_values(ROLES_QUERY):
        ident = str(place).removeprefix(str(DMR))
        found[ident][str(role)].append(str(by).removeprefix(str(DMR)))
    return found


def _marker(x: float, y: float, label: str, roles: list[str], href: str, words: dict[str, str],
            title: str) -> str:
    colour = ROLE_COLOURS[roles[0]]
    ring = ""
    if "murders" in roles and roles[0] != "murders":  # a red ring: murders reported too
        ring = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="none" '
                f'stroke="{ROLE_COLOURS["murders"]}" stroke-width="2.5"/>')
    return (f'<a href="{escape(href)}" class="place"><title>{escape(title)}</title>{ring}'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6.5" fill="{colour}" stroke="#fff" '
            f'stroke-width="1.5"/><text x="{x + 10:.1f}" y="{y - 8:.1f}" font-size="13" '
            f'font-weight="600" fill="#1d2330" paint-order="stroke" stroke="#fff" '
            f'stroke-width="3">{escape(label)}</text></a>')


def country_name(code: str, english: str, lang: str) -> str:
    """A country's name in lang, from CLDR by its ISO 3166 numeric code (else in English)."""
    if lang == "en":
        return english
    alpha = get_global("territory_aliases").get(code, [])
    return Locale.parse(lang).territories.get(alpha[0], english) if alpha else english


def decimal(value: float, lang: str) -> str:
    """A coordinate as readers of lang write it: 48.8534 or 48,8534."""
    return minus(format_decimal(value, format="0.0000", locale=lang), lang)


def legend(places: list[dict[str, Any]]) -> list[str]:
    """The roles whose colour the map shows: a marker's own, or the ring of murders."""
    drawn = [place["roles"] or ["other"] for place in places if place["drawn"]]
    shown = {roles[0] for roles in drawn} | {"murders" for roles in drawn if "murders" in roles}
    return [role for role in LEGEND if role in shown]


def draw(places: list[dict[str, Any]], lang: str) -> str:
    """The SVG map: boundaries, one marker per place with coordinates, and a legend."""
    view = FRANCE
    words = ROLE_WORDS[lang]
    colon, semicolon = WORDS[lang]["colon"], WORDS[lang]["semicolon"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {view.width} {view.height}" '
             f'width="{view.width}" height="{view.height}" role="img" '
             f'aria-label="{escape(WORDS[lang]["map"])}" font-family="system-ui, sans-serif">',
             f'<rect width="{view.width}" height="{view.height}" fill="#e8f0f8"/>']
    for code, name, path in boundary_paths(BOUNDARIES, view):
        fill = "#fbfaf5" if name == "France" else "#eceae3"
        parts.append(f'<path d="{path}" fill="{fill}" stroke="#9aa3ad" stroke-width="0.7">'
                     f"<title>{escape(country_name(code, name, lang))}</title></path>")
    for place in places:
        if place["drawn"]:
            x, y = view.project(place["longitude"], place["latitude"])
            roles = place["roles"] or ["other"]
            title = f"{place['label']}{colon} " + f"{semicolon} ".join(words[r] for r in roles)
            parts.append(_marker(x, y, place["label"], place["roles"] or ["other"],
                                 place["href"], words, title))
    entries = legend(places)
    legend_y = view.height - 14 - 20 * len(entries)
    parts.append(f'<g class="legend"><rect x="8" y="{legend_y - 6}" width="270" '
                 f'height="{20 * len(entries) + 12}" fill="#fff" fill-opacity="0.9" rx="4"/>')
    for index, role in enumerate(entries):
        y = legend_y + 8 + 20 * index
        parts.append(f'<circle cx="22" cy="{y}" r="6" fill="{ROLE_COLOURS[role]}"/>'
                     f'<text x="34" y="{y + 4}" font-size="12">{escape(words[role])}</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def coordinates() -> dict[str, dict[str, Any]]:
    """Place id → its latitude, longitude, source, confidence and GeoNames feature."""
    backend = services().backend
    found: dict[str, dict[str, Any]] = {}
    for place, lat, long, source, confidence, feature in backend.select_values(
            COORDINATES_QUERY):
        assert place and lat and long and source and confidence  # bound by the query
        found[place.removeprefix(str(DMR))] = {
            "latitude": float(lat), "longitude": float(long),
            "source": source.removeprefix(str(DMR)),
            "confidence": confidence.removeprefix(f"{DMR}concept/").removesuffix("-confidence"),
            "geonames": feature}
    return found


def places(lang: str) -> list[dict[str, Any]]:
    """Every place of the graph with its roles and, when curated, its coordinates."""
    catalogue: Catalogue = services().catalogue
    located = coordinates()
    roles = place_roles()
    found = []
    for entity in catalogue.of_kind("place"):
        where = located.get(entity.id)
        held = roles.get(entity.id, {})
        row: dict[str, Any] = {
            "id": entity.id, "label": entity.label(lang), "href": f"/id/{entity.id}?lang={lang}",
            "roles": [r for r in ROLES if r in held],
            "by": {r: sorted(set(held[r])) for r in ROLES if r in held},
            "drawn": bool(where and FRANCE.holds(where["longitude"], where["latitude"]))}
        if where:
            row.update(where)
        found.append(row)
    found.sort(key=lambda p: (not p["drawn"], p["label"]))
    return found


@blueprint.get("/map")
def map_page() -> Response:
    """The map of the places, with the same facts as a table beneath it."""
    lang = page_language()
    wanted = choice("format", ("html", "json"))
    rows = places(lang)
    if wanted == "json":
        return Response(json.dumps(rows, ensure_ascii=False, indent=1),
                        content_type="application/json")
    catalogue: Catalogue = services().catalogue
    other = "fr" if lang == "en" else "en"
    html = render_template("map.html", lang=lang, words=WORDS[lang], places=rows,
                           decimal=lambda value: decimal(value, lang),
                           role_words=ROLE_WORDS[lang], picture=Markup(draw(rows, lang)),
                           label=lambda ident: catalogue.label(f"{DMR}{ident}", lang) or ident,
                           switch=with_args(lang=other))
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = lang
    response.headers["Link"] = '</map?format=json>; rel="alternate"; type="application/json"'
    return response
