"""Markdown -> HTML, plain text, summaries and word counts."""

from __future__ import annotations

import pytest

from masthead import markup
from masthead.config import SiteConfig


@pytest.fixture
def converter():
    return markup.make_converter(SiteConfig())


def test_to_html(converter):
    assert converter.convert("Hello *world*.") == "<p>Hello <em>world</em>.</p>"


def test_extra_extensions_are_on(converter):
    html = converter.convert("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<table>" in html


def test_converter_is_reset_between_documents(converter):
    first = converter.convert("Claim.[^1]\n\n[^1]: The source.\n")
    assert "footnote" in first
    second = converter.convert("No notes here.")
    assert second == "<p>No notes here.</p>"


def test_unknown_extension_raises():
    with pytest.raises((ImportError, AttributeError)):
        markup.make_converter(SiteConfig(markdown_extensions=("no_such_extension_xyz",)))


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<p>AT&amp;T &lt;rocks&gt;</p>", "AT&T <rocks>"),
        ("<p>one</p>\n<p>two</p>", "one two"),
        ("<p>one</p><p>two</p>", "one two"),
        ("line<br>break", "line break"),
        ("<p>  lots \n of   space </p>", "lots of space"),
        ("", ""),
    ],
)
def test_plain_text(fragment, text):
    assert markup.plain_text(fragment) == text


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("Four <em>five</em>.", "Four five."),
        ('then <a href="https://x.org/">a link</a>, and', "then a link, and"),
        ("un<strong>believ</strong>able", "unbelievable"),
        ("<code>x</code>; done", "x; done"),
    ],
)
def test_plain_text_adds_no_space_around_inline_tags(fragment, text):
    assert markup.plain_text(fragment) == text


def test_first_paragraph_skips_headings():
    html = "<h1>Heading</h1>\n<p>First <em>para</em></p>\n<p>Second</p>"
    assert markup.first_paragraph(html) == "First para"


def test_first_paragraph_of_a_body_without_one():
    assert markup.first_paragraph("<h2>Only a heading</h2>") == ""


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("The quick brown fox", 12, "The quick…"),
        ("The quick brown fox", 9, "The quick…"),  # the word ends right at the limit
        ("Hello, world and more", 8, "Hello…"),  # trailing punctuation dropped
    ],
)
def test_truncate_words_cuts_at_a_word_boundary(text, limit, cut):
    assert markup.truncate_words(text, limit) == cut


@pytest.mark.parametrize(
    "text",
    [
        "a" * 50,
        "東京の天気は晴れでしょう。明日も晴れるでしょう。",
        "https://example.org/a/very/long/url",
    ],
    ids=["one-long-word", "japanese", "url"],
)
def test_truncate_words_never_exceeds_the_limit(text):
    limit = 10
    cut = markup.truncate_words(text, limit)
    assert cut.endswith("…")
    assert len(cut.removesuffix("…")) <= limit, cut


def test_word_count():
    assert markup.word_count("<p>One two three.</p>\n<p>Four five six</p>") == 6


def test_word_count_ignores_inline_markup():
    assert markup.word_count("<p>One <em>two</em>.</p><p>un<b>believ</b>able</p>") == 3


_UNICODE_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
)


def test_every_kind_of_white_space_separates_words_and_collapses_to_one_space():
    """Every code point Python counts as white space (the regex class \\s, str.split)."""
    fragment = "<p>" + "a".join(_UNICODE_SPACES) + "b &#160; c&nbsp;d\u200be</p>"
    words = ["a"] * (len(_UNICODE_SPACES) - 1) + ["b", "c", "d\u200be"]
    assert markup.plain_text(fragment) == " ".join(words)
    assert markup.word_count(fragment) == len(words)
