"""Drive Debian's Chromium headless with Playwright (no browser download)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

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
