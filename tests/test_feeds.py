"""Atom and RSS feeds, checked with a real feed parser (feedparser), not only our own reading.

Small sites are written into temporary folders and built with ``masthead.pipeline.build``;
the reference time is pinned with ``BuildOptions(now=...)`` so nothing depends on the clock.
The sites live under a sub-path (``https://example.org/news/``) in Asia/Karachi (+05:00), so
every link must carry ``/news/`` and every date the +05:00 offset.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from hostile import (
    CLEAN_AUTHOR,
    CLEAN_SUMMARY,
    CLEAN_TAG,
    CLEAN_TITLE,
    HOSTILE_CATEGORY,
    HOSTILE_SITE_TITLE,
    hostile_fields,
)
from sitegen import NOW, build_site, write_site

from masthead.model import BuildOptions, ProblemsError
from masthead.pipeline import build

BASE_URL = "https://example.org/news/"
SITE_TITLE = "Example News"
FEED_ITEMS = 4

SETTINGS = {
    "title": SITE_TITLE,
    "description": "News from everywhere.",
    "base_url": BASE_URL,
    "timezone": "Asia/Karachi",
    "language": "en",
    "per_page": 2,
    "feed_items": FEED_ITEMS,
}

GENEVA_BODY = """\
Talks *resumed* on Saturday & the envoys [met](https://example.com/meeting) again.

> "We are close," said one.

- first point
- second point
"""
GENEVA_HTML = (
    '<p>Talks <em>resumed</em> on Saturday &amp; the envoys <a href="https://example.com/meeting">'
    "met</a> again.</p>\n"
    '<blockquote>\n<p>"We are close," said one.</p>\n</blockquote>\n'
    "<ul>\n<li>first point</li>\n<li>second point</li>\n</ul>"
)

# Newest first: B, A, C, D, E, F, G, H. World has five articles (A, E, F, G, H).
ARTICLES = {
    "2017/09/geneva.md": {
        "title": "Talks resume in Geneva",
        "date": "2017-09-23T10:30:00",
        "updated": "2017-09-24T08:00:00",
        "category": "World",
        "source": "Reuters",
        "authors": ["Amina Khan", "Bilal Ahmed"],
        "tags": ["Diplomacy", "Syria"],
        "summary": "Diplomats met again on Saturday.",
        "location": "GENEVA",
        "source_url": "https://wire.example.com/2017/geneva-talks",
        "image": "/static/img/geneva.jpg",
        "body": GENEVA_BODY,
    },
    "2017/09/book-fair.md": {
        "title": "کراچی کتاب میلہ",
        "date": "2017-09-23T20:00:00",
        "category": "Culture",
        "source": "Dawn",
        "authors": ["Farah Naz"],
        "lang": "ur",
        "body": "کتاب میلے میں ہزاروں لوگ آئے۔\n",
    },
    "2017/09/markets.md": {
        "title": "Markets rally",
        "date": "2017-09-22T13:00:00",
        "category": "Business",
        "source": "Reuters",
        "authors": ["Amina Khan"],
        "tags": ["Markets"],
        "summary": "Shares rose.",
    },
    "2017/09/floods.md": {
        "title": "Floods in the north",
        "date": "2017-09-22T11:00:00",
        "category": "National",
        "source": "Associated Press",
        "tags": ["Floods"],
    },
    "2017/08/ceasefire.md": {
        "title": "Ceasefire holds",
        "date": "2017-08-15T09:00:00",
        "category": "World",
        "source": "Reuters",
        "authors": ["Bilal Ahmed"],
        "tags": ["Syria"],
    },
    "2017/03/summit.md": {
        "title": "Summit opens",
        "date": "2017-03-01T12:00:00+00:00",  # given in UTC: 17:00 in Karachi
        "category": "World",
        "source": "Associated Press",
        "tags": ["Diplomacy"],
    },
    "2016/12/election.md": {
        "title": "Election called",
        "date": "2016-12-31T23:30:00",
        "category": "World",
        "source": "Dawn",
        "authors": ["Amina Khan"],
    },
    "2016/05/old-story.md": {
        "title": "An old story",
        "date": "2016-05-05",
        "category": "World",
        "source": "Reuters",
    },
}

# --- helpers ---------------------------------------------------------------------------


def parse_feed(path: Path) -> feedparser.FeedParserDict:
    """Parse a feed file; a feed that is not well-formed (bozo) fails the test."""
    assert path.is_file(), f"no feed at {path}"
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, f"{path.name}: {parsed.get('bozo_exception')!r}"
    return parsed


def link_of(links: list[dict], rel: str) -> str:
    found = [link["href"] for link in links if link.get("rel") == rel]
    assert len(found) == 1, f"expected one rel={rel} link, got {links}"
    return found[0]


def html_pages(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if ".masthead" not in p.as_posix())


def page_url(output: Path, page: Path) -> str:
    """Absolute URL a page file is served at."""
    rel = page.relative_to(output).as_posix()
    return BASE_URL + (rel.removesuffix("index.html") if rel.endswith("index.html") else rel)


class LinkCollector(HTMLParser):
    """Attributes of every <link> element of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.links.append({name: value or "" for name, value in attrs})


def alternate_links(page: Path) -> list[dict[str, str]]:
    collector = LinkCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    collector.close()
    return [link for link in collector.links if link.get("rel") == "alternate"]


class TextOf(HTMLParser):
    """The text an HTML fragment shows (character references decoded, tags dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown_text(detail: feedparser.FeedParserDict) -> str:
    """What a reader shows for a feed text construct: HTML rendered as text, text as is."""
    if detail.type != "text/html":
        return detail.value
    parser = TextOf()
    parser.feed(detail.value)
    parser.close()
    return "".join(parser.parts)


def titles(parsed: feedparser.FeedParserDict) -> list[str]:
    return [entry.title for entry in parsed.entries]


def entry_titled(parsed: feedparser.FeedParserDict, title: str) -> feedparser.FeedParserDict:
    found = [entry for entry in parsed.entries if entry.title == title]
    assert len(found) == 1, f"no single entry titled {title!r} in {titles(parsed)}"
    return found[0]


# --- the shared site -------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the eight-article site."""
    return build_site(write_site(tmp_path_factory.mktemp("feeds") / "site", SETTINGS, ARTICLES))


@pytest.fixture(scope="module")
def atom(site: Path) -> feedparser.FeedParserDict:
    return parse_feed(site / "feed.xml")


@pytest.fixture(scope="module")
def rss(site: Path) -> feedparser.FeedParserDict:
    return parse_feed(site / "rss.xml")


# --- the site's Atom feed --------------------------------------------------------------


def test_site_atom_feed_is_atom_and_parses_without_errors(atom: feedparser.FeedParserDict) -> None:
    assert atom.version == "atom10"
    assert atom.feed.title == SITE_TITLE
    assert atom.feed.subtitle == "News from everywhere."


def test_site_atom_feed_holds_the_newest_feed_items_articles_newest_first(
    atom: feedparser.FeedParserDict,
) -> None:
    assert titles(atom) == ["کراچی کتاب میلہ", "Talks resume in Geneva", "Markets rally", "Floods in the north"]  # fmt: skip
    assert len(atom.entries) == FEED_ITEMS


def test_site_atom_feed_has_self_and_alternate_links_and_is_identified_by_its_url(
    atom: feedparser.FeedParserDict,
) -> None:
    assert link_of(atom.feed.links, "self") == BASE_URL + "feed.xml"
    assert link_of(atom.feed.links, "alternate") == BASE_URL
    assert atom.feed.id == BASE_URL + "feed.xml"


def test_site_atom_feed_updated_is_the_latest_change_of_its_entries(
    atom: feedparser.FeedParserDict,
) -> None:
    # Geneva's correction (24 Sep 08:00) is newer than every entry's publication.
    assert atom.feed.updated == "2017-09-24T08:00:00+05:00"


def test_atom_entry_carries_link_dates_authors_category_summary_and_content(
    atom: feedparser.FeedParserDict,
) -> None:
    entry = entry_titled(atom, "Talks resume in Geneva")
    assert link_of(entry.links, "alternate") == BASE_URL + "2017/09/23/talks-resume-in-geneva/"
    assert entry.published == "2017-09-23T10:30:00+05:00"
    assert entry.updated == "2017-09-24T08:00:00+05:00"
    assert [a["name"] for a in entry.authors] == ["Amina Khan", "Bilal Ahmed"]
    assert [a["href"] for a in entry.authors] == [
        BASE_URL + "author/amina-khan/",
        BASE_URL + "author/bilal-ahmed/",
    ]
    assert [t["term"] for t in entry.tags] == ["World"]
    assert entry.summary == "Diplomats met again on Saturday."
    assert entry.summary_detail.type == "text/plain"


def test_atom_entry_content_is_the_full_body_and_its_html_round_trips(
    atom: feedparser.FeedParserDict,
) -> None:
    entry = entry_titled(atom, "Talks resume in Geneva")
    assert len(entry.content) == 1
    assert entry.content[0].type == "text/html"
    assert entry.content[0].value == GENEVA_HTML


def test_atom_entry_without_update_is_updated_when_published(
    atom: feedparser.FeedParserDict,
) -> None:
    entry = entry_titled(atom, "Markets rally")
    assert entry.published == entry.updated == "2017-09-22T13:00:00+05:00"


def test_atom_entry_without_byline_credits_the_source(atom: feedparser.FeedParserDict) -> None:
    # Atom requires an author for every entry; the source stands in for a missing byline.
    entry = entry_titled(atom, "Floods in the north")
    assert [a["name"] for a in entry.authors] == ["Associated Press"]


def test_atom_entry_of_an_urdu_article_keeps_its_title_and_language(
    atom: feedparser.FeedParserDict,
) -> None:
    entry = entry_titled(atom, "کراچی کتاب میلہ")
    assert entry.title_detail.language == "ur"
    link = link_of(entry.links, "alternate")
    assert link.startswith(BASE_URL + "2017/09/23/")
    assert link.isascii(), "the link must be percent-encoded"
    assert entry.published == "2017-09-23T20:00:00+05:00"


def test_every_feed_link_is_absolute_and_under_the_sub_path(site: Path) -> None:
    for path in [site / "rss.xml", *sorted(site.rglob("feed.xml"))]:
        parsed = parse_feed(path)
        hrefs = [link["href"] for link in parsed.feed.links]
        for entry in parsed.entries:
            hrefs += [link["href"] for link in entry.links]
        assert hrefs, path
        for href in hrefs:
            assert href.startswith(BASE_URL), f"{path.relative_to(site)}: {href}"


# --- RSS -------------------------------------------------------------------------------


def test_rss_feed_is_rss2_and_parses_without_errors(rss: feedparser.FeedParserDict) -> None:
    assert rss.version == "rss20"
    assert rss.feed.title == SITE_TITLE
    assert rss.feed.link == BASE_URL
    assert link_of(rss.feed.links, "self") == BASE_URL + "rss.xml"
    assert rss.feed.language == "en"


def test_rss_items_match_the_atom_entries(
    rss: feedparser.FeedParserDict, atom: feedparser.FeedParserDict
) -> None:
    assert titles(rss) == titles(atom)
    assert [e.link for e in rss.entries] == [link_of(e.links, "alternate") for e in atom.entries]
    assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
    assert not any(e.guidislink for e in rss.entries)


def test_rss_item_carries_date_with_offset_creators_category_summary_and_content(
    rss: feedparser.FeedParserDict,
) -> None:
    item = entry_titled(rss, "Talks resume in Geneva")
    assert item.link == BASE_URL + "2017/09/23/talks-resume-in-geneva/"
    assert item.published == "Sat, 23 Sep 2017 10:30:00 +0500"
    assert [a["name"] for a in item.authors] == ["Amina Khan", "Bilal Ahmed"]
    assert [t["term"] for t in item.tags] == ["World"]
    assert shown_text(item.summary_detail) == "Diplomats met again on Saturday."
    assert item.content[0].value == GENEVA_HTML


def test_rss_last_build_date_is_the_latest_change(rss: feedparser.FeedParserDict) -> None:
    assert rss.feed.updated == "Sun, 24 Sep 2017 08:00:00 +0500"


# --- feeds per category, source and author ----------------------------------------------

TERM_FEEDS = [
    (
        "category/world/",
        "World",
        ["Talks resume in Geneva", "Ceasefire holds", "Summit opens", "Election called"],
    ),
    (
        "source/reuters/",
        "Reuters",
        ["Talks resume in Geneva", "Markets rally", "Ceasefire holds", "An old story"],
    ),
    (
        "author/amina-khan/",
        "Amina Khan",
        ["Talks resume in Geneva", "Markets rally", "Election called"],
    ),
]


@pytest.mark.parametrize(("term_url", "name", "expected"), TERM_FEEDS)
def test_term_feed_holds_the_terms_newest_articles(
    site: Path, term_url: str, name: str, expected: list[str]
) -> None:
    parsed = parse_feed(site / term_url / "feed.xml")
    assert titles(parsed) == expected
    assert name in parsed.feed.title
    assert link_of(parsed.feed.links, "self") == BASE_URL + term_url + "feed.xml"
    assert link_of(parsed.feed.links, "alternate") == BASE_URL + term_url


def test_term_feed_dates_carry_the_site_offset(site: Path) -> None:
    parsed = parse_feed(site / "category/world/feed.xml")
    summit = entry_titled(parsed, "Summit opens")
    assert summit.published == "2017-03-01T17:00:00+05:00"  # written as 12:00 UTC
    election = entry_titled(parsed, "Election called")
    assert election.published == "2016-12-31T23:30:00+05:00"


def test_no_tag_feeds_by_default(site: Path) -> None:
    assert (site / "tag/syria/index.html").is_file()
    assert not list(site.glob("tag/*/feed.xml"))


def test_tag_feeds_when_feed_taxonomies_includes_tag(tmp_path: Path) -> None:
    settings = {**SETTINGS, "feed_taxonomies": ["category", "tag"]}
    output = build_site(write_site(tmp_path / "site", settings, ARTICLES))
    parsed = parse_feed(output / "tag/syria/feed.xml")
    assert titles(parsed) == ["Talks resume in Geneva", "Ceasefire holds"]
    assert link_of(parsed.feed.links, "alternate") == BASE_URL + "tag/syria/"
    assert (output / "category/world/feed.xml").is_file()
    assert not list(output.glob("author/*/feed.xml"))
    assert not list(output.glob("source/*/feed.xml"))
    feeds_of_tag_page = [link["href"] for link in alternate_links(output / "tag/syria/index.html")]
    assert "/news/tag/syria/feed.xml" in feeds_of_tag_page
    feeds_of_author_page = [
        link["href"] for link in alternate_links(output / "author/amina-khan/index.html")
    ]
    assert "/news/author/amina-khan/feed.xml" not in feeds_of_author_page


# --- entry ids ---------------------------------------------------------------------------


def test_entry_ids_are_unique_absolute_uris_shared_between_feeds(
    atom: feedparser.FeedParserDict, site: Path
) -> None:
    world = parse_feed(site / "category/world/feed.xml")
    for parsed in (atom, world):
        ids = [e.id for e in parsed.entries]
        assert len(set(ids)) == len(ids)
        for entry_id in ids:
            assert re.match(r"^[a-z][a-z0-9+.-]*:\S+$", entry_id), entry_id
    # One article is one entry, whichever feed carries it.
    geneva = "Talks resume in Geneva"
    assert entry_titled(atom, geneva).id == entry_titled(world, geneva).id


def test_entry_id_survives_a_new_title_and_url(tmp_path: Path) -> None:
    articles = {
        "2017/09/story.md": {
            "title": "First headline",
            "date": "2017-09-23T10:30:00",
            "category": "World",
            "source": "Reuters",
        },
        "2017/09/other.md": {
            "title": "Another story",
            "date": "2017-09-22",
            "category": "World",
            "source": "Reuters",
        },
    }
    root = write_site(tmp_path / "site", SETTINGS, articles)
    before = parse_feed(build_site(root) / "feed.xml")
    before_rss = parse_feed(root / "output/rss.xml")
    articles["2017/09/story.md"]["title"] = "A corrected headline"
    write_site(root, SETTINGS, articles)
    after = parse_feed(build_site(root) / "feed.xml")
    after_rss = parse_feed(root / "output/rss.xml")

    old, new = before.entries[0], after.entries[0]
    assert (old.title, new.title) == ("First headline", "A corrected headline")
    assert link_of(old.links, "alternate") == BASE_URL + "2017/09/23/first-headline/"
    assert link_of(new.links, "alternate") == BASE_URL + "2017/09/23/a-corrected-headline/"
    assert new.id == old.id
    assert after_rss.entries[0].id == before_rss.entries[0].id == old.id
    assert after.entries[1].id == before.entries[1].id


IRI = re.compile(r"[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
"""An absolute IRI (RFC 3987): a scheme, then no spaces or characters IRIs exclude."""


def test_entry_ids_are_valid_iris_for_source_files_with_spaces(tmp_path: Path) -> None:
    # Archives imported from elsewhere often have file names with spaces and accents.
    articles = {
        "2017/09/Talks in Geneva é.md": {
            "title": "Talks resume in Geneva",
            "date": "2017-09-23T10:30:00",
            "category": "World",
            "source": "Reuters",
        },
    }
    output = build_site(write_site(tmp_path / "site", SETTINGS, articles))
    for name in ("feed.xml", "rss.xml"):
        [entry] = parse_feed(output / name).entries
        assert IRI.fullmatch(entry.id), f"{name}: {entry.id!r} is not a valid IRI"


def test_site_title_with_a_control_character_never_breaks_the_feeds(tmp_path: Path) -> None:
    # Either the setting is refused with a message or the feeds come out well-formed.
    settings = {**SETTINGS, "title": "Example\x01 News", "description": "All\x0b the news"}
    root = write_site(tmp_path / "site", settings, {"2017/09/a.md": ARTICLES["2017/09/markets.md"]})
    try:
        report = build(root, BuildOptions(now=NOW, use_cache=False, jobs=1))
    except ProblemsError as exc:
        assert any("title" in p.message for p in exc.problems)
        return
    if report.errors:
        assert any("title" in p.message for p in report.errors)
        return
    for name in ("feed.xml", "rss.xml"):
        assert parse_feed(root / "output" / name).feed.title == "Example News"


# --- feed discovery from HTML pages -------------------------------------------------------


def test_every_html_page_links_the_site_feeds(site: Path) -> None:
    pages = html_pages(site)
    assert len(pages) > 30
    for page in pages:
        url = page_url(site, page)
        found = {
            (link.get("type"), urljoin(url, link.get("href", ""))) for link in alternate_links(page)
        }
        where = page.relative_to(site).as_posix()
        assert ("application/atom+xml", BASE_URL + "feed.xml") in found, where
        assert ("application/rss+xml", BASE_URL + "rss.xml") in found, where


def test_every_feed_link_of_every_page_points_at_a_built_feed(site: Path) -> None:
    for page in html_pages(site):
        for link in alternate_links(page):
            target = urljoin(page_url(site, page), link["href"])
            assert target.startswith(BASE_URL), target
            rel = urlsplit(target).path.removeprefix("/news/")
            assert (site / rel).is_file(), f"{page.relative_to(site)} links missing {rel}"


@pytest.mark.parametrize(
    "page",
    [
        "category/world/index.html",
        "category/world/page/2/index.html",
        "category/world/page/3/index.html",
        "source/reuters/index.html",
        "author/amina-khan/index.html",
    ],
)
def test_term_pages_link_their_own_feed(site: Path, page: str) -> None:
    term = re.sub(r"(page/\d+/)?index\.html$", "", page)
    atom_links = [
        link["href"]
        for link in alternate_links(site / page)
        if link.get("type") == "application/atom+xml"
    ]
    assert f"/news/{term}feed.xml" in atom_links


def test_tag_pages_link_no_tag_feed_by_default(site: Path) -> None:
    hrefs = [link["href"] for link in alternate_links(site / "tag/syria/index.html")]
    assert not any("tag/" in href for href in hrefs), hrefs


# --- hostile input ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = {
        **SETTINGS,
        "title": HOSTILE_SITE_TITLE,
        "feed_taxonomies": ["category", "tag", "source", "author"],
    }
    articles = {"2017/09/evil.md": hostile_fields(body="A body with ]]> and & in it.\n")}
    return build_site(write_site(tmp_path_factory.mktemp("hostile") / "site", settings, articles))


def test_hostile_text_feeds_all_parse_without_errors(hostile: Path) -> None:
    feeds = [hostile / "rss.xml", *sorted(hostile.rglob("feed.xml"))]
    assert len(feeds) == 6  # site Atom and RSS, one category, tag, source and author
    for path in feeds:
        parsed = parse_feed(path)
        assert titles(parsed) == [CLEAN_TITLE], path


def test_hostile_text_comes_back_exactly_from_the_atom_feed(hostile: Path) -> None:
    parsed = parse_feed(hostile / "feed.xml")
    assert parsed.feed.title == HOSTILE_SITE_TITLE
    entry = parsed.entries[0]
    assert entry.title == CLEAN_TITLE
    assert [a["name"] for a in entry.authors] == [CLEAN_AUTHOR]
    assert [t["term"] for t in entry.tags] == [HOSTILE_CATEGORY]
    assert entry.summary == CLEAN_SUMMARY
    assert "A body with ]]&gt; and &amp; in it." in entry.content[0].value


def test_hostile_text_comes_back_exactly_from_the_rss_feed(hostile: Path) -> None:
    parsed = parse_feed(hostile / "rss.xml")
    item = parsed.entries[0]
    assert item.title == CLEAN_TITLE
    assert [a["name"] for a in item.authors] == [CLEAN_AUTHOR]
    assert [t["term"] for t in item.tags] == [HOSTILE_CATEGORY]


def test_hostile_summary_comes_back_exactly_from_the_rss_description(hostile: Path) -> None:
    # RSS 2.0 <description> is (entity-encoded) HTML to every reader: a plain-text summary
    # must be HTML-escaped before it is XML-escaped, or "<script>" in it is taken as markup
    # (and stripped by readers, as feedparser's sanitiser does).
    item = parse_feed(hostile / "rss.xml").entries[0]
    assert shown_text(item.summary_detail) == CLEAN_SUMMARY


def test_hostile_tag_gets_a_feed_named_after_it(hostile: Path) -> None:
    [path] = sorted(hostile.glob("tag/*/feed.xml"))
    parsed = parse_feed(path)
    assert parsed.feed.title.endswith(CLEAN_TAG)


# --- relative links in article bodies ------------------------------------------------------

LINKS_BODY = """\
See [the month](/2017/09/), [a neighbour](../../24/other/), [a file](notes.html), \
[the notes](#notes), [page two](?page=2), [elsewhere](https://other.example/x) and \
[the desk](mailto:desk@example.org).

![A chart](chart.png)

<p><img src="img/a.png" srcset="img/a-2x.png 2x, /static/b.png 640w" alt="a">
<video poster="poster.jpg" src="//cdn.example.com/v.mp4"></video>
<a href="/search?q=1&amp;page=2">search</a></p>
"""
LINKS_URL = BASE_URL + "2017/09/23/links-everywhere/"
LINKS_EXPECTED = [
    ("a", "href", "https://example.org/2017/09/"),  # root-relative: the host's root
    ("a", "href", BASE_URL + "2017/09/24/other/"),
    ("a", "href", LINKS_URL + "notes.html"),
    ("a", "href", LINKS_URL + "#notes"),
    ("a", "href", LINKS_URL + "?page=2"),
    ("a", "href", "https://other.example/x"),
    ("a", "href", "mailto:desk@example.org"),
    ("img", "src", LINKS_URL + "chart.png"),
    ("img", "src", LINKS_URL + "img/a.png"),
    ("img", "srcset", f"{LINKS_URL}img/a-2x.png 2x, https://example.org/static/b.png 640w"),
    ("video", "poster", LINKS_URL + "poster.jpg"),
    ("video", "src", "https://cdn.example.com/v.mp4"),
    ("a", "href", "https://example.org/search?q=1&page=2"),
]


class UrlAttributes(HTMLParser):
    """(tag, attribute, value) of every href, src, srcset and poster of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "srcset", "poster") and value is not None:
                self.found.append((tag, name, value))


def url_attributes(fragment: str) -> list[tuple[str, str, str]]:
    parser = UrlAttributes()
    parser.feed(fragment)
    parser.close()
    return parser.found


@pytest.fixture(scope="module")
def links_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    article = {
        "title": "Links everywhere",
        "date": "2017-09-23T10:30:00",
        "category": "World",
        "source": "Reuters",
        "authors": ["Amina Khan"],
        "tags": ["Diplomacy"],
        "summary": "Links of every kind.",
        "body": LINKS_BODY,
    }
    settings = {**SETTINGS, "feed_taxonomies": ["category", "tag", "source", "author"]}
    root = tmp_path_factory.mktemp("links") / "site"
    return build_site(write_site(root, settings, {"2017/09/links.md": article}))


def test_links_in_bodies_are_absolute_in_every_feed(links_site: Path) -> None:
    feeds = [links_site / "rss.xml", *sorted(links_site.rglob("feed.xml"))]
    assert len(feeds) == 6
    for path in feeds:
        assert parse_feed(path).entries  # well-formed, as readers take it (bozo 0)
        # Without feedparser's own resolving and sanitising: the links as they are written.
        raw = feedparser.parse(path.read_bytes(), resolve_relative_uris=False, sanitize_html=False)
        [entry] = raw.entries
        assert url_attributes(entry.content[0].value) == LINKS_EXPECTED, path
        assert entry.link == LINKS_URL


def test_feed_links_are_where_the_article_page_points(links_site: Path) -> None:
    """The page keeps its relative links; resolved against its URL, they are the feed's."""
    page = (links_site / "2017/09/23/links-everywhere/index.html").read_text("utf-8")
    body = page[page.index('<div class="story-body"') :]
    body = body[: body.index("</div>")]
    written = url_attributes(body)
    assert written[0] == ("a", "href", "/2017/09/"), "pages are not rewritten"
    resolved = [
        (tag, name, ", ".join(urljoin(LINKS_URL, c.strip()) for c in value.split(",")))
        if name == "srcset"
        else (tag, name, urljoin(LINKS_URL, value))
        for tag, name, value in written
    ]
    assert resolved == LINKS_EXPECTED
