"""The demo archive in a real browser: headless Chromium driven by Playwright.

The archive is built once into a temporary folder and served by ``python -m http.server`` on
127.0.0.1. Chromium is Debian's (/usr/bin/chromium); Playwright's own browser downloads are
never used. Without Chromium or Playwright the tests are skipped, except in CI (CI=true),
where they fail.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsers import launch_chromium
from sitegen import REPO, copy_demo

from masthead.cli import main

pytestmark = pytest.mark.slow  # a real browser

ARTICLE_HREF = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")
URDU_SLUG = "karachi-book-fair-draws-thousands"
SEED_SLUG = "us-russia-still-far-apart-over-syria"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo archive, built from a copy so that nothing is written into the repository."""
    site = copy_demo(tmp_path_factory.mktemp("browser-demo"))
    # Served at the root of a local server, so the site's base path must be "/".
    code = main(["build", "--site", str(site), "--base-url", "http://127.0.0.1/", "--quiet"])
    assert code == 0, "the demo archive must build without errors"
    return site / "output"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def server(output: Path) -> Iterator[str]:
    """Base URL of a local static server for the output folder, stopped afterwards."""
    for _attempt in range(3):
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=output,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        if _wait_until_serving(base + "/", process):
            break
        process.terminate()
        process.wait(timeout=10)
    else:
        pytest.fail("python -m http.server did not start on 127.0.0.1")
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        yield tab
    finally:
        context.close()


def _page_path(output: Path, slug: str) -> str:
    found = list(output.glob(f"**/{slug}/index.html"))
    assert len(found) == 1, f"expected one page for {slug!r}, found {found}"
    return "/" + found[0].parent.relative_to(output).as_posix() + "/"


def _site_title() -> str:
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return settings["tool"]["masthead"]["title"]


def _article_links(page) -> list[tuple[str, str]]:
    """(href, text) of the links to articles inside <main>, in document order."""
    pairs = page.eval_on_selector_all(
        "main a[href]",
        "links => links.map(a => [a.getAttribute('href'), a.textContent.trim()])",
    )
    return [(href, text) for href, text in pairs if ARTICLE_HREF.match(href) and text]


def test_home_page_shows_title_and_article_links(page) -> None:
    page.goto("/")
    title = _site_title()
    assert title in page.title()
    assert page.get_by_text(title, exact=True).first.is_visible()
    links = _article_links(page)
    assert len(links) >= 5, links
    assert page.locator(f'main a[href="{links[0][0]}"]').first.is_visible()


def test_tab_first_focuses_the_visible_skip_link(page) -> None:
    page.goto("/")
    hidden_box = page.evaluate(
        "() => document.querySelector('a[href=\"#content\"]').getBoundingClientRect().bottom"
    )
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const a = document.activeElement;"
        " return {tag: a.tagName, href: a.getAttribute('href'), text: a.textContent.trim()}; }"
    )
    assert focused["tag"] == "A" and focused["href"] == "#content", focused
    assert "skip" in focused["text"].lower(), focused
    # Visible once focused: on screen, not clipped to nothing, not transparent.
    page.wait_for_function(
        """() => {
            const a = document.activeElement, box = a.getBoundingClientRect();
            const style = getComputedStyle(a);
            return box.width > 10 && box.height > 10 && box.top >= 0 && box.bottom > 10
                && box.left >= 0 && box.right <= innerWidth
                && style.visibility === 'visible' && parseFloat(style.opacity) > 0.5
                && style.clip !== 'rect(0px, 0px, 0px, 0px)';
        }""",
        timeout=5_000,
    )
    assert page.locator('a[href="#content"]').first.is_visible()
    assert hidden_box <= 0, "the skip link should be off screen until it is focused"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#content"


def test_following_an_article_link_shows_its_headline(page) -> None:
    page.goto("/")
    href, text = _article_links(page)[0]
    page.locator(f'main a[href="{href}"]').first.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    headline = page.locator("main h1").first
    assert " ".join(headline.inner_text().split()) == " ".join(text.split())


def test_urdu_article_is_laid_out_right_to_left(page, output: Path) -> None:
    page.goto(_page_path(output, URDU_SLUG))
    directions = page.evaluate(
        """() => ({
            root: getComputedStyle(document.documentElement).direction,
            headline: getComputedStyle(document.querySelector('main h1')).direction,
            body: getComputedStyle(document.querySelector('main p')).direction,
        })"""
    )
    # The site's chrome keeps the site's direction; the article is right to left.
    assert directions == {"root": "ltr", "headline": "rtl", "body": "rtl"}


@pytest.mark.parametrize(
    "where",
    ["/", "/archive/", "/categories/", "/tags/", "/404.html", SEED_SLUG, URDU_SLUG, "/page/2/"],
)
def test_no_horizontal_scrolling_on_a_phone(browser, server: str, output: Path, where: str):
    path = where if where.startswith("/") else _page_path(output, where)
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=server)
    try:
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        response = tab.goto(path)
        assert response is not None and response.ok, path
        sizes = tab.evaluate(
            "() => ({scroll: document.scrollingElement.scrollWidth,"
            " client: document.scrollingElement.clientWidth})"
        )
        assert sizes["scroll"] <= sizes["client"], f"{path} scrolls sideways at 375px: {sizes}"
    finally:
        context.close()


def test_an_old_url_lands_on_the_article(page, output: Path) -> None:
    found = list(output.glob("**/central-bank-holds-policy-rate-steady*/index.html"))
    assert len(found) == 1, found
    target = "/" + found[0].parent.relative_to(output).as_posix() + "/"
    for old in ("/old/2017/rates-held.html", "/business/2017/03/central-bank-rate.html"):
        page.goto(old)
        page.wait_for_url(f"**{target}")
        headline = page.locator("h1").first.inner_text()
        assert headline == "Central bank holds policy rate steady, cites rising imports"


MONTH_HREF = re.compile(r"/\d{4}/\d{2}/$")
DAY_HREF = re.compile(r"/\d{4}/\d{2}/\d{2}/$")


def test_clicking_a_chart_bar_then_a_calendar_day(page) -> None:
    """The archive's chart is real links: a bar opens its month, whose calendar opens a day."""
    page.goto("/archive/")
    bar = page.locator(".archive-chart svg a").last
    label = bar.get_attribute("aria-label")
    href = bar.get_attribute("href")
    assert MONTH_HREF.search(href), href
    bar.locator(".chart-hit").click()
    page.wait_for_url(f"**{href}")
    month = label.split(":")[0]
    assert page.locator("h1").inner_text() == month
    day = page.locator("table.calendar td.has-articles a").first
    day_href = day.get_attribute("href")
    assert DAY_HREF.search(day_href) and day_href.startswith(href), day_href
    day.click()
    page.wait_for_url(f"**{day_href}")
    assert page.locator("main .card").count() >= 1
    crumbs = page.locator('nav[aria-label="Breadcrumb"] a')
    assert crumbs.last.get_attribute("aria-current") == "page"
    assert crumbs.last.get_attribute("href") == day_href
    page.locator(".on-this-day-link a").click()
    page.wait_for_url("**/on-this-day/**")
    assert page.locator("main .card").count() >= 1
