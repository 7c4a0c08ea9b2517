"""Live reload in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
Playwright, against ``masthead serve`` running in a subprocess on a free port.

Without Chromium or Playwright the tests are skipped, except in CI (CI=true), where they fail.
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsers import launch_chromium
from serving import FIRST, running
from sitegen import story, tiny_site

pytestmark = pytest.mark.slow  # a real browser against masthead serve

RELOAD_MS = 2_000  # the promise: an open tab shows a saved change within 2 seconds
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def tab(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


def has_reload_script(tab) -> bool:
    """True when the served page carries the live-reload script (its long poll is out)."""
    return tab.locator("script[data-masthead-reload]").count() == 1


def test_an_open_tab_shows_a_saved_title_by_itself(tab, tmp_path: Path) -> None:
    site = tiny_site(tmp_path / "site")
    article = site / "content" / "2017" / "09" / "first.md"
    with running("--site", str(site)) as server:
        tab.goto(server.url + FIRST.lstrip("/"))
        assert tab.locator("h1").first.inner_text() == "First story"
        assert has_reload_script(tab)
        # The article keeps its URL: the slug comes from the file, set here explicitly.
        article.write_text(
            story("Completely new headline", "2017-09-23").replace(
                "source: Wire", "source: Wire\nslug: first-story"
            ),
            encoding="utf-8",
        )
        saved = time.monotonic()
        tab.wait_for_function(
            "() => document.querySelector('h1')?.textContent.trim() === 'Completely new headline'",
            timeout=TIMEOUT_MS,
        )
        elapsed = time.monotonic() - saved
        assert tab.url == server.url + FIRST.lstrip("/")
    assert elapsed < RELOAD_MS / 1000, (
        f"the tab showed the new title after {elapsed:.2f} s\n{server.output()}"
    )


def test_a_broken_save_shows_the_error_page_and_a_fix_brings_the_page_back(
    tab, tmp_path: Path
) -> None:
    site = tiny_site(tmp_path / "site")
    article = site / "content" / "2017" / "09" / "first.md"
    with running("--site", str(site)) as server:
        tab.goto(server.url + FIRST.lstrip("/"))
        assert has_reload_script(tab)
        article.write_text(
            "---\ntitle: First story\ndate: 2017-09-23\ncategory: World: Asia\nsource: Wire\n---\n",
            encoding="utf-8",
        )
        overlay = tab.locator("#masthead-build-errors")
        overlay.wait_for(state="visible")
        text = overlay.inner_text()
        assert "The last build failed: 1 error" in text
        assert "content/2017/09/first.md:4: error: front matter is not valid YAML" in text
        screenshot = tmp_path / "error-page.png"
        tab.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 10_000
        # The overlay covers the viewport; the last good page is still in the document.
        box = overlay.bounding_box()
        assert box and box["width"] >= 1000 and box["height"] >= 700
        assert tab.locator("h1", has_text="First story").count() == 1

        article.write_text(story("First story", "2017-09-23", body="Fixed."), encoding="utf-8")
        overlay.wait_for(state="detached")
        assert "Fixed." in tab.locator("main").inner_text()
