"""The site's icon: browsers ask every page's server for /favicon.ico."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser import Settled
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium


def test_the_icon_is_served_and_a_browser_can_draw_it(chromium: Browser,
                                                      live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/favicon.ico")
    assert reply.status == 200 and reply.media_type == "image/vnd.microsoft.icon"
    assert reply.body[:4] == b"\x00\x00\x01\x00"
    page = chromium.new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    settled = Settled(page)
    settled.goto(f"{live_server.url}/")
    size = page.evaluate("""() => new Promise(done => {
        const icon = new Image();
        icon.onload = () => done([icon.naturalWidth, icon.naturalHeight]);
        icon.onerror = () => done(null);
        icon.src = "/favicon.ico";
    })""")
    assert size == [32, 32]
    assert missing == []
