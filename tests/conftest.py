"""Shared fixtures: tiny sites written into temporary folders, and ready-made records.

Every site is written by ``sitegen`` (the one module of site writers); these fixtures only
hand its functions to tests. ``make_site`` follows MkDocs' ``tempdir`` test helper: give it
``{relative path: text or bytes}`` and it writes those files into a fresh folder below
``tmp_path`` and returns the folder. Every site gets a default ``pyproject.toml`` (time zone
UTC, base URL https://example.org/) unless the mapping brings its own. The default theme is
the repository's ``templates/``, which ``masthead.themefiles.theme_path()`` finds by itself.
"""

from __future__ import annotations

import gc
import itertools
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sitegen import SIMPLE_PYPROJECT, TINY_PYPROJECT, article_text, write_files

from masthead import urls
from masthead.config import SiteConfig
from masthead.model import Article, Link

UTC = ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def _collector_as_found():
    """A test that reads saved state outside a build leaves it frozen (see
    ``collector.no_collections``): give it back to the collector, as a build does."""
    yield
    gc.unfreeze()


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """``make_site({"content/2017/09/a.md": "...", ...}, name="site")`` -> the site folder."""
    counter = itertools.count()

    def make(files: dict[str, str | bytes] | None = None, name: str | None = None) -> Path:
        files = dict(files or {})
        files.setdefault("pyproject.toml", SIMPLE_PYPROJECT)
        return write_files(tmp_path / (name or f"site{next(counter)}"), files)

    return make


@pytest.fixture
def md() -> Callable[..., str]:
    """The ``article_text`` builder, as a fixture."""
    return article_text


def make_article(
    title: str = "A headline",
    when: datetime | str = "2017-09-23",
    category: str = "World",
    source: str = "Wire",
    tags: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    rel: str | None = None,
    slug: str | None = None,
    permalink: str = SiteConfig.permalink,
    **fields,
) -> Article:
    """An Article record built directly (no parsing), URLs made by masthead's own rules."""
    date = when if isinstance(when, datetime) else datetime.fromisoformat(when)
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    slug = slug or urls.slugify(title)
    category_slug = urls.slugify(category)

    def link(kind: str, name: str) -> Link:
        return Link(name, urls.term_url(kind, urls.slugify(name)))

    return Article(
        rel=rel or f"{date:%Y/%m}/{slug}.md",
        title=title,
        slug=slug,
        url=urls.article_url(permalink, date, slug, category_slug),
        date=date,
        category=link("category", category),
        source=link("source", source),
        tags=tuple(link("tag", t) for t in tags),
        authors=tuple(link("author", a) for a in authors),
        aliases=aliases,
        digest=f"digest-of-{slug}",
        **fields,
    )


@pytest.fixture
def article() -> Callable[..., Article]:
    """The ``make_article`` factory, as a fixture."""
    return make_article


def snapshot(folder: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every file and folder below ``folder``: files as (bytes, mtime_ns), folders as None."""
    found: dict[str, tuple[bytes, int] | None] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            found[(Path(dirpath) / name).relative_to(folder).as_posix() + "/"] = None
        for name in filenames:
            path = Path(dirpath) / name
            found[path.relative_to(folder).as_posix()] = (
                path.read_bytes(),
                path.stat().st_mtime_ns,
            )
    return found


@pytest.fixture
def tree() -> Callable[[Path], dict[str, tuple[bytes, int] | None]]:
    """``tree(folder)``: a byte-and-mtime snapshot of a folder, for 'left untouched' checks."""
    return snapshot


@pytest.fixture
def preview_root(tmp_path: Path) -> Path:
    """A preview folder as ``masthead serve`` builds it (a site's .masthead-cache/preview),
    with ``secret.txt`` beside the site: the HTTP side must never serve it."""
    write_files(tmp_path, {"secret.txt": "secret", "site/pyproject.toml": TINY_PYPROJECT})
    return write_files(
        tmp_path / "site" / ".masthead-cache" / "preview",
        {
            "index.html": "<html><body>home</body></html>",
            "2017/09/23/first-story/index.html": "<html><body>first</body></html>",
            "static/style.css": "body{}",
            "feed.xml": "<feed/>",
            "data.json": "{}",
            "img/logo.png": "png",
            "404.html": "<html><body>not here</body></html>",
            ".masthead-manifest.json": "{}",
        },
    )
