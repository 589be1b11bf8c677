"""A researcher's path in a real headless Chromium, from a misspelt search to a CSV: "kokain",
did you mean "cocaine", its page and its time line, a claim, the claim's source, the claims
browser filtered to that source, and the CSV of that selection. No request leaves 127.0.0.1;
screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser

from kg.paths import Layout
from tests.browser import Settled, artifacts_dir, download_csv
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium


def test_from_kokain_to_the_csv_of_a_source(chromium: Browser,
                                            live_server: LiveServer, layout: Layout,
                                            tmp_path: Path) -> None:
    shots = artifacts_dir(layout.root)
    requested: list[str] = []
    errors: list[str] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                   accept_downloads=True, locale="en-GB")
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    settled = Settled(page)
    settled.goto(f"{live_server.url}/?lang=en")
    box = page.locator("form[role=search] input[name=q]").first
    box.fill("kokain")
    box.press("Enter")
    settled.wait()
    page.locator(".did-you-mean a").get_by_text("cocaine", exact=True).click()
    settled.wait()
    page.get_by_role("link", name="cocaine", exact=True).first.click()
    settled.wait()
    assert page.locator("h1").inner_text() == "cocaine"

    # Its time line: one bar per measure, and the same measures as a table.
    timeline = page.locator("figure.timeline")
    bars = timeline.locator("svg a rect")
    assert bars.count() >= 2
    assert timeline.locator("table.timeline-table tbody tr").count() == bars.count()
    timeline.screenshot(path=str(shots / "timeline-cocaine.png"))

    # A claim about it, with its quote, then the source that states it.
    page.locator(".claim a[href^='/id/claim/']").first.click()
    settled.wait()
    assert page.locator("blockquote").count() >= 1
    page.locator("a[href^='/id/source/']").first.click()
    settled.wait()
    source_id = urlsplit(page.url).path.removeprefix("/id/")
    stated = page.locator("table.claims-stated tbody tr").count()
    assert stated >= 1

    # The claims browser filtered to that source, and the CSV of that selection.
    page.locator("a.claims-of-source").click()
    settled.wait()
    assert f"({stated})" in page.locator("h1").inner_text()
    table = download_csv(page, tmp_path)
    assert len(table) == stated and {r["source"] for r in table} == {source_id}
    context.close()
    assert errors == []
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}
