"""How the demo archive looks in Chromium: geometry at 1920 and 375 px, the Urdu article's
language and direction, print, and axe-core's accessibility rules, light and dark.

Screenshots of the checked pages go to tests/artifacts/ (git-ignored). axe-core is the npm
package: .ci/run installs it (``npm install --prefix .ci/axe axe-core@4``); the tests read
``axe.min.js`` from ``$MASTHEAD_AXE`` or from there, and skip without it, except when
``CI=true``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsers import unavailable
from sitegen import REPO
from test_browser import (  # the demo archive, its server and the browser, for this module too
    SEED_SLUG,
    TIMEOUT_MS,
    URDU_SLUG,
    _page_path,
    browser,
    output,
    server,
)

pytestmark = pytest.mark.slow  # a real browser

__all__ = ["browser", "output", "server"]  # fixtures, used by name

ARTIFACTS = Path(__file__).parent / "artifacts"
AXE_PATHS = (REPO / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js",)
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}


def _tab(browser, server: str, viewport: dict, **options):
    context = browser.new_context(viewport=viewport, base_url=server, **options)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    return context, tab


@pytest.fixture
def wide(browser, server: str) -> Iterator[object]:
    context, tab = _tab(browser, server, {"width": 1920, "height": 1000})
    yield tab
    context.close()


@pytest.fixture
def phone(browser, server: str) -> Iterator[object]:
    context, tab = _tab(browser, server, PHONE, is_mobile=True, has_touch=True)
    yield tab
    context.close()


@pytest.fixture
def desktop(browser, server: str) -> Iterator[object]:
    context, tab = _tab(browser, server, DESKTOP)
    yield tab
    context.close()


BOX = "e => { const b = e.getBoundingClientRect(); return [b.left, b.right, b.top, b.bottom]; }"


# --- Geometry ---------------------------------------------------------------------------------


def test_the_category_bar_and_the_sections_are_centred_on_a_wide_screen(wide) -> None:
    wide.goto("/")
    title = wide.eval_on_selector(".site-title a", BOX)
    centre = (title[0] + title[1]) / 2
    assert abs(centre - 960) <= 1, title
    for bar in (".category-nav li", ".site-nav li"):
        boxes = wide.eval_on_selector_all(bar, f"items => items.map({BOX})")
        left, right = min(b[0] for b in boxes), max(b[1] for b in boxes)
        assert abs((left + right) / 2 - centre) <= 2, f"{bar} spans {left:.0f}-{right:.0f}"
    padding = wide.eval_on_selector(".site-nav ul", "e => getComputedStyle(e).paddingInlineStart")
    assert padding == "0px"


def test_the_phone_header_leaves_the_story_above_the_fold(phone, output: Path) -> None:
    for slug in (SEED_SLUG, URDU_SLUG):
        phone.goto(_page_path(output, slug))
        header = phone.eval_on_selector(".site-header", BOX)
        body = phone.eval_on_selector(".story-body", BOX)
        assert header[3] < 150, f"{slug}: the header ends at {header[3]:.0f}px"
        assert body[2] < 0.7 * PHONE["height"], f"{slug}: the story starts at {body[2]:.0f}px"
        assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def _current_is_in_view(tab) -> None:
    bar = tab.eval_on_selector(".category-nav ul", BOX)
    current = tab.eval_on_selector(".category-nav a[aria-current]", BOX)
    assert bar[0] - 1 <= current[0] and current[1] <= bar[1] + 1, (bar, current)


def test_the_current_category_is_scrolled_into_view_on_a_phone(phone) -> None:
    phone.goto("/")
    last = phone.eval_on_selector_all(
        ".category-nav a", "links => links.map(a => a.getAttribute('href'))"
    )[-1]
    phone.goto(last)
    assert phone.get_attribute(f'.category-nav a[href="{last}"]', "aria-current") == "page"
    assert phone.eval_on_selector(".category-nav ul", "e => e.scrollWidth > e.clientWidth"), (
        "the bar should overflow at 375px for this test to mean anything"
    )
    _current_is_in_view(phone)
    # An article of that category: its category is marked and in view too.
    story = phone.eval_on_selector("main .card-title a", "a => a.getAttribute('href')")
    phone.goto(story)
    assert phone.get_attribute(f'.category-nav a[href="{last}"]', "aria-current") == "true"
    _current_is_in_view(phone)


# --- The Urdu article in an English site -------------------------------------------------------


def test_the_urdu_article_is_right_to_left_in_an_english_page(desktop, output: Path) -> None:
    desktop.goto(_page_path(output, URDU_SLUG))
    found = desktop.evaluate(
        """() => {
            const dir = s => getComputedStyle(document.querySelector(s)).direction;
            const nav = [...document.querySelectorAll('.category-nav li')]
                .map(li => li.getBoundingClientRect().left);
            // Text in Latin letters and no Arabic ones, shown inside the article: its language.
            const walker = document.createTreeWalker(
                document.querySelector('article.story'), NodeFilter.SHOW_TEXT);
            const english = [];
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const text = n.textContent.trim();
                if (!/[A-Za-z]{2}/.test(text) || /[\\u0600-\\u06ff]/.test(text)) continue;
                if (!n.parentElement.getClientRects().length) continue;  // not shown
                const own = n.parentElement.closest('[lang]');
                english.push([text, own.getAttribute('lang'),
                              getComputedStyle(n.parentElement).direction]);
            }
            return {
                html: [document.documentElement.lang, document.documentElement.dir, dir('html')],
                header: dir('.site-header'), nav: dir('.category-nav ul'),
                navInOrder: nav.every((x, i) => i === 0 || x > nav[i - 1]),
                skip: document.querySelector('.skip-link').closest('[lang]').lang,
                article: [document.querySelector('article.story').lang, dir('article.story')],
                headline: dir('main h1'), body: dir('.story-body p'),
                related: document.querySelector('#related-heading').closest('[lang]').lang,
                english,
            };
        }"""
    )
    assert found["html"] == ["en", "ltr", "ltr"]
    assert (found["header"], found["nav"], found["navInOrder"]) == ("ltr", "ltr", True)
    assert found["skip"] == "en" and found["related"] == "en"
    assert found["article"] == ["ur", "rtl"]
    assert (found["headline"], found["body"]) == ("rtl", "rtl")
    assert found["english"], "the demo's Urdu article shows English names (category, tags)"
    wrong = [item for item in found["english"] if item[1:] != ["en", "ltr"]]
    assert not wrong, f"English text inside the Urdu article not marked lang=en dir=ltr: {wrong}"


# --- Print --------------------------------------------------------------------------------------

A4_TEXT_WIDTH = 643  # px: 21 cm less the 2 cm margins of @page, at 96 px per inch

CHARS_PER_LINE = """() => {
    const paragraphs = [...document.querySelectorAll('.story-body p')];
    const p = paragraphs.reduce((a, b) => (b.textContent.length > a.textContent.length ? b : a));
    const range = document.createRange();
    range.selectNodeContents(p);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    const lines = [...tops].length;
    return lines > 1 ? Math.round(p.textContent.length / lines) : null;
}"""


def test_printed_articles_keep_their_leading_and_measure_and_show_their_address(
    browser, server: str, output: Path
) -> None:
    context, tab = _tab(browser, server, {"width": A4_TEXT_WIDTH, "height": 900})
    try:
        for slug in (SEED_SLUG, URDU_SLUG):
            tab.goto(_page_path(output, slug))
            assert not tab.locator(".print-url").is_visible(), "the address is for paper only"
            tab.emulate_media(media="print")
            found = tab.evaluate(
                """() => {
                    const p = getComputedStyle(document.querySelector('.story-body p'));
                    const url = document.querySelector('.print-url');
                    return {leading: parseFloat(p.lineHeight) / parseFloat(p.fontSize),
                            url: url.textContent.trim(), shown: url.getClientRects().length > 0,
                            canonical: document.querySelector('link[rel=canonical]').href,
                            afterHeadline: url.previousElementSibling.tagName};
                }"""
            )
            assert found["shown"] and found["url"] == found["canonical"], found
            assert found["afterHeadline"] == "H1", found
            if slug == URDU_SLUG:
                assert found["leading"] >= 2.1, f"printed Urdu lines overlap: {found}"
            else:
                assert found["leading"] >= 1.45, found
                chars = tab.evaluate(CHARS_PER_LINE)
                assert chars is not None and 50 <= chars <= 72, f"{chars} characters a line"
            tab.screenshot(path=str(_artifact(f"print-{slug}")), full_page=True)
            tab.emulate_media(media="screen")
    finally:
        context.close()


# --- Accessibility: axe-core ---------------------------------------------------------------------


def _axe_source() -> str:
    candidates = [Path(p) for p in (os.environ.get("MASTHEAD_AXE"),) if p] + list(AXE_PATHS)
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    unavailable(
        "axe-core is not installed (npm install --prefix .ci/axe axe-core@4, or set MASTHEAD_AXE)"
    )
    raise AssertionError  # unreachable: unavailable() skips or fails


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


PAGES = {"home": "/", "article": SEED_SLUG, "archive": "/archive/", "search": "/search/"}
PAGES["urdu-article"] = URDU_SLUG


@pytest.fixture(scope="module")
def axe() -> str:
    return _axe_source()


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_violations(
    browser, server: str, output: Path, axe: str, name: str, scheme: str, width: int
) -> None:
    where = PAGES[name]
    if where.startswith("/"):
        if not (output / where.strip("/") / "index.html").is_file():
            pytest.skip(f"the demo archive has no {where} page")
        path = where
    else:
        path = _page_path(output, where)
    context, tab = _tab(browser, server, {"width": width, "height": 900}, color_scheme=scheme)
    try:
        response = tab.goto(path)
        assert response is not None and response.ok, path
        tab.emulate_media(color_scheme=scheme)
        assert tab.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
        tab.add_script_tag(content=axe)
        result = tab.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': '
                        + (n.failureSummary || '').split('\\n').slice(0, 3).join(' '))}));
            }"""
        )
        tab.screenshot(path=str(_artifact(f"{name}-{scheme}-{width}")), full_page=True)
    finally:
        context.close()
    assert result == [], f"{path} ({scheme}, {width}px): " + json.dumps(result, indent=1)
