"""A researcher's path through the browsing pages in a real headless Chromium: from a count on
the home page to a CSV of the claims of one source; every picture with its text equivalent;
no request leaving 127.0.0.1. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from kg.paths import Layout
from tests.browser import Settled, artifacts_dir, download_csv
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium


def check_charts(page: Page, least: int) -> None:
    """Every chart draws one bar per row of its table, and the table says the same counts."""
    charts = page.locator("figure.chart")
    assert charts.count() >= least
    for index in range(charts.count()):
        chart = charts.nth(index)
        bars = chart.locator("svg g.bar")
        rows = chart.locator("details.text-equivalent tbody tr")
        assert bars.count() == rows.count() > 0
        chart.locator("details.text-equivalent summary").click()
        assert chart.locator("details.text-equivalent table").is_visible()
        drawn = [bars.nth(i).locator("title").text_content() for i in range(bars.count())]
        listed = [" ".join(rows.nth(i).inner_text().split("\t")).strip().rsplit(" ", 1)
                  for i in range(rows.count())]
        assert [d.rsplit(": ", 1)[1] for d in drawn if d] == [c for _, c in listed]
        box = chart.locator("svg").bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 20


def test_a_researcher_goes_from_a_count_to_a_csv(chromium: Browser,
                                                 live_server: LiveServer, layout: Layout,
                                                 tmp_path: Path) -> None:
    shots = artifacts_dir(layout.root)
    requested: list[str] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                   accept_downloads=True, locale="en-GB")
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url))
    settled = Settled(page)
    settled.goto(f"{live_server.url}/?lang=en")
    check_charts(page, 4)  # claims per source, kind, trend and confidence
    page.screenshot(path=str(shots / "browse-home.png"), full_page=True)
    page.locator("figure.chart").first.screenshot(path=str(shots / "chart-sources.png"))

    # A count on the home page opens the list of that many substances.
    count = page.locator("table.counts a[href^='/browse/substance']").nth(1)
    expected = int(count.inner_text())
    count.click()
    settled.wait()
    assert page.locator("table.results tbody tr").count() == min(expected, 50)
    page.locator("form.filters input[name=q]").fill("keta")
    page.locator("form.filters button").click()
    settled.wait()
    page.screenshot(path=str(shots / "browse-list.png"), full_page=True)
    page.get_by_role("link", name="ketamine", exact=True).click()
    settled.wait()
    assert page.locator("h1").inner_text() == "ketamine"
    figure = page.locator("figure.neighbourhood")
    assert figure.locator("svg g.group").count() >= 1
    assert figure.locator("svg g.legend").count() == 1
    assert page.locator("#incoming + table tr").count() >= 1  # its text equivalent
    figure.screenshot(path=str(shots / "neighbourhood-ketamine.png"))

    # A claim about it, then the source that states it.
    page.locator(".claim a[href^='/id/claim/']").first.click()
    settled.wait()
    assert page.locator("blockquote").count() >= 1 or page.locator(".claim").count() >= 1
    page.locator(".claim a[href^='/id/source/']").first.click()
    settled.wait()
    source_id = urlsplit(page.url).path.removeprefix("/id/")
    stated = page.locator("table.claims-stated tbody tr").count()
    assert stated >= 1
    check_charts(page, 2)  # per kind and confidence at least
    page.screenshot(path=str(shots / "browse-source.png"), full_page=True)

    # The claims browser filtered to that source, and its CSV.
    page.locator("a.claims-of-source").click()
    settled.wait()
    assert f"({stated})" in page.locator("h1").inner_text()
    rows = page.locator("tr.claim-row")
    assert rows.count() == min(stated, 25)
    for index in range(rows.count()):
        assert rows.nth(index).locator(f"a.source[href^='/id/{source_id}']").count() == 1
    page.screenshot(path=str(shots / "claims-browser.png"), full_page=True)
    page.screenshot(path=str(shots / "claims-browser-top.png"))
    table = download_csv(page, tmp_path)
    assert len(table) == stated and {r["source"] for r in table} == {source_id}
    assert all(r["label"] and r["summary"] and r["source_label"] for r in table)

    # The same selection opened as a SPARQL query in the editor.
    page.get_by_role("link", name="Open as a SPARQL query").click()
    page.wait_for_selector(".CodeMirror", timeout=20_000)
    editor_text = page.locator(".CodeMirror").first.inner_text()
    assert source_id in editor_text
    page.screenshot(path=str(shots / "editor-handed-query.png"))

    # A source with many claims: its neighbourhood caps them and links to the rest.
    settled.goto(f"{live_server.url}/id/source/jim-2017-03-14-dealers-nouveaux-canaux?lang=en")
    more = page.locator("figure.neighbourhood svg a.more")
    assert more.count() == 1 and "more" in (more.text_content() or "")
    page.locator("figure.neighbourhood").screenshot(
        path=str(shots / "neighbourhood-source.png"))

    # The map, with its table.
    settled.goto(f"{live_server.url}/map?lang=en")
    drawn = page.locator("figure.map svg a.place")
    assert drawn.count() >= 8
    assert page.locator("figure.map svg path").count() > 5
    assert page.locator("table.places tbody tr").count() >= drawn.count()
    page.locator("figure.map").screenshot(path=str(shots / "map.png"))
    context.close()
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}


def test_french_stays_chosen_across_the_site(chromium: Browser,
                                             live_server: LiveServer, layout: Layout) -> None:
    requested: list[str] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url))
    settled = Settled(page)
    settled.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Français").first.click()
    settled.wait()
    assert "Affirmations par source" in page.locator("main").inner_text()
    for path, words in (("/browse", "Par catégorie"), ("/claims", "Télécharger"),
                        ("/map", "des acteurs du graphe y sont actifs"),
                        ("/sparql", "Point d\u2019accès SPARQL"),
                        ("/api/docs", "Consulter, rechercher")):
        settled.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "fr", path
        assert words in page.locator("body").inner_text(), path
    page.wait_for_selector(".opblock", timeout=20_000)
    page.screenshot(path=str(artifacts_dir(layout.root) / "api-docs-fr.png"))
    settled.goto(f"{live_server.url}/id/substance/ketamine")
    assert "24 avril 2017" in page.locator("main").inner_text()
    context.close()
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}


def test_pictures_show_without_javascript(chromium: Browser,
                                          live_server: LiveServer, layout: Layout) -> None:
    """Every picture is server-drawn SVG with its text equivalent, in a browser without
    JavaScript, in English and in French."""
    pictures = (
        ("/", "figure.chart svg", "figure.chart details.text-equivalent table tbody tr"),
        ("/map", "figure.map svg", "table.places tbody tr"),
        ("/id/substance/ketamine", "figure.neighbourhood svg", "#incoming + table tr"),
        ("/id/substance/ketamine", "figure.timeline svg", "table.timeline-table tbody tr"),
        ("/id/source/jim-2017-03-14-dealers-nouveaux-canaux", "figure.chart svg",
         "figure.chart details.text-equivalent table tbody tr"),
        ("/claims?kind=ReportedFinding", "figure.chart svg",
         "figure.chart details.text-equivalent table tbody tr"),
        ("/timeline?jurisdiction=place%2Ffrance", "figure.timeline svg",
         "table.timeline-table tbody tr"))
    context = chromium.new_context(java_script_enabled=False,
                                   viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for lang in ("en", "fr"):
        for path, picture, text in pictures:
            page.goto(f"{live_server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
            box = page.locator(picture).first.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 20, path
            assert page.locator(text).count() >= 1, (path, text)
    page.goto(f"{live_server.url}/timeline?lang=fr")
    page.locator("figure.timeline").screenshot(
        path=str(artifacts_dir(layout.root) / "timeline-no-javascript.png"))
    context.close()
