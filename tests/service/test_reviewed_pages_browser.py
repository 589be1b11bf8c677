"""The pages at a phone's width in a real headless Chromium: nothing runs off the right edge."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium

PAGES = ("/id/place/paris", "/id/substance/ketamine",
         "/id/source/jim-2017-03-14-dealers-nouveaux-canaux", "/claims", "/timeline", "/map",
         "/browse/substance", "/", "/dataset")
# The tables and figures whose box reaches past the window's right edge.
PAST_THE_EDGE = """() => [...document.querySelectorAll('main table, main figure')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.tagName + '.' + e.className)"""


def test_tables_stay_within_a_phones_width(chromium: Browser, live_server: LiveServer) -> None:
    page = chromium.new_page(viewport={"width": 375, "height": 800})
    faults = {}
    for path in PAGES:
        page.goto(f"{live_server.url}{path}?lang=fr")
        if found := page.evaluate(PAST_THE_EDGE):
            faults[path] = found
    assert faults == {}
