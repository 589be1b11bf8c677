"""The pages people use, rendered in a real headless Chromium; screenshots kept as artifacts."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser

from kg.paths import Layout
from tests.browser import Settled, artifacts_dir
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium


def test_a_newcomer_finds_ketamine_and_its_2017_measure(chromium: Browser, live_server: LiveServer,
                                                       layout: Layout) -> None:
    requested: list[str] = []
    page = chromium.new_page(viewport={"width": 1200, "height": 900},
                             extra_http_headers={"Accept-Language": "fr"})
    page.on("request", lambda r: requested.append(r.url))
    settled = Settled(page)
    settled.goto(f"{live_server.url}/")
    assert "Drug-Market Knowledge Graph" in page.title()
    page.screenshot(path=str(artifacts_dir(layout.root) / "home.png"), full_page=True)
    page.locator("main input[name=q]").fill("kétamine")
    page.locator("main button[type=submit]").click()
    settled.wait()
    page.get_by_role("link", name="kétamine", exact=True).click()
    settled.wait()
    assert page.locator("h1").inner_text() == "kétamine"
    measures = page.locator(".claim", has_text="24 avril 2017")  # French dates
    assert measures.count() >= 1
    # The 2017 listing of the injectable preparations is credited to the ANSM notice.
    assert any("ANSM" in measures.nth(i).inner_text() for i in range(measures.count()))
    assert page.locator("figure.neighbourhood svg circle").count() > 3
    page.screenshot(path=str(artifacts_dir(layout.root) / "entity-ketamine.png"),
                    full_page=True)
    page.get_by_role("link", name="Turtle", exact=True).click()
    body = page.locator("body").inner_text()
    assert "<https://w3id.org/dmkg/id/substance/ketamine>" in body or "dmr:" in body
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}


def test_api_docs_render_from_the_vendored_swagger_ui(chromium: Browser, live_server: LiveServer,
                                                      layout: Layout) -> None:
    requested: list[str] = []
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.on("request", lambda r: requested.append(r.url))
    settled = Settled(page)
    settled.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 8
    assert "/api/search" in page.locator("body").inner_text()
    page.screenshot(path=str(artifacts_dir(layout.root) / "api-docs.png"), full_page=True)
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}


def test_search_boxes_suggest_names_as_typed(chromium: Browser,
                                             live_server: LiveServer, layout: Layout) -> None:
    requested: list[str] = []
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.on("request", lambda r: requested.append(r.url))
    settled = Settled(page)
    settled.goto(f"{live_server.url}/search?q=kokain&lang=fr")
    assert page.locator(".did-you-mean a").inner_text() == "cocaïne"
    box = page.locator("header input[name=q]")
    box.fill("")
    box.press_sequentially("kéta", delay=40)
    page.wait_for_selector('header datalist option[value="kétamine"]', state="attached",
                           timeout=10_000)
    page.screenshot(path=str(artifacts_dir(layout.root) / "search-kokain.png"),
                    full_page=True)
    # Each suggestion names its kind, and the name it matched when not its label, in French.
    shown = page.locator("header datalist option").evaluate_all("os => os.map(o => o.label)")
    assert "réglementation" in shown and "affirmation" in shown, shown
    assert not [label for label in shown if "regulation" in label or "Ketamine" in label]
    # A name matched in French is preferred; one written only in English says so.
    box.fill("")
    box.press_sequentially("coc", delay=40)
    page.wait_for_selector('header datalist option[value="crack"]', state="attached",
                           timeout=10_000)
    shown = page.locator("header datalist option").evaluate_all("os => os.map(o => o.label)")
    assert "substance · cocaïne basée" in shown, shown
    assert "canal · Cocaine Call Centers (en)" in shown, shown
    box.fill("")
    box.press_sequentially("kéta", delay=40)
    page.wait_for_selector('header datalist option[value="kétamine"]', state="attached",
                           timeout=10_000)
    # A suggestion picked from the list opens its page.
    box.evaluate("(b) => { b.value = 'kétamine'; "
                 "b.dispatchEvent(new InputEvent('input', {inputType: "
                 "'insertReplacementText'})); }")
    page.wait_for_url("**/id/substance/ketamine?lang=fr")
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}
    assert any("/api/suggest?q=k%C3%A9ta" in url for url in requested)


def test_the_time_line_of_injectable_ketamine_renders(chromium: Browser, live_server: LiveServer,
                                                      layout: Layout) -> None:
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    settled = Settled(page)
    settled.goto(f"{live_server.url}/id/substance/injectable-ketamine?lang=fr")
    bars = page.locator("figure.timeline svg rect")
    assert bars.count() == 2
    first, second = (bars.nth(i).bounding_box() for i in range(2))
    assert first is not None and second is not None
    # Liste I (1997-2017) is drawn long and left of the narcotics listing (2017-).
    assert first["width"] > second["width"] and first["x"] < second["x"]
    table = page.locator("figure.timeline table")
    assert table.locator("caption").inner_text() == "Mesures de contrôle dans le temps"
    assert table.locator("tbody tr").count() == 2
    assert "24 avril 2017" in table.inner_text()  # French dates, the stored one kept:
    assert table.locator('time[datetime="2017-04-24"]').count() >= 1
    page.locator("figure.timeline").screenshot(
        path=str(artifacts_dir(layout.root) / "timeline-injectable-ketamine.png"))
