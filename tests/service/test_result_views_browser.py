"""The query editor's chart and map views in a real headless Chromium, offline."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from kg.paths import Layout
from tests.browser import artifacts_dir
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium

PER_SOURCE = """PREFIX dmo: <https://w3id.org/dmkg/ontology#>
SELECT ?source (COUNT(?claim) AS ?claims) WHERE { ?claim dmo:statedIn ?source }
GROUP BY ?source ORDER BY DESC(?claims)"""
DRIVE_CITIES = """PREFIX dmo: <https://w3id.org/dmkg/ontology#>
SELECT ?city WHERE { <https://w3id.org/dmkg/id/channel/drive> dmo:operatesIn ?city }"""


def run(page: Page, url: str, query: str, view: str) -> None:
    page.goto("about:blank")  # a new editor, not a change of the address's fragment
    # A shared query opens in its own tab and runs.
    page.goto(f"{url}/sparql#query={quote(query, safe='')}", wait_until="networkidle")
    # Earlier tabs are kept (hidden) across loads: the visible one is the shared query's.
    button = page.locator(f".yasr .select_{view}:visible").first
    button.wait_for(timeout=20_000)
    button.click()


def test_answers_show_as_a_chart_and_as_a_map(chromium: Browser,
                                              live_server: LiveServer, layout: Layout) -> None:
    requested: list[str] = []
    errors: list[str] = []
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.on("request", lambda r: requested.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    run(page, live_server.url, PER_SOURCE, "chart")
    # Vega-Lite draws the bars as SVG paths, each labelled for screen readers.
    bars = page.locator(".dmkg-chart:visible svg g.mark-rect path")
    bars.first.wait_for(timeout=20_000)
    rows = page.locator(".yasr:visible table.dmkg-view-table tr")  # in closed details
    assert bars.count() >= 6 and rows.count() == bars.count() + 1  # and a header row
    first = rows.nth(1).locator("td").all_text_contents()
    name, count = first[0], first[1]
    assert name in (bars.first.get_attribute("aria-label") or "")
    stated = request("GET", f"{live_server.url}/claims?format=json&source=source%2F{name}")
    assert json.loads(stated.body)["total"] == int(count)  # the source with most claims
    page.locator(".yasr:visible").first.screenshot(
        path=str(artifacts_dir(layout.root) / "editor-chart.png"))
    run(page, live_server.url, DRIVE_CITIES, "map")
    points = page.locator(".dmkg-map:visible svg g.mark-symbol path")
    points.first.wait_for(timeout=20_000)
    assert points.count() == 5
    assert page.locator(".dmkg-map:visible svg g.mark-shape path").count() > 5
    assert page.locator(".yasr:visible table.dmkg-view-table tr").count() == 6
    names = " ".join(page.locator(".dmkg-map:visible svg g.mark-text text").all_text_contents())
    for city in ("Paris", "Lille", "Bordeaux", "Rennes", "Toulouse"):
        assert city in names
    page.locator(".yasr:visible").first.screenshot(
        path=str(artifacts_dir(layout.root) / "editor-map.png"))
    assert errors == []
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts


TITLED = """PREFIX dmo: <https://w3id.org/dmkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?source ?title (COUNT(?claim) AS ?claims) WHERE {
  ?claim dmo:statedIn ?source . ?source dcterms:title ?title }
GROUP BY ?source ?title ORDER BY DESC(?claims)"""


def test_chart_bars_are_named_by_a_text_column_when_there_is_one(
        chromium: Browser, live_server: LiveServer) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    run(page, live_server.url, TITLED, "chart")
    bars = page.locator(".dmkg-chart:visible svg g.mark-rect path")
    bars.first.wait_for(timeout=20_000)
    first = page.locator(".yasr:visible table.dmkg-view-table tr").nth(1)
    name = first.locator("td").first.text_content() or ""
    assert " " in name and "/" not in name  # a title, not the end of the source's IRI
    assert name in (bars.first.get_attribute("aria-label") or "")


CITY_COORDINATES = """PREFIX dmo: <https://w3id.org/dmkg/ontology#>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?city ?label ?lat ?long WHERE {
  <https://w3id.org/dmkg/id/channel/drive> dmo:operatesIn ?city .
  ?city rdfs:label ?label ; geo:lat ?lat ; geo:long ?long }"""


def test_the_map_names_each_place_once(chromium: Browser, live_server: LiveServer) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    run(page, live_server.url, CITY_COORDINATES, "map")
    points = page.locator(".dmkg-map:visible svg g.mark-symbol path")
    points.first.wait_for(timeout=20_000)
    names = page.locator(".dmkg-map:visible svg g.mark-text text").all_text_contents()
    # A row names its city by IRI, by label (in each language) and by coordinates: one point.
    assert points.count() == 5 and len(names) == 5, names
    assert sorted(names) == ["Bordeaux", "Lille", "Paris", "Rennes", "Toulouse"]


def test_the_editor_chrome_speaks_french(chromium: Browser, live_server: LiveServer) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "dmkg_lang", "value": "fr", "url": live_server.url}])
    page = context.new_page()
    run(page, live_server.url, DRIVE_CITIES, "table")
    page.locator(".yasr:visible .dt-info").first.wait_for(timeout=20_000)
    header = page.locator(".yasr:visible .yasr_header").first.inner_text()
    for words in ("Tableau", "Réponse", "Graphique", "Carte", "5 résultats en"):
        assert words in header, (words, header)
    assert "Lignes 1 à 5 sur 5" in page.locator(".yasr:visible").first.inner_text()
    titles = page.locator("#yasgui [title]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('title'))")
    assert "Fermer l\u2019onglet" in titles and "Télécharger le résultat" in titles
    assert not {"Close tab", "Add tab", "Download result"} & set(titles)
    context.close()


def test_the_api_docs_buttons_speak_french(chromium: Browser, live_server: LiveServer) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "dmkg_lang", "value": "fr", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/api/docs", wait_until="networkidle")
    page.locator(".opblock-summary").first.click()
    page.get_by_role("button", name="Essayer").first.click()
    page.get_by_role("button", name="Exécuter").first.wait_for(timeout=10_000)
    shown = page.locator("#swagger-ui").inner_text()
    assert "Paramètres" in shown and "Réponses" in shown
    assert not {"Try it out", "Execute", "Parameters", "Responses"} & set(shown.split("\n"))
    assert "«\u00a0Essayer\u00a0»" in page.locator("#api-intro").inner_text()
    # The document's own texts too: its title, summaries and parameter descriptions.
    assert "Consulter une entité par sa sorte et son identifiant." in shown
    assert "langue des libellés, à défaut l\u2019autre" in shown
    assert "Look up an entity" not in page.locator("#swagger-ui").inner_text()
    page.locator("#swagger-ui .info").first.wait_for(timeout=10_000)
    assert "API REST de DMKG" in page.locator("#swagger-ui .info").first.inner_text()
    context.close()


def test_the_editor_buttons_and_messages_speak_french(chromium: Browser,
                                                      live_server: LiveServer) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "dmkg_lang", "value": "fr", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/sparql#query={quote('SELECT * WHERE { ?s ?p }', safe='')}",
              wait_until="networkidle")
    page.locator(".yasr:visible .yasr_tryQuery").first.wait_for(timeout=20_000)
    # The editor's buttons sit inside CodeMirror's element, beside the query.
    assert page.locator(".yasqe_queryButton:visible").get_attribute("title") == (
        "Lancer la requête")
    assert page.locator(".yasqe_share:visible").get_attribute("title") == "Partager la requête"
    shown = page.locator(".yasr:visible").first.inner_text()
    assert "Essayer la requête dans une nouvelle fenêtre" in shown
    assert "Réponse en 0," in shown and "seconds" not in shown
    context.close()


def test_the_api_docs_answers_speak_french_and_ask_in_french(chromium: Browser,
                                                             live_server: LiveServer) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "dmkg_lang", "value": "fr", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/api/docs", wait_until="networkidle")
    search = page.locator(".opblock").filter(has_text="/search").first
    search.locator(".opblock-summary").click()
    search.get_by_role("button", name="Essayer").click()
    search.locator("input[placeholder=q]").fill("kokain")
    search.get_by_role("button", name="Exécuter").click()
    search.locator(".request-url").wait_for(timeout=10_000)
    assert "lang=fr" in search.locator(".request-url").inner_text()
    shown = {cell.strip() for cell in re.split(r"[\n\t]", search.inner_text())}
    assert {"Détails", "Corps de la réponse", "Télécharger", "Exemple", "Schéma"} <= shown
    assert not {"Details", "Response body", "Download", "Example Value", "Schema"} & shown
    assert "Règle l\u2019en-tête Accept" in search.inner_text()
    context.close()


def test_the_editor_answers_and_errors_speak_french(chromium: Browser,
                                                    live_server: LiveServer) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "dmkg_lang", "value": "fr", "url": live_server.url}])
    page = context.new_page()

    def shown(query: str, view: str, waited: str) -> str:
        run(page, live_server.url, query, view)
        page.locator(f".yasr:visible {waited}").first.wait_for(timeout=20_000)
        page.wait_for_timeout(300)  # the rewording follows the drawing
        return page.locator(".yasr:visible").first.inner_text()

    # The engine's words stay as they are, introduced in French.
    said = shown("SELECT * WHERE { ?s ?p }", "table", ".errorResult pre")
    assert "Erreur de syntaxe dans la requête\u202f: error at 1:25: expected OPTIONAL" in said
    assert "query syntax error" not in said
    # A CONSTRUCT's triples get French column names; a SELECT's variables keep theirs.
    said = shown("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "table", "thead")
    columns = page.locator(".yasr:visible thead th").all_inner_texts()
    assert [c.strip() for c in columns if c.strip()] == ["sujet", "prédicat", "objet"]
    assert "Lignes 1 à 1 sur 1" in said and "entry" not in said
    shown("SELECT ?subject ?predicate ?object WHERE { ?subject ?predicate ?object } LIMIT 1",
          "table", "thead")
    columns = page.locator(".yasr:visible thead th").all_inner_texts()
    assert [c.strip() for c in columns if c.strip()] == ["subject", "predicate", "object"]
    # An empty answer, and a view that cannot draw it.
    said = shown("SELECT ?s WHERE { ?s <urn:none> ?o }", "chart", ".dt-empty")
    assert "Aucune donnée dans le tableau" in said and "No data available" not in said
    assert ("Ces résultats ne peuvent pas être montrés dans la vue Graphique\u202f: "
            "ils sont montrés dans la vue Tableau.") in said
    assert "Could not render" not in said
    context.close()
