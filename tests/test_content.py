"""Load stage: discovery, reading, front matter and the validation of every field."""

from __future__ import annotations

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sitegen import write_files

from masthead.article import parse_article, rtl_direction
from masthead.config import SiteConfig
from masthead.fields import parse_when
from masthead.model import Link
from masthead.readers import MarkdownReader, read_front_matter
from masthead.sources import discover_sources, is_source_name, read_source

UTC_CONFIG = SiteConfig(timezone="UTC")
KARACHI = SiteConfig(timezone="Asia/Karachi")


def parse(text: str, config: SiteConfig = UTC_CONFIG, rel: str = "2017/09/a.md"):
    return parse_article(rel, text, config, shown_as="content/" + rel)


def ok(text: str, config: SiteConfig = UTC_CONFIG):
    article, problems = parse(text, config)
    assert problems == []
    assert article is not None
    return article


def errors(text: str, config: SiteConfig = UTC_CONFIG) -> list[str]:
    article, problems = parse(text, config)
    assert article is None
    return [str(p) for p in problems]


# -- front matter ---------------------------------------------------------------------------


def test_yaml_front_matter_is_split_from_the_body(md):
    front = read_front_matter(md(body="Hello *world*.\n"))
    assert "title: A headline" in front.raw
    assert front.body.strip() == "Hello *world*."
    assert front.first_line == 1


def test_toml_front_matter_between_plus_lines():
    text = (
        "+++\n"
        'title = "Toml article"\n'
        "date = 2017-09-23\n"
        'category = "World"\n'
        'source = "Wire"\n'
        'tags = ["Syria", "Russia"]\n'
        "+++\n"
        "Body.\n"
    )
    article = ok(text)
    assert article.title == "Toml article"
    assert article.date == datetime(2017, 9, 23, tzinfo=ZoneInfo("UTC"))
    assert [t.name for t in article.tags] == ["Syria", "Russia"]
    assert article.body_html == "<p>Body.</p>"


def test_toml_offset_datetime_is_converted_to_site_time():
    text = (
        "+++\n"
        'title = "T"\n'
        "date = 2017-09-22T22:00:00-05:00\n"
        'category = "World"\n'
        'source = "Wire"\n'
        "+++\n"
    )
    article = ok(text, KARACHI)
    assert article.date.isoformat() == "2017-09-23T08:00:00+05:00"
    assert article.url == "2017/09/23/t/"


def test_toml_syntax_error_names_the_file_line():
    text = '+++\ntitle = "T"\ndate = 2017-09-01\ncategory = World\nsource = "S"\n+++\n'
    [problem] = parse(text)[1]
    assert problem.line == 4
    assert problem.message.startswith("front matter is not valid TOML: ")


def test_yaml_syntax_error_names_the_file_line(md):
    text = md(title="Breaking: talks collapse", date="2017-09-01")
    [problem] = parse(text)[1]
    assert problem.line == 2
    assert problem.message.startswith("front matter is not valid YAML: ")


def test_yaml_syntax_error_further_down_names_that_line():
    text = "---\ndate: 2017-09-01\ncategory: World\nsource: Wire\ntitle: A: B\n---\n"
    [problem] = parse(text)[1]
    assert problem.line == 5


def test_yaml_unclosed_bracket_points_at_the_line_that_opened_it():
    # The parser only notices on line 5; the mistake is on line 3. A good message names line
    # 3 (as the problem line, or at least in the text) so that the writer looks there.
    text = "---\ntitle: T\ntags: [Syria, Russia\ndate: 2017-09-01\nsource: Wire\n---\n"
    [problem] = parse(text)[1]
    assert problem.line == 3 or "line 3" in problem.message, str(problem)


def test_yaml_duplicate_key_is_an_error_not_a_silent_overwrite(md):
    text = md(title="First title", summary="x", **{"title ": "Second title"})
    # "title : Second title" is the same YAML key written twice.
    article, problems = parse(text)
    assert article is None, "a repeated field must not silently replace the first one"
    assert any("title" in p.message and p.line == 7 for p in problems), problems


def test_crlf_line_endings_give_the_same_lines():
    text = "---\r\ntitle: T\r\ndate: 2017-13-01\r\ncategory: W\r\nsource: S\r\n---\r\nBody\r\n"
    assert errors(text) == [
        'content/2017/09/a.md:3: error: date: "2017-13-01" is not a date (use YYYY-MM-DD or ISO 8601)'
    ]


def test_no_front_matter():
    assert errors("# Just a heading\n\nText.\n") == [
        "content/2017/09/a.md:1: error: no front matter: start the file with a line '---', then 'title: ...' and the other fields, then '---'"
    ]


def test_unclosed_front_matter():
    assert errors("---\ntitle: T\ndate: 2017-09-01\n") == [
        "content/2017/09/a.md:1: error: front matter is not closed: add a line '---' after the last field"
    ]


def test_front_matter_that_is_a_list():
    assert errors("---\n- a\n- b\n---\nBody\n") == [
        "content/2017/09/a.md:1: error: front matter must be a mapping of fields (title: ..., date: ...), not a list"
    ]


def test_front_matter_that_is_plain_text_says_text_not_a_python_type():
    [line] = errors("---\njust a sentence\n---\nBody\n")
    assert line.startswith("content/2017/09/a.md:1: error: front matter must be a mapping")
    assert "str" not in line.split("mapping")[1], "say 'text', not the Python type name 'str'"
    assert line.endswith("not text")


def test_empty_front_matter_reports_every_required_field():
    assert errors("---\n---\nBody\n") == [
        "content/2017/09/a.md:1: error: title: is required; add a line 'title: ...' to the front matter",
        "content/2017/09/a.md:1: error: category: is required; add a line 'category: ...' to the front matter",
        "content/2017/09/a.md:1: error: source: is required; add a line 'source: ...' to the front matter",
        "content/2017/09/a.md:1: error: date: is required; add a line 'date: YYYY-MM-DD' to the front matter",
    ]


def test_byte_order_mark_is_ignored(tmp_path, md):
    (tmp_path / "a.md").write_bytes(b"\xef\xbb\xbf" + md().encode())
    source = read_source(tmp_path, "a.md", "content/a.md")
    assert source.problem is None
    assert ok(source.text).title == "A headline"


def test_load_front_matter_returns_the_mapping(md):
    front = read_front_matter(md(tags="[a, b]"))
    assert front.data["tags"] == ["a", "b"]
    assert front.data["date"] == "2017-09-23"  # left as text for masthead to parse


# -- each field -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"title": None},
            "content/2017/09/a.md:1: error: title: is required; add a line 'title: ...' to the front matter",
        ),
        (
            {"title": "1999"},
            "content/2017/09/a.md:2: error: title: must be text, not the number 1999; put it in quotes",
        ),
        ({"title": '"   "'}, "content/2017/09/a.md:2: error: title: must not be empty"),
        (
            {"category": "[World, Asia]"},
            "content/2017/09/a.md:4: error: category: must be text, not a list; put it in quotes",
        ),
        (
            {"category": '"!!!"'},
            'content/2017/09/a.md:4: error: category: "!!!" has no letters or digits to make a URL from',
        ),
        (
            {"source": "true"},
            "content/2017/09/a.md:5: error: source: must be text, not true (true/false); put it in quotes",
        ),
        (
            {"date": '"2017-13-45"'},
            'content/2017/09/a.md:3: error: date: "2017-13-45" is not a date (use YYYY-MM-DD or ISO 8601)',
        ),
        (
            {"date": "23/09/2017"},
            'content/2017/09/a.md:3: error: date: "23/09/2017" is not a date (use YYYY-MM-DD or ISO 8601)',
        ),
        (
            {"date": "2017"},
            "content/2017/09/a.md:3: error: date: the number 2017 is not a date (use YYYY-MM-DD or ISO 8601)",
        ),
        (
            {"date": None},
            "content/2017/09/a.md:1: error: date: is required; add a line 'date: YYYY-MM-DD' to the front matter",
        ),
        (
            {"updated": "2017-09-22"},
            "content/2017/09/a.md:6: error: updated: 2017-09-22T00:00:00+00:00 is before date 2017-09-23T00:00:00+00:00; a correction comes after publication",
        ),
        (
            {"updated": "soon"},
            'content/2017/09/a.md:6: error: updated: "soon" is not a date (use YYYY-MM-DD or ISO 8601)',
        ),
        (
            {"summary": "5"},
            "content/2017/09/a.md:6: error: summary: must be text, not the number 5; put it in quotes",
        ),
        (
            {"draft": '"yes"'},
            "content/2017/09/a.md:6: error: draft: must be true or false, not 'yes'",
        ),
        (
            {"lang": "english"},
            "content/2017/09/a.md:6: error: lang: 'english' is not a BCP 47 language tag (e.g. en, ur, ar)",
        ),
        (
            {"source_url": "www.dawn.com/news/1"},
            'content/2017/09/a.md:6: error: source_url: "www.dawn.com/news/1" is not an absolute http(s) URL',
        ),
        (
            {"tags": "{a: 1}"},
            "content/2017/09/a.md:6: error: tags: must be a name or a list of names, not a mapping",
        ),
        (
            {"tags": '["C++", "!!"]'},
            'content/2017/09/a.md:6: error: tags: "!!" has no letters or digits to make a URL from',
        ),
        (
            {"slug": "5"},
            "content/2017/09/a.md:6: error: slug: must be text, not the number 5",
        ),
        (
            {"slug": '"a..b"'},
            "content/2017/09/a.md:6: error: slug: \"a..b\" must not contain '..'",
        ),
        (
            {"slug": "a/b"},
            "content/2017/09/a.md:6: error: slug: \"a/b\" must not contain '/' or '\\' (a slug is one URL segment)",
        ),
        (
            {"slug": '"two words"'},
            "content/2017/09/a.md:6: error: slug: \"two words\" may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit",
        ),
        (
            {"aliases": "[/old/../../etc/passwd]"},
            "content/2017/09/a.md:6: error: aliases: \"/old/../../etc/passwd\" must not contain empty, '.' or '..' segments",
        ),
    ],
)
def test_each_field_is_validated_on_its_line(md, fields, expected):
    base = {"title": "A headline", "date": "2017-09-23", "category": "World", "source": "Wire"}
    main = {k: fields.pop(k) if k in fields else v for k, v in base.items()}
    assert errors(md(**main, **fields)) == [expected]


def test_list_with_a_bad_item_names_the_item_not_the_list(md):
    [line] = errors(md(authors="[Omar Sheikh, 5]"))
    assert line.startswith("content/2017/09/a.md:6: error: authors: ")
    assert not line.endswith("not a list"), "'must be a list of names, not a list' confuses"
    assert "5" in line


def test_nul_in_a_slug_is_shown_escaped(md):
    [line] = errors(md(slug='"a\\0b"'))
    assert "\x00" not in line, "a raw NUL byte in a message garbles terminals and logs"
    assert line == 'content/2017/09/a.md:6: error: slug: "a\\x00b" must not contain a NUL character'


def test_every_bad_field_of_a_file_is_reported_at_once(md):
    text = md(title="1999", date="someday", draft='"no"', tags="{a: 1}")
    assert [p.line for p in parse(text)[1]] == [2, 3, 6, 7]


def test_quoted_keys_are_found_for_the_line(md):
    text = '---\n"title": T\ndate: 2017-09-01\ncategory: W\nsource: S\n"draft": "no"\n---\n'
    [problem] = parse(text)[1]
    assert problem.line == 6


# -- dates ----------------------------------------------------------------------------------


def test_naive_date_is_midnight_in_site_time(md):
    article = ok(md(date="2017-09-23"), KARACHI)
    assert article.date.isoformat() == "2017-09-23T00:00:00+05:00"
    assert article.url == "2017/09/23/a-headline/"


def test_naive_datetime_is_in_site_time(md):
    article = ok(md(date="2017-03-25T17:45:00"), KARACHI)
    assert article.date.isoformat() == "2017-03-25T17:45:00+05:00"


def test_offset_is_converted_to_site_time_and_the_url_follows(md):
    article = ok(md(date="2017-09-23T22:30:00+00:00"), KARACHI)
    assert article.date.isoformat() == "2017-09-24T03:30:00+05:00"
    assert article.url == "2017/09/24/a-headline/"


def test_updated_after_date_is_kept(md):
    article = ok(md(date="2017-09-23", updated="2017-09-23T10:00:00"))
    assert article.updated.isoformat() == "2017-09-23T10:00:00+00:00"
    assert article.last_modified == article.updated


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-09-23", "2017-09-23T00:00:00+05:00"),
        ("2017-09-23 08:15", "2017-09-23T08:15:00+05:00"),
        ("2017-09-23T08:15:00Z", "2017-09-23T13:15:00+05:00"),
        (datetime(2017, 9, 23, 8, 15), "2017-09-23T08:15:00+05:00"),
        ("not a date", None),
        (20170923, None),
    ],
)
def test_parse_when(value, expected):
    when = parse_when(value, ZoneInfo("Asia/Karachi"))
    assert (when.isoformat() if when else None) == expected


# -- derived fields ---------------------------------------------------------------------------


def test_summary_is_the_first_paragraph(md):
    article = ok(md(body="# Heading\n\nFirst paragraph, *short*.\n\nSecond paragraph.\n"))
    assert article.summary == "First paragraph, short."


def test_summary_keeps_entities_and_inline_markup_tidy(md):
    article = ok(md(body="AT&T and *emphasis*, then [a link](https://x.org/).\n"))
    assert article.summary == "AT&T and emphasis, then a link."


def test_long_summary_is_cut_at_a_word_boundary(md):
    body = "The committee judged that the current stance remains appropriate to support growth.\n"
    article = ok(md(body=body), SiteConfig(summary_length=30))
    assert article.summary == "The committee judged that the…"


def test_given_summary_wins(md):
    article = ok(md(summary='"  Our own summary.  "', body="Body paragraph.\n"))
    assert article.summary == "Our own summary."


def test_slug_comes_from_the_title(md):
    article = ok(md(title='"US and Russia still far apart over Syria; Moscow vetoes"'))
    assert article.slug == "us-and-russia-still-far-apart-over-syria-moscow-vetoes"
    assert article.url == "2017/09/23/us-and-russia-still-far-apart-over-syria-moscow-vetoes/"


def test_non_latin_title_gives_a_non_latin_slug(md):
    article = ok(md(title="پاکستان کی خبریں", lang="ur"))
    assert article.slug == "پاکستان-کی-خبریں"


def test_title_without_letters_gets_a_fallback_slug(md):
    assert ok(md(title='"!!!"')).slug == "untitled"


def test_given_slug_wins(md):
    article = ok(md(slug="us-russia"))
    assert article.url == "2017/09/23/us-russia/"


def test_title_whitespace_is_collapsed(md):
    assert ok(md(title='"  Two   spaces  "')).title == "Two spaces"


def test_extra_keys_are_kept(md):
    article = ok(md(subtitle="A deck", page="A1", wire_id="12"))
    assert article.extra == {"subtitle": "A deck", "page": "A1", "wire_id": 12}


def test_optional_fields(md):
    article = ok(
        md(
            location="KARACHI",
            source_url="https://www.dawn.com/news/1",
            image="/images/a.jpg",
            draft="true",
            aliases="[/old/2017/story.html, /old/story]",
        )
    )
    assert article.location == "KARACHI"
    assert article.source_url == "https://www.dawn.com/news/1"
    assert article.image == "/images/a.jpg"
    assert article.draft is True
    assert article.aliases == ("old/2017/story.html", "old/story/")


def test_category_and_source_are_links(md):
    article = ok(md(category='"International News"', source='"Dawn News"'))
    assert article.category == Link("International News", "category/international-news/")
    assert article.source == Link("Dawn News", "source/dawn-news/")


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ('"Omar Sheikh"', ["Omar Sheikh"]),
        ("[Omar Sheikh, Sara Khan]", ["Omar Sheikh", "Sara Khan"]),
        ("[Omar Sheikh, Omar  Sheikh]", ["Omar Sheikh"]),
        ("[]", []),
    ],
)
def test_authors_as_a_string_or_a_list(md, value, names):
    article = ok(md(authors=value))
    assert [a.name for a in article.authors] == names
    assert all(a.url.startswith("author/") for a in article.authors)


def test_tags_as_a_single_string(md):
    assert ok(md(tags="Economy")).tags == (Link("Economy", "tag/economy/"),)


def test_word_count(md):
    assert ok(md(body="One two three.\n\nFour *five*.\n")).word_count == 5


def test_digest_and_rel_are_kept(md):
    article, _ = parse_article("2017/09/a.md", md(), UTC_CONFIG, digest="abc")
    assert article.digest == "abc"
    assert article.rel == "2017/09/a.md"


def test_body_html_is_rendered(md):
    assert ok(md(body="Hello *world*.\n")).body_html == "<p>Hello <em>world</em>.</p>"


# -- direction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "direction"),
    [
        ("ur", "rtl"),
        ("ar", "rtl"),
        ("fa", "rtl"),
        ("he", "rtl"),
        ("ur-PK", "rtl"),
        ("AR-eg", "rtl"),
        ("pa-Arab", "rtl"),
        ("az-Arab-IR", "rtl"),
        ("yi-Hebr", "rtl"),
        ("en", "ltr"),
        ("en-GB", "ltr"),
        ("pa", "ltr"),
        ("pa-Guru", "ltr"),
        ("sr-Cyrl", "ltr"),
        (None, "ltr"),
        ("", "ltr"),
    ],
)
def test_rtl_direction(lang, direction):
    assert rtl_direction(lang) == direction


def test_article_direction_follows_its_language(md):
    assert ok(md(lang="ur")).dir == "rtl"
    assert ok(md(lang="ur")).lang == "ur"
    assert ok(md()).dir == "ltr"


def test_article_without_lang_takes_the_site_language_direction(md):
    article = ok(md(), SiteConfig(language="ar"))
    assert article.lang is None
    assert article.dir == "rtl"


def test_english_article_on_an_urdu_site_is_ltr(md):
    assert ok(md(lang="en"), SiteConfig(language="ur")).dir == "ltr"


# -- discovery and reading -----------------------------------------------------------------


def test_discovery_finds_markdown_and_skips_editor_files(tmp_path):
    names = [
        "2017/09/a.md",
        "2017/09/b.markdown",
        "2017/09/.hidden.md",
        "2017/09/.#a.md",  # Emacs lock
        "2017/09/a.md~",  # backup
        "2017/09/#a.md#",  # Emacs autosave
        "2017/09/.a.md.swp",  # Vim swap
        "2017/09/a.md.swx",
        "2017/09/4913",  # Vim write test
        "2017/09/notes.txt",
        "2017/09/image.jpg",
        ".git/x.md",
        "_drafts/x.md",
        "index.md",
    ]
    write_files(tmp_path, dict.fromkeys(names, "x"))
    assert discover_sources(tmp_path) == ("2017/09/a.md", "2017/09/b.markdown", "index.md")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("story.md", True),
        ("story.markdown", True),
        (".story.md", False),
        (".#story.md", False),
        ("story.md~", False),
        ("#story.md#", False),
        ("story.md.swp", False),
        ("story.txt", False),
    ],
)
def test_is_source_name(name, expected):
    assert is_source_name(name) is expected


def test_discovery_is_sorted(tmp_path):
    write_files(tmp_path, dict.fromkeys(("b/z.md", "a/y.md", "b/a.md", "c.md"), "x"))
    assert discover_sources(tmp_path) == ("a/y.md", "b/a.md", "b/z.md", "c.md")


def test_a_folder_named_like_a_source_is_a_folder(tmp_path):
    write_files(tmp_path, {"old.md/a.md": "x"})
    assert discover_sources(tmp_path) == ("old.md/a.md",)


def test_read_source_decodes_and_hashes(tmp_path):
    (tmp_path / "a.md").write_bytes("---\ntitle: Café\n---\n".encode())
    source = read_source(tmp_path, "a.md", "content/a.md")
    assert source.problem is None
    assert source.text == "---\ntitle: Café\n---\n"
    assert len(source.digest) == 64


def test_read_source_reports_bad_utf8_with_its_line(tmp_path):
    (tmp_path / "a.md").write_bytes(b"---\ntitle: T\nsource: Caf\xe9\n---\n")
    source = read_source(tmp_path, "a.md", "content/a.md")
    assert source.text is None
    assert str(source.problem) == (
        "content/a.md:3: error: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    )


def test_read_source_reports_a_file_it_cannot_read(tmp_path):
    os.symlink(tmp_path / "missing.md", tmp_path / "a.md")
    source = read_source(tmp_path, "a.md", "content/a.md")
    assert source.text is None
    assert source.problem.path == "content/a.md"
    assert source.problem.is_error
    assert source.problem.message.startswith("cannot read file: ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file whatever its mode")
def test_read_source_reports_permission_denied(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("x", encoding="utf-8")
    path.chmod(0)
    try:
        source = read_source(tmp_path, "a.md", "content/a.md")
    finally:
        path.chmod(0o644)
    assert str(source.problem) == "content/a.md: error: cannot read file: Permission denied"


# -- misspelt fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "meant", "line"),
    [("sumary", "summary", 6), ("tag", "tags", 6), ("Updated", "updated", 6)],
)
def test_a_misspelt_field_is_kept_as_extra_data_with_a_warning_on_its_line(md, key, meant, line):
    article, problems = parse(md(**{key: '"x"'}))
    assert article is not None and article.extra == {key: "x"}
    assert [str(p) for p in problems] == [
        f'content/2017/09/a.md:{line}: warning: unknown field "{key}" is kept as extra data; '
        f'did you mean "{meant}"?'
    ]


def test_extra_fields_that_resemble_no_field_or_sit_beside_it_give_no_warning(md):
    article, problems = parse(md(subtitle='"x"', photographer='"y"', tags="[a]", tag='"b"'))
    assert problems == []
    assert article is not None and set(article.extra) == {"subtitle", "photographer", "tag"}


def test_a_misspelt_required_field_gets_the_hint_beside_the_error(md):
    problems = errors(md(category=None, categroy="World"))
    assert problems[0].startswith("content/2017/09/a.md:1: error: category: is required")
    assert problems[1] == (
        'content/2017/09/a.md:5: warning: unknown field "categroy" is kept as extra data; '
        'did you mean "category"?'
    )


# -- hostile input: one line each, never a traceback ------------------------------------------


def test_every_field_line_comes_from_the_yaml_nodes(md):
    text = "---\n{title: T, date: 2017-13-01,\n category: W, source: S}\n---\n"
    assert errors(text) == [
        'content/2017/09/a.md:2: error: date: "2017-13-01" is not a date (use YYYY-MM-DD or ISO 8601)'
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"0999-12-31"', '"0999-12-31" is outside the years 1000 to 9998 that masthead accepts'),
        ('"9999-01-01"', '"9999-01-01" is outside the years 1000 to 9998 that masthead accepts'),
        # In range as written, out of range in the site's time zone (and for astimezone).
        ('"1000-01-01T00:00:00+05:00"', '"1000-01-01T00:00:00+05:00" is outside the years 1000 to 9998 that masthead accepts'),
        ('"9998-12-31T23:00:00-05:00"', '"9998-12-31T23:00:00-05:00" is outside the years 1000 to 9998 that masthead accepts'),
        ('"10000-01-01"', '"10000-01-01" is not a date (use YYYY-MM-DD or ISO 8601)'),
        ('"2017-09-23T10:00:00+24:00"', '"2017-09-23T10:00:00+24:00" is not a date (use YYYY-MM-DD or ISO 8601)'),
        (".inf", "the number inf is not a date (use YYYY-MM-DD or ISO 8601)"),
        ("[2017, 9, 23]", "a list is not a date (use YYYY-MM-DD or ISO 8601)"),
    ],
)  # fmt: skip
def test_extreme_dates_are_an_error_stating_the_range(md, value, message):
    assert errors(md(date=value)) == [f"content/2017/09/a.md:3: error: date: {message}"]


@pytest.mark.parametrize("value", ["1000-01-01", "9998-12-31T23:59:59", "1850-06-01T10:00:00"])
def test_dates_at_the_ends_of_the_range_are_kept(md, value):
    article = ok(md(date=value))
    assert article.date.year in (1000, 9998, 1850)


def test_parse_when_never_raises_on_extreme_values():
    from datetime import date, timedelta, timezone

    karachi = ZoneInfo("Asia/Karachi")
    plus14 = timezone(timedelta(hours=14))
    for value in (
        datetime(1, 1, 1, tzinfo=plus14),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-23))),
        date(1, 1, 1),
        date.max,
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59.999999-23:59",
    ):
        assert parse_when(value, karachi) is None


def test_a_toml_date_time_at_year_one_with_an_offset_is_an_error_not_an_overflow():
    text = '+++\ntitle = "T"\ndate = 0001-01-01T00:00:00+05:00\ncategory = "W"\nsource = "S"\n+++\n'
    assert errors(text) == [
        "content/2017/09/a.md:3: error: date: the date-time 0001-01-01T00:00:00+05:00 is outside the years 1000 to 9998 that masthead accepts"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://[::1", '"http://[::1" is not a valid URL (Invalid IPv6 URL)'),
        ("http://x:99999/", '"http://x:99999/" is not a valid URL (Port out of range 0-65535)'),
        ("http://x:port/", '"http://x:port/" is not a valid URL (Port could not be cast to integer value as \'port\')'),
        ('"http://exa mple.org/"', '"http://exa mple.org/" must not contain spaces or control characters (write a space as %20)'),
        ("http://:80/", '"http://:80/" is not an absolute http(s) URL'),
    ],
)  # fmt: skip
def test_a_source_url_urlsplit_cannot_read_is_an_error_on_its_line(md, value, message):
    assert errors(md(source_url=value)) == [f"content/2017/09/a.md:6: error: source_url: {message}"]


def test_a_long_title_makes_a_slug_cut_at_a_word(md):
    title = "Talks between the two governments over the disputed border crossings resume again in Geneva"
    article = ok(md(title=f'"{title}"'))
    assert (
        article.slug
        == "talks-between-the-two-governments-over-the-disputed-border-crossings-resume"
    )
    assert len(article.slug) <= 80


def test_slug_length_is_a_setting(md):
    article = ok(md(title='"Talks between the two governments"'), SiteConfig(slug_length=20))
    assert article.slug == "talks-between-the"


def test_urdu_titles_are_cut_at_the_byte_limit_first(md):
    title = " ".join(["پاکستان"] * 30)  # 239 characters, 449 bytes
    article = ok(md(title=f'"{title}"'), SiteConfig(slug_length=250))
    assert len(article.slug.encode()) <= 250
    assert article.slug.endswith("پاکستان")


def test_term_slugs_are_cut_like_title_slugs(md):
    name = "A very long tag about the negotiations between the two governments over the border crossings"
    article = ok(md(tags=f'["{name}"]', category='"' + "پاکستان " * 30 + '"'))
    tag_slug = article.tags[0].url.split("/")[1]
    assert tag_slug == "a-very-long-tag-about-the-negotiations-between-the-two-governments-over-the"
    assert article.tags[0].name == name
    assert len(article.category.url.split("/")[1]) <= 80


def test_an_explicit_slug_too_long_for_a_file_name_is_an_error_on_its_line(md):
    [line] = errors(md(slug="پاکستان-" * 18 + "news"))
    assert line.startswith('content/2017/09/a.md:6: error: slug: "پاکستان-پاکستان')
    assert line.endswith(
        "is 274 bytes long in UTF-8; a slug may have at most 250 bytes, so that it fits in a file name: shorten it"
    )


def test_an_alias_segment_too_long_is_an_error_on_the_aliases_line(md):
    text = md(aliases="\n  - /fine/\n  - /old/" + "x" * 256 + ".html")
    [line] = errors(text)
    assert line.startswith('content/2017/09/a.md:6: error: aliases: "/old/xxx')
    assert line.endswith(
        "has a segment of 261 bytes in UTF-8; a file or folder name may have at most 255 bytes: shorten it"
    )


def test_draft_left_empty_is_false(md):
    assert ok(md(draft="")).draft is False


def test_long_values_are_cut_in_messages(md):
    lines = errors(md(lang='"' + "x" * 5000 + '"', draft='"' + "y" * 5000 + '"', slug="z" * 5000))
    assert len(lines) == 3
    assert all(len(line) < 300 for line in lines), lines


class RecursingMarkdown(MarkdownReader):
    """An engine that runs out of stack, as Python-Markdown before 3.11 did on deep nesting
    and on long runs of tight items (3.11 converts both, slowly)."""

    def to_html(self, body: str) -> str:
        raise RecursionError("maximum recursion depth exceeded")


class StallingMarkdown(MarkdownReader):
    """An engine that takes far longer than any time limit."""

    def to_html(self, body: str) -> str:
        time.sleep(30)
        return ""


def parse_by(engine: type[MarkdownReader], text: str, config: SiteConfig = UTC_CONFIG):
    rel = "2017/09/a.md"
    return parse_article(rel, text, config, reader=engine(config), shown_as="content/" + rel)


def test_a_body_nesting_lists_too_deeply_is_an_error_on_the_deepest_line(md):
    body = "\nIntro.\n\n" + "".join("    " * i + "- item\n" for i in range(400))
    article, problems = parse_by(RecursingMarkdown, md(body=body))
    assert article is None
    assert [str(p) for p in problems] == [
        "content/2017/09/a.md:409: error: the body nests lists or block quotes too deeply for Markdown; flatten them"
    ]


def test_a_front_matter_value_that_is_a_huge_alias_bomb_fails_fast(md):
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]"
        for i in range(1, 9)
    ]
    text = md(**{"x": "1\n" + "\n".join(levels)})
    [line] = errors(text)
    assert line.startswith("content/2017/09/a.md:12: error: front matter aliases (*name) expand")


# -- special files and sizes ---------------------------------------------------------------


def test_a_fifo_is_skipped_with_a_warning_and_never_opened(tmp_path, md):
    os.mkfifo(tmp_path / "pipe.md")
    source = read_source(tmp_path, "pipe.md", "content/pipe.md")  # would block if opened
    assert source.text is None
    assert str(source.problem) == (
        "content/pipe.md: warning: is a named pipe (FIFO), not a regular file: skipped "
        "(replace it with a file, or move it out of the content folder)"
    )


def test_a_fifo_swapped_in_after_the_stat_is_not_waited_for(tmp_path, monkeypatch):
    import masthead.sources as content_module

    os.mkfifo(tmp_path / "pipe.md")
    real_stat = os.stat
    regular = real_stat(__file__)

    def stat_saying_regular(path, *args, **kwargs):
        return regular if str(path).endswith("pipe.md") else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(content_module.os, "stat", stat_saying_regular)
    source = read_source(tmp_path, "pipe.md", "content/pipe.md", max_bytes=10**9)
    assert source.text is None
    assert source.problem.severity == "warning"


@pytest.mark.parametrize(
    ("target", "kind"),
    [("/dev/zero", "a link to a device"), (".", "a link to a folder")],
)
def test_links_to_devices_and_folders_are_skipped_with_a_warning(tmp_path, target, kind):
    os.symlink(target, tmp_path / "odd.md")
    assert "odd.md" in discover_sources(tmp_path)
    source = read_source(tmp_path, "odd.md", "content/odd.md")
    assert source.problem.severity == "warning"
    assert source.problem.message.startswith(f"is {kind}, not a regular file: skipped")


def test_a_socket_is_skipped_with_a_warning(tmp_path):
    import socket

    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "s.md"))
        source = read_source(tmp_path, "s.md", "content/s.md")
    finally:
        server.close()
    assert source.problem.message.startswith("is a socket, not a regular file")


def test_a_link_in_a_loop_is_an_error(tmp_path):
    os.symlink("loop.md", tmp_path / "loop.md")
    assert discover_sources(tmp_path) == ("loop.md",)
    source = read_source(tmp_path, "loop.md", "content/loop.md")
    assert (
        str(source.problem)
        == "content/loop.md: error: cannot read file: Too many levels of symbolic links"
    )


def test_an_article_over_the_size_limit_is_an_error_naming_the_setting(tmp_path, md):
    (tmp_path / "a.md").write_text(md(body="x" * 500), encoding="utf-8")
    source = read_source(tmp_path, "a.md", "content/a.md", max_bytes=100)
    assert source.text is None
    size = (tmp_path / "a.md").stat().st_size
    assert str(source.problem) == (
        f"content/a.md: error: is {size} bytes, over max_article_bytes (100); split the article, "
        "or raise max_article_bytes in [tool.masthead] of pyproject.toml"
    )


def test_at_most_the_limit_plus_one_byte_is_read(tmp_path):
    from masthead.sources import _read_regular_file

    (tmp_path / "big.md").write_bytes(b"x" * 5_000_000)
    assert len(_read_regular_file(str(tmp_path / "big.md"), 1000)) == 1001


def test_a_file_whose_size_the_stat_does_not_tell_is_still_capped(tmp_path, monkeypatch):
    import masthead.sources as content_module

    (tmp_path / "a.md").write_bytes(b"x" * 5000)
    real_stat = os.stat

    class Zero:
        def __init__(self, info):
            self.st_mode, self.st_size = info.st_mode, 0  # like /proc files

    monkeypatch.setattr(content_module.os, "stat", lambda p, *a, **k: Zero(real_stat(p, *a, **k)))
    source = read_source(tmp_path, "a.md", "content/a.md", max_bytes=100)
    assert source.problem.message.startswith("is over max_article_bytes (100)")


def test_a_file_name_that_is_not_utf8_is_an_error_not_a_crash(tmp_path):
    os.close(os.open(os.fsencode(tmp_path) + b"/caf\xe9.md", os.O_CREAT | os.O_WRONLY))
    [rel] = discover_sources(tmp_path)
    source = read_source(tmp_path, rel, "content/" + rel)
    assert str(source.problem) == (
        "content/caf\\udce9.md: error: file name is not valid UTF-8; rename the file "
        "(URLs and messages need UTF-8 names)"
    )


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    import masthead.sources as content_module

    write_files(tmp_path, {"2017/secret/": None, "2017/a.md": "x"})
    real_scandir = os.scandir

    def scandir(path):
        if str(path).rstrip("/").endswith("secret"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(content_module.os, "scandir", scandir)
    assert discover_sources(tmp_path) == ("2017/a.md", "2017/secret/")


def test_discovery_does_not_follow_links_to_folders(tmp_path):
    write_files(tmp_path, {"real/a.md": "x"})
    os.symlink("real", tmp_path / "linked")
    os.symlink("..", tmp_path / "real" / "up")
    assert discover_sources(tmp_path) == ("real/a.md",)


def test_a_body_markdown_is_slow_on_is_stopped_by_a_time_limit(md):
    config = SiteConfig(timezone="UTC", markdown_seconds=1)
    started = time.monotonic()
    article, problems = parse_by(StallingMarkdown, md(body="\n" + "[" * 30000), config)
    assert time.monotonic() - started < 10
    assert article is None
    assert [str(p) for p in problems] == [
        "content/2017/09/a.md:8: error: the body takes more than 1 s to convert to HTML "
        "(Markdown is slow on some patterns, such as lists nested hundreds deep); simplify it, "
        "or raise markdown_seconds in [tool.masthead]"
    ]


def test_a_long_tight_definition_list_is_not_called_nesting(md):
    body = "\n" + "Term\n: A definition.\n" * 500
    article, problems = parse_by(RecursingMarkdown, md(body=body))
    assert article is None
    [problem] = problems
    assert "a long run of list or definition items" in problem.message


HOSTILE_BODIES = {
    "lists nested 1,000 deep": "".join("  " * i + "- item\n" for i in range(1000)),
    "quotes nested 1,000 deep": "".join("> " * i + "q\n" for i in range(1, 1000)),
    "a run of 30,000 [": "[" * 30000,
    "a tight definition list of 2,000 terms": "Term\n: A definition.\n" * 2000,
    "30,000 unclosed links": "[a](" * 30000,
}
"""Bodies some Python-Markdown release recursed or stalled on."""

MARKDOWN_FAILURES = (
    "the body nests lists or block quotes too deeply",
    "the body is too intricate for Markdown to convert",
    "the body takes more than 1 s to convert to HTML",
)


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_body_converts_or_is_one_clear_error_within_the_time_limit(md, body):
    """Whatever the installed Python-Markdown does with it: the real engine, not a stand-in."""
    config = SiteConfig(timezone="UTC", markdown_seconds=1)
    started = time.monotonic()
    article, problems = parse(md(body="\n" + body), config)
    assert time.monotonic() - started < 10
    if article is None:
        [problem] = problems
        assert problem.message.startswith(MARKDOWN_FAILURES), problem.message
    else:
        assert problems == []
