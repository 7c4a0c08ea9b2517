"""A front page and listings that read like news: the lead story, bylines and "Updated" on
cards, term pages without repeated labels, with counts and descriptions, and a header of
at most ``nav_categories`` categories."""

from __future__ import annotations

from datetime import UTC, datetime

from sitegen import build_site, masthead, ok, write_site

from masthead.article import parse_article
from masthead.config import SiteConfig
from masthead.index import build_archive
from masthead.model import Link
from masthead.plan import lead_position, navigation, plan_pages


def archive_of(articles):
    archive, problems = build_archive(articles, "content/")
    assert not [p for p in problems if p.is_error]
    return archive


def pages_of(articles, **settings):
    archive = archive_of(articles)
    return archive, {p.url: p for p in plan_pages(archive, SiteConfig(**settings))}


# -- the lead story ----------------------------------------------------------------------------


def test_lead_is_the_newest_featured_article_else_the_newest(article):
    plain = [article("New", "2020-01-03"), article("Old", "2020-01-01")]
    assert lead_position(archive_of(plain).articles) == 0
    featured = [
        *plain,
        article("Featured old", "2019-01-01", featured=True),
        article("Featured", "2019-06-01", featured=True),
    ]
    archive = archive_of(featured)
    assert archive.articles[lead_position(archive.articles)].title == "Featured"
    assert lead_position(()) is None


def test_home_page_leads_with_it_and_lists_the_rest(article):
    articles = [article(f"S{i}", f"2020-01-{i:02d}") for i in range(1, 8)]
    articles.append(article("Featured", "2019-06-01", featured=True))
    archive, pages = pages_of(articles, per_page=3)
    titles = lambda refs: [archive.articles[i].title for i in refs]  # noqa: E731
    home = pages[""]
    assert archive.articles[home.refs["lead"]].title == "Featured"
    assert titles(home.refs["articles"]) == ["S7", "S6", "S5"]
    assert pages["page/2/"].refs["lead"] is None
    assert titles(pages["page/2/"].refs["articles"]) == ["S4", "S3", "S2"]


def test_featured_must_be_true_or_false():
    text = (
        "---\ntitle: A\ndate: 2020-01-01\ncategory: W\nsource: S\nfeatured: yes please\n---\nB.\n"
    )
    article, problems = parse_article("2020/01/a.md", text, SiteConfig(), shown_as="content/a.md")
    assert article is None
    assert [str(p) for p in problems] == [
        "content/a.md:6: error: featured: must be true or false, not 'yes please'"
    ]


# -- term pages --------------------------------------------------------------------------------


def test_term_pages_carry_their_term_with_count_and_description(article):
    articles = [article("A", category="Business"), article("B", "2017-09-22", category="Business")]
    _, pages = pages_of(articles, categories=(("business", "Markets and companies."),))
    page = pages["category/business/"]
    assert page.values["term"] == Link("Business", "category/business/", 2)
    assert page.values["term_description"] == "<p>Markets and companies.</p>"
    assert page.description == "Markets and companies."
    assert pages["source/wire/"].values["term_description"] == ""


# -- the header --------------------------------------------------------------------------------


def categories(make, counts):
    return [
        make(f"S{name}{i}", f"2020-01-{i + 1:02d}", category=name)
        for name, count in counts.items()
        for i in range(count)
    ]


def test_header_shows_the_categories_with_most_articles_then_more(article):
    archive = archive_of(categories(article, {"Alpha": 1, "Beta": 3, "Gamma": 2, "Delta": 2}))
    nav = navigation(archive, SiteConfig(nav_categories=2))
    # Beta (3), then a tie of 2 broken by name (Delta before Gamma); shown by name.
    assert nav == (
        Link("Beta", "category/beta/"),
        Link("Delta", "category/delta/"),
        Link("More", "categories/"),
    )
    assert len(navigation(archive, SiteConfig())) == 4, "all fit: no More"
    assert navigation(archive, SiteConfig(nav_categories=0)) == ()


def test_header_shows_the_categories_named_in_order(article):
    archive = archive_of(categories(article, {"Alpha": 1, "Beta": 3, "Gamma": 2}))
    nav = navigation(archive, SiteConfig(nav_categories=("gamma", "Nowhere", "Alpha")))
    assert [link.name for link in nav] == ["Gamma", "Alpha", "More"]


# -- the built site ----------------------------------------------------------------------------

SITE = {
    "2017/09/lead.md": {
        "title": "Harbour bridge reopens",
        "date": "2017-09-01",
        "category": "City",
        "source": "Wire",
        "authors": ["Amina Rao", "Omar Khan"],
        "image": "/static/bridge.jpg",
        "featured": True,
        "summary": "After six months of repairs.",
    },
    "2017/09/new.md": {
        "title": "Council passes budget",
        "date": "2017-09-05",
        "category": "Politics",
        "source": "Post",
        "updated": "2017-09-06",
    },
    "2017/09/other.md": {
        "title": "Tram fares frozen",
        "date": "2017-09-03",
        "category": "City",
        "source": "Post",
    },
}
SETTINGS = {"base_url": "https://example.org/", "nav_categories": 1}


def news_site(root):
    site = write_site(root, SETTINGS, SITE)
    with (site / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write('[tool.masthead.categories]\nCity = "Streets, trams & the harbour."\n')
    return site


def test_built_home_term_pages_and_header(tmp_path):
    output = build_site(news_site(tmp_path / "site"))
    home = (output / "index.html").read_text("utf-8")
    lead = home[home.index('<section class="lead-story"') : home.index("</section>")]
    assert "Harbour bridge reopens" in lead and 'src="/static/bridge.jpg"' in lead
    assert 'class="card card-lead"' in lead
    cards = home[home.index('<ul class="cards">') :]
    assert "Harbour bridge reopens" not in cards, "the lead is not listed twice"
    assert "Council passes budget" in cards
    assert '<span class="card-updated">Updated <time datetime="2017-09-06' in cards
    assert 'By <a href="/author/amina-rao/">Amina Rao</a> and <a href="/author/omar-khan/">' in lead
    # The header: City has most articles; the rest behind More.
    nav = home[
        home.index('<nav class="category-nav"') : home.index("</nav>", home.index("category-nav"))
    ]
    assert '<a href="/category/city/">City</a>' in nav
    assert "Politics" not in nav
    assert '<li class="nav-more"><a href="/categories/">More</a></li>' in nav

    city = (output / "category/city/index.html").read_text("utf-8")
    main = city[city.index("<main") :]
    assert '<p class="kicker">' not in main, "the section label is not repeated on its page"
    assert '<p class="term-count">2 articles</p>' in main
    assert '<div class="term-description"><p>Streets, trams &amp; the harbour.</p></div>' in main
    assert '<meta name="description" content="Streets, trams &amp; the harbour.">' in city
    wire = (output / "source/post/index.html").read_text("utf-8")
    assert "Courtesy:" not in wire[wire.index("<main") :]
    assert '<p class="kicker">' in wire


def test_front_page_end_to_end(tmp_path):
    site = news_site(tmp_path / "site")
    ok(masthead("build", "--site", site, "--jobs", "1", "--no-cache"))
    home = (site / "output/index.html").read_text("utf-8")
    assert '<section class="lead-story"' in home and "Harbour bridge reopens" in home
    updated = datetime(2017, 9, 6, tzinfo=UTC).isoformat()
    assert f'datetime="{updated}"' in home
