"""The French interface in a real headless Chromium: time-line labels inside their picture,
long facet lists opened without script, and the language kept across the site."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from kg.paths import Layout
from tests.browser import artifacts_dir
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium

# Each text of a picture, and whether the rendered text lies outside the picture's box.
OUTSIDE = """svg => { const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].map(t => { const r = t.getBoundingClientRect();
    return [t.textContent, r.left < box.left - 0.5 || r.right > box.right + 0.5]; }); }"""


def test_time_line_labels_stay_inside_the_picture(chromium: Browser, live_server: LiveServer,
                                                   layout: Layout) -> None:
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    for path in ("/timeline?lang=fr", "/timeline?lang=en",
                 "/id/substance/ketamine?lang=fr"):
        page.goto(f"{live_server.url}{path}")
        picture = page.locator("figure.timeline svg").first
        texts = picture.evaluate(OUTSIDE)
        assert len(texts) > 10, path
        assert [text for text, outside in texts if outside] == [], path
        # The legend names the colours drawn, once: the table names each row's category.
        legend = page.locator("figure.timeline svg g.legend text").all_text_contents()[1:]
        told = page.locator("figure.timeline table tbody td:nth-child(2)").all_inner_texts()
        assert sorted(legend) == sorted(set(told)), path
        assert page.locator("figure.timeline .legend-entry").count() == 0
    page.goto(f"{live_server.url}/timeline?lang=fr")
    page.locator("figure.timeline svg").first.screenshot(
        path=str(artifacts_dir(layout.root) / "timeline-legend-fr.png"))


def test_long_facet_lists_open_without_script(chromium: Browser, live_server: LiveServer) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/claims?lang=fr")
    facet = page.locator('section[data-facet="substance"]')
    last = facet.locator("details.more-values li a").last
    assert not last.is_visible()
    facet.locator("details.more-values summary").click()
    assert last.is_visible()
    chosen = last.inner_text()
    last.click()
    page.wait_for_url("**substance=**")
    current = page.locator('section[data-facet="substance"] a[aria-current="true"]')
    assert current.inner_text() == chosen
    context.close()


def test_the_french_choice_is_kept_across_the_site(chromium: Browser,
                                                   live_server: LiveServer) -> None:
    context = chromium.new_context(extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    page.goto(f"{live_server.url}/?lang=fr")
    for path in ("/browse", "/claims", "/map", "/timeline", "/ontology", "/sparql",
                 "/api/docs", "/search?q=kokain", "/no-such-page"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "fr", path
    page.goto(f"{live_server.url}/map")
    countries = page.locator("figure.map svg path > title").all_text_contents()
    assert "Allemagne" in countries and "Germany" not in countries
    context.close()
