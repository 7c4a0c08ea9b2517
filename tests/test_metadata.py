"""Page metadata: canonical links, descriptions, OpenGraph, Twitter cards and JSON-LD.

Pages are read with the standard library's ``html.parser`` and every JSON-LD block with
``json.loads``, as a crawler would. Golden files in ``tests/golden_head/`` pin one article
page's ``<head>`` and one Atom feed byte for byte; after an intended change run

    python tests/update_golden.py

(which rewrites every golden file) and review the diff of ``tests/golden_head/`` before
committing it.
"""

from __future__ import annotations

import difflib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import update_golden as golden
from hostile import (
    CLEAN_AUTHOR,
    CLEAN_SUMMARY,
    CLEAN_TAG,
    CLEAN_TITLE,
    CONTROL_CHARACTERS,
    HOSTILE_CATEGORY,
    HOSTILE_SITE_TITLE,
    hostile_fields,
)
from sitegen import REPO, build_site, write_site

UPDATE_COMMAND = "python tests/update_golden.py"

BASE_URL = "https://example.org/news/"
SITE_TITLE = "Example News"

SETTINGS = golden.HEAD_SETTINGS  # the golden-head site's: the golden files below pin its output

GENEVA = "2017/09/23/talks-resume-in-geneva/"
GENEVA_SOURCE_URL = "https://wire.example.com/2017/geneva-talks"
MARKETS = "2017/09/22/markets-rally/"

ARTICLES = {
    "2017/09/geneva.md": golden.HEAD_ARTICLES["2017/09/geneva.md"],
    "2017/09/book-fair.md": {
        "title": "کراچی کتاب میلہ",
        "date": "2017-09-20T20:00:00",
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
        "source": "Associated Press",
        "summary": "Shares rose.",
        "image": "https://cdn.example.com/markets.jpg",
    },
    "2017/08/ceasefire.md": {
        "title": "Ceasefire holds",
        "date": "2017-08-15T09:00:00",
        "category": "World",
        "source": "Reuters",
    },
}

# --- helpers ---------------------------------------------------------------------------


class PageReader(HTMLParser):
    """What a crawler reads from a page: title, meta and link elements, scripts, the h1."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.scripts: list[tuple[str, str]] = []  # (type, text)
        self.title = ""
        self.h1 = ""
        self._in: str | None = None
        self._script_type = ""
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and ("name" in values or "property" in values):
            self.meta.append((values.get("property") or values["name"], values.get("content", "")))
        elif tag == "link":
            self.links.append(values)
        elif tag == "script":
            self._in, self._script_type, self._script_text = "script", values.get("type", ""), []
        elif tag in ("title", "h1"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in == "script":
            self.scripts.append((self._script_type, "".join(self._script_text)))
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self._script_text.append(data)
        elif self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


class Page:
    """A built HTML page as read by ``PageReader``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        reader = PageReader()
        reader.feed(self.text)
        reader.close()
        self.reader = reader

    def metas(self, key: str) -> list[str]:
        return [content for name, content in self.reader.meta if name == key]

    def meta(self, key: str) -> str:
        found = self.metas(key)
        assert len(found) == 1, f"{self.path.name}: expected one {key} meta, got {found}"
        return found[0]

    def link(self, rel: str) -> str:
        found = [link["href"] for link in self.reader.links if link.get("rel") == rel]
        assert len(found) == 1, f"expected one rel={rel} link, got {found}"
        return found[0]

    def json_ld(self) -> list[dict]:
        blocks = [text for kind, text in self.reader.scripts if kind == "application/ld+json"]
        return [json.loads(text) for text in blocks]

    def json_ld_of_type(self, kind: str) -> dict:
        found = [block for block in self.json_ld() if block.get("@type") == kind]
        assert len(found) == 1, f"expected one {kind}, got {[b.get('@type') for b in found]}"
        return found[0]


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def breadcrumb(block: dict) -> list[tuple[int, str, str]]:
    """(position, name, item URL) of each crumb of a BreadcrumbList."""
    assert block["@type"] == "BreadcrumbList"
    return [(i["position"], i["name"], i["item"]) for i in block["itemListElement"]]


# --- the shared site -------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(write_site(tmp_path_factory.mktemp("meta") / "site", SETTINGS, ARTICLES))


@pytest.fixture(scope="module")
def geneva(site: Path) -> Page:
    return Page(site / GENEVA / "index.html")


@pytest.fixture(scope="module")
def urdu(site: Path) -> Page:
    [path] = [p for p in site.glob("2017/09/20/*/index.html")]
    return Page(path)


# --- canonical and description ----------------------------------------------------------


def test_article_canonical_is_its_own_url(geneva: Page) -> None:
    assert geneva.link("canonical") == BASE_URL + GENEVA


def test_index_page_canonical_is_its_own_url(site: Path) -> None:
    assert Page(site / "category/world/index.html").link("canonical") == (
        BASE_URL + "category/world/"
    )
    assert Page(site / "index.html").link("canonical") == BASE_URL


@pytest.fixture(scope="module")
def syndicated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = {**SETTINGS, "canonical_to_source": True}
    root = tmp_path_factory.mktemp("syndicated") / "site"
    return build_site(write_site(root, settings, ARTICLES))


def test_canonical_to_source_points_at_the_original(syndicated: Path) -> None:
    assert Page(syndicated / GENEVA / "index.html").link("canonical") == GENEVA_SOURCE_URL


def test_canonical_to_source_keeps_own_url_without_a_source_url(syndicated: Path) -> None:
    assert Page(syndicated / MARKETS / "index.html").link("canonical") == BASE_URL + MARKETS


def test_og_url_agrees_with_the_canonical_link(syndicated: Path, geneva: Page) -> None:
    # OpenGraph: og:url is "the canonical URL of your object"; shares must aggregate where
    # rel=canonical says the article lives.
    for page in (geneva, Page(syndicated / GENEVA / "index.html")):
        assert page.meta("og:url") == page.link("canonical")


def test_article_description_is_its_summary(geneva: Page) -> None:
    assert geneva.meta("description") == "Diplomats met again on Saturday."


def test_article_without_summary_is_described_by_its_first_paragraph(urdu: Page) -> None:
    assert urdu.meta("description") == "کتاب میلے میں ہزاروں لوگ آئے۔"


# --- OpenGraph and Twitter ---------------------------------------------------------------


def test_article_opengraph(geneva: Page) -> None:
    assert geneva.meta("og:type") == "article"
    assert geneva.meta("og:title") == "Talks resume in Geneva"
    assert geneva.meta("og:description") == "Diplomats met again on Saturday."
    assert geneva.meta("og:url") == BASE_URL + GENEVA
    assert geneva.meta("og:image") == BASE_URL + "static/img/geneva.jpg"
    assert geneva.meta("og:site_name") == SITE_TITLE


def test_article_opengraph_article_properties(geneva: Page) -> None:
    assert geneva.meta("article:published_time") == "2017-09-23T10:30:00+05:00"
    assert geneva.meta("article:modified_time") == "2017-09-24T08:00:00+05:00"
    assert geneva.meta("article:section") == "World"
    assert geneva.metas("article:tag") == ["Diplomacy", "Syria"]


def test_article_twitter_card(geneva: Page, site: Path) -> None:
    assert geneva.meta("twitter:card") == "summary_large_image"
    assert geneva.meta("twitter:title") == "Talks resume in Geneva"
    without_image = Page(site / "2017/08/15/ceasefire-holds/index.html")
    assert without_image.meta("twitter:card") == "summary"
    assert without_image.metas("og:image") == []


def test_absolute_image_is_used_as_it_is(site: Path) -> None:
    page = Page(site / MARKETS / "index.html")
    assert page.meta("og:image") == "https://cdn.example.com/markets.jpg"
    assert as_list(page.json_ld_of_type("NewsArticle")["image"]) == [
        "https://cdn.example.com/markets.jpg"
    ]


def test_index_pages_have_website_opengraph(site: Path) -> None:
    page = Page(site / "category/world/index.html")
    assert page.meta("og:type") == "website"
    assert page.meta("og:url") == BASE_URL + "category/world/"
    assert page.meta("og:site_name") == SITE_TITLE
    assert page.meta("twitter:card") == "summary"


# --- JSON-LD -----------------------------------------------------------------------------


def test_article_json_ld_is_a_news_article(geneva: Page) -> None:
    data = geneva.json_ld_of_type("NewsArticle")
    assert data["@context"] in ("https://schema.org", "https://schema.org/", "http://schema.org")
    assert data["headline"] == "Talks resume in Geneva"
    assert data["datePublished"] == "2017-09-23T10:30:00+05:00"
    assert data["dateModified"] == "2017-09-24T08:00:00+05:00"
    assert data["articleSection"] == "World"
    assert data["inLanguage"] == "en"
    assert data["dateline"] == "GENEVA"
    assert data["description"] == "Diplomats met again on Saturday."


def test_article_json_ld_names_people_publisher_and_source(geneva: Page) -> None:
    data = geneva.json_ld_of_type("NewsArticle")
    authors = as_list(data["author"])
    assert [a["@type"] for a in authors] == ["Person", "Person"]
    assert [a["name"] for a in authors] == ["Amina Khan", "Bilal Ahmed"]
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == SITE_TITLE
    assert data["publisher"]["logo"]["url"] == BASE_URL + "static/logo.png"
    assert data["sourceOrganization"] == {"@type": "Organization", "name": "Reuters"}
    assert data["isBasedOn"] == GENEVA_SOURCE_URL


def test_article_json_ld_links_page_image_and_keywords(geneva: Page) -> None:
    data = geneva.json_ld_of_type("NewsArticle")
    page = data["mainEntityOfPage"]
    assert (page["@id"] if isinstance(page, dict) else page) == BASE_URL + GENEVA
    assert as_list(data["image"]) == [BASE_URL + "static/img/geneva.jpg"]
    keywords = data["keywords"]
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    assert keywords == ["Diplomacy", "Syria"]


def test_article_json_ld_breadcrumbs(geneva: Page) -> None:
    crumbs = breadcrumb(geneva.json_ld_of_type("BreadcrumbList"))
    assert crumbs == [
        (1, "Home", BASE_URL),
        (2, "World", BASE_URL + "category/world/"),
        (3, "Talks resume in Geneva", BASE_URL + GENEVA),
    ]


def test_urdu_article_json_ld_language(urdu: Page) -> None:
    data = urdu.json_ld_of_type("NewsArticle")
    assert data["inLanguage"] == "ur"
    assert data["headline"] == "کراچی کتاب میلہ"
    assert [a["name"] for a in as_list(data["author"])] == ["Farah Naz"]


def test_category_page_is_a_collection_with_breadcrumbs(site: Path) -> None:
    data = Page(site / "category/world/index.html").json_ld_of_type("CollectionPage")
    assert data["url"] == BASE_URL + "category/world/"
    crumbs = breadcrumb(data["breadcrumb"])
    assert crumbs[0] == (1, "Home", BASE_URL)
    assert crumbs[-1] == (len(crumbs), "World", BASE_URL + "category/world/")
    assert [position for position, _, _ in crumbs] == list(range(1, len(crumbs) + 1))


def test_month_page_breadcrumbs_go_home_year_month(site: Path) -> None:
    data = Page(site / "2017/09/index.html").json_ld_of_type("CollectionPage")
    assert data["name"] == "September 2017"
    assert breadcrumb(data["breadcrumb"]) == [
        (1, "Home", BASE_URL),
        (2, "2017", BASE_URL + "2017/"),
        (3, "September 2017", BASE_URL + "2017/09/"),
    ]


def test_home_page_is_a_collection(site: Path) -> None:
    data = Page(site / "index.html").json_ld_of_type("CollectionPage")
    assert data["url"] == BASE_URL
    assert breadcrumb(data["breadcrumb"]) == [(1, "Home", BASE_URL)]


def test_every_json_ld_block_of_every_page_parses(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        page = Page(path)
        for block in page.json_ld():
            assert "schema.org" in block["@context"], path
            assert block["@type"], path
        url = BASE_URL + path.relative_to(site).as_posix().removesuffix("index.html")
        for link in page.reader.links:
            if link.get("rel") == "canonical":
                assert urljoin(url, link["href"]).startswith("https://"), path


# --- hostile input ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    articles = {"2017/09/evil.md": hostile_fields(location="KARACHI </script>")}
    root = tmp_path_factory.mktemp("hostile") / "site"
    return build_site(write_site(root, {**SETTINGS, "title": HOSTILE_SITE_TITLE}, articles))


@pytest.fixture(scope="module")
def hostile_article(hostile: Path) -> Page:
    [path] = list(hostile.glob("2017/09/23/*/index.html"))
    return Page(path)


def test_hostile_text_adds_no_script_to_any_page(hostile: Path) -> None:
    # The theme's own scripts (the category bar's), exactly as its templates write them.
    theme = "".join(
        path.read_text(encoding="utf-8") for path in sorted((REPO / "templates").glob("*.html"))
    )
    own = set(re.findall(r"<script>(.*?)</script>", theme, re.DOTALL))
    assert own, "the theme writes no inline script: this test checks nothing"
    for path in sorted(hostile.rglob("*.html")):
        page = Page(path)
        # Every script the parser sees is a JSON-LD block or the theme's own, and it sees
        # every "<script" there is.
        kinds = [kind for kind, _ in page.reader.scripts]
        assert set(kinds) <= {"application/ld+json", ""}, path
        assert len(kinds) == len(re.findall("<script", page.text, re.IGNORECASE)), path
        assert len(kinds) == len(re.findall("</script", page.text, re.IGNORECASE)), path
        for kind, text in page.reader.scripts:
            assert "</script" not in text.lower()
            if kind:
                json.loads(text)
            else:
                assert text in own, f"{path}: a script the theme does not write: {text[:200]}"


def test_hostile_text_round_trips_through_json_ld(hostile_article: Page) -> None:
    data = hostile_article.json_ld_of_type("NewsArticle")
    assert data["headline"] == CLEAN_TITLE
    assert [a["name"] for a in as_list(data["author"])] == [CLEAN_AUTHOR]
    keywords = data["keywords"]
    assert (keywords if isinstance(keywords, list) else [keywords]) == [CLEAN_TAG]
    assert data["description"] == CLEAN_SUMMARY
    assert data["dateline"] == "KARACHI </script>"
    assert data["articleSection"] == HOSTILE_CATEGORY
    crumbs = breadcrumb(hostile_article.json_ld_of_type("BreadcrumbList"))
    assert crumbs[-1][1] == CLEAN_TITLE


def test_hostile_text_round_trips_through_html(hostile_article: Page) -> None:
    assert hostile_article.reader.title.startswith(CLEAN_TITLE)
    assert hostile_article.reader.h1 == CLEAN_TITLE
    assert hostile_article.meta("og:title") == CLEAN_TITLE
    assert hostile_article.meta("twitter:title") == CLEAN_TITLE
    assert hostile_article.meta("description") == CLEAN_SUMMARY
    assert hostile_article.meta("og:description") == CLEAN_SUMMARY
    assert hostile_article.metas("article:tag") == [CLEAN_TAG]
    assert hostile_article.meta("article:section") == HOSTILE_CATEGORY


def test_hostile_text_term_pages_round_trip(hostile: Path) -> None:
    [tag_page] = list(hostile.glob("tag/*/index.html"))
    data = Page(tag_page).json_ld_of_type("CollectionPage")
    assert data["name"].endswith(CLEAN_TAG)
    assert breadcrumb(data["breadcrumb"])[-1][1] == CLEAN_TAG
    [author_page] = list(hostile.glob("author/*/index.html"))
    assert Page(author_page).reader.h1.endswith(CLEAN_AUTHOR)


def test_no_control_characters_in_any_output_file(hostile: Path) -> None:
    for path in sorted(hostile.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert not CONTROL_CHARACTERS.search(text), path


# --- golden files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def golden_head(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return golden.head_files(golden.build_head_site(tmp_path_factory.mktemp("golden")))


def compare_with_golden(name: str, actual: bytes) -> None:
    """Compare with ``tests/golden_head/<name>`` byte for byte."""
    path = golden.HEAD / name
    assert path.is_file(), f"no golden file {path}: run {UPDATE_COMMAND}"
    expected = path.read_bytes()
    if actual != expected:
        diff = difflib.unified_diff(
            expected.decode("utf-8").splitlines(),
            actual.decode("utf-8").splitlines(),
            f"golden_head/{name}",
            "built",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(
            f"{name} differs from the golden file (if intended: {UPDATE_COMMAND}):\n{shown}"
        )


def test_golden_article_head(golden_head: dict[str, bytes]) -> None:
    compare_with_golden("article_head.html", golden_head["article_head.html"])


def test_golden_feed(golden_head: dict[str, bytes]) -> None:
    compare_with_golden("feed.xml", golden_head["feed.xml"])


def test_the_golden_head_site_is_this_modules_site() -> None:
    assert (SETTINGS["base_url"], SETTINGS["title"]) == (BASE_URL, SITE_TITLE)
    assert golden.HEAD_ARTICLE_PAGE == GENEVA + "index.html"
    assert golden.HEAD_ARTICLES["2017/09/geneva.md"]["source_url"] == GENEVA_SOURCE_URL
