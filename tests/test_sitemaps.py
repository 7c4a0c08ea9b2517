"""sitemap.xml (and its index of parts), news-sitemap.xml and robots.txt.

Every sitemap is validated with ``xmlschema`` against the published schemas copied into
``tests/schemas/`` (the news namespace mapped to the local file, so nothing is fetched).
Sites are written into temporary folders and built with ``masthead.pipeline.build``; the
reference time is pinned with ``BuildOptions(now=...)`` or the ``now`` setting.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import xmlschema
from hostile import CLEAN_TITLE, HOSTILE_SITE_TITLE, hostile_fields
from sitegen import KARACHI, NOW, build_site, write_files, write_site

SCHEMAS = Path(__file__).resolve().parent / "schemas"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
NS = {"sm": SITEMAP_NS, "news": NEWS_NS}
MAX_URLS = 50_000

BASE_URL = "https://example.org/news/"
SITE_TITLE = "Example News"
# NOW (from sitegen) is 24 Sep 2017 12:00 in Karachi: the news window (2 days) from 22 Sep 12:00.

SETTINGS = {
    "title": SITE_TITLE,
    "description": "News from everywhere.",
    "base_url": BASE_URL,
    "timezone": "Asia/Karachi",
    "language": "en",
    "per_page": 2,
}

GENEVA = "2017/09/23/talks-resume-in-geneva/"
BOOK_FAIR_TITLE = "کراچی کتاب میلہ"
MARKETS = "2017/09/22/markets-rally/"
FLOODS = "2017/09/22/floods-in-the-north/"

ARTICLES = {
    "2017/09/geneva.md": {
        "title": "Talks resume in Geneva",
        "date": "2017-09-23T10:30:00",
        "updated": "2017-09-24T08:00:00",
        "category": "World",
        "source": "Reuters",
        "authors": ["Amina Khan", "Bilal Ahmed"],
        "tags": ["Diplomacy", "Syria"],
    },
    "2017/09/book-fair.md": {
        "title": BOOK_FAIR_TITLE,
        "date": "2017-09-23T20:00:00",
        "category": "Culture",
        "source": "Dawn",
        "lang": "ur",
    },
    "2017/09/markets.md": {
        "title": "Markets rally",
        "date": "2017-09-22T13:00:00",  # inside the window, by an hour
        "category": "Business",
        "source": "Reuters",
    },
    "2017/09/floods.md": {
        "title": "Floods in the north",
        "date": "2017-09-22T11:00:00",  # outside the window, by an hour
        "category": "National",
        "source": "Associated Press",
        "tags": ["Floods"],
    },
    "2017/08/ceasefire.md": {
        "title": "Ceasefire holds",
        "date": "2017-08-15T09:00:00",
        "updated": "2017-09-01T10:00:00",
        "category": "World",
        "source": "Reuters",
        "aliases": ["/old/ceasefire.html"],
    },
    "2016/12/election.md": {
        "title": "Election called",
        "date": "2016-12-31T23:30:00",
        "category": "World",
        "source": "Dawn",
    },
}

# --- helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sitemap_schema() -> xmlschema.XMLSchema:
    """sitemap.xsd, with the news extension's schema found locally."""
    return xmlschema.XMLSchema(
        str(SCHEMAS / "sitemap.xsd"), locations=[(NEWS_NS, str(SCHEMAS / "sitemap-news.xsd"))]
    )


@pytest.fixture(scope="module")
def index_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "siteindex.xsd"))


def validate(schema: xmlschema.XMLSchema, path: Path) -> None:
    """Fail with the validator's first error messages when ``path`` is not valid."""
    assert path.is_file(), f"missing {path.name}"
    errors = [f"{e.path}: {e.reason}" for e in islice(schema.iter_errors(str(path)), 3)]
    assert not errors, f"{path.name} is not valid:\n" + "\n".join(errors)


def root_tag(path: Path) -> str:
    return ET.parse(path).getroot().tag


def url_entries(path: Path) -> dict[str, str | None]:
    """``{loc: lastmod or None}`` of a ``<urlset>``; a URL listed twice fails."""
    found: dict[str, str | None] = {}
    for url in ET.parse(path).getroot().findall("sm:url", NS):
        loc = url.findtext("sm:loc", namespaces=NS)
        assert loc and loc not in found, f"{path.name}: {loc} missing or listed twice"
        found[loc] = url.findtext("sm:lastmod", namespaces=NS)
    return found


def news_entries(path: Path) -> dict[str, dict[str, str | None]]:
    """``{loc: {name, language, publication_date, title}}`` of a news sitemap."""
    found = {}
    for url in ET.parse(path).getroot().findall("sm:url", NS):
        news = url.find("news:news", NS)
        assert news is not None
        found[url.findtext("sm:loc", namespaces=NS)] = {
            "name": news.findtext("news:publication/news:name", namespaces=NS),
            "language": news.findtext("news:publication/news:language", namespaces=NS),
            "publication_date": news.findtext("news:publication_date", namespaces=NS),
            "title": news.findtext("news:title", namespaces=NS),
        }
    return found


def robots_sitemaps(output: Path) -> list[str]:
    lines = (output / "robots.txt").read_text(encoding="utf-8").splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sitemap:")]


def file_of(output: Path, url: str) -> Path:
    """The output file serving an absolute URL of the site."""
    assert url.startswith(BASE_URL), url
    rel = unquote(urlsplit(url).path).removeprefix(urlsplit(BASE_URL).path)
    return output / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)


def indexable_pages(output: Path, check_noindex: bool = True) -> set[str]:
    """Absolute URLs of every built HTML page a search engine should index: each
    ``index.html`` except redirect pages (``noindex``); ``404.html`` is not one."""
    found = set()
    for folder, dirs, files in os.walk(output):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if "index.html" not in files:
            continue
        path = Path(folder) / "index.html"
        if check_noindex and 'name="robots" content="noindex"' in path.read_text("utf-8"):
            continue
        rel = Path(folder).relative_to(output).as_posix()
        found.add(BASE_URL + ("" if rel == "." else quote(rel, safe="/~.-_") + "/"))
    return found


# --- the site's sitemap ----------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(write_site(tmp_path_factory.mktemp("sitemaps") / "site", SETTINGS, ARTICLES))


def test_sitemap_is_a_urlset_valid_against_the_published_schema(
    site: Path, sitemap_schema: xmlschema.XMLSchema
) -> None:
    assert root_tag(site / "sitemap.xml") == f"{{{SITEMAP_NS}}}urlset"
    validate(sitemap_schema, site / "sitemap.xml")


def test_sitemap_lists_exactly_the_indexable_pages(site: Path) -> None:
    listed = set(url_entries(site / "sitemap.xml"))
    pages = indexable_pages(site)
    assert listed == pages, (sorted(pages - listed), sorted(listed - pages))
    for rel in (
        "",
        "page/2/",
        GENEVA,
        "category/world/",
        "category/world/page/2/",
        "tag/syria/",
        "source/reuters/",
        "author/amina-khan/",
        "categories/",
        "2017/",
        "2017/09/",
        "2017/09/23/",
        "archive/",
    ):
        assert BASE_URL + rel in listed, rel


def test_sitemap_leaves_out_redirects_and_the_404_page(site: Path) -> None:
    listed = set(url_entries(site / "sitemap.xml"))
    assert (site / "old/ceasefire.html").is_file()
    assert BASE_URL + "old/ceasefire.html" not in listed
    assert BASE_URL + "404.html" not in listed


def test_sitemap_urls_are_absolute_ascii_under_the_sub_path(site: Path) -> None:
    for loc in url_entries(site / "sitemap.xml"):
        assert loc.startswith(BASE_URL), loc
        assert loc.isascii(), f"{loc} is not percent-encoded"
        assert file_of(site, loc).is_file(), loc
    urdu = [loc for loc in url_entries(site / "sitemap.xml") if "%D8" in loc or "%DA" in loc]
    assert len(urdu) == 1


def test_sitemap_lastmod_is_updated_or_else_date(site: Path) -> None:
    entries = url_entries(site / "sitemap.xml")
    assert entries[BASE_URL + GENEVA] == "2017-09-24T08:00:00+05:00"  # updated
    assert entries[BASE_URL + MARKETS] == "2017-09-22T13:00:00+05:00"  # date
    assert entries[BASE_URL + "2017/08/15/ceasefire-holds/"] == "2017-09-01T10:00:00+05:00"
    assert entries[BASE_URL + "2016/12/31/election-called/"] == "2016-12-31T23:30:00+05:00"


def test_sitemap_lastmod_of_an_index_page_is_its_newest_change(site: Path) -> None:
    entries = url_entries(site / "sitemap.xml")
    # Home page 1 shows the book fair and Geneva; Geneva was corrected on 24 Sep.
    assert entries[BASE_URL] == "2017-09-24T08:00:00+05:00"
    # Home page 2 shows Markets (22 Sep 13:00) and Floods (22 Sep 11:00).
    assert entries[BASE_URL + "page/2/"] == "2017-09-22T13:00:00+05:00"
    # World: Geneva and the ceasefire (corrected 1 Sep) on page 1, the election on page 2.
    assert entries[BASE_URL + "category/world/"] == "2017-09-24T08:00:00+05:00"
    assert entries[BASE_URL + "category/world/page/2/"] == "2016-12-31T23:30:00+05:00"
    assert entries[BASE_URL + "2017/08/"] == "2017-09-01T10:00:00+05:00"


# --- the news sitemap ------------------------------------------------------------------


def test_news_sitemap_is_valid_against_the_published_schemas(
    site: Path, sitemap_schema: xmlschema.XMLSchema
) -> None:
    validate(sitemap_schema, site / "news-sitemap.xml")


def test_news_sitemap_holds_only_articles_of_the_news_window(site: Path) -> None:
    entries = news_entries(site / "news-sitemap.xml")
    book_fair = [loc for loc in entries if loc.startswith(BASE_URL + "2017/09/23/%")]
    assert set(entries) == {BASE_URL + GENEVA, BASE_URL + MARKETS, *book_fair}
    assert len(book_fair) == 1
    assert BASE_URL + FLOODS not in entries


def test_news_sitemap_names_the_publication_language_date_and_title(site: Path) -> None:
    entries = news_entries(site / "news-sitemap.xml")
    geneva = entries[BASE_URL + GENEVA]
    assert geneva == {
        "name": SITE_TITLE,
        "language": "en",
        "publication_date": "2017-09-23T10:30:00+05:00",
        "title": "Talks resume in Geneva",
    }
    [urdu] = [e for e in entries.values() if e["title"] == BOOK_FAIR_TITLE]
    assert urdu["language"] == "ur"
    assert urdu["name"] == SITE_TITLE
    assert urdu["publication_date"] == "2017-09-23T20:00:00+05:00"


def test_news_window_days_setting_widens_the_window(tmp_path: Path) -> None:
    settings = {**SETTINGS, "news_window_days": 30}
    output = build_site(write_site(tmp_path / "site", settings, ARTICLES))
    entries = news_entries(output / "news-sitemap.xml")
    assert BASE_URL + FLOODS in entries
    assert BASE_URL + "2017/08/15/ceasefire-holds/" not in entries  # 40 days old
    assert len(entries) == 4


def test_now_setting_pins_the_news_window(tmp_path: Path) -> None:
    settings = {**SETTINGS, "now": "2017-09-24T12:00:00+05:00"}
    output = build_site(write_site(tmp_path / "site", settings, ARTICLES), now=None)
    entries = news_entries(output / "news-sitemap.xml")
    assert BASE_URL + GENEVA in entries
    assert BASE_URL + MARKETS in entries
    assert BASE_URL + FLOODS not in entries
    assert len(entries) == 3


def test_now_option_wins_over_the_now_setting(tmp_path: Path) -> None:
    settings = {**SETTINGS, "now": "2020-01-01T00:00:00+05:00"}
    output = build_site(write_site(tmp_path / "site", settings, ARTICLES), now=NOW)
    assert len(news_entries(output / "news-sitemap.xml")) == 3


def test_news_sitemap_leaves_out_articles_dated_after_now(
    tmp_path: Path, sitemap_schema: xmlschema.XMLSchema
) -> None:
    articles = {
        **ARTICLES,
        "2017/09/tomorrow.md": {
            "title": "Tomorrow's story",
            "date": "2017-09-25T09:00:00",
            "category": "World",
            "source": "Dawn",
        },
    }
    output = build_site(write_site(tmp_path / "site", SETTINGS, articles), future=True)
    assert (output / "2017/09/25/tomorrow-s-story/index.html").is_file()
    assert BASE_URL + "2017/09/25/tomorrow-s-story/" in url_entries(output / "sitemap.xml")
    entries = news_entries(output / "news-sitemap.xml")
    assert BASE_URL + "2017/09/25/tomorrow-s-story/" not in entries
    assert len(entries) == 3
    validate(sitemap_schema, output / "news-sitemap.xml")


def test_no_news_sitemap_when_no_article_is_recent(tmp_path: Path) -> None:
    later = datetime(2018, 1, 1, tzinfo=KARACHI)
    output = build_site(write_site(tmp_path / "site", SETTINGS, ARTICLES), now=later)
    assert not (output / "news-sitemap.xml").exists()
    assert robots_sitemaps(output) == [BASE_URL + "sitemap.xml"]
    assert "news-sitemap" not in (output / "robots.txt").read_text(encoding="utf-8")


def test_news_sitemap_is_removed_when_its_articles_age_out(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SETTINGS, ARTICLES)
    output = build_site(root, now=NOW)
    assert (output / "news-sitemap.xml").is_file()
    build_site(root, now=datetime(2018, 1, 1, tzinfo=KARACHI))
    assert not (output / "news-sitemap.xml").exists()
    assert robots_sitemaps(output) == [BASE_URL + "sitemap.xml"]


# --- robots.txt -------------------------------------------------------------------------


def test_robots_txt_names_every_sitemap_by_absolute_url(site: Path) -> None:
    text = (site / "robots.txt").read_text(encoding="utf-8")
    assert "User-agent: *" in text.splitlines()
    named = robots_sitemaps(site)
    assert named == [BASE_URL + "sitemap.xml", BASE_URL + "news-sitemap.xml"]
    for url in named:
        assert file_of(site, url).is_file(), url


# --- hostile input ------------------------------------------------------------------------


def test_hostile_title_keeps_sitemaps_valid(
    tmp_path: Path, sitemap_schema: xmlschema.XMLSchema
) -> None:
    settings = {**SETTINGS, "title": HOSTILE_SITE_TITLE + " ]]>"}
    articles = {"2017/09/evil.md": hostile_fields()}
    output = build_site(write_site(tmp_path / "site", settings, articles))
    validate(sitemap_schema, output / "sitemap.xml")
    validate(sitemap_schema, output / "news-sitemap.xml")
    assert set(url_entries(output / "sitemap.xml")) == indexable_pages(output)
    [entry] = news_entries(output / "news-sitemap.xml").values()
    assert entry["title"] == CLEAN_TITLE
    assert entry["name"] == HOSTILE_SITE_TITLE + " ]]>"


# --- past 50,000 URLs: an index of parts (slow) ---------------------------------------------

LARGE_ARTICLES = 5_600
"""Each article on its own day with one category, source, author and tag, and one article per
list page: every article adds nine pages (its own, and a page of the home, category, source,
author, tag, year, month and day listings), so 5,600 articles make 50,405 URLs."""


def write_large_site(root: Path) -> Path:
    """A site past the 50,000-URL limit, written directly (fast), with one-line templates
    for articles and lists: the sitemap is what is tested, not the theme."""
    settings = {**SETTINGS, "per_page": 1, "feed_taxonomies": []}
    write_site(root, settings, {})
    files: dict[str, str | bytes | None] = {
        "templates/article.html": "{{ article.title }}\n",
        "templates/list.html": "{{ page.title }}\n",
    }
    start = date(2000, 1, 1)
    for i in range(LARGE_ARTICLES):
        day = start + timedelta(days=i)
        files[f"content/{day:%Y/%m}/a{i}.md"] = (
            f"---\ntitle: A{i}\ndate: {day.isoformat()}\ncategory: C{i % 6}\nsource: S{i % 3}\n"
            f"authors: P{i % 8}\ntags: T{i % 10}\n---\nx\n"
        )
    return write_files(root, files)


@pytest.fixture
def large_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder for the large site: in memory (``/dev/shm``) where the system has it, since
    creating and removing 50,000 files on a busy disk takes longer than rendering them."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(prefix="masthead-sitemap-test-", dir=shm) as folder:
        yield Path(folder)


@pytest.mark.slow
def test_large_site_over_50000_urls_gets_a_sitemap_index_of_valid_parts_slow(
    large_folder: Path, sitemap_schema: xmlschema.XMLSchema, index_schema: xmlschema.XMLSchema
) -> None:
    output = build_site(write_large_site(large_folder / "large"), now=NOW, jobs=0)
    pages = indexable_pages(output, check_noindex=False)  # the site has no aliases
    assert len(pages) > MAX_URLS

    index = output / "sitemap.xml"
    assert root_tag(index) == f"{{{SITEMAP_NS}}}sitemapindex"
    validate(index_schema, index)
    parts = [
        element.findtext("sm:loc", namespaces=NS)
        for element in ET.parse(index).getroot().findall("sm:sitemap", NS)
    ]
    assert len(parts) >= 2
    assert len(set(parts)) == len(parts)

    listed: set[str] = set()
    total = 0
    for loc in parts:
        path = file_of(output, loc)
        assert root_tag(path) == f"{{{SITEMAP_NS}}}urlset", loc
        validate(sitemap_schema, path)
        entries = url_entries(path)
        assert 0 < len(entries) <= MAX_URLS, loc
        assert path.stat().st_size <= 50 * 1024 * 1024, loc
        listed |= set(entries)
        total += len(entries)
    assert total == len(listed), "a URL is listed in two parts"
    assert listed == pages, (sorted(pages - listed)[:5], sorted(listed - pages)[:5])
    assert robots_sitemaps(output) == [BASE_URL + "sitemap.xml"]
