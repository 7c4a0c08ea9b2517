"""Search in a real browser: the demo archive built for a sub-path (/archive/), served by
``python -m http.server`` on 127.0.0.1, searched from the header's box in Debian's Chromium
(see tests/browsers.py: skipped without it, failed under CI=true)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsers import launch_chromium
from sitegen import copy_demo
from test_browser import _free_port, _wait_until_serving

from masthead.cli import main

pytestmark = pytest.mark.slow  # a real browser

TIMEOUT_MS = 20_000
BASE = "/archive/"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo archive built into served/archive/, for the base URL http://127.0.0.1/archive/."""
    site = copy_demo(tmp_path_factory.mktemp("search-demo"))
    output = site / "served" / BASE.strip("/")
    base_url = f"http://127.0.0.1{BASE}"
    code = main(
        ["build", "--site", str(site), "--output", str(output), "--base-url", base_url, "-q"]
    )
    assert code == 0 and any(output.glob("pagefind/en/*/pagefind.js"))
    return output


@pytest.fixture(scope="module")
def server(output: Path) -> Iterator[str]:
    root = output.parent
    for _attempt in range(3):
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        if _wait_until_serving(base + BASE, process):
            break
        process.terminate()
        process.wait(timeout=10)
    else:
        pytest.fail("python -m http.server did not start on 127.0.0.1")
    try:
        yield base
    finally:
        process.terminate()
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
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield tab
        assert errors == []
    finally:
        context.close()


def _search_from_the_header(page, start: str, words: str) -> None:
    page.goto(start)
    box = page.locator(".site-header input[name=q]")
    box.fill(words)
    box.press("Enter")
    page.wait_for_selector(".search-result")


def test_a_word_from_an_article_finds_it_and_opens_it(page) -> None:
    _search_from_the_header(page, BASE, "groundwater")
    assert "/archive/search/?q=groundwater" in page.url
    first = page.locator(".search-result").first
    heading = first.locator("h2 a")
    assert "groundwater" in heading.inner_text().lower()
    assert first.locator(".search-meta").inner_text().strip()  # section · date
    assert first.locator(".search-excerpt mark").count() >= 1
    href = heading.get_attribute("href")
    assert href.startswith("/archive/20")
    heading.click()
    page.wait_for_url(f"**{href}")
    assert "groundwater" in page.locator("main h1").inner_text().lower()


def test_a_filter_narrows_the_results_and_the_sort_orders_them(page) -> None:
    page.goto(BASE + "search/?q=the")
    page.wait_for_selector(".search-result")
    everything = page.locator(".search-result").count()
    category = page.locator("select[data-filter=category]")
    options = category.locator("option").all_inner_texts()
    assert len(options) > 2  # "All" and the categories
    category.select_option(options[1])
    page.wait_for_function(f"document.querySelectorAll('.search-result').length < {everything}")
    narrowed = page.locator(".search-result .search-meta").all_inner_texts()
    assert narrowed and all(meta.startswith(options[1]) for meta in narrowed)
    page.locator("#search-sort").select_option("asc")
    page.wait_for_timeout(500)
    assert page.locator(".search-result").count() == len(narrowed)


def _result_dates(page) -> list[str]:
    """The dates of the results shown, from their URLs (/archive/YYYY/MM/DD/slug/)."""
    hrefs = page.locator(".search-result h2 a").evaluate_all("links => links.map(a => a.pathname)")
    return ["/".join(href.split("/")[2:5]) for href in hrefs]


def test_a_date_sort_orders_the_results_of_every_year_s_shard(page) -> None:
    page.goto(BASE + "search/?q=the")
    page.wait_for_selector(".search-result")
    relevance = _result_dates(page)
    assert len({date[:4] for date in relevance}) > 3  # results from several shards
    for direction in ("desc", "asc"):
        page.locator("#search-sort").select_option(direction)
        page.wait_for_function(
            "order => { const d = [...document.querySelectorAll('.search-result h2 a')]"
            ".map(a => a.pathname.split('/').slice(2, 5).join('/'));"
            " const s = [...d].sort(); if (order === 'desc') s.reverse();"
            " return d.length > 1 && d.join() === s.join(); }",
            arg=direction,
        )
        dates = _result_dates(page)
        assert dates == sorted(dates, reverse=direction == "desc")
        assert sorted(dates) == sorted(relevance)  # the same articles (fewer than 50)


def test_an_urdu_word_from_the_urdu_article_s_box_finds_it(page, output: Path) -> None:
    (found,) = output.glob("**/karachi-book-fair-draws-thousands/index.html")
    start = BASE + found.parent.relative_to(output).as_posix() + "/"
    _search_from_the_header(page, start, "کتب")
    assert "/archive/search/ur/" in page.url
    assert page.locator("html").get_attribute("lang") == "ur"
    heading = page.locator(".search-result h2 a").first
    assert "کتب میلہ" in heading.inner_text()
    heading.click()
    page.wait_for_url("**/karachi-book-fair-draws-thousands/")


def test_the_english_page_does_not_list_the_urdu_article(page) -> None:
    page.goto(BASE + "search/?q=" + "کتب")
    page.wait_for_selector("#search-status:not(:empty)")
    page.wait_for_timeout(300)
    assert page.locator(".search-result").count() == 0
