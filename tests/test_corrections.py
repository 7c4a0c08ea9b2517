"""Corrections: the front-matter list, its checks, the notice, the JSON-LD and /corrections/."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sitegen import build_site, masthead, ok, write_site

from masthead.article import parse_article
from masthead.config import SiteConfig
from masthead.index import build_archive
from masthead.metadata import news_article
from masthead.model import Correction
from masthead.plan import plan_pages

CONFIG = SiteConfig(timezone="UTC")
HEAD = "---\ntitle: A headline\ndate: 2017-09-23\ncategory: World\nsource: Wire\n"


def parse(front: str):
    text = HEAD + front + "---\nBody.\n"
    return parse_article("2017/09/a.md", text, CONFIG, shown_as="content/2017/09/a.md")


def errors(front: str) -> list[str]:
    article, problems = parse(front)
    assert article is None
    return [str(p) for p in problems]


# -- front matter ------------------------------------------------------------------------------


def test_corrections_are_read_newest_first():
    article, problems = parse(
        "corrections:\n"
        "  - date: 2017-09-24\n    text: The fare is 30 rupees, not 20.\n"
        "  - date: 2017-10-01T09:30:00+05:00\n    text: '  The bridge   reopens in May. '\n"
    )
    assert problems == []
    assert article.corrections == (
        Correction(datetime(2017, 10, 1, 4, 30, tzinfo=UTC), "The bridge reopens in May."),
        Correction(datetime(2017, 9, 24, tzinfo=UTC), "The fare is 30 rupees, not 20."),
    )
    assert article.revised == datetime(2017, 10, 1, 4, 30, tzinfo=UTC)
    assert article.last_modified == article.revised


def test_updated_later_than_every_correction_stays_the_revision_date():
    article, _ = parse(
        "updated: 2017-11-01\ncorrections:\n  - date: 2017-09-24\n    text: Fixed a name.\n"
    )
    assert article.revised == datetime(2017, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("front", "message"),
    [
        (
            "corrections: Fixed a name.\n",
            "content/2017/09/a.md:6: error: corrections: must be a list, not 'Fixed a name.'; "
            'write each as "- date: YYYY-MM-DD" with "text: what was corrected" below it',
        ),
        (
            "corrections:\n  - Fixed a name.\n",
            "content/2017/09/a.md:6: error: corrections: the item: must be a mapping of date "
            'and text, not \'Fixed a name.\'; write each as "- date: YYYY-MM-DD" with "text: what was '
            'corrected" below it',
        ),
        (
            "corrections:\n  - date: 2017-09-24\n",
            "content/2017/09/a.md:6: error: corrections: the item: text is required; "
            'write each as "- date: YYYY-MM-DD" with "text: what was corrected" below it',
        ),
        (
            "corrections:\n  - date: 2017-09-24\n    text: ok\n  - text: Fixed.\n",
            "content/2017/09/a.md:6: error: corrections: item 2: date is required; "
            'write each as "- date: YYYY-MM-DD" with "text: what was corrected" below it',
        ),
        (
            "corrections:\n  - date: soon\n    text: Fixed.\n",
            'content/2017/09/a.md:6: error: corrections: the item: date "soon" is not a date '
            "(use YYYY-MM-DD or ISO 8601) in the years 1000 to 9998",
        ),
        (
            "corrections:\n  - date: 2017-09-01\n    text: Fixed.\n",
            "content/2017/09/a.md:6: error: corrections: the item: date "
            "2017-09-01T00:00:00+00:00 is before the article's date 2017-09-23T00:00:00+00:00; "
            "a correction comes after publication",
        ),
        (
            "corrections:\n  - date: 2017-09-24\n    text: ''\n",
            "content/2017/09/a.md:6: error: corrections: the item: text must be the words of "
            "the correction, not empty text",
        ),
        (
            "corrections:\n  - date: 2017-09-24\n    text: [1]\n",
            "content/2017/09/a.md:6: error: corrections: the item: text must be the words of "
            "the correction, not a list",
        ),
        (
            "corrections:\n  - date: 2017-09-24\n    text: Fixed.\n    by: Desk\n",
            'content/2017/09/a.md:6: error: corrections: the item: unknown key "by"; a '
            "correction has only date and text",
        ),
    ],
)
def test_bad_corrections_are_errors_naming_file_and_line(front, message):
    assert errors(front) == [message]


# -- JSON-LD -----------------------------------------------------------------------------------


def test_news_article_has_correction_comments(article):
    corrected = article(
        "Fares",
        "2017-09-23",
        corrections=(Correction(datetime(2017, 9, 25, 8, tzinfo=UTC), "The fare is 30."),),
    )
    data = news_article(CONFIG, corrected)
    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "datePublished": "2017-09-25T08:00:00+00:00",
            "text": "The fare is 30.",
        }
    ]
    assert data["dateModified"] == "2017-09-25T08:00:00+00:00"
    assert "correction" not in news_article(CONFIG, article("Plain"))


# -- the corrections page ----------------------------------------------------------------------


def test_corrections_page_lists_corrected_articles_newest_correction_first(article):
    def fixed(title, when, corrected_on):
        day = datetime.fromisoformat(corrected_on).replace(tzinfo=UTC)
        return article(title, when, corrections=(Correction(day, "Fixed."),))

    articles = [
        fixed("Old story, corrected late", "2017-01-01", "2017-12-01"),
        fixed("New story, corrected early", "2017-11-01", "2017-11-02"),
        article("Never corrected", "2017-10-01"),
    ]
    archive, _ = build_archive(articles, "content/")
    pages = {p.url: p for p in plan_pages(archive, SiteConfig())}
    page = pages["corrections/"]
    assert (page.template, page.kind) == ("corrections.html", "corrections")
    titles = [archive.articles[i].title for i in page.refs["articles"]]
    assert titles == ["Old story, corrected late", "New story, corrected early"]


# -- the built site ----------------------------------------------------------------------------

SITE = {
    "2017/09/fares.md": {
        "title": "Tram fares frozen",
        "date": "2017-09-23",
        "category": "City",
        "source": "Wire",
        "corrections": [
            {"date": "2017-09-24", "text": "The fare is 30 rupees, not 20."},
            {"date": "2017-09-26", "text": "The freeze lasts a year, not two."},
        ],
    },
    "2017/09/plain.md": {
        "title": "Plain",
        "date": "2017-09-22",
        "category": "City",
        "source": "Wire",
    },
}


def json_ld(html: str) -> list[dict]:
    return [
        json.loads(m)
        for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def test_built_article_shows_the_notice_and_links_it_from_updated(tmp_path):
    output = build_site(write_site(tmp_path / "site", {"base_url": "https://example.org/"}, SITE))
    html = (output / "2017/09/23/tram-fares-frozen/index.html").read_text("utf-8")
    notice = html[html.index('<aside class="corrections-notice"') : html.index("</aside>")]
    assert notice.index("not two") < notice.index("not 20"), "newest first"
    assert '<a href="#corrections">Updated <time datetime="2017-09-26T00:00:00+00:00">' in html
    assert html.index("corrections-notice") < html.index('<div class="story-body">')
    (data,) = [d for d in json_ld(html) if d["@type"] == "NewsArticle"]
    assert [c["text"] for c in data["correction"]] == [
        "The freeze lasts a year, not two.",
        "The fare is 30 rupees, not 20.",
    ]
    assert {c["@type"] for c in data["correction"]} == {"CorrectionComment"}
    plain = (output / "2017/09/22/plain/index.html").read_text("utf-8")
    assert "corrections-notice" not in plain and "correction" not in json_ld(plain)[0]


def test_corrections_page_end_to_end(tmp_path):
    site = write_site(tmp_path / "site", {"base_url": "https://example.org/"}, SITE)
    ok(masthead("build", "--site", site, "--jobs", "1", "--no-cache"))
    html = (site / "output/corrections/index.html").read_text("utf-8")
    assert "<h1>Corrections</h1>" in html
    assert "Tram fares frozen" in html and "not two" in html and "Plain" not in html
    assert '<a href="/corrections/" aria-current="page">Corrections</a>' in html
    (collection,) = [d for d in json_ld(html) if d["@type"] == "CollectionPage"]
    assert collection["url"] == "https://example.org/corrections/"
