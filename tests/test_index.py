"""Index stage: ordering, canonical term names, taxonomies and date periods."""

from __future__ import annotations

import itertools
from dataclasses import FrozenInstanceError
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from masthead.index import (
    article_links,
    build_archive,
    order_articles,
    period_name,
    published,
    url_collisions,
)
from masthead.model import Link

PREFIX = "content/"


def test_order_is_newest_first(article):
    old = article("Old", "2015-01-01")
    mid = article("Mid", "2017-06-01T12:00:00")
    new = article("New", "2025-01-01")
    assert order_articles([mid, old, new]) == (new, mid, old)


def test_order_is_total_whatever_the_input_order(article):
    same_moment = [
        article("Bravo", "2017-09-23T10:00:00"),
        article("Alpha", "2017-09-23T10:00:00"),
        article("Alpha", "2017-09-23T10:00:00", rel="zz/alpha.md", slug="alpha"),
        article("Alpha", "2017-09-23T10:00:00", rel="aa/alpha.md", slug="alpha"),
        article("Later", "2017-09-23T11:00:00"),
    ]
    orders = {
        tuple((a.title, a.rel) for a in order_articles(p))
        for p in itertools.permutations(same_moment)
    }
    assert len(orders) == 1
    [order] = orders
    assert list(order) == [
        ("Later", "2017/09/later.md"),
        ("Alpha", "2017/09/alpha.md"),
        ("Alpha", "aa/alpha.md"),
        ("Alpha", "zz/alpha.md"),
        ("Bravo", "2017/09/bravo.md"),
    ]


def test_order_compares_instants_across_time_zones(article):
    karachi = article("Karachi", datetime(2017, 9, 23, 10, tzinfo=ZoneInfo("Asia/Karachi")))
    london = article("London", datetime(2017, 9, 23, 6, tzinfo=ZoneInfo("Europe/London")))
    # 10:00 in Karachi is 05:00 UTC; 06:00 in London (BST) is 05:00 UTC too: tie -> by URL.
    later = article("Utc", "2017-09-23T05:30:00")
    assert [a.title for a in order_articles([karachi, london, later])] == [
        "Utc",
        "Karachi",
        "London",
    ]


def test_published_leaves_out_drafts_and_future_articles_unless_asked(article):
    now = datetime(2020, 1, 1, tzinfo=ZoneInfo("UTC"))
    past = article("Past", "2019-01-01")
    draft = article("Draft", "2019-02-01", draft=True)
    future = article("Future", "2021-01-01")
    future_draft = article("Future draft", "2021-02-01", draft=True)
    every = [past, draft, future, future_draft]
    assert published(every, False, False, now) == ([past], 2, 1), "a future draft is a draft"
    assert published(every, True, False, now) == ([past, draft], 0, 2)
    assert published(every, False, True, now) == ([past, future], 2, 0)
    assert published(iter(every), True, True, now) == (every, 0, 0)


def test_archive_articles_are_ordered(article):
    archive, problems = build_archive([article("A", "2016-01-01"), article("B", "2018-01-01")])
    assert problems == []
    assert [a.title for a in archive.articles] == ["B", "A"]


def test_terms_group_articles_by_position(article):
    archive, _ = build_archive(
        [
            article("One", "2017-01-01", category="World", tags=("Syria", "Russia")),
            article("Two", "2017-02-01", category="Business", tags=("Russia",)),
            article("Three", "2017-03-01", category="World", authors=("Omar Sheikh",)),
        ]
    )
    # Positions: Three=0, Two=1, One=2.
    categories = {e.link.name: e.articles for e in archive.terms["category"]}
    assert categories == {"World": (0, 2), "Business": (1,)}
    tags = {e.link.name: (e.link.url, e.link.count, e.articles) for e in archive.terms["tag"]}
    assert tags == {"Russia": ("tag/russia/", 2, (1, 2)), "Syria": ("tag/syria/", 1, (2,))}
    assert [e.link.name for e in archive.terms["author"]] == ["Omar Sheikh"]
    assert [e.link.name for e in archive.terms["source"]] == ["Wire"]


def test_terms_are_sorted_by_name_ignoring_case(article):
    archive, _ = build_archive(
        [article("A", tags=("zebra", "Apple", "mango")), article("B", "2017-01-01")]
    )
    assert [e.link.name for e in archive.terms["tag"]] == ["Apple", "mango", "zebra"]


def test_article_links(article):
    a = article(tags=("x", "y"), authors=("z",))
    assert article_links(a, "category") == (a.category,)
    assert article_links(a, "source") == (a.source,)
    assert article_links(a, "tag") == a.tags
    assert article_links(a, "author") == a.authors


# -- canonical names ------------------------------------------------------------------------


def test_name_variants_are_merged_with_a_warning(article):
    articles = [
        article("One", "2017-01-01", tags=("Economy",), rel="2017/01/one.md"),
        article("Two", "2017-02-01", tags=("Economy",), rel="2017/02/two.md"),
        article("Three", "2017-03-01", tags=("economy",), rel="2017/03/three.md"),
    ]
    archive, problems = build_archive(articles, PREFIX)
    [entry] = archive.terms["tag"]
    assert entry.link == Link("Economy", "tag/economy/", 3)
    assert all(a.tags == (Link("Economy", "tag/economy/"),) for a in archive.articles)
    assert [str(p) for p in problems] == [
        'content/2017/03/three.md: warning: tag "economy" is written "Economy" elsewhere; '
        'they are one tag, shown as "Economy"'
    ]


def test_name_variant_warning_for_categories_and_spacing(article):
    articles = [
        article("One", "2017-01-01", category="International News", rel="a.md"),
        article("Two", "2017-02-01", category="international news", rel="b.md"),
    ]
    archive, problems = build_archive(articles, PREFIX)
    assert len(archive.terms["category"]) == 1
    assert [p.is_error for p in problems] == [False]
    assert problems[0].path == "content/b.md"


def test_most_used_name_wins(article):
    articles = [
        article("One", "2017-01-01", tags=("economy",)),
        article("Two", "2017-02-01", tags=("Economy",)),
        article("Three", "2017-03-01", tags=("economy",)),
    ]
    archive, _ = build_archive(articles, PREFIX)
    assert archive.terms["tag"][0].link.name == "economy"


def test_different_names_with_one_slug_is_an_error_naming_both_files(article):
    articles = [
        article("One", "2017-01-01", tags=("C++",), rel="2017/01/one.md"),
        article("Two", "2017-02-01", tags=("C",), rel="2017/02/two.md"),
    ]
    _, problems = build_archive(articles, PREFIX)
    errors = [p for p in problems if p.is_error]
    assert len(errors) == 1
    text = f"{errors[0].path} {errors[0].message}"
    assert "content/2017/01/one.md" in text
    assert "content/2017/02/two.md" in text
    assert '"C++"' in text and '"C"' in text
    assert "/tag/c/" in text


def test_unchanged_articles_are_the_same_objects(article):
    one = article("One", tags=("Economy",))
    archive, _ = build_archive([one])
    assert archive.articles[0] is one


# -- periods -------------------------------------------------------------------------------


def test_periods_newest_first_with_counts(article):
    archive, _ = build_archive(
        [
            article("A", "2016-12-31T23:00:00"),
            article("B", "2017-01-01"),
            article("C", "2017-01-15"),
            article("D", "2017-01-15T12:00:00"),
            article("E", "2017-03-02"),
        ]
    )
    assert [(p.key, p.link.count) for p in archive.years] == [((2017,), 4), ((2016,), 1)]
    assert [(p.key, p.link.count) for p in archive.months] == [
        ((2017, 3), 1),
        ((2017, 1), 3),
        ((2016, 12), 1),
    ]
    assert [p.key for p in archive.days] == [
        (2017, 3, 2),
        (2017, 1, 15),
        (2017, 1, 1),
        (2016, 12, 31),
    ]
    january = archive.months[1]
    assert january.link == Link("January 2017", "2017/01/", 3)
    assert [archive.articles[i].title for i in january.articles] == ["D", "C", "B"]


def test_periods_use_the_site_time_of_the_date(article):
    # 23:30 on 31 December in Karachi: in 2016 for the site, although 2017 is near in UTC+.
    late = article("Late", datetime(2016, 12, 31, 23, 30, tzinfo=ZoneInfo("Asia/Karachi")))
    archive, _ = build_archive([late])
    assert [p.key for p in archive.days] == [(2016, 12, 31)]


def test_each_period_lists_its_articles_in_archive_order_whatever_their_time_zones(article):
    # Archive order is by instant, periods by each date's own calendar day, so one month's
    # articles need not sit together in the archive: each period still lists exactly its
    # own, in archive order.
    zones = [ZoneInfo("UTC"), ZoneInfo("Asia/Karachi"), ZoneInfo("America/Los_Angeles")]
    moments = [(2016, 12, 31, 22), (2017, 1, 31, 23), (2017, 2, 1, 1), (2017, 1, 31, 3)]
    articles = [
        article(f"A{n}", datetime(*moment, 30, tzinfo=zone), rel=f"a{n}.md")
        for n, (moment, zone) in enumerate(itertools.product(moments, zones))
    ]
    archive, _ = build_archive(articles)
    for depth, periods in ((1, archive.years), (2, archive.months), (3, archive.days)):
        for period in periods:
            expected = tuple(
                position
                for position, a in enumerate(archive.articles)
                if (a.date.year, a.date.month, a.date.day)[:depth] == period.key
            )
            assert period.articles == expected
            assert period.link.count == len(expected)
        assert sum(len(p.articles) for p in periods) == len(articles)
        assert [p.key for p in periods] == sorted((p.key for p in periods), reverse=True)


def test_period_names():
    assert period_name((2017,)) == "2017"
    assert period_name((2017, 9)) == "September 2017"
    assert period_name((2017, 9, 3)) == "3 September 2017"


# -- URL collisions ------------------------------------------------------------------------


def test_two_articles_with_one_url_name_both_files(article):
    a = article("Same", rel="2017/09/a.md")
    b = article("Other", rel="2017/09/b.md", slug="same")
    problems = url_collisions([a, b], PREFIX)
    assert [str(p) for p in problems] == [
        f"content/2017/09/{name}.md: error: URL /2017/09/23/same/ is claimed by "
        "content/2017/09/a.md (its URL) and content/2017/09/b.md (its URL); "
        "give one of them another slug or date"
        for name in ("a", "b")
    ]


def test_alias_onto_another_article_is_a_collision(article):
    a = article("Same", rel="a.md")
    b = article("Other", rel="b.md", aliases=("2017/09/23/same/",))
    problems = url_collisions([a, b], PREFIX)
    assert {p.path for p in problems} == {"content/a.md", "content/b.md"}
    assert all("content/b.md (an alias)" in p.message for p in problems)


def test_distinct_urls_do_not_collide(article):
    assert url_collisions([article("One"), article("Two"), article("One", "2018-01-01")], "") == []


def test_archive_records_are_frozen(article):
    archive, _ = build_archive([article("One")])
    with pytest.raises(FrozenInstanceError):
        archive.articles[0].title = "x"  # type: ignore[misc]
