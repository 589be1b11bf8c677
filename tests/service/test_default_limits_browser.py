"""A browser on a service with its default limits: the pages' own files are never refused.

Every other live test turns the rate and concurrency limits off; here they are the defaults a
deployment gets, and Chromium opens a page's scripts, styles and images on up to six
connections at once, as it does for any site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Error, Response

from kg.paths import Layout
from service.config import DEFAULTS
from tests.browser import Settled
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium and a server of its own

PAGES = ["/sparql?lang=fr", "/sparql?query=SELECT%20*%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%203",
         "/?lang=fr", "/id/substance/ketamine?lang=fr", "/claims?lang=fr", "/map?lang=fr",
         "/api/docs"]


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    settings = {"RATE_LIMIT": str(DEFAULTS["RATE_LIMIT"]),
                "CONCURRENCY_LIMIT": str(DEFAULTS["CONCURRENCY_LIMIT"])}
    with LiveServer(tmp_path_factory.mktemp("default-limits"), home=built.root,
                    settings=settings) as server:
        yield server


@pytest.mark.parametrize("path", PAGES)
def test_a_first_visit_loads_every_file_of_the_page(chromium: Browser, defaults: LiveServer,
                                                    path: str) -> None:
    for _ in range(3):  # fresh browsers: nothing cached, every file asked for at once
        context = chromium.new_context()
        page = context.new_page()
        refused: list[Response] = []
        errors: list[Error] = []
        page.on("response", lambda r, seen=refused: seen.append(r))
        page.on("pageerror", lambda e, seen=errors: seen.append(e))
        settled = Settled(page)
        settled.goto(defaults.url + path)
        failed = [f"{r.status} {r.url}" for r in refused if r.status >= 400]
        context.close()
        assert failed == [] and errors == [], (failed, errors)
