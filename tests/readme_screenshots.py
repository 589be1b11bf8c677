"""Take the README's screenshots of every picture with headless Chromium from a running service.

    python -m tests.readme_screenshots http://127.0.0.1:PORT [docs/screenshots]

Each picture is cut to its own element and saved as a PNG in the folder (docs/screenshots by
default): the views the browser tests also save to test-artifacts/.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page

from tests.browser import browser

PER_SOURCE = """PREFIX dmo: <https://w3id.org/dmkg/ontology#>
SELECT ?source (COUNT(?claim) AS ?claims) WHERE { ?claim dmo:statedIn ?source }
GROUP BY ?source ORDER BY DESC(?claims)"""
DRIVE_CITIES = """PREFIX dmo: <https://w3id.org/dmkg/ontology#>
SELECT ?city WHERE { <https://w3id.org/dmkg/id/channel/drive> dmo:operatesIn ?city }"""
# (file, page, element): server-drawn pictures, each cut to its element (None: the window).
PAGES = (
    ("chart-sources.png", "/?lang=en", "figure.chart"),
    ("claims-browser-top.png",
     "/claims?source=source%2Fjim-2017-03-14-dealers-nouveaux-canaux&lang=en", None),
    ("neighbourhood-source.png", "/id/source/jim-2017-03-14-dealers-nouveaux-canaux?lang=en",
     "figure.neighbourhood"),
    ("map.png", "/map?lang=en", "figure.map svg"),
    ("timeline.png", "/timeline?lang=en", "figure.timeline svg"),
)


def editor_view(page: Page, url: str, query: str, view: str, path: Path) -> None:
    """Run query in the editor, show its answer in view, and save that view."""
    page.goto("about:blank")
    page.goto(f"{url}/sparql#query={quote(query, safe='')}", wait_until="networkidle")
    page.locator(f".yasr .select_{view}:visible").first.click()
    page.locator(f".dmkg-{view}:visible svg").first.wait_for(timeout=20_000)
    if view == "map":  # its boundaries load after the answer
        page.locator(".dmkg-map:visible svg g.mark-shape path").first.wait_for(timeout=20_000)
    page.locator(f".dmkg-{view}:visible").first.screenshot(path=str(path))


def main(url: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1100, "height": 800})
        for name, path, element in PAGES:
            page.goto(url + path, wait_until="networkidle")
            if element is None:
                page.screenshot(path=str(folder / name))
            else:
                page.locator(element).first.screenshot(path=str(folder / name))
        editor_view(page, url, PER_SOURCE, "chart", folder / "editor-chart.png")
        editor_view(page, url, DRIVE_CITIES, "map", folder / "editor-map.png")
    for picture in sorted(folder.glob("*.png")):
        print(f"{picture}  {picture.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1].rstrip("/"), Path(sys.argv[2] if len(sys.argv) == 3 else "docs/screenshots"))
