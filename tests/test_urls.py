"""URL rules: slugs, aliases, links under a sub-path, and the file that serves each URL."""

from __future__ import annotations

import unicodedata
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


# -- segment lengths ------------------------------------------------------------------------


def test_max_segment_bytes():
    assert urls.MAX_SEGMENT_BYTES == 255
    assert 255 - len(".html") == urls.MAX_SLUG_BYTES


@pytest.mark.parametrize(
    ("text", "length", "slug"),
    [
        ("one two three four", 80, "one-two-three-four"),
        ("one two three four", 13, "one-two-three"),  # the cut falls on a hyphen
        ("one two three four", 11, "one-two"),  # inside "three": back to the hyphen before
        ("supercalifragilistic", 5, "super"),  # one long word: cut between characters
        ("a " + "b" * 300, 80, "a"),
        ("x" * 300, 300, "x" * 250),  # never past MAX_SLUG_BYTES
    ],
)
def test_slugs_are_cut_at_a_word_boundary(text, length, slug):
    assert urls.slugify(text, length) == slug


def test_slugify_cuts_at_80_characters_by_default():
    slug = urls.slugify("word " * 100)
    assert len(slug) <= 80 and slug.endswith("word") and not slug.endswith("-")


@pytest.mark.parametrize(
    "text",
    ["پاکستان " * 60, "東京の天気と交通情報 " * 40, "हिन्दी समाचार " * 50, "𐌰" * 100, "ä" * 300],
    ids=["urdu", "chinese", "hindi", "gothic-4-bytes", "latin-accents"],
)
def test_cut_slugs_fit_a_file_name_in_bytes_whatever_the_script(text):
    slug = urls.slugify(text, 250)
    assert slug
    assert len((slug + ".html").encode()) <= urls.MAX_SEGMENT_BYTES
    assert urls.slug_problem(slug) is None


def test_a_cut_never_separates_a_letter_from_its_combining_marks():
    word = "क्षि" * 200  # every other character is a vowel sign or virama
    slug = urls.slugify(word, 81)
    assert not unicodedata.category(urls.slugify(word[len(slug) :], 10)[:1] or "x").startswith("M")


def test_slug_words_is_the_slug_before_any_cut():
    assert urls.slug_words("Talks " * 50) == "-".join(["talks"] * 50)


def test_an_explicit_slug_over_250_bytes_is_refused():
    assert urls.slug_problem("a" * 250) is None
    assert urls.slug_problem("a" * 251) == (
        "is 251 bytes long in UTF-8; a slug may have at most 250 bytes, so that it fits in a file name: shorten it"
    )
    assert urls.slug_problem("ب" * 126).startswith("is 252 bytes long in UTF-8")


def test_an_alias_segment_over_255_bytes_is_refused():
    assert urls.alias_problem("/old/" + "a" * 255) is None
    assert urls.alias_problem("/old/" + "ب" * 128 + ".html") == (
        "has a segment of 261 bytes in UTF-8; a file or folder name may have at most 255 bytes: shorten it"
    )


@pytest.mark.parametrize("alias", ["/old/a\tb.html", "/old/a\nb", "/old/\x1b[31m"])
def test_an_alias_with_control_characters_is_refused(alias):
    assert urls.alias_problem(alias) == "must not contain control characters (tabs, line breaks...)"


# -- permalinks and absolute URLs --------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "{year}/{month}/{day}/{slug}/",
        "{category}/{year}/{slug}.html",
        "news/{slug}/",
        "{slug}.html",
        "نیوز/{year}-{month}/{slug}/",
    ],
)
def test_permalink_problem_accepts_plain_placeholders(pattern):
    assert urls.permalink_problem(pattern) is None


KNOWN = "{year}, {month}, {day}, {slug}, {category}"


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("{year:.0}/{slug}/", f"has the placeholder {{year:.0}}; write placeholders plainly: {KNOWN}"),
        ("{year!r}/{slug}/", f"has the placeholder {{year!r}}; write placeholders plainly: {KNOWN}"),
        ("{year!s:>10}/{slug}/", f"has the placeholder {{year!s:>10}}; write placeholders plainly: {KNOWN}"),
        ("{year.__class__}/{slug}/", f"has an unknown placeholder {{year.__class__}}; use only {KNOWN}"),
        ("{slug[0]}/{slug}/", f"has an unknown placeholder {{slug[0]}}; use only {KNOWN}"),
        ("{}/{slug}/", f"has an unknown placeholder {{}}; use only {KNOWN}"),
        ("{0}/{slug}/", f"has an unknown placeholder {{0}}; use only {KNOWN}"),
        ("{year:{slug}}/{slug}/", f"has the placeholder {{year:{{slug}}}}; write placeholders plainly: {KNOWN}"),
        ("{{year}}/{slug}/", "must not contain '{{' or '}}'; braces are only for placeholders"),
        ("{year/{slug}/", "has an unmatched '{' or '}'; placeholders are written {year}, {slug}..."),
        ("year}/{slug}/", "has an unmatched '{' or '}'; placeholders are written {year}, {slug}..."),
        ("{year}/{month}/", "must contain {slug} so that every article gets its own URL"),
        ("{slug}", 'must end with "/" (pretty URLs) or ".html"'),
        ("a//{slug}/", "must not have empty segments, '.' or '..', or segments starting with '.'"),
        ("../{slug}/", "must not have empty segments, '.' or '..', or segments starting with '.'"),
        (".hidden/{slug}/", "must not have empty segments, '.' or '..', or segments starting with '.'"),
        ("a\\b/{slug}/", "must not contain control characters, backslashes, '?', '#' or '%'"),
        ("a?b/{slug}/", "must not contain control characters, backslashes, '?', '#' or '%'"),
        ("a\x00/{slug}/", "must not contain control characters, backslashes, '?', '#' or '%'"),
    ],
)  # fmt: skip
def test_permalink_problem_refuses_anything_but_plain_placeholders(pattern, problem):
    assert urls.permalink_problem(pattern) == problem


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.org/news/", None),
        ("http://[::1]:8000/", None),
        ("http://[::1/", "is not a valid URL (Invalid IPv6 URL)"),
        ("http://x:99999/", "is not a valid URL (Port out of range 0-65535)"),
        ("http://x:0/", "has port 0, which no server listens on"),
        ("http://:80/", "is not an absolute http(s) URL"),
        ("ftp://example.org/", "is not an absolute http(s) URL"),
        (
            "https://exa mple.org/",
            "must not contain spaces or control characters (write a space as %20)",
        ),
        (
            "https://example.org/\n",
            "must not contain spaces or control characters (write a space as %20)",
        ),
    ],
)
def test_http_url_problem(url, problem):
    assert urls.http_url_problem(url) == problem
