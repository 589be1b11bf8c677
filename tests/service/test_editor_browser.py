"""The query editor in a real headless Chromium: it loads offline and runs an example."""

from __future__ import annotations

from urllib.parse import urlsplit

from kg.paths import Layout
from tests.browser import artifacts_dir, browser
from tests.live import LiveServer


def test_editor_runs_an_example_query_and_shows_rows(live_server: LiveServer,
                                                    layout: Layout) -> None:
    requested: list[str] = []
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requested.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server.url}/sparql", wait_until="networkidle")
        assert page.locator(".CodeMirror").first.is_visible()
        assert page.get_by_text("Substances sold through SMS ordering").first.is_visible()
        page.locator(".yasqe_queryButton").first.click()
        page.wait_for_selector(".yasr td", timeout=20_000)
        cells = page.locator(".yasr td").all_inner_texts()
        page.screenshot(path=str(artifacts_dir(layout.root) / "sparql-editor.png"), full_page=True)
        assert page.get_by_text("International (UN) control status").first.is_visible()
    text = " ".join(cells)
    for substance in ("cocaine", "MDMA", "crack", "herbal cannabis"):
        assert substance in text
    assert errors == []
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
