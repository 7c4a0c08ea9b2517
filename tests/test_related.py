"""Related articles: the scoring, its tie-breaks and the cap on huge terms (related.py)."""

from __future__ import annotations

import time

import pytest

from masthead.collector import no_collections
from masthead.index import build_archive
from masthead.model import TermEntry
from masthead.related import WEIGHTS, related_positions, related_window


def related_of(articles, limit=5):
    """Titles of each article's related articles, by title."""
    archive, _ = build_archive(articles, "content/")
    stamps = tuple(int(a.date.timestamp()) for a in archive.articles)
    found = related_positions(archive.terms, stamps, limit)
    titles = [a.title for a in archive.articles]
    return {titles[p]: [titles[i] for i in found[p]] for p in range(len(titles))}


def test_the_weights_make_the_order_lexicographic():
    weight = dict(WEIGHTS)
    assert weight["category"] + weight["source"] < weight["tag"]
    assert weight["source"] < weight["category"]


def test_shared_tags_win_over_category_source_and_time(article):
    articles = [
        article("Me", "2020-06-15", category="World", source="Wire", tags=("Floods", "Sindh")),
        # same category and source, one day away, no tag
        article("Near", "2020-06-16", category="World", source="Wire"),
        # one tag, other category and source, a year away
        article("One tag", "2019-06-15", category="Sport", source="Post", tags=("Floods",)),
        # two tags, two years away
        article(
            "Two tags", "2018-06-15", category="Sport", source="Post", tags=("Sindh", "Floods")
        ),
    ]
    assert related_of(articles)["Me"] == ["Two tags", "One tag", "Near"]


def test_category_wins_over_source_and_source_over_nothing(article):
    articles = [
        article("Me", "2020-06-15", category="World", source="Wire"),
        article("Same source", "2020-06-16", category="Sport", source="Wire"),
        article("Same category", "2020-01-01", category="World", source="Post"),
        article("Nothing", "2020-06-15T01:00:00", category="Sport", source="Post"),
    ]
    assert related_of(articles)["Me"] == ["Same category", "Same source"]


def test_equal_scores_go_to_the_nearer_in_time(article):
    articles = [
        article("Me", "2020-06-15", tags=("Floods",)),
        article("Week before", "2020-06-08", tags=("Floods",)),
        article("Day after", "2020-06-16", tags=("Floods",)),
        article("Month after", "2020-07-15", tags=("Floods",)),
    ]
    assert related_of(articles)["Me"] == ["Day after", "Week before", "Month after"]


def test_equal_distance_goes_to_the_newer_then_by_url(article):
    articles = [
        article("Me", "2020-06-15T12:00:00"),
        article("Before", "2020-06-14T12:00:00"),
        article("After", "2020-06-16T12:00:00"),
        article("Same time b", "2020-06-17T12:00:00"),
        article("Same time a", "2020-06-17T12:00:00"),
    ]
    # After and Before are one day away: After is newer. The two at the same time: by URL.
    assert related_of(articles)["Me"] == ["After", "Before", "Same time a", "Same time b"]


def test_the_choice_does_not_depend_on_input_order(article):
    articles = [article(f"S{i}", f"2020-01-{i:02d}", tags=(f"T{i % 3}",)) for i in range(1, 29)]
    assert related_of(articles) == related_of(list(reversed(articles)))


def test_limit_is_respected_and_never_the_article_itself(article):
    articles = [article(f"S{i}", f"2020-01-{i:02d}") for i in range(1, 29)]
    for title, related in related_of(articles, limit=3).items():
        assert len(related) == 3 and title not in related and len(set(related)) == 3


def test_zero_turns_it_off(article):
    assert set(map(tuple, related_of([article("A"), article("B")], limit=0).values())) == {()}


def test_a_huge_term_contributes_only_its_nearest_members():
    """A term of 1,000 members: an article in the middle of it sees 2 x window of them."""
    size, limit = 1000, 5
    window = related_window(limit)
    members = tuple(range(size))
    terms = {"category": (TermEntry("category", None, members),)}  # link unused
    stamps = tuple(-p * 3600 for p in range(size))  # newest first, an hour apart
    found = related_positions(terms, stamps, limit)
    assert found[500] == (499, 501, 498, 502, 497)
    assert all(abs(p - 500) <= window for p in found[500])


@pytest.mark.slow
def test_linear_not_quadratic():
    """Ten times the articles in one category cost about ten times as much, not a hundred."""

    def cost(size):
        """The best of three runs, without the collector: on a loaded machine one run can
        take several times another, and a collection lands in one size but not the other."""
        terms = {"category": (TermEntry("category", None, tuple(range(size))),)}
        stamps = tuple(-p for p in range(size))
        runs = []
        with no_collections():
            for _ in range(3):
                start = time.process_time()
                related_positions(terms, stamps, 5)
                runs.append(time.process_time() - start)
        return min(runs)

    small, large = cost(2_000), cost(20_000)
    assert large < 30 * max(small, 0.001)
