"""Feeds, sitemaps and robots.txt, planned as pages like any other.

As pages they get fingerprints (a feed is rendered again only when an entry in it changed)
and render in the worker processes. Their templates are ``atom.xml``, ``rss.xml``,
``sitemap.xml``, ``sitemap-index.xml``, ``news-sitemap.xml`` and ``robots.txt``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from . import urls
from .config import SiteConfig
from .model import DIRECT, Archive, Memoizer, Page

SITEMAP_MAX_URLS = 50_000
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
SITEMAP_ENTRY_OVERHEAD = 120  # bytes of markup around each <loc>, with a lastmod
NEWS_MAX_ARTICLES = 1_000
ATOM_FILE = urls.ATOM_FILE
RSS_FILE = "rss.xml"
SITEMAP_FILE = "sitemap.xml"
NEWS_SITEMAP_FILE = "news-sitemap.xml"
ROBOTS_FILE = "robots.txt"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "updated" of a feed with no entries, for stable bytes


class SitemapEntry(NamedTuple):
    """One URL of a sitemap, site-relative, with the time its content last changed."""

    url: str
    lastmod: datetime | None


def plan_feeds(archive: Archive, config: SiteConfig) -> list[Page]:
    """The site's Atom and RSS feeds and an Atom feed per term of the configured taxonomies."""
    latest = tuple(range(min(config.feed_items, len(archive.articles))))
    pages = [
        _feed(archive, config, ATOM_FILE, "atom.xml", config.title, "", latest),
        _feed(archive, config, RSS_FILE, "rss.xml", config.title, "", latest),
    ]
    for kind in config.feed_taxonomies:
        for entry in archive.terms[kind]:
            title = f"{config.title}: {entry.link.name}"
            url = urls.feed_url(entry.link.url)
            shown = entry.articles[: config.feed_items]
            pages.append(_feed(archive, config, url, "atom.xml", title, entry.link.url, shown))
    return pages


def plan_sitemaps(
    pages: tuple[Page, ...],
    archive: Archive,
    config: SiteConfig,
    now: datetime,
    memo: Memoizer = DIRECT,
) -> list[Page]:
    """sitemap.xml (an index of numbered parts past the protocol's limits), the news sitemap
    and robots.txt naming them."""
    lastmods = tuple(article.last_modified for article in archive.articles)
    parts = memo.call(sitemap_parts, pages, lastmods, config.base_url)
    planned: list[Page] = []
    if len(parts) == 1:
        planned.append(
            _xml(config, SITEMAP_FILE, "sitemap.xml", "sitemap", {"entries": tuple(parts[0])})
        )
    else:
        index = []
        for number, part in enumerate(parts, start=1):
            url = f"sitemap-{number}.xml"
            planned.append(_xml(config, url, "sitemap.xml", "sitemap", {"entries": tuple(part)}))
            index.append(
                SitemapEntry(url, max((e.lastmod for e in part if e.lastmod), default=None))
            )
        planned.append(
            _xml(config, SITEMAP_FILE, "sitemap-index.xml", "sitemap", {"parts": tuple(index)})
        )
    news = _news_sitemap(archive, config, now)
    if news.refs["entries"]:  # the protocol has no empty sitemap; none is better than invalid
        planned.append(news)
    robots = {"sitemaps": (SITEMAP_FILE, *((NEWS_SITEMAP_FILE,) if news.refs["entries"] else ()))}
    planned.append(_xml(config, ROBOTS_FILE, "robots.txt", "robots", robots))
    return planned


_SITEMAP_KINDS = frozenset(
    {
        "article",
        "home",
        "category",
        "tag",
        "source",
        "author",
        "year",
        "month",
        "day",
        "terms",
        "archive",
        "on-this-day",
        "corrections",
    }
)


def _feed(
    archive: Archive,
    config: SiteConfig,
    url: str,
    template: str,
    title: str,
    alternate: str,
    positions: tuple[int, ...],
) -> Page:
    updated = max((archive.articles[i].last_modified for i in positions), default=EPOCH)
    values = {"feed_title": title, "self_url": url, "alternate_url": alternate, "updated": updated}
    return Page(
        url=url,
        template=template,
        kind="feed",
        title=title,
        lang=config.language,
        values=values,
        refs={"entries": positions},
        with_bodies=True,
    )


def _xml(config: SiteConfig, url: str, template: str, kind: str, values: dict) -> Page:
    return Page(
        url=url, template=template, kind=kind, title=url, lang=config.language, values=values
    )


def sitemap_parts(
    pages: tuple[Page, ...], lastmods: tuple[datetime, ...], base_url: str
) -> list[list[SitemapEntry]]:
    """The sitemap's entries, in parts small enough for the protocol."""
    return _split(_sitemap_entries(pages, lastmods), base_url)


def _sitemap_entries(pages: tuple[Page, ...], lastmods: tuple[datetime, ...]) -> list[SitemapEntry]:
    return [_sitemap_entry(page, lastmods) for page in pages if page.kind in _SITEMAP_KINDS]


def _sitemap_entry(page: Page, lastmods: tuple[datetime, ...]) -> SitemapEntry:
    """The page's URL with the latest change among the articles it shows."""
    if page.kind == "article":
        shown = page.refs.get("article")
        return SitemapEntry(page.url, lastmods[shown] if isinstance(shown, int) else None)
    shown = page.refs.get("articles") or ()
    lead = page.refs.get("lead")  # the home page's lead story, shown above its articles
    shown = (*shown, lead) if isinstance(lead, int) else shown
    return SitemapEntry(page.url, max(map(lastmods.__getitem__, shown)) if shown else None)


def _split(entries: list[SitemapEntry], base_url: str) -> list[list[SitemapEntry]]:
    """Parts of at most 50,000 URLs and (estimated generously) 50 MB each."""
    parts: list[list[SitemapEntry]] = [[]]
    size = 0
    for entry in entries:
        # The URL as written: percent-encoded (a CJK or Urdu character takes 9 bytes).
        entry_size = len(urls.absolute(base_url, entry.url)) + SITEMAP_ENTRY_OVERHEAD
        if len(parts[-1]) >= SITEMAP_MAX_URLS or size + entry_size > SITEMAP_MAX_BYTES - 1024:
            parts.append([])
            size = 0
        parts[-1].append(entry)
        size += entry_size
    return parts


def _news_sitemap(archive: Archive, config: SiteConfig, now: datetime) -> Page:
    """Articles published within the news window before ``now`` (newest first, at most 1,000)."""
    since = now - timedelta(days=config.news_window_days)
    recent = tuple(i for i, a in enumerate(archive.articles) if since <= a.date <= now)[
        :NEWS_MAX_ARTICLES
    ]
    return Page(
        url=NEWS_SITEMAP_FILE,
        template="news-sitemap.xml",
        kind="news-sitemap",
        title=NEWS_SITEMAP_FILE,
        lang=config.language,
        refs={"entries": recent},
    )
