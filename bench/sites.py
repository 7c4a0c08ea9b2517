"""Write one generated archive as a masthead, a Hugo and a Pelican site.

Each format is a ``Format``: how to set the site up (settings, templates) and where and how to
write one article. ``write_sites`` makes one pass over the articles and writes every site.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from archive import Article, slugify

HERE = Path(__file__).resolve().parent
TITLE = "Benchmark Archive"
BASE_URL = "https://example.org/"


@dataclass(frozen=True)
class Site:
    """A generated site and the two files the incremental scenarios edit."""

    path: Path
    article: str  # relative path of the article that gets a sentence appended
    template: str  # relative path of the article template that gets one change
    anchor: str  # text in that template after which the change is inserted
    page: str  # the edited article's output file, relative to the output folder


@dataclass(frozen=True)
class Format:
    setup: Callable[[Path], tuple[str, str]]  # site folder -> (template path, anchor)
    article: Callable[[Article], tuple[str, str]]  # article -> (relative path, file text)


def _q(text: str) -> str:
    """A YAML scalar: JSON strings are valid YAML."""
    return json.dumps(text)


def _qlist(items: Iterable[str]) -> str:
    return json.dumps(list(items))


# masthead: content/YYYY/MM/slug.md, settings in pyproject.toml, one theme template overridden.


def masthead_setup(site: Path) -> tuple[str, str]:
    from masthead.themefiles import theme_path  # the harness runs in masthead's own environment

    (site / "pyproject.toml").write_text(
        "[tool.masthead]\n"
        f"title = {_q(TITLE)}\n"
        'description = "A generated archive for benchmarks."\n'
        f'base_url = "{BASE_URL}"\n'
        'language = "en"\n'
        'timezone = "UTC"\n'
        "per_page = 20\n"
        # Hugo and Pelican build no search index: neither does masthead here (its cost is
        # measured on its own, docs/search.md).
        "search = false\n",
        encoding="utf-8",
    )
    (site / "templates").mkdir()
    shutil.copyfile(theme_path() / "article.html", site / "templates" / "article.html")
    return (
        "templates/article.html",
        '<div class="story-body"{% if search_url %} data-pagefind-body{% endif %}>',
    )


def masthead_article(a: Article) -> tuple[str, str]:
    front = (
        f"title: {_q(a.title)}\n"
        f"date: {a.date.isoformat()}\n"
        f"category: {_q(a.category)}\n"
        f"source: {_q(a.source)}\n"
        f"authors: {_qlist(a.authors)}\n"
        f"tags: {_qlist(a.tags)}\n"
    )
    if a.slug != slugify(a.title):
        # masthead takes the slug from the title, not the file name: a repeated title
        # needs its suffix spelled out, or two articles of one day claim one URL.
        front += f"slug: {a.slug}\n"
    return f"content/{a.date:%Y/%m}/{a.slug}.md", f"---\n{front}---\n\n{a.body}"


# Hugo, two setups, each as its best users would write it:
#
# - "hugo" (masthead's page set): articles in content/posts/YYYY/MM/, so that years and
#   months are sections (an _index.md each) rather than taxonomies; categories, tags,
#   sources, authors and days are taxonomies; article URLs by day; related articles from
#   tags (weight 100) and date (weight 10); no page/1/ aliases; feeds for the home page
#   and for category and tag terms (as masthead and Pelican write them); cards through
#   partialCached.
# - "hugo-plain" (the small theme most sites start with): home, categories, tags, years
#   and months only; no related articles; a feed for the home page only.
#
# Both share the layouts in hugo_layouts/ (pages without a taxonomy simply show none of
# it). Hugo has no day archives: the day taxonomy stands in for masthead's day pages.

HUGO_CONFIG = f"""\
baseURL = "{BASE_URL}"
locale = "en"
title = "{TITLE}"
timeZone = "UTC"
disableKinds = ["sitemap", "robotsTXT"]

[pagination]
pagerSize = 20
disableAliases = true  # no page/1/ redirect pages: the others write none

[services.rss]
limit = 20

[taxonomies]
category = "categories"
tag = "tags"
source = "sources"
author = "authors"
day = "days"

[permalinks.page]
posts = "/:year/:month/:day/:contentbasename/"

[outputs]
home = ["html", "rss"]
section = ["html"]
taxonomy = ["html"]
term = ["html"]

[params]
related = true

[related]
includeNewer = true  # masthead's related lists look both ways in time
threshold = 80  # Hugo's default: a shared tag qualifies, nearness in time alone does not
toLower = false

[[related.indices]]
name = "tags"
weight = 100

[[related.indices]]
name = "date"
weight = 10
"""

HUGO_PLAIN_CONFIG = f"""\
baseURL = "{BASE_URL}"
locale = "en"
title = "{TITLE}"
timeZone = "UTC"
disableKinds = ["sitemap", "robotsTXT"]

[pagination]
pagerSize = 20
disableAliases = true

[services.rss]
limit = 20

[taxonomies]
category = "categories"
tag = "tags"

[permalinks.page]
posts = "/:year/:month/:day/:contentbasename/"

[outputs]
home = ["html", "rss"]
section = ["html"]
taxonomy = ["html"]
term = ["html"]
"""

# Feeds for category and tag terms only (Pelican's are the same), not for every date or author.
HUGO_TERM_FEEDS = "---\ncascade:\n  outputs: [html, rss]\n---\n"


def hugo_setup(site: Path) -> tuple[str, str]:
    return _hugo_site(site, HUGO_CONFIG, term_feeds=True)


def hugo_plain_setup(site: Path) -> tuple[str, str]:
    return _hugo_site(site, HUGO_PLAIN_CONFIG, term_feeds=False)


def _hugo_site(site: Path, config: str, term_feeds: bool) -> tuple[str, str]:
    (site / "hugo.toml").write_text(config, encoding="utf-8")
    shutil.copytree(HERE / "hugo_layouts", site / "layouts")
    (site / "content" / "posts").mkdir(parents=True)
    (site / "content" / "posts" / "_index.md").write_text(
        "---\ntitle: Archive\n---\n", encoding="utf-8"
    )
    if term_feeds:
        for taxonomy in ("categories", "tags"):
            (site / "content" / taxonomy).mkdir(parents=True)
            (site / "content" / taxonomy / "_index.md").write_text(
                HUGO_TERM_FEEDS, encoding="utf-8"
            )
    return "layouts/page.html", '<div class="story-body">'


def hugo_article(a: Article) -> tuple[str, str]:
    front = (
        f"title: {_q(a.title)}\n"
        f"date: {a.date:%Y-%m-%dT%H:%M:%SZ}\n"
        f"categories: [{_q(a.category)}]\n"
        f"tags: {_qlist(a.tags)}\n"
        f"sources: [{_q(a.source)}]\n"
        f"authors: {_qlist(a.authors)}\n"
        f'days: ["{a.date:%Y-%m-%d}"]\n'
    )
    return f"content/posts/{a.date:%Y/%m}/{a.slug}.md", f"---\n{front}---\n\n{a.body}"


def hugo_sections(site: Path, months: set[tuple[int, int]]) -> None:
    """An _index.md for each year and month section that holds articles."""
    for year in sorted({y for y, _ in months}):
        _write_index(site / "content/posts" / f"{year}", f"{year}")
    for year, month in sorted(months):
        title = f"{MONTH_NAMES[month - 1]} {year}"
        _write_index(site / "content/posts" / f"{year}/{month:02d}", title)


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _write_index(folder: Path, title: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_index.md").write_text(f"---\ntitle: {_q(title)}\n---\n", encoding="utf-8")


# Pelican: content/slug.md with Pelican metadata, its default theme (notmyidea) with two
# templates overridden through THEME_TEMPLATES_OVERRIDES.

PELICAN_CONFIG = f"""\
AUTHOR = "Benchmark"
SITENAME = "{TITLE}"
SITEURL = "{BASE_URL.rstrip("/")}"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
THEME_TEMPLATES_OVERRIDES = ["templates"]

DEFAULT_PAGINATION = 20
PAGINATED_TEMPLATES = {{"index": None, "tag": None, "category": None, "author": None,
                       "period_archives": None}}

ARTICLE_URL = "{{date:%Y}}/{{date:%m}}/{{date:%d}}/{{slug}}/"
ARTICLE_SAVE_AS = ARTICLE_URL + "index.html"
YEAR_ARCHIVE_URL = "{{date:%Y}}/"
YEAR_ARCHIVE_SAVE_AS = YEAR_ARCHIVE_URL + "index.html"
MONTH_ARCHIVE_URL = "{{date:%Y}}/{{date:%m}}/"
MONTH_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_URL + "index.html"
DAY_ARCHIVE_URL = "{{date:%Y}}/{{date:%m}}/{{date:%d}}/"
DAY_ARCHIVE_SAVE_AS = DAY_ARCHIVE_URL + "index.html"

FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/category/{{slug}}.atom.xml"
TAG_FEED_ATOM = "feeds/tag/{{slug}}.atom.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
FEED_MAX_ITEMS = 20

CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
"""


def pelican_setup(site: Path) -> tuple[str, str]:
    theme = pelican_theme()
    (site / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    (site / "templates").mkdir()
    shutil.copyfile(theme / "templates" / "article.html", site / "templates" / "article.html")
    shutil.copyfile(
        HERE / "pelican_templates" / "period_archives.html",
        site / "templates" / "period_archives.html",
    )
    return "templates/article.html", '<div class="entry-content">'


def pelican_theme() -> Path:
    """Pelican's default theme folder inside the bench virtualenv."""
    from tools import VENV  # only Pelican sites need the virtualenv

    found = sorted(VENV.glob("lib/python*/site-packages/pelican/themes/notmyidea"))
    if not found:
        raise SystemExit(f"Pelican is not installed in {VENV}")
    return found[0]


def pelican_article(a: Article) -> tuple[str, str]:
    meta = (
        f"Title: {a.title}\n"
        f"Date: {a.date:%Y-%m-%d %H:%M}\n"
        f"Category: {a.category}\n"
        f"Tags: {', '.join(a.tags)}\n"
        f"Authors: {', '.join(a.authors)}\n"
        f"Source: {a.source}\n"
        f"Slug: {a.slug}\n"
    )
    return f"content/{a.slug}.md", f"{meta}\n{a.body}"


FORMATS = {
    "masthead": Format(masthead_setup, masthead_article),
    "hugo": Format(hugo_setup, hugo_article),
    "hugo-plain": Format(hugo_plain_setup, hugo_article),
    "pelican": Format(pelican_setup, pelican_article),
}


def write_sites(root: Path, formats: list[str], articles: Iterable[Article], edited: int) -> dict:
    """Write a fresh site per format under ``root``; return {format: Site}.

    ``edited`` is the index of the article that the "one article edited" scenario changes.
    """
    sites, templates, edited_paths, page = {}, {}, {}, ""
    for name in formats:
        path = root / name
        path.mkdir(parents=True)  # fails if it exists: each run writes fresh sites
        templates[name] = FORMATS[name].setup(path)
    made_dirs: set[Path] = set()
    months: set[tuple[int, int]] = set()
    for article in articles:
        months.add((article.date.year, article.date.month))
        for name in formats:
            rel, text = FORMATS[name].article(article)
            target = root / name / rel
            if target.parent not in made_dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(target.parent)
            target.write_text(text, encoding="utf-8")
            if article.index == edited:
                edited_paths[name] = rel
                page = f"{article.date:%Y/%m/%d}/{article.slug}/index.html"  # same in all three
    for name in formats:
        if name.startswith("hugo"):
            hugo_sections(root / name, months)
        template, anchor = templates[name]
        sites[name] = Site(root / name, edited_paths[name], template, anchor, page)
    return sites
