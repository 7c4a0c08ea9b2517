"""Config stage: ``[tool.masthead]`` text -> SiteConfig, every problem at once."""

from __future__ import annotations

import pytest

from masthead.config import (
    KNOWN_KEYS,
    SiteConfig,
    load_config,
    parse_config,
    with_base_url,
)
from masthead.model import ProblemsError


def table(body: str) -> str:
    return f'[project]\nname = "site"\n\n[tool.masthead]\n{body}\n'


def errors_of(text: str) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        parse_config(text)
    return [str(p) for p in caught.value.problems if p.is_error]


# -- defaults ----------------------------------------------------------------------------


def test_no_table_gives_every_default():
    config, problems = parse_config('[project]\nname = "x"\n')
    assert config == SiteConfig()
    assert problems == []


def test_defaults():
    config = SiteConfig()
    assert config.title == "News Archive"
    assert config.base_url == "http://localhost:8000/"
    assert config.language == "en"
    assert config.timezone == "UTC"
    assert config.per_page == 20
    assert config.permalink == "{year}/{month}/{day}/{slug}/"
    assert (config.content_dir, config.templates_dir, config.output_dir) == (
        "content",
        "templates",
        "output",
    )
    assert config.summary_length == 240
    assert config.related_count == 5
    assert config.markdown_extensions == ("extra", "sane_lists")
    assert config.base_path == "/"


def test_every_valid_key_is_taken():
    text = table(
        """
title = "The Archive"
description = "Old news"
base_url = "https://example.org/news"
language = "ur-PK"
timezone = "Asia/Karachi"
per_page = 7
permalink = "/{category}/{year}/{slug}.html"
content_dir = "articles"
templates_dir = "theme"
output_dir = "public"
summary_length = 100
related_count = 3
markdown_extensions = ["extra", "toc"]
"""
    )
    config, problems = parse_config(text)
    assert problems == []
    assert config.title == "The Archive"
    assert config.base_url == "https://example.org/news/"  # a trailing slash is added
    assert config.base_path == "/news/"
    assert config.language == "ur-PK"
    assert config.tz.key == "Asia/Karachi"
    assert config.per_page == 7
    assert config.permalink == "{category}/{year}/{slug}.html"  # leading slash dropped
    assert config.content_dir == "articles"
    assert config.markdown_extensions == ("extra", "toc")


def test_missing_pyproject_gives_defaults_with_a_warning(tmp_path):
    config, problems = load_config(tmp_path)
    assert config == SiteConfig()
    assert [str(p) for p in problems] == [
        "pyproject.toml: warning: no pyproject.toml: using default settings"
    ]


def test_load_config_reads_the_site_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text(table('title = "Dawn archive"'), encoding="utf-8")
    config, problems = load_config(tmp_path)
    assert config.title == "Dawn archive"
    assert problems == []


def test_pyproject_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(table('title = "Caf\xe9"').encode("latin-1"))
    with pytest.raises(ProblemsError) as caught:
        load_config(tmp_path)
    [problem] = caught.value.problems
    assert problem.path == "pyproject.toml"
    assert problem.is_error
    assert "UTF-8" in problem.message


# -- validation of each key -----------------------------------------------------------------


INVALID_VALUES = [
    ("title = 5", "pyproject.toml: error: [tool.masthead] title: must be text, not the number 5"),
    (
        "description = true",
        "pyproject.toml: error: [tool.masthead] description: must be text, not true (true/false)",
    ),
    (
        'base_url = "example.org"',
        'pyproject.toml: error: [tool.masthead] base_url: "example.org" is not an absolute http(s) URL (e.g. "https://example.org/news/")',
    ),
    (
        'base_url = "ftp://example.org/"',
        'pyproject.toml: error: [tool.masthead] base_url: "ftp://example.org/" is not an absolute http(s) URL (e.g. "https://example.org/news/")',
    ),
    (
        'base_url = "https://example.org/?a=1"',
        'pyproject.toml: error: [tool.masthead] base_url: "https://example.org/?a=1" must not have a query or fragment',
    ),
    (
        "base_url = 3",
        "pyproject.toml: error: [tool.masthead] base_url: must be text, not the number 3",
    ),
    (
        'language = "english"',
        'pyproject.toml: error: [tool.masthead] language: \'english\' is not a BCP 47 language tag (e.g. "en", "en-GB", "ur")',
    ),
    (
        'timezone = "Mars/Olympus"',
        'pyproject.toml: error: [tool.masthead] timezone: "Mars/Olympus" is not an IANA time zone name (e.g. "Europe/London", "UTC")',
    ),
    (
        "timezone = 5",
        "pyproject.toml: error: [tool.masthead] timezone: must be text, not the number 5",
    ),
    (
        "per_page = 0",
        "pyproject.toml: error: [tool.masthead] per_page: must be a whole number of at least 1, not 0",
    ),
    (
        "per_page = true",
        "pyproject.toml: error: [tool.masthead] per_page: must be a whole number of at least 1, not True",
    ),
    (
        'per_page = "10"',
        "pyproject.toml: error: [tool.masthead] per_page: must be a whole number of at least 1, not '10'",
    ),
    (
        "summary_length = 2.5",
        "pyproject.toml: error: [tool.masthead] summary_length: must be a whole number of at least 1, not 2.5",
    ),
    (
        "related_count = -1",
        "pyproject.toml: error: [tool.masthead] related_count: must be a whole number of at least 0, not -1",
    ),
    (
        'permalink = "{year}/{title}/"',
        'pyproject.toml: error: [tool.masthead] permalink: "{year}/{title}/" has an unknown placeholder {title}; use only {year}, {month}, {day}, {slug}, {category}',
    ),
    (
        'permalink = "{year}/{month}/"',
        'pyproject.toml: error: [tool.masthead] permalink: "{year}/{month}/" must contain {slug} so that every article gets its own URL',
    ),
    (
        'permalink = "{year}/{slug}"',
        'pyproject.toml: error: [tool.masthead] permalink: "{year}/{slug}" must end with "/" (pretty URLs) or ".html"',
    ),
    (
        'permalink = "../{slug}/"',
        "pyproject.toml: error: [tool.masthead] permalink: \"../{slug}/\" must not have empty segments, '.' or '..', or segments starting with '.'",
    ),
    (
        'markdown_extensions = "extra"',
        'pyproject.toml: error: [tool.masthead] markdown_extensions: must be a list of Python-Markdown extension names, e.g. ["extra", "toc"]',
    ),
    (
        'markdown_engine = "commonmark"',
        'pyproject.toml: error: [tool.masthead] markdown_engine: \'commonmark\' is not a Markdown engine; choose "markdown" (Python-Markdown, the default) or "pyromark" (fast CommonMark with tables and footnotes)',
    ),
    (
        "markdown_engine = 3",
        'pyproject.toml: error: [tool.masthead] markdown_engine: 3 is not a Markdown engine; choose "markdown" (Python-Markdown, the default) or "pyromark" (fast CommonMark with tables and footnotes)',
    ),
    (
        'content_dir = "  "',
        "pyproject.toml: error: [tool.masthead] content_dir: must be a folder name relative to the site",
    ),
    (
        "templates_dir = 1",
        "pyproject.toml: error: [tool.masthead] templates_dir: must be a folder name relative to the site",
    ),
    (
        'output_dir = ""',
        "pyproject.toml: error: [tool.masthead] output_dir: must be a folder name relative to the site",
    ),
    (
        "feed_items = 0",
        "pyproject.toml: error: [tool.masthead] feed_items: must be a whole number of at least 1, not 0",
    ),
    (
        'news_window_days = "2"',
        "pyproject.toml: error: [tool.masthead] news_window_days: must be a whole number from 1 to 365, not '2'",
    ),
    (
        'feed_taxonomies = ["category", "section"]',
        "pyproject.toml: error: [tool.masthead] feed_taxonomies: must be a list drawn from 'category', 'tag', 'source', 'author'",
    ),
    (
        'now = "2017-09-25"',
        "pyproject.toml: error: [tool.masthead] now: '2017-09-25' is not an ISO 8601 date-time with an offset, e.g. \"2017-09-25T12:00:00+00:00\"",
    ),
    (
        'canonical_to_source = "yes"',
        "pyproject.toml: error: [tool.masthead] canonical_to_source: must be true or false, not 'yes'",
    ),
    (
        "slug_length = 0",
        "pyproject.toml: error: [tool.masthead] slug_length: must be a whole number from 1 to 250, not 0",
    ),
    (
        "max_article_bytes = 1e9",
        "pyproject.toml: error: [tool.masthead] max_article_bytes: must be a whole number from 1 to 1000000000, not 1000000000.0",
    ),
    (
        "redirects_file = 1",
        "pyproject.toml: error: [tool.masthead] redirects_file: must be true or false, not 1",
    ),
    (
        'url_ledger = "yes"',
        "pyproject.toml: error: [tool.masthead] url_ledger: must be true or false, not 'yes'",
    ),
    (
        "search = 1",
        "pyproject.toml: error: [tool.masthead] search: must be true or false, not 1",
    ),
    (
        "markdown_seconds = 0",
        "pyproject.toml: error: [tool.masthead] markdown_seconds: must be a whole number from 1 to 3600, not 0",
    ),
    (
        "publisher_logo = 5",
        "pyproject.toml: error: [tool.masthead] publisher_logo: must be text, not the number 5",
    ),
    (
        'categories = "Business"',
        "pyproject.toml: error: [tool.masthead] categories: must be a table, not 'Business': write "
        '[tool.masthead.categories] with lines such as Business = "Markets and companies"',
    ),
    (
        "categories = { Business = 5 }",
        'pyproject.toml: error: [tool.masthead] categories: "Business" must be described in '
        'text, not 5: write [tool.masthead.categories] with lines such as Business = "Markets '
        'and companies"',
    ),
    (
        'categories = { Business = " " }',
        'pyproject.toml: error: [tool.masthead] categories: "Business" must be described in '
        "text, not empty text: write [tool.masthead.categories] with lines such as Business = "
        '"Markets and companies"',
    ),
    (
        "nav_categories = -1",
        "pyproject.toml: error: [tool.masthead] nav_categories: must be a whole number of at "
        "least 0 (the categories with most articles) or a list of category names, not -1",
    ),
    (
        'nav_categories = ["World", ""]',
        "pyproject.toml: error: [tool.masthead] nav_categories: must be a whole number of at "
        "least 0 (the categories with most articles) or a list of category names, not a list",
    ),
]


def test_category_descriptions_and_nav_categories_are_read():
    config, problems = parse_config(
        "[tool.masthead]\n"
        'nav_categories = ["World", " Business  News "]\n'
        "[tool.masthead.categories]\n"
        'World = "Everything abroad."\n'
        '"Business News" = "Markets,   companies."\n'
    )
    assert problems == []
    assert config.nav_categories == ("World", "Business News")
    assert config.categories == (
        ("Business News", "Markets, companies."),
        ("World", "Everything abroad."),
    )
    assert SiteConfig().nav_categories == 8


@pytest.mark.parametrize(("line", "expected"), INVALID_VALUES)
def test_each_invalid_value_is_an_error_saying_what_to_write(line, expected):
    assert errors_of(table(line)) == [expected]


def test_every_key_has_a_validation_case():
    # Keeps INVALID_VALUES honest when a setting is added: give it a case there.
    covered = {line.split("=")[0].strip() for line, _ in INVALID_VALUES}
    assert set(KNOWN_KEYS) - covered == set()


def test_every_problem_is_reported_at_once():
    text = table(
        """
timezone = "Mars/Olympus"
base_url = "example.org"
per_page = 0
titel = "X"
language = "english"
"""
    )
    with pytest.raises(ProblemsError) as caught:
        parse_config(text)
    problems = caught.value.problems
    assert [p.message.split(":")[0] for p in problems if p.is_error] == [
        "[tool.masthead] timezone",
        "[tool.masthead] base_url",
        "[tool.masthead] per_page",
        "[tool.masthead] language",
    ]
    assert [p.message for p in problems if not p.is_error] == [
        "[tool.masthead] unknown key 'titel' is ignored; did you mean 'title'?"
    ]


def test_unknown_key_is_a_warning_with_did_you_mean():
    config, problems = parse_config(table('per_pgae = 5\ntitle = "T"'))
    assert config.per_page == 20  # ignored, not guessed
    assert config.title == "T"
    assert [str(p) for p in problems] == [
        "pyproject.toml: warning: [tool.masthead] unknown key 'per_pgae' is ignored; did you mean 'per_page'?"
    ]


def test_unknown_key_without_a_close_match_lists_the_known_keys():
    _, problems = parse_config(table("zzz = 1"))
    [problem] = problems
    assert not problem.is_error
    assert problem.message.startswith("[tool.masthead] unknown key 'zzz' is ignored (known keys: ")
    assert all(key in problem.message for key in KNOWN_KEYS)


def test_bad_toml_names_the_line():
    text = '[project]\nname = "x"\n\n[tool.masthead]\ntitle = "unclosed\n'
    with pytest.raises(ProblemsError) as caught:
        parse_config(text)
    [problem] = caught.value.problems
    assert problem.path == "pyproject.toml"
    assert problem.line == 5
    assert problem.message.startswith("invalid TOML: ")


def test_table_that_is_not_a_table():
    with pytest.raises(ProblemsError) as caught:
        parse_config("[tool]\nmasthead = 5\n")
    assert [str(p) for p in caught.value.problems] == [
        "pyproject.toml: error: [tool.masthead] must be a table, not the number 5; write a line [tool.masthead] and the settings below it"
    ]


def test_base_url_override_is_validated():
    config = with_base_url(SiteConfig(), "https://staging.example.org/news")
    assert config.base_url == "https://staging.example.org/news/"
    assert config.base_path == "/news/"
    with pytest.raises(ProblemsError) as caught:
        with_base_url(SiteConfig(), "staging")
    assert str(caught.value.problems[0]).startswith('--base-url: error: "staging" is not')


def test_config_is_frozen_and_hashable():
    config = SiteConfig()
    with pytest.raises(AttributeError):
        config.title = "x"  # type: ignore[misc]
    assert hash(config) == hash(SiteConfig())


# -- no traceback for any wrong type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tool = 5\n", "tool must be a table, not the number 5; masthead's settings go under [tool.masthead]"),
        ('tool = "x"\n', "tool must be a table, not 'x'; masthead's settings go under [tool.masthead]"),
        ("tool = [1]\n", "tool must be a table, not a list; masthead's settings go under [tool.masthead]"),
        ('[tool]\nmasthead = "x"\n', "[tool.masthead] must be a table, not 'x'; write a line [tool.masthead] and the settings below it"),
        ("[[tool.masthead]]\n", "[tool.masthead] must be a table, not a list; write a line [tool.masthead] and the settings below it"),
    ],
)  # fmt: skip
def test_tool_or_masthead_of_the_wrong_type_is_one_line(text, message):
    with pytest.raises(ProblemsError) as caught:
        parse_config(text)
    assert [p.message for p in caught.value.problems] == [message]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"http://[::1"', '"http://[::1" is not a valid URL (Invalid IPv6 URL)'),
        ('"http://[::1/news/"', '"http://[::1/news/" is not a valid URL (Invalid IPv6 URL)'),
        ('"http://x:99999/"', '"http://x:99999/" is not a valid URL (Port out of range 0-65535)'),
        ('"http://x:abc/"', "\"http://x:abc/\" is not a valid URL (Port could not be cast to integer value as 'abc')"),
        ('"https://example.org/ news/"', '"https://example.org/ news/" must not contain spaces or control characters (write a space as %20)'),
        ('"https://example.org/?"', '"https://example.org/?" must not have a query or fragment'),
    ],
)  # fmt: skip
def test_base_urls_urlsplit_cannot_read_are_one_line(value, message):
    assert errors_of(table(f"base_url = {value}")) == [
        f"pyproject.toml: error: [tool.masthead] base_url: {message}"
    ]


def test_base_url_override_with_a_bad_port_is_a_problem():
    with pytest.raises(ProblemsError) as caught:
        with_base_url(SiteConfig(), "http://x:99999/")
    assert [str(p) for p in caught.value.problems] == [
        '--base-url: error: "http://x:99999/" is not a valid URL (Port out of range 0-65535)'
    ]


WRONG_TYPES = ["5", "1.5", "true", '"text"', "[1, 2]", "{a = 1}", "2017-09-02", "2017-09-02T10:00:00", "10:00:00", "nan", "inf"]  # fmt: skip


@pytest.mark.parametrize("key", KNOWN_KEYS)
def test_every_key_takes_every_toml_type_without_a_traceback(key):
    for value in WRONG_TYPES:
        try:
            config, _ = parse_config(table(f"{key} = {value}"))
        except ProblemsError as exc:
            assert all(len(str(p).splitlines()) == 1 for p in exc.problems)
        else:
            assert isinstance(config, SiteConfig)


def test_every_wrong_value_is_reported_at_once():
    text = table(
        'title = ["x"]\nper_page = {n = 1}\nslug_length = 251\nnow = 0001-01-01T00:00:00Z\ntimezone = 5'
    )
    assert errors_of(text) == [
        "pyproject.toml: error: [tool.masthead] title: must be text, not a list",
        "pyproject.toml: error: [tool.masthead] per_page: must be a whole number of at least 1, not a table",
        "pyproject.toml: error: [tool.masthead] slug_length: must be a whole number from 1 to 250, not 251",
        'pyproject.toml: error: [tool.masthead] now: "0001-01-01T00:00:00+00:00" is outside the years 1000 to 9998',
        "pyproject.toml: error: [tool.masthead] timezone: must be text, not the number 5",
    ]


def test_the_new_settings_have_defaults_and_are_taken():
    assert SiteConfig().slug_length == 80
    assert SiteConfig().max_article_bytes == 10_000_000
    config, _ = parse_config(table("slug_length = 40\nmax_article_bytes = 1_000"))
    assert (config.slug_length, config.max_article_bytes) == (40, 1000)


@pytest.mark.parametrize(
    "value",
    [
        '"{year:.0}/{slug}/"',
        '"{year!r}/{slug}/"',
        '"{year.__class__}/{slug}/"',
        '"{{year}}/{slug}/"',
        '"}{slug}/"',
    ],
)
def test_permalink_placeholders_must_be_plain(value):
    [line] = errors_of(table(f"permalink = {value}"))
    assert line.startswith(f"pyproject.toml: error: [tool.masthead] permalink: {value} ")


def test_folders_with_control_characters_are_refused():
    assert errors_of(table('content_dir = "con\\u0000tent"')) == [
        "pyproject.toml: error: [tool.masthead] content_dir: must not contain control characters"
    ]


def test_a_long_wrong_value_is_not_repeated_in_full():
    [line] = errors_of(table('per_page = "' + "9" * 5000 + '"'))
    assert line.startswith(
        "pyproject.toml: error: [tool.masthead] per_page: must be a whole number of at least 1, not '999"
    )
    assert len(line) < 200


def test_news_window_and_now_are_bounded_so_that_no_date_can_overflow():
    [line] = errors_of(table("news_window_days = 366"))
    assert line.endswith("news_window_days: must be a whole number from 1 to 365, not 366")
    [line] = errors_of(table('now = "9999-12-31T00:00:00+00:00"'))
    assert line.endswith('now: "9999-12-31T00:00:00+00:00" is outside the years 1000 to 9998')


def test_the_markdown_engine_defaults_to_python_markdown_and_can_be_pyromark():
    assert parse_config(table(""))[0].markdown_engine == "markdown"
    config, problems = parse_config(table('markdown_engine = "pyromark"'))
    assert config.markdown_engine == "pyromark" and problems == []


def test_markdown_extensions_with_the_fast_engine_is_a_warning():
    text = table('markdown_engine = "pyromark"\nmarkdown_extensions = ["extra", "toc"]')
    config, problems = parse_config(text)
    assert config.markdown_engine == "pyromark"
    assert [str(p) for p in problems] == [
        'pyproject.toml: warning: [tool.masthead] markdown_extensions is ignored: markdown_engine = "pyromark" has its own fixed syntax (only markdown_engine = "markdown" loads extensions)'
    ]
