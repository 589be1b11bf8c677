"""Fixtures of the service tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from kg.paths import Layout
from tests.browser import browser
from tests.http import request
from tests.kg.cli import dmkg
from tests.live import LiveServer
from tests.virtuoso import Virtuoso


@pytest.fixture(scope="module")
def service_on_virtuoso(tmp_path_factory: pytest.TempPathFactory, built: Layout,
                        virtuoso: Virtuoso) -> Iterator[LiveServer]:
    """The service with the built dataset loaded into a real Virtuoso as its store.

    Loaded again for each module: the session's Virtuoso is shared with the store contract
    tests, which empty it, and a worker may run them between two modules that read it.
    """
    loaded = dmkg("load", "--target", virtuoso.endpoint, "--update-url",
                  virtuoso.update_endpoint, "--user", virtuoso.user, "--password",
                  virtuoso.password, "--quiet", home=built.root)
    assert loaded.returncode == 0, loaded.stderr
    with LiveServer(tmp_path_factory.mktemp("on-virtuoso"),
                    args=("--store", f"sparql+{virtuoso.endpoint}"), home=built.root) as server:
        yield server


@pytest.fixture(scope="module")
def spec(live_server: LiveServer) -> dict[str, Any]:
    """The service's OpenAPI document."""
    reply = request("GET", f"{live_server.url}/api/openapi.json")
    assert reply.status == 200
    document: dict[str, Any] = json.loads(reply.body)
    return document


@pytest.fixture(scope="module")
def chromium_process() -> Iterator[Browser]:
    """Headless Chromium for one module's tests: a launch costs seconds. Not for the session:
    while Playwright's synchronous API runs, asyncio.run() fails in the same thread."""
    with browser() as instance:
        yield instance


@pytest.fixture
def chromium(chromium_process: Browser) -> Iterator[Browser]:
    """The module's Chromium; the contexts and pages a test opens are closed after it, so no
    test sees another's cookies, storage or pages."""
    yield chromium_process
    for context in chromium_process.contexts:
        context.close()
