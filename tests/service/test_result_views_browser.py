"""The query editor's chart and map views in a real headless Chromium, offline."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page

from kg.paths import Layout
from tests.browser import artifacts_dir, browser
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


def test_answers_show_as_a_chart_and_as_a_map(live_server: LiveServer, layout: Layout) -> None:
    requested: list[str] = []
    errors: list[str] = []
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requested.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        run(page, live_server.url, PER_SOURCE, "chart")
        page.wait_for_selector("svg.dmkg-chart g.bar", timeout=10_000)
        bars = page.locator("svg.dmkg-chart:visible g.bar")
        rows = page.locator(".yasr:visible table.dmkg-view-table tr")  # in closed details
        assert bars.count() >= 6 and rows.count() == bars.count() + 1  # and a header row
        name, count = (bars.first.locator("title").text_content() or "").rsplit(": ", 1)
        stated = request("GET", f"{live_server.url}/claims?format=json&source=source%2F{name}")
        assert json.loads(stated.body)["total"] == int(count)  # the source with most claims
        page.locator(".yasr:visible").first.screenshot(
            path=str(artifacts_dir(layout.root) / "editor-chart.png"))
        run(page, live_server.url, DRIVE_CITIES, "map")
        page.locator(".dmkg-map:visible svg g.point").first.wait_for(timeout=10_000)
        points = page.locator(".dmkg-map:visible svg g.point")
        assert points.count() == 5
        assert page.locator(".dmkg-map:visible svg path").count() > 5
        assert page.locator(".dmkg-map:visible table.dmkg-view-table tr").count() == 6
        names = " ".join(points.all_text_contents())
        for city in ("Paris", "Lille", "Bordeaux", "Rennes", "Toulouse"):
            assert city in names
        page.locator(".yasr:visible").first.screenshot(
            path=str(artifacts_dir(layout.root) / "editor-map.png"))
    assert errors == []
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
