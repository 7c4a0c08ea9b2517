"""URL rules: slugs, aliases, links under a sub-path, and the file that serves each URL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from masthead import urls


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("US and Russia still far apart", "us-and-russia-still-far-apart"),
        ("  --Hello, World!--  ", "hello-world"),
        ("2017: a year in review", "2017-a-year-in-review"),
        ("snake_case_words", "snake-case-words"),
        ("C++ & C#", "c-c"),
        ("Café Société", "café-société"),
        ("ﬁnance", "finance"),  # NFKC folds the ligature
        ("Straße", "strasse"),  # casefold
        ("Москва и Киев", "москва-и-киев"),
        ("پاکستان کی خبریں", "پاکستان-کی-خبریں"),
        ("東京の天気", "東京の天気"),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_slugify(text, slug):
    assert urls.slugify(text) == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("हिन्दी समाचार", "हिन्दी-समाचार"),  # vowel signs and virama are part of the word
        ("தமிழ் செய்தி", "தமிழ்-செய்தி"),
        ("ภาษาไทย วันนี้", "ภาษาไทย-วันนี้"),
    ],
    ids=["hindi", "tamil", "thai"],
)
def test_slugify_keeps_combining_marks_inside_words(text, slug):
    assert urls.slugify(text) == slug


@pytest.mark.parametrize("text", ["عَرَبِيّ", "İstanbul"], ids=["arabic-harakat", "turkish-dotted-i"])
def test_slugify_does_not_split_a_word_at_a_diacritic(text):
    slug = urls.slugify(text)
    assert slug and "-" not in slug, slug


@pytest.mark.parametrize(
    "text",
    ["US and Russia", "Café", "پاکستان کی خبریں", "東京の天気", "हिन्दी समाचार", "İstanbul", "a.b"],
    ids=["latin", "accent", "urdu", "japanese", "hindi", "turkish", "dot"],
)
def test_every_slug_slugify_makes_is_a_valid_slug(text):
    slug = urls.slugify(text)
    assert urls.slug_problem(slug) is None, (slug, urls.slug_problem(slug))


@pytest.mark.parametrize(
    "slug",
    ["us-russia", "us_russia", "v1.2", "a~b", "2017", "پاکستان", "café", "हिन्दी"],
    ids=["latin", "underscore", "dot", "tilde", "digits", "urdu", "accent", "hindi"],
)
def test_slug_problem_accepts_one_safe_segment(slug):
    assert urls.slug_problem(slug) is None


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("a\x00b", "must not contain a NUL character"),
        ("a/b", "must not contain '/' or '\\' (a slug is one URL segment)"),
        ("a\\b", "must not contain '/' or '\\' (a slug is one URL segment)"),
        ("..", "must not contain '..'"),
        ("a..b", "must not contain '..'"),
        (
            ".",
            "may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit",
        ),
        (
            "",
            "may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit",
        ),
        (
            "-abc",
            "may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit",
        ),
        (
            "two words",
            "may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit",
        ),
        (
            "a?b",
            "may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit",
        ),
        (
            "a#b",
            "may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit",
        ),
    ],
)
def test_slug_problem(slug, problem):
    assert urls.slug_problem(slug) == problem


@pytest.mark.parametrize(
    "alias",
    ["/old/2017/story.html", "old/story", "/business/2017/03/central-bank-rate.html", "/a/b/"],
)
def test_alias_problem_accepts_site_paths(alias):
    assert urls.alias_problem(alias) is None


@pytest.mark.parametrize(
    ("alias", "problem"),
    [
        ("/old/../../etc/passwd", "must not contain empty, '.' or '..' segments"),
        ("../outside.html", "must not contain empty, '.' or '..' segments"),
        ("/old/./story.html", "must not contain empty, '.' or '..' segments"),
        ("/old//story.html", "must not contain empty, '.' or '..' segments"),
        ("/", "must not contain empty, '.' or '..' segments"),
        (
            "https://example.org/old.html",
            "must be a path on this site such as /old/2017/story.html",
        ),
        ("//evil.example/old.html", "must be a path on this site such as /old/2017/story.html"),
        ("\\old\\story.html", "must be a path on this site such as /old/2017/story.html"),
        ("/old/a\x00b.html", "must not contain a NUL character"),
    ],
)
def test_alias_problem(alias, problem):
    assert urls.alias_problem(alias) == problem


@pytest.mark.parametrize("alias", ["/story.php?id=3", "/old/story.html#top"])
def test_alias_with_query_or_fragment_is_refused(alias):
    # A static file cannot answer /story.php?id=3; masthead would write a file literally named
    # "story.php?id=3" that no server ever serves.
    assert urls.alias_problem(alias) is not None


@pytest.mark.parametrize(
    ("alias", "rel"),
    [
        ("/old/2017/story.html", "old/2017/story.html"),
        ("/old/story", "old/story/"),
        ("old/story/", "old/story/"),
        ("/2017/v1.2", "2017/v1.2/"),
        ("/en/blog/release/v8.1.2/", "en/blog/release/v8.1.2/"),
        ("/old/page.htm", "old/page.htm"),
        ("/old/story/index.html", "old/story/"),
        ("/news/item.php", "news/item.php/"),
    ],
)
def test_normalise_alias(alias, rel):
    assert urls.normalise_alias(alias) == rel


def test_article_url_from_a_permalink():
    when = datetime(2017, 9, 3, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert urls.article_url("{year}/{month}/{day}/{slug}/", when, "us-russia", "world") == (
        "2017/09/03/us-russia/"
    )
    assert urls.article_url("{category}/{year}/{slug}.html", when, "us-russia", "world") == (
        "world/2017/us-russia.html"
    )


def test_term_listing_period_and_pagination_urls():
    assert urls.term_url("tag", "economy") == "tag/economy/"
    assert urls.listing_url("category") == "categories/"
    assert urls.listing_url("author") == "authors/"
    assert urls.period_url((2017,)) == "2017/"
    assert urls.period_url((2017, 9)) == "2017/09/"
    assert urls.period_url((2017, 9, 3)) == "2017/09/03/"
    assert urls.paginated_url("", 1) == ""
    assert urls.paginated_url("", 2) == "page/2/"
    assert urls.paginated_url("tag/economy/", 3) == "tag/economy/page/3/"


@pytest.mark.parametrize(
    ("url", "rel"),
    [
        ("", "index.html"),
        ("2017/09/", "2017/09/index.html"),
        ("2017/09/23/us-russia/", "2017/09/23/us-russia/index.html"),
        ("world/2017/us-russia.html", "world/2017/us-russia.html"),
        ("404.html", "404.html"),
        ("static/style.css", "static/style.css"),
    ],
)
def test_output_rel(url, rel):
    assert urls.output_rel(url) == rel


@pytest.mark.parametrize(
    ("base_path", "url", "link"),
    [
        ("/", "", "/"),
        ("/", "2017/09/", "/2017/09/"),
        ("/news/", "", "/news/"),
        ("/news/", "2017/09/", "/news/2017/09/"),
        ("/news/", "static/style.css", "/news/static/style.css"),
        ("/", "tag/c++ & c#/", "/tag/c%2B%2B%20%26%20c%23/"),
        ("/", "a b/", "/a%20b/"),
        ("/", "v1.2~x_y-z/", "/v1.2~x_y-z/"),
        ("/", "tag/پاکستان/", "/tag/%D9%BE%D8%A7%DA%A9%D8%B3%D8%AA%D8%A7%D9%86/"),
        ("/news/", "tag/café/", "/news/tag/caf%C3%A9/"),
    ],
)
def test_href(base_path, url, link):
    assert urls.href(base_path, url) == link


def test_absolute():
    assert urls.absolute("https://example.org/news/", "2017/") == "https://example.org/news/2017/"
    assert (
        urls.absolute("https://example.org/", "tag/café/") == "https://example.org/tag/caf%C3%A9/"
    )
