"""metadata.py as functions: feed entry ids, canonical and image URLs, the JSON-LD records
(NewsArticle, CollectionPage, breadcrumbs) and the news sitemap's language codes.

Records come from conftest's ``article``. The machine-readable dates (``expressible``,
``isodate``, ``rfc822``) have their unit tests in test_dates.py, which sweeps every time
zone; how the records look in built pages is tested in test_metadata.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from masthead.config import SiteConfig
from masthead.metadata import (
    breadcrumb_list,
    breadcrumbs,
    canonical_url,
    collection_page,
    entry_id,
    expressible,
    image_url,
    isodate,
    news_article,
    news_language,
    rfc822,
)
from masthead.model import Link

BASE_URL = "https://example.org/news/"
CONFIG = SiteConfig(title="Example News", base_url=BASE_URL, language="en")
KARACHI_OFFSET = timezone(timedelta(hours=5))


# --- entry ids ----------------------------------------------------------------------------------


def test_an_entry_id_is_a_tag_uri_of_host_date_and_source_file(article) -> None:
    story = article("Talks resume", "2017-09-23T10:30:00", rel="2017/09/geneva.md")
    assert entry_id(CONFIG, story) == "tag:example.org,2017-09-23:/2017/09/geneva"


def test_an_entry_id_survives_a_new_title_slug_and_url(article) -> None:
    before = article("First headline", "2017-09-23", rel="2017/09/story.md")
    after = article("A corrected headline", "2017-09-23", rel="2017/09/story.md", slug="other")
    assert before.url != after.url
    assert entry_id(CONFIG, before) == entry_id(CONFIG, after)


def test_characters_iris_exclude_are_percent_encoded_in_the_id(article) -> None:
    story = article("Talks", "2017-09-23", rel='2017/09/Talks in "Geneva" é<1>.md')
    assert (
        entry_id(CONFIG, story)
        == "tag:example.org,2017-09-23:/2017/09/Talks%20in%20%22Geneva%22%20é%3C1%3E"
    )


def test_an_entry_id_without_a_host_names_localhost(article) -> None:
    config = SiteConfig(base_url="file:///srv/site/")
    assert entry_id(config, article(rel="a.md")).startswith("tag:localhost,")


# --- canonical and image URLs ----------------------------------------------------------------


def test_the_canonical_url_is_the_articles_own_absolute_url(article) -> None:
    story = article("Talks resume in Geneva", "2017-09-23", source_url="https://wire.example/x")
    assert canonical_url(CONFIG, story) == BASE_URL + "2017/09/23/talks-resume-in-geneva/"


def test_syndicated_copies_point_at_the_original_when_the_site_asks(article) -> None:
    config = SiteConfig(base_url=BASE_URL, canonical_to_source=True)
    syndicated = article("Talks", "2017-09-23", source_url="https://wire.example/x")
    own = article("Ours", "2017-09-23")
    assert canonical_url(config, syndicated) == "https://wire.example/x"
    assert canonical_url(config, own) == BASE_URL + "2017/09/23/ours/"


def test_non_ascii_urls_are_percent_encoded(article) -> None:
    story = article("کراچی کتاب میلہ", "2017-09-23")
    url = canonical_url(CONFIG, story)
    assert url.isascii() and url.startswith(BASE_URL + "2017/09/23/%")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("/static/img/a.jpg", BASE_URL + "static/img/a.jpg"),
        ("static/img/a.jpg", BASE_URL + "static/img/a.jpg"),
        ("https://cdn.example.com/a.jpg", "https://cdn.example.com/a.jpg"),
        ("http://cdn.example.com/a.jpg", "http://cdn.example.com/a.jpg"),
        ("//cdn.example.com/a.jpg", "https://cdn.example.com/a.jpg"),
        ("/static/img/café.jpg", BASE_URL + "static/img/caf%C3%A9.jpg"),
    ],
)
def test_image_urls_are_absolute(ref: str, expected: str) -> None:
    assert image_url(CONFIG, ref) == expected


# --- JSON-LD -------------------------------------------------------------------------------------


def test_a_news_article_carries_every_field_it_has(article) -> None:
    story = article(
        "Talks resume in Geneva",
        datetime(2017, 9, 23, 10, 30, tzinfo=KARACHI_OFFSET),
        source="Reuters",
        authors=("Amina Khan",),
        tags=("Diplomacy", "Syria"),
        summary="Diplomats met again.",
        image="/static/img/geneva.jpg",
        location="GENEVA",
        source_url="https://wire.example/geneva",
        word_count=250,
        lang="fr",
        updated=datetime(2017, 9, 24, 8, 0, tzinfo=KARACHI_OFFSET),
    )
    own = BASE_URL + "2017/09/23/talks-resume-in-geneva/"
    assert news_article(CONFIG, story) == {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Talks resume in Geneva",
        "datePublished": "2017-09-23T10:30:00+05:00",
        "dateModified": "2017-09-24T08:00:00+05:00",
        "mainEntityOfPage": {"@type": "WebPage", "@id": own},
        "url": own,
        "articleSection": "World",
        "inLanguage": "fr",
        "publisher": {"@type": "Organization", "name": "Example News", "url": BASE_URL},
        "sourceOrganization": {"@type": "Organization", "name": "Reuters"},
        "author": [
            {"@type": "Person", "name": "Amina Khan", "url": BASE_URL + "author/amina-khan/"}
        ],
        "keywords": ["Diplomacy", "Syria"],
        "description": "Diplomats met again.",
        "image": [BASE_URL + "static/img/geneva.jpg"],
        "dateline": "GENEVA",
        "isBasedOn": "https://wire.example/geneva",
        "wordCount": 250,
    }


def test_a_bare_news_article_leaves_out_what_it_lacks(article) -> None:
    data = news_article(CONFIG, article("Short", "2017-09-23"))
    for key in ("author", "keywords", "description", "image", "dateline", "isBasedOn"):
        assert key not in data, key
    assert "wordCount" not in data, "no words counted: none claimed"
    assert data["inLanguage"] == "en", "the site's language"
    assert data["dateModified"] == data["datePublished"] == "2017-09-23T00:00:00+00:00"


def test_the_publisher_names_the_site_and_its_logo(article) -> None:
    config = SiteConfig(title="Example News", base_url=BASE_URL, publisher_logo="/static/logo.png")
    publisher = news_article(config, article())["publisher"]
    assert publisher["logo"] == {"@type": "ImageObject", "url": BASE_URL + "static/logo.png"}


def test_json_ld_is_plain_json(article) -> None:
    data = news_article(CONFIG, article(summary='Quotes " and </script>'))
    assert json.loads(json.dumps(data)) == data


TRAIL = (Link("Home", ""), Link("World", "category/world/"), Link("Talks", "2017/09/23/talks/"))


def test_breadcrumbs_number_the_trail_from_home() -> None:
    assert breadcrumb_list(CONFIG, TRAIL) == {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": BASE_URL},
            {
                "@type": "ListItem",
                "position": 2,
                "name": "World",
                "item": BASE_URL + "category/world/",
            },
            {
                "@type": "ListItem",
                "position": 3,
                "name": "Talks",
                "item": BASE_URL + "2017/09/23/talks/",
            },
        ],
    }


def test_stand_alone_breadcrumbs_are_a_document() -> None:
    document = breadcrumbs(CONFIG, TRAIL)
    assert document["@context"] == "https://schema.org"
    assert {k: v for k, v in document.items() if k != "@context"} == breadcrumb_list(CONFIG, TRAIL)


def test_a_collection_page_is_part_of_the_site_with_its_trail() -> None:
    data = collection_page(CONFIG, "World", "category/world/", TRAIL[:2])
    assert data["@type"] == "CollectionPage"
    assert (data["name"], data["url"]) == ("World", BASE_URL + "category/world/")
    assert data["isPartOf"] == {"@type": "WebSite", "name": "Example News", "url": BASE_URL}
    assert data["breadcrumb"] == breadcrumb_list(CONFIG, TRAIL[:2])


# --- news sitemap languages and dates ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "code"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("UR", "ur"),
        ("zh", "zh-cn"),
        ("zh-Hans", "zh-cn"),
        ("zh-TW", "zh-tw"),
        ("zh-Hant-HK", "zh-tw"),
        ("zh-MO", "zh-tw"),
    ],
)
def test_news_languages_are_iso_639_codes_or_the_two_chinese_ones(lang: str, code: str) -> None:
    assert news_language(lang) == code


def test_every_machine_date_starts_from_the_same_expressible_instant() -> None:
    when = datetime(2017, 9, 23, 10, 30, 0, 123456, tzinfo=KARACHI_OFFSET)
    assert expressible(when) == when.replace(microsecond=123000)
    assert isodate(when) == "2017-09-23T10:30:00.123+05:00"
    assert rfc822(when) == "Sat, 23 Sep 2017 10:30:00 +0500"
    assert isodate(when.astimezone(UTC)) == "2017-09-23T05:30:00.123+00:00"
