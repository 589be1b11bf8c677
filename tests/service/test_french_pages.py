"""The French interface over real HTTP: search, the ontology, error pages, the time line, the
map, the claims browser's facets and French typography on every kind of page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.http import Reply, request
from tests.live import LiveServer

FRENCH = {"Cookie": "dmkg_lang=fr"}


def get(server: LiveServer, path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> Reply:
    return request(method, f"{server.url}{path}", headers={**FRENCH, **(headers or {})})


def test_french_search_writes_its_suggestion_kinds_and_matches_in_french(
        live_server: LiveServer) -> None:
    page = get(live_server, "/search?q=kokain").text
    # The suggestion is the entity's French label as written, not its folded English name.
    assert 'href="/search?q=coca%C3%AFne&lang=fr">cocaïne</a>' in page
    assert ">cocaine</a>" not in page
    assert '&amp;kind=claim">affirmations</a>' in page
    assert "· affirmation" in page and "· réglementation" in page
    assert "· claim" not in page and "· regulation" not in page
    # Names matched as well in both languages are named in French (the label, so not shown).
    assert "« Cocaine, cannabis, heroin" not in page and "“cocaine”" not in page
    english = request("GET", f"{live_server.url}/search?q=kokain&lang=en").text
    assert 'href="/search?q=cocaine&lang=en">cocaine</a>' in english
    assert "· claim" in english


def test_the_ontology_page_reads_in_the_readers_language(live_server: LiveServer) -> None:
    reply = get(live_server, "/ontology")
    assert reply.headers["content-language"] == "fr"
    assert "Accept-Language" in reply.headers["vary"] and "Cookie" in reply.headers["vary"]
    page = reply.text
    assert '<html lang="fr">' in page
    assert '<h2 id="classes">Classes' in page and "Propriétés d\u2019objet <span" in page
    assert ("<h3>acteur <span class=\"other\" lang=\"en\">/ actor</span></h3>" in page)
    assert "<p>Quiconque agit dans ou sur un marché de drogues" in page
    assert "<dt>sous-classe de</dt>" in page and "<dt>subclass of</dt>" not in page
    english = request("GET", f"{live_server.url}/ontology?lang=en").text
    assert "<h3>actor <span class=\"other\" lang=\"fr\">/ acteur</span></h3>" in english


def test_error_pages_speak_french(live_server: LiveServer) -> None:
    missing = get(live_server, "/no-such-page")
    assert missing.status == 404 and '<html lang="fr">' in missing.text
    assert "<h1>404 Page introuvable</h1>" in missing.text
    assert "Not Found" not in missing.text and "requested URL" not in missing.text
    wrong = get(live_server, "/claims?page=abc")
    assert wrong.status == 400 and "<h1>400 Requête incorrecte</h1>" in wrong.text
    # The service's own message is kept, marked as English.
    assert 'Détail (en anglais)\u202f: <span lang="en">parameter' in wrong.text
    method = get(live_server, "/browse", method="DELETE")
    assert method.status == 405 and "Méthode non autorisée" in method.text
    english = request("GET", f"{live_server.url}/no-such-page?lang=en").text
    assert "<h1>404 Not Found</h1>" in english


def test_the_time_line_has_a_legend_and_keeps_cut_labels_whole(live_server: LiveServer) -> None:
    page = get(live_server, "/timeline").text
    figure = page.split('<figure class="timeline">')[1]
    picture = figure.split("</svg>")[0]
    drawn = set(re.findall(r'<(?:rect|path d="M[^"]* l6,6[^"]*") [^>]*fill="(#[0-9a-f]{6})"',
                           picture))
    legend = re.findall(r'h10 v10 h-10 z" fill="(#[0-9a-f]{6})"/><text[^>]*>([^<]+)</text>',
                        picture)
    # One entry per colour drawn, and the same entries in the text equivalent.
    assert {colour for colour, _ in legend} == drawn and len(legend) == len(drawn) >= 5
    told = re.findall(r'background: (#[0-9a-f]{6})"></span>([^<]+)</span>', figure)
    assert sorted(told) == sorted(legend)
    assert ("#1e8449", "obligations seules") in told
    # A label too long for the picture is cut, and its hover title holds it whole.
    bars = re.findall(r"<a [^>]*><title>([^<]+)</title>.*?<text [^>]*>([^<]+)</text></a>",
                      picture)
    cut = [(title, shown) for title, shown in bars if shown.endswith("…")]
    assert cut and all(title.startswith(shown[:-1]) for title, shown in cut)
    assert all(len(shown) < len(title) for title, shown in cut)


def test_the_map_names_countries_and_writes_decimals_in_french(live_server: LiveServer) -> None:
    page = get(live_server, "/map").text
    picture = page.split('<figure class="map">')[1].split("</svg>")[0]
    countries = set(re.findall(r'stroke-width="0.7"><title>([^<]+)</title>', picture))
    assert {"Allemagne", "Espagne", "Royaume-Uni", "Belgique", "Suisse", "Italie"} <= countries
    assert not {"Germany", "Spain", "United Kingdom", "Belgium", "Switzerland"} & countries
    assert "<title>Paris\u202f: " in picture
    # French writes a decimal comma, so the two coordinates are parted by a semicolon.
    assert "<td>48,85" in page and "\u202f; 2,3" in page and "<td>48.85" not in page
    english = request("GET", f"{live_server.url}/map?lang=en").text
    assert "<td>48.85" in english and "<title>Germany</title>" in english


def test_long_facet_lists_open_on_the_rest_without_script(live_server: LiveServer) -> None:
    page = get(live_server, "/claims").text
    section = page.split('data-facet="substance">')[1].split("</section>")[0]
    shown, rest = section.split('<details class="more-values">')
    hidden = re.findall(r'<li><a href="(/claims\?[^"]+)"', rest)
    assert len(re.findall(r"<li><a ", shown)) == 12 and hidden
    assert f"<summary>et {len(hidden)} de plus</summary>" in rest
    assert "<li class=\"muted\">…" not in page
    # The values behind the disclosure narrow the selection like the others.
    narrowed = get(live_server, hidden[-1].replace("&amp;", "&"))
    assert narrowed.status == 200 and 'aria-current="true"' in narrowed.text
