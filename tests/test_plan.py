"""Plan stage: every page, its URL, template and inputs."""

from __future__ import annotations

from collections import Counter

import pytest

from masthead.config import SiteConfig
from masthead.index import build_archive
from masthead.model import Link, PeriodNav
from masthead.paths import check_output_paths
from masthead.plan import navigation, plan_pages, sections

PREFIX = "content/"


def plan(articles, **settings):
    archive, problems = build_archive(articles, PREFIX)
    assert [p for p in problems if p.is_error] == []
    return archive, plan_pages(archive, SiteConfig(**settings))


def by_url(pages):
    return {page.url: page for page in pages}


def window(page):
    """The pagination links of a page as numbers, '…' for a gap, the current one in []."""
    return [
        "…" if link is None else (f"[{link.number}]" if link.current else link.number)
        for link in page.values["pagination"].links
    ]


@pytest.fixture
def many(article):
    """n articles, one a day from 1 January 2017, in one category."""

    def make(n, category="World"):
        return [
            article(f"Story {i}", f"2017-01-{i:02d}", category=category) for i in range(1, n + 1)
        ]

    return make


# -- the set of pages ------------------------------------------------------------------------


def test_empty_archive_still_has_home_listings_archive_and_404():
    _, pages = plan([])
    every_day = [p for p in pages if p.kind == "on-this-day"]
    assert len(every_day) == 366 and every_day[59].url == "on-this-day/02-29/"
    assert [(p.url, p.template, p.kind) for p in pages if p.kind != "on-this-day"] == [
        ("", "list.html", "home"),
        ("categories/", "terms.html", "terms"),
        ("tags/", "terms.html", "terms"),
        ("sources/", "terms.html", "terms"),
        ("authors/", "terms.html", "terms"),
        ("archive/", "archive.html", "archive"),
        ("404.html", "404.html", "404"),
        ("corrections/", "corrections.html", "corrections"),
    ]


def test_one_article_gives_every_page(article):
    _, pages = plan([article("US and Russia", "2017-09-23", tags=("Syria",), authors=("Omar",))])
    assert sorted(p.url for p in pages if p.kind != "on-this-day") == sorted(
        [
            "2017/09/23/us-and-russia/",
            "",
            "category/world/",
            "categories/",
            "tag/syria/",
            "tags/",
            "source/wire/",
            "sources/",
            "author/omar/",
            "authors/",
            "2017/",
            "2017/09/",
            "2017/09/23/",
            "archive/",
            "404.html",
            "corrections/",
        ]
    )
    assert check_output_paths(pages, {}, PREFIX).problems == ()


def test_plan_is_deterministic(many):
    assert plan(many(7), per_page=2)[1] == plan(list(reversed(many(7))), per_page=2)[1]


def test_article_page(article):
    _, pages = plan(
        [article("Urdu", "2017-09-23", lang="ur", dir="rtl", summary="Short.")], language="en"
    )
    page = by_url(pages)["2017/09/23/urdu/"]
    assert (page.template, page.kind, page.title) == ("article.html", "article", "Urdu")
    # The page (its chrome) is in the site's language; the article element carries its own.
    assert (page.lang, page.dir, page.description) == ("en", "ltr", "Short.")
    assert page.sources == ("2017/09/urdu.md",)
    refs = {name: page.refs[name] for name in ("article", "newer", "older", "related")}
    assert refs == {"article": 0, "newer": None, "older": None, "related": ()}


def test_article_neighbours_are_by_date(many):
    _, pages = plan(many(3))
    pages = by_url(pages)
    # Positions: Story 3 = 0 (newest), Story 2 = 1, Story 1 = 2.
    middle = pages["2017/01/02/story-2/"]
    assert (middle.refs["newer"], middle.refs["older"]) == (0, 2)
    assert pages["2017/01/03/story-3/"].refs["newer"] is None
    assert pages["2017/01/01/story-1/"].refs["older"] is None


# -- pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "total"), [(0, 1), (1, 1), (10, 1), (11, 2), (20, 2), (21, 3)])
def test_page_counts(many, count, total):
    _, pages = plan(many(count), per_page=10)
    home = [p for p in pages if p.kind == "home"]
    assert len(home) == total
    assert [p.url for p in home] == ["", *(f"page/{n}/" for n in range(2, total + 1))]
    assert all(p.values["pagination"].total == total for p in home)
    shown = sum(len(p.refs["articles"]) + (p.refs["lead"] is not None) for p in home)
    assert shown == count


def test_listing_pages_split_articles_newest_first(many):
    _, pages = plan(many(5), per_page=2)
    home = [p for p in pages if p.kind == "home"]
    assert [p.refs["articles"] for p in home] == [(1,), (2, 3), (4,)]
    assert [p.refs["lead"] for p in home] == [0, None, None]
    assert [p.title for p in home] == [
        "News Archive",
        "News Archive (page 2 of 3)",
        "News Archive (page 3 of 3)",
    ]


def test_prev_and_next_urls(many):
    _, pages = plan(many(3), per_page=1)
    home = [p.values["pagination"] for p in pages if p.kind == "home"]
    assert [(p.prev_url, p.next_url) for p in home] == [
        (None, "page/2/"),
        ("", "page/3/"),
        ("page/2/", None),
    ]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, ["[1]", 2, 3, "…", 10]),
        (3, [1, 2, "[3]", 4, 5, "…", 10]),
        (4, [1, 2, 3, "[4]", 5, 6, "…", 10]),
        (5, [1, "…", 3, 4, "[5]", 6, 7, "…", 10]),
        (8, [1, "…", 6, 7, "[8]", 9, 10]),
        (10, [1, "…", 8, 9, "[10]"]),
    ],
)
def test_pagination_window_with_gaps(many, number, expected):
    _, pages = plan(many(10), per_page=1)
    home = [p for p in pages if p.kind == "home"]
    assert window(home[number - 1]) == expected


def test_pagination_links_point_at_the_listing(many):
    _, pages = plan(many(3), per_page=1)
    world = [p for p in pages if p.kind == "category"]
    assert [link.url for link in world[0].values["pagination"].links] == [
        "category/world/",
        "category/world/page/2/",
        "category/world/page/3/",
    ]


def test_single_page_window(many):
    _, pages = plan(many(2))
    assert window(by_url(pages)[""]) == ["[1]"]


# -- terms and periods -------------------------------------------------------------------------


def test_term_pages(article):
    _, pages = plan(
        [
            article("A", "2017-01-01", category="World", tags=("Syria",)),
            article("B", "2017-01-02", category="Business"),
        ]
    )
    pages = by_url(pages)
    assert pages["category/world/"].values["heading"] == "Category: World"
    assert pages["tag/syria/"].values["heading"] == "Tag: Syria"
    listing = pages["categories/"]
    assert listing.values["terms"] == (
        Link("Business", "category/business/", 1),
        Link("World", "category/world/", 1),
    )


def test_period_navigation(article):
    _, pages = plan(
        [
            article("A", "2016-12-31"),
            article("B", "2017-01-01"),
            article("C", "2017-01-15"),
            article("D", "2017-03-02"),
        ]
    )
    nav = {url: page.values.get("period_nav") for url, page in by_url(pages).items()}
    archive_link = Link("Archive", "archive/")
    assert nav["2017/"] == PeriodNav(up=archive_link, prev=Link("2016", "2016/"), next=None)
    assert nav["2016/"] == PeriodNav(up=archive_link, prev=None, next=Link("2017", "2017/"))
    assert nav["2017/01/"] == PeriodNav(
        up=Link("2017", "2017/"),
        prev=Link("December 2016", "2016/12/"),
        next=Link("March 2017", "2017/03/"),
    )
    assert nav["2017/01/01/"] == PeriodNav(
        up=Link("January 2017", "2017/01/"),
        prev=Link("31 December 2016", "2016/12/31/"),
        next=Link("15 January 2017", "2017/01/15/"),
    )
    assert nav[""] is None


def test_period_nav_links_have_no_counts(article):
    # A neighbour gaining an article must not change this page.
    _, pages = plan([article("A", "2017-01-01"), article("B", "2017-02-01")])
    nav = by_url(pages)["2017/01/"].values["period_nav"]
    assert nav.next.count == 0 and nav.up.count == 0


def test_archive_overview(article):
    _, pages = plan(
        [article("A", "2016-12-31"), article("B", "2017-03-01"), article("C", "2017-01-01")]
    )
    years = by_url(pages)["archive/"].values["years"]
    assert [y.link for y in years] == [Link("2017", "2017/", 2), Link("2016", "2016/", 1)]
    assert years[0].months == (
        Link("January", "2017/01/", 1),
        Link("March", "2017/03/", 1),
    )


def test_navigation_and_sections(article):
    archive, _ = plan([article("A", category="World"), article("B", category="Business")])
    assert navigation(archive) == (
        Link("Business", "category/business/"),
        Link("World", "category/world/"),
    )
    assert [link.url for link in sections()] == [
        "categories/",
        "tags/",
        "sources/",
        "authors/",
        "archive/",
    ]


# -- related ---------------------------------------------------------------------------------


def related_titles(archive, pages, url):
    return [archive.articles[i].title for i in by_url(pages)[url].refs["related"]]


def test_related_are_the_nearest_in_the_same_category(article):
    world = [article(f"W{i}", f"2017-01-{i:02d}", category="World") for i in range(1, 10)]
    other = [article(f"B{i}", f"2017-01-{i:02d}T12:00:00", category="Business") for i in (4, 5)]
    archive, pages = plan(world + other, related_count=4)
    # W5 sits in the middle: the nearest World articles, best first (at equal distance,
    # the newer one); the Business ones share only the source.
    assert related_titles(archive, pages, "2017/01/05/w5/") == ["W6", "W4", "W7", "W3"]


def test_related_at_the_edges_take_from_one_side(article):
    world = [article(f"W{i}", f"2017-01-{i:02d}", category="World") for i in range(1, 10)]
    archive, pages = plan(world, related_count=3)
    assert related_titles(archive, pages, "2017/01/09/w9/") == ["W8", "W7", "W6"]
    assert related_titles(archive, pages, "2017/01/01/w1/") == ["W2", "W3", "W4"]


def test_related_never_holds_the_article_itself_or_repeats(article):
    world = [article(f"W{i}", f"2017-01-{i:02d}", category="World") for i in range(1, 4)]
    _, pages = plan(world, related_count=5)
    for page in pages:
        if page.kind == "article":
            related = page.refs["related"]
            assert page.refs["article"] not in related
            assert len(set(related)) == len(related) == 2


def test_related_count_is_respected(many):
    _, pages = plan(many(20), related_count=5)
    counts = Counter(len(p.refs["related"]) for p in pages if p.kind == "article")
    assert counts == Counter({5: 20})


def test_article_sharing_nothing_has_no_related(article):
    archive, pages = plan(
        [article("A", category="World", source="X"), article("B", category="Sport", source="Y")]
    )
    assert related_titles(archive, pages, "2017/09/23/a/") == []


def test_related_count_zero_turns_related_off(many):
    _, pages = plan(many(5), related_count=0)
    assert {p.refs["related"] for p in pages if p.kind == "article"} == {()}


# -- aliases and collisions -------------------------------------------------------------------


def test_alias_pages(article):
    _, pages = plan([article("Rates held", aliases=("old/2017/rates.html", "business/rates/"))])
    aliases = [p for p in pages if p.kind == "alias"]
    assert [(p.url, p.template) for p in aliases] == [
        ("old/2017/rates.html", "alias.html"),
        ("business/rates/", "alias.html"),
    ]
    for page in aliases:
        assert page.values["target"] == "2017/09/23/rates-held/"
        assert page.refs["article"] == 0
        assert page.sources == ("2017/09/rates-held.md",)
        assert page.title == "Moved: Rates held"


def test_article_onto_a_generated_page_is_a_collision(article):
    _, pages = plan([article("Archive", rel="archive.md", permalink="{slug}/")])
    assert [str(p) for p in check_output_paths(pages, {}, PREFIX).problems] == [
        "content/archive.md: error: the article page from content/archive.md and the archive "
        "page /archive/ would all be written to archive/index.html; change a slug or the permalink",
    ]


def test_alias_onto_a_generated_page_is_a_collision(article):
    _, pages = plan([article("Story", rel="story.md", aliases=("2017/",))])
    [problem] = check_output_paths(pages, {}, PREFIX).problems
    assert problem.path == "content/story.md"
    assert "2017/index.html" in problem.message


def test_alias_onto_the_home_page_file_is_a_collision(article):
    _, pages = plan([article("Story", rel="story.md", aliases=("index.html",))])
    [problem] = check_output_paths(pages, {}, PREFIX).problems
    assert "would all be written to index.html" in problem.message


def test_html_permalink(article):
    _, pages = plan([article("Story", permalink="{category}/{slug}.html")])
    assert "world/story.html" in by_url(pages)


def test_pages_of_a_right_to_left_site_are_right_to_left(article):
    _, pages = plan([article("Story", "2017-09-23", lang="en")], language="ur")
    assert {(p.lang, p.dir) for p in pages if p.kind != "feed"} == {("ur", "rtl")}
