"""feeds.py as functions: which feeds are planned and what each shows, the sitemap and its
parts (at 50,000 URLs and by size), the news sitemap's window, and robots.txt.

Archives are built from records (conftest's ``article``) with ``index.build_archive``; the
pages come from ``plan.plan_pages``. What the feeds and sitemaps look like once rendered is
tested in test_feeds.py and test_sitemaps.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from masthead import feeds, urls
from masthead.config import SiteConfig
from masthead.feeds import (
    NEWS_MAX_ARTICLES,
    SITEMAP_ENTRY_OVERHEAD,
    SITEMAP_MAX_URLS,
    SitemapEntry,
    plan_feeds,
    plan_sitemaps,
    sitemap_parts,
)
from masthead.index import build_archive
from masthead.model import Page
from masthead.plan import plan_pages

BASE_URL = "https://example.org/news/"
CONFIG = SiteConfig(title="Example News", base_url=BASE_URL, feed_items=2)
NOW = datetime(2017, 9, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def archive(article):
    """Four articles, newest first: Geneva (World, Reuters, two authors, corrected later),
    Markets (Business, Reuters), Floods (World, AP), Election (World, Dawn)."""
    articles = [
        article(
            "Talks resume in Geneva",
            "2017-09-23T10:30:00",
            source="Reuters",
            authors=("Amina Khan", "Bilal Ahmed"),
            tags=("Syria",),
            updated=datetime(2017, 9, 24, 8, 0, tzinfo=UTC),
        ),
        article("Markets rally", "2017-09-22T13:00:00", "Business", "Reuters", ("Markets",)),
        article("Floods in the north", "2017-09-22T11:00:00", source="AP", tags=("Syria",)),
        article("Election called", "2016-12-31T23:30:00", source="Dawn", authors=("Amina Khan",)),
    ]
    built, problems = build_archive(articles, "content/")
    assert problems == []
    return built


def by_url(pages: list[Page]) -> dict[str, Page]:
    return {page.url: page for page in pages}


def titles(archive, page: Page) -> list[str]:
    return [archive.articles[i].title for i in page.refs["entries"]]


# --- plan_feeds -----------------------------------------------------------------------------


def test_the_site_feeds_show_the_newest_feed_items_articles(archive) -> None:
    feeds_ = by_url(plan_feeds(archive, CONFIG))
    atom, rss = feeds_["feed.xml"], feeds_["rss.xml"]
    assert (atom.template, rss.template) == ("atom.xml", "rss.xml")
    for feed in (atom, rss):
        assert feed.kind == "feed" and feed.with_bodies
        assert feed.refs == {"entries": (0, 1)}
        assert feed.values["feed_title"] == "Example News"
        assert feed.values["alternate_url"] == ""
        assert feed.values["self_url"] == feed.url
    assert atom.body_positions() == (0, 1), "a feed shows its entries' bodies"


def test_a_feed_is_updated_at_the_latest_change_of_its_entries(archive) -> None:
    atom = by_url(plan_feeds(archive, CONFIG))["feed.xml"]
    assert atom.values["updated"] == datetime(2017, 9, 24, 8, 0, tzinfo=UTC)  # the correction


def test_every_term_of_the_feed_taxonomies_gets_a_feed_of_its_newest_articles(archive) -> None:
    feeds_ = by_url(plan_feeds(archive, CONFIG))
    assert CONFIG.feed_taxonomies == ("category", "source", "author")
    world = feeds_["category/world/feed.xml"]
    assert titles(archive, world) == ["Talks resume in Geneva", "Floods in the north"]
    assert world.values["feed_title"] == "Example News: World"
    assert world.values["alternate_url"] == "category/world/"
    assert world.values["updated"] == datetime(2017, 9, 24, 8, 0, tzinfo=UTC)
    assert titles(archive, feeds_["author/amina-khan/feed.xml"]) == [
        "Talks resume in Geneva",
        "Election called",
    ]
    assert "source/reuters/feed.xml" in feeds_
    assert not any(url.startswith("tag/") for url in feeds_), "no tag feeds by default"
    expected = 2 + sum(len(archive.terms[kind]) for kind in CONFIG.feed_taxonomies)
    assert len(feeds_) == expected


def test_feed_taxonomies_choose_which_terms_get_feeds(archive) -> None:
    only_tags = SiteConfig(feed_taxonomies=("tag",))
    assert sorted(p.url for p in plan_feeds(archive, only_tags)) == [
        "feed.xml",
        "rss.xml",
        "tag/markets/feed.xml",
        "tag/syria/feed.xml",
    ]
    assert [p.url for p in plan_feeds(archive, SiteConfig(feed_taxonomies=()))] == [
        "feed.xml",
        "rss.xml",
    ]


def test_an_empty_archive_has_empty_feeds_with_a_fixed_date() -> None:
    empty, _ = build_archive([], "content/")
    atom, rss = plan_feeds(empty, CONFIG)
    assert atom.refs == {"entries": ()} and rss.refs == {"entries": ()}
    assert atom.values["updated"] == feeds.EPOCH


# --- plan_sitemaps: the sitemap ------------------------------------------------------------


def sitemaps(archive, config: SiteConfig = CONFIG, now: datetime = NOW) -> dict[str, Page]:
    return by_url(plan_sitemaps(plan_pages(archive, config), archive, config, now))


def test_the_sitemap_lists_every_page_a_search_engine_should_index(archive) -> None:
    pages = plan_pages(archive, CONFIG)
    [sitemap] = [p for p in plan_sitemaps(pages, archive, CONFIG, NOW) if p.url == "sitemap.xml"]
    listed = [entry.url for entry in sitemap.values["entries"]]
    assert len(listed) == len(set(listed))
    kinds = {page.url: page.kind for page in pages}
    assert {kinds[url] for url in listed} == {
        "article", "home", "category", "tag", "source", "author",
        "year", "month", "day", "terms", "archive", "on-this-day", "corrections",
    }  # fmt: skip
    left_out = {page.kind for page in pages if page.url not in listed}
    assert left_out == {"404"}, "feeds are no pages, aliases only redirect"


def test_a_page_is_dated_by_the_latest_change_among_the_articles_it_shows(archive) -> None:
    entries = {e.url: e.lastmod for e in sitemaps(archive)["sitemap.xml"].values["entries"]}
    geneva = archive.articles[0]
    assert entries[geneva.url] == datetime(2017, 9, 24, 8, 0, tzinfo=UTC)
    assert entries[archive.articles[3].url] == archive.articles[3].date
    assert entries[""] == datetime(2017, 9, 24, 8, 0, tzinfo=UTC)
    assert entries["2016/"] == archive.articles[3].date
    assert entries["categories/"] is None, "a page that lists no article has no date"


def test_a_small_site_has_one_sitemap_no_index() -> None:
    pages = tuple(Page(url=f"p{i}/", template="list.html", kind="home", title="", lang="en")
                  for i in range(10))  # fmt: skip
    parts = sitemap_parts(pages, (), BASE_URL)
    assert [len(part) for part in parts] == [10]


def many_pages(n: int, url: str = "page-{i}/") -> tuple[Page, ...]:
    """``n`` listing pages that show no article (so no lastmod to look up)."""
    return tuple(
        Page(url=url.format(i=i), template="list.html", kind="home", title="", lang="en")
        for i in range(n)
    )


def test_past_50000_urls_the_sitemap_is_an_index_of_parts(archive) -> None:
    pages = many_pages(SITEMAP_MAX_URLS + 1)
    assert [len(p) for p in sitemap_parts(pages, (), BASE_URL)] == [SITEMAP_MAX_URLS, 1]
    planned = by_url(plan_sitemaps(pages, archive, CONFIG, NOW))
    assert planned["sitemap.xml"].template == "sitemap-index.xml"
    parts = planned["sitemap.xml"].values["parts"]
    assert [part.url for part in parts] == ["sitemap-1.xml", "sitemap-2.xml"]
    assert [len(planned[p.url].values["entries"]) for p in parts] == [SITEMAP_MAX_URLS, 1]
    assert all(planned[p.url].template == "sitemap.xml" for p in parts)
    assert planned["robots.txt"].values["sitemaps"][0] == "sitemap.xml", "robots names the index"


def test_exactly_50000_urls_still_fit_one_sitemap() -> None:
    assert len(sitemap_parts(many_pages(SITEMAP_MAX_URLS), (), BASE_URL)) == 1


def test_the_index_dates_each_part_by_its_newest_entry(archive) -> None:
    pages = many_pages(SITEMAP_MAX_URLS) + plan_pages(archive, CONFIG)[:1]  # Geneva's page
    planned = by_url(plan_sitemaps(pages, archive, CONFIG, NOW))
    first, second = planned["sitemap.xml"].values["parts"]
    assert first.lastmod is None
    assert second.lastmod == datetime(2017, 9, 24, 8, 0, tzinfo=UTC)


def estimated_size(entry: SitemapEntry) -> int:
    """What the module counts for one entry: its URL as written, and the markup around it."""
    return len(urls.absolute(BASE_URL, entry.url)) + SITEMAP_ENTRY_OVERHEAD


def test_a_part_is_cut_before_its_estimated_size_passes_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(feeds, "SITEMAP_MAX_BYTES", 100_000)
    pages = many_pages(2_000, url="a-rather-long-section-name/page-{i}/")
    parts = sitemap_parts(pages, (), BASE_URL)
    assert len(parts) > 1
    assert [e.url for part in parts for e in part] == [p.url for p in pages], "in order, once"
    limit = 100_000 - 1024
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        assert sum(map(estimated_size, part)) <= limit
        if following:  # cut only when the next entry would not fit
            assert sum(map(estimated_size, part)) + estimated_size(following[0]) > limit


def test_the_size_estimate_covers_percent_encoded_non_ascii_urls(monkeypatch) -> None:
    monkeypatch.setattr(feeds, "SITEMAP_MAX_BYTES", 100_000)
    slug = "新闻" * 40  # 80 characters: a title slug at the default slug_length
    pages = many_pages(500, url=f"tag/{slug}/page-{{i}}/")
    lastmod = "<lastmod>2017-09-23T10:30:00+05:00</lastmod>"
    for part in sitemap_parts(pages, (), BASE_URL):
        written = sum(
            len(f"<url><loc>{urls.absolute(BASE_URL, e.url)}</loc>{lastmod}</url>\n".encode())
            for e in part
        )
        assert written <= 100_000


# --- the news sitemap and robots.txt ---------------------------------------------------------


def news_titles(archive, config: SiteConfig = CONFIG, now: datetime = NOW) -> list[str] | None:
    page = sitemaps(archive, config, now).get("news-sitemap.xml")
    return None if page is None else [archive.articles[i].title for i in page.refs["entries"]]


def test_the_news_sitemap_holds_the_articles_of_the_window_newest_first(archive) -> None:
    # The window is two days before NOW: from 22 Sep 12:00 UTC.
    assert news_titles(archive) == ["Talks resume in Geneva", "Markets rally"]
    assert news_titles(archive, SiteConfig(news_window_days=30)) == [
        "Talks resume in Geneva",
        "Markets rally",
        "Floods in the north",
    ]


def test_the_window_includes_both_ends_and_nothing_after_now(article) -> None:
    articles = [
        article("Just now", NOW),
        article("At the start", NOW - timedelta(days=2)),
        article("Just before", NOW - timedelta(days=2, seconds=1)),
        article("Scheduled", NOW + timedelta(seconds=1)),
    ]
    archive, _ = build_archive(articles, "content/")
    assert news_titles(archive) == ["Just now", "At the start"]


def test_the_news_sitemap_holds_at_most_1000_articles(article) -> None:
    articles = [article(f"Story {i}", NOW - timedelta(minutes=i)) for i in range(1_005)]
    archive, _ = build_archive(articles, "content/")
    shown = news_titles(archive)
    assert shown is not None and len(shown) == NEWS_MAX_ARTICLES
    assert shown[0] == "Story 0" and shown[-1] == "Story 999"


def test_without_recent_articles_there_is_no_news_sitemap_and_robots_says_so(archive) -> None:
    later = sitemaps(archive, now=NOW + timedelta(days=100))
    assert "news-sitemap.xml" not in later
    assert later["robots.txt"].values == {"sitemaps": ("sitemap.xml",)}


def test_robots_names_the_sitemap_and_the_news_sitemap(archive) -> None:
    robots = sitemaps(archive)["robots.txt"]
    assert (robots.template, robots.kind) == ("robots.txt", "robots")
    assert robots.values == {"sitemaps": ("sitemap.xml", "news-sitemap.xml")}
