"""Drive Debian's Chromium headless with Playwright (no browser download)."""

from __future__ import annotations

import csv
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, Request, Response, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Return Debian's Chromium, which the test setup installs."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("Chromium is not installed (on Debian: apt-get install chromium)")
    return found


@contextmanager
def browser() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


# How long a page must make no request to count as drawn: a script that fetches once another
# fetch has answered asks within milliseconds. Playwright's "networkidle" waits 500 ms after
# every page, most of which make no request after their load event.
QUIET_SECONDS = 0.1


class Settled:
    """Follows one page's requests in flight, so that a test waits for a page to be drawn
    (loaded, and every request its scripts made answered) rather than for a fixed time."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.pending: set[Request] = set()
        page.on("request", self.started)
        page.on("requestfinished", self.ended)
        page.on("requestfailed", self.ended)

    def started(self, request: Request) -> None:
        self.pending.add(request)

    def ended(self, request: Request) -> None:
        self.pending.discard(request)

    def goto(self, url: str, timeout: float = 30.0) -> Response | None:
        """Open url and return its answer once the page is drawn."""
        reply = self.page.goto(url, wait_until="load")
        self.wait(timeout)
        return reply

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for the page's load event and for QUIET_SECONDS without a request in flight."""
        self.page.wait_for_load_state("load")
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < QUIET_SECONDS:
            if time.monotonic() > deadline:
                raise TimeoutError(f"requests still in flight after {timeout} s: "
                                   f"{sorted(r.url for r in self.pending)}")
            self.page.wait_for_timeout(20)  # lets Playwright deliver the page's events
            if self.pending:
                quiet_since = time.monotonic()


def artifacts_dir(root: Path) -> Path:
    """Where screenshots are kept (test-artifacts/ in the checkout)."""
    folder = root / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


def download_csv(page: Page, folder: Path) -> list[dict[str, str]]:
    """Click the page's CSV link and read the file it downloads, row by row."""
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    saved = folder / "download.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
