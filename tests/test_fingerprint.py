"""Fingerprints (masthead/incremental/fingerprint.py) as functions: what a page's bytes
depend on, so that it is rendered again exactly when one of those inputs changed.

- ArticlePrints: ``shown`` (what a page listing or linking an article depends on: every
  field but the body) and ``full`` (what a page showing its body depends on).
- PagePrints: a page's print changes exactly when its own fields, its template's print,
  the site's print or an article at one of its positions changes; and in a Session, the
  print reused from the last build is always the one a fresh computation gives.
- TemplateFingerprints: a template's print covers everything it extends, includes or
  imports, and every template when it names one at run time.

Builds that rely on all of this are tested in test_incremental.py and test_session.py.
"""

from __future__ import annotations

import dataclasses

import jinja2
import pytest

from masthead.config import SiteConfig
from masthead.incremental.fingerprint import (
    ArticlePrints,
    PagePrints,
    TemplateFingerprints,
    article_fingerprints,
    digest,
    parse_fingerprint,
    site_fingerprint,
)
from masthead.incremental.session import Session
from masthead.model import Archive, Article, Link, Page


def archive_of(*articles: Article) -> Archive:
    return Archive(articles=articles, terms={}, years=(), months=(), days=())


@pytest.fixture
def articles(article) -> tuple[Article, ...]:
    """Four articles, newest first."""
    return (
        article("Talks resume", "2017-09-23", tags=("Syria",), body_html="<p>Talks.</p>"),
        article("Markets rally", "2017-09-22", "Business", body_html="<p>Shares.</p>"),
        article("Floods", "2017-09-21", body_html="<p>Rain.</p>"),
        article("Election", "2017-09-20", body_html="<p>Votes.</p>"),
    )


def changed(articles: tuple[Article, ...], position: int, **changes) -> tuple[Article, ...]:
    """The articles with the one at ``position`` changed."""
    replaced = dataclasses.replace(articles[position], **changes)
    return (*articles[:position], replaced, *articles[position + 1 :])


# --- ArticlePrints -------------------------------------------------------------------------------


def test_both_prints_of_every_article_by_position(articles) -> None:
    prints = article_fingerprints(archive_of(*articles))
    assert len(prints.shown) == len(prints.full) == 4
    assert len(set(prints.shown)) == 4 and len(set(prints.full)) == 4
    assert set(prints.shown).isdisjoint(prints.full)
    assert article_fingerprints(archive_of(*articles)) == prints, "stable"


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Talks resume again"},
        {"url": "2017/09/23/other/"},
        {"category": Link("Asia", "category/asia/")},
        {"tags": ()},
        {"summary": "A new summary."},
        {"draft": True},
        {"lang": "ur"},
        {"extra": {"note": "x"}},
    ],
)
def test_a_shown_field_changes_both_prints(articles, changes: dict) -> None:
    before = article_fingerprints(archive_of(*articles))
    after = article_fingerprints(archive_of(*changed(articles, 0, **changes)))
    assert after.shown[0] != before.shown[0] and after.full[0] != before.full[0]
    assert after.shown[1:] == before.shown[1:] and after.full[1:] == before.full[1:]


def test_a_new_body_changes_only_the_full_print(articles) -> None:
    before = article_fingerprints(archive_of(*articles))
    after = article_fingerprints(archive_of(*changed(articles, 0, digest="another digest")))
    assert after.shown == before.shown
    assert after.full[0] != before.full[0] and after.full[1:] == before.full[1:]


def test_the_body_is_known_by_its_digest_and_field_lines_by_nothing(articles) -> None:
    # Records in the archive carry no body (the cache holds it): the source's hash stands
    # for it. The lines of fields are only for messages.
    before = article_fingerprints(archive_of(*articles))
    no_body = changed(articles, 0, body_html="", field_lines=(("title", 9),))
    assert article_fingerprints(archive_of(*no_body)) == before


def test_a_session_gives_equal_prints_for_equal_articles(articles) -> None:
    session = Session()
    first = article_fingerprints(archive_of(*articles), session)
    session.finish_build()
    edited = changed(articles, 2, title="Floods spread")
    assert article_fingerprints(archive_of(*edited), session) == article_fingerprints(
        archive_of(*edited)
    )
    assert first == article_fingerprints(archive_of(*articles))


# --- PagePrints ------------------------------------------------------------------------------------

LISTING = Page(
    url="category/world/",
    template="list.html",
    kind="category",
    title="World",
    lang="en",
    values={"heading": "Category: World"},
    refs={"articles": (0, 2)},
)
FEED = Page(
    url="feed.xml",
    template="atom.xml",
    kind="feed",
    title="Example",
    lang="en",
    refs={"entries": (0, 1)},
    with_bodies=True,
)
ARTICLE = Page(
    url="2017/09/22/markets-rally/",
    template="article.html",
    kind="article",
    title="Markets rally",
    lang="en",
    refs={"article": 1, "prev": 0, "next": 2, "related": (3,)},
)
TEMPLATE, SITE = "template print", "site print"


def page_print(page: Page, articles, template: str = TEMPLATE, site: str = SITE) -> str:
    return PagePrints(site, article_fingerprints(archive_of(*articles)))(page, template)


@pytest.mark.parametrize("page", [LISTING, FEED, ARTICLE], ids=["listing", "feed", "article"])
@pytest.mark.parametrize(
    "changes",
    [
        {"url": "elsewhere/"},
        {"template": "other.html"},
        {"kind": "tag"},
        {"title": "Another title"},
        {"lang": "ur"},
        {"dir": "rtl"},
        {"description": "Described."},
        {"values": {"heading": "Another heading"}},
        {"values": {"heading": "Category: World", "extra": 1}},
    ],
)
def test_a_change_to_a_pages_own_fields_changes_its_print(articles, page, changes) -> None:
    assert page_print(dataclasses.replace(page, **changes), articles) != page_print(page, articles)


def test_the_sources_of_a_page_name_it_in_messages_only(articles) -> None:
    moved = dataclasses.replace(LISTING, sources=("content/2017/09/a.md",))
    assert page_print(moved, articles) == page_print(LISTING, articles)


def test_the_template_and_the_site_change_every_print(articles) -> None:
    for page in (LISTING, FEED, ARTICLE):
        base = page_print(page, articles)
        assert page_print(page, articles, template="another template print") != base
        assert page_print(page, articles, site="another site print") != base


def test_an_article_at_one_of_its_positions_changes_the_print(articles) -> None:
    retitled = {i: changed(articles, i, title="A new title") for i in range(4)}
    base = page_print(LISTING, articles)
    assert [page_print(LISTING, retitled[i]) != base for i in range(4)] == [
        True,
        False,
        True,
        False,
    ]
    base = page_print(ARTICLE, articles)
    assert all(page_print(ARTICLE, retitled[i]) != base for i in range(4)), (
        "own, prev, next, related"
    )


def test_a_new_body_changes_only_the_pages_that_show_it(articles) -> None:
    rewritten = {i: changed(articles, i, digest=f"new body {i}") for i in range(4)}
    assert all(page_print(LISTING, rewritten[i]) == page_print(LISTING, articles) for i in range(4))
    feed = [page_print(FEED, rewritten[i]) != page_print(FEED, articles) for i in range(4)]
    assert feed == [True, True, False, False], "a feed shows its entries' bodies"
    own = [page_print(ARTICLE, rewritten[i]) != page_print(ARTICLE, articles) for i in range(4)]
    assert own == [False, True, False, False], "an article page shows its own body only"


def test_the_same_positions_under_another_name_are_another_page(articles) -> None:
    renamed = dataclasses.replace(LISTING, refs={"entries": (0, 2)})
    assert page_print(renamed, articles) != page_print(LISTING, articles)
    reordered = dataclasses.replace(LISTING, refs={"articles": (2, 0)})
    assert page_print(reordered, articles) != page_print(LISTING, articles)


def test_a_page_that_shows_some_bodies_of_a_group_is_a_bug(articles) -> None:
    mixed = dataclasses.replace(ARTICLE, refs={"article": 1, "related": (1, 2)})
    with pytest.raises(ValueError, match="shows only some bodies"):
        page_print(mixed, articles)


def test_in_a_session_a_reused_print_is_always_the_fresh_one(articles) -> None:
    """Build after build in one Session, every page's print equals the one computed from
    nothing, whatever changed in between."""
    session = Session()
    pages = (LISTING, FEED, ARTICLE)
    builds = [
        (articles, TEMPLATE, SITE),
        (articles, TEMPLATE, SITE),  # nothing changed
        (changed(articles, 3, title="Election called"), TEMPLATE, SITE),  # a related article
        (changed(articles, 0, digest="new body"), TEMPLATE, SITE),  # a body
        (articles, "edited template", SITE),
        (articles, TEMPLATE, "new settings"),
        (articles[:3], TEMPLATE, SITE),  # the last article gone: no page shows 3 but ARTICLE
        (articles, TEMPLATE, SITE),  # and back
    ]
    for number, (state, template, site) in enumerate(builds):
        in_session = PagePrints(site, article_fingerprints(archive_of(*state), session), session)
        fresh = PagePrints(site, article_fingerprints(archive_of(*state)))
        for page in pages:
            if page is ARTICLE and len(state) < 4:
                page = dataclasses.replace(ARTICLE, refs={"article": 1, "prev": 0, "next": 2})
            assert in_session(page, template) == fresh(page, template), (number, page.url)
        session.finish_build()


def test_article_prints_of_a_longer_or_shorter_archive_mark_the_new_positions() -> None:
    # An archive that grew or shrank: every position past the shorter one counts as changed.
    session = Session()
    short = ArticlePrints(("a", "b"), ("A", "B"))
    longer = ArticlePrints(("a", "b", "c"), ("A", "B", "C"))
    PagePrints(SITE, short, session)
    session.finish_build()
    assert PagePrints(SITE, longer, session).changed == {2}
    session.finish_build()
    assert PagePrints(SITE, short, session).changed == {2}


# --- TemplateFingerprints ---------------------------------------------------------------------

TEMPLATES = {
    "base.html": "<html>{% block content %}{% endblock %}{% include 'footer.html' %}</html>",
    "footer.html": "<footer>{% import 'macros.html' as m %}{{ m.credit() }}</footer>",
    "macros.html": "{% macro credit() %}masthead{% endmacro %}",
    "article.html": "{% extends 'base.html' %}{% block content %}{{ article.title }}{% endblock %}",
    "list.html": "{% extends 'base.html' %}{% block content %}{% from 'pager.html' import pager %}{{ pager() }}{% endblock %}",
    "pager.html": "{% macro pager() %}1 2 3{% endmacro %}",
    "alone.html": "<p>{{ page.title }}</p>",
    "dynamic.html": "{% include page.note %}",
    "broken.html": "{% if %}",
}


def prints(templates: dict[str, str], session: Session | None = None) -> dict[str, str]:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates))
    fingerprints = TemplateFingerprints(env, session)
    return {name: fingerprints(name) for name in TEMPLATES}


def edited(name: str) -> dict[str, str]:
    return {**TEMPLATES, name: TEMPLATES[name] + "<!-- edited -->"}


@pytest.mark.parametrize(
    ("name", "affected"),
    [
        ("macros.html", {"macros.html", "footer.html", "base.html", "article.html", "list.html"}),
        ("footer.html", {"footer.html", "base.html", "article.html", "list.html"}),
        ("base.html", {"base.html", "article.html", "list.html"}),
        ("pager.html", {"pager.html", "list.html"}),
        ("article.html", {"article.html"}),
        ("alone.html", {"alone.html"}),
    ],
)
def test_a_template_print_follows_extends_include_and_import(name: str, affected: set) -> None:
    before, after = prints(TEMPLATES), prints(edited(name))
    changed_prints = {n for n in TEMPLATES if before[n] != after[n]}
    assert changed_prints == affected | {"dynamic.html"}, "a run-time name depends on all"


def test_a_name_computed_at_run_time_depends_on_every_template() -> None:
    before = prints(TEMPLATES)["dynamic.html"]
    for name in TEMPLATES:
        assert prints(edited(name))["dynamic.html"] != before, name
    added = prints({**TEMPLATES, "note.html": "<p>A new note.</p>"})["dynamic.html"]
    assert added != before, "a new template it may name"


def test_a_template_that_does_not_parse_still_changes_with_its_source() -> None:
    before, after = prints(TEMPLATES), prints(edited("broken.html"))
    assert before["broken.html"] != after["broken.html"]
    assert before["article.html"] == after["article.html"]


def test_a_missing_template_has_a_print_of_its_own() -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"a.html": "{% include 'gone.html' %}"}))
    fingerprints = TemplateFingerprints(env)
    assert fingerprints("a.html") == fingerprints("a.html")
    assert fingerprints("gone.html") != fingerprints("a.html")


def test_templates_that_include_each_other_do_not_loop() -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(
            {"a.html": "{% include 'b.html' %}", "b.html": "{% include 'a.html' %}"}
        )
    )
    fingerprints = TemplateFingerprints(env)
    assert fingerprints("a.html") == fingerprints("b.html"), "one closure, one print"


def test_in_a_session_template_prints_are_the_fresh_ones() -> None:
    session = Session()
    for templates in (TEMPLATES, TEMPLATES, edited("macros.html"), edited("pager.html")):
        assert prints(templates, session) == prints(templates)
        session.finish_build()


# --- the site and parse prints ------------------------------------------------------------------


def test_the_site_print_covers_settings_navigation_and_sections() -> None:
    nav = (Link("World", "category/world/"),)
    base = site_fingerprint(SiteConfig(), nav, ())
    assert site_fingerprint(SiteConfig(), nav, ()) == base
    assert site_fingerprint(SiteConfig(title="Other"), nav, ()) != base
    assert site_fingerprint(SiteConfig(), (), ()) != base
    assert site_fingerprint(SiteConfig(), nav, (Link("Tags", "tags/"),)) != base


def test_the_parse_print_covers_only_what_changes_parsing() -> None:
    base = parse_fingerprint(SiteConfig())
    assert parse_fingerprint(SiteConfig(timezone="Asia/Karachi")) != base
    assert parse_fingerprint(SiteConfig(markdown_extensions=("extra",))) != base
    assert parse_fingerprint(SiteConfig(slug_length=40)) != base
    assert parse_fingerprint(SiteConfig(title="Other", per_page=3)) == base, "render-only"


def test_digest_is_short_stable_and_keeps_parts_apart() -> None:
    assert digest("a", "b") == digest("a", "b")
    assert len(digest("a")) == 32
    assert digest("ab", "c") != digest("a", "bc")
    assert digest("\udce9") == digest("\udce9"), "undecodable file names are hashed too"
