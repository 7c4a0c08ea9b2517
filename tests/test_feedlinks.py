"""Links in article bodies made absolute for feeds (masthead.feedlinks), as units.

Each case is resolved the way a browser resolves it on the article's page; the expected
values follow the URL standard (what ``new URL(value, base)`` gives in a browser). The
feeds themselves are checked with feedparser in tests/test_feeds.py.
"""

from __future__ import annotations

import pytest
from markupsafe import Markup

from masthead.feedlinks import absolute_links, attribute_value, resolve, resolve_srcset

BASE = "https://example.org/news/2017/09/23/talks/"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("/2017/09/", "https://example.org/2017/09/"),
        ("photo.jpg", BASE + "photo.jpg"),
        ("../other/", "https://example.org/news/2017/09/23/other/"),
        ("../../../../../../x", "https://example.org/x"),
        ("#notes", BASE + "#notes"),
        ("?page=2", BASE + "?page=2"),
        ("", BASE),
        ("//cdn.example.com/v.mp4", "https://cdn.example.com/v.mp4"),
        ("https://other.org/x", "https://other.org/x"),
        ("HTTP://Other.org/x", "HTTP://Other.org/x"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
        ("data:image/png;base64,AAAA", "data:image/png;base64,AAAA"),
        ("javascript:void(0)", "javascript:void(0)"),
        ("  /spaced  ", "https://example.org/spaced"),
        ("\t/ta\nb\r", "https://example.org/tab"),
        ("\\\\evil.example\\x?a\\b#c\\d", "https://evil.example/x?a\\b#c\\d"),
        ("/a b/é.html", "https://example.org/a b/é.html"),
        ("//[::1", "//[::1"),  # no valid URL: left as written
    ],
)
def test_references_resolve_as_in_a_browser(reference: str, expected: str) -> None:
    assert resolve(BASE, reference) == expected


def test_srcset_candidates_keep_their_descriptors() -> None:
    value = "a.jpg 1x,/b.jpg 2x , c,d.jpg 640w, e.jpg, f.jpg (x, y) 3x"
    assert resolve_srcset(value, BASE) == (
        f"{BASE}a.jpg 1x, https://example.org/b.jpg 2x, {BASE}c,d.jpg 640w, {BASE}e.jpg, "
        f"{BASE}f.jpg (x, y) 3x"
    )
    assert resolve_srcset("", BASE) == ""


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("/q?a=1&amp;b=2", "/q?a=1&b=2"),
        ("/q?a=1&copy=2", "/q?a=1&copy=2"),  # not ©=2: an attribute keeps it as written
        ("/q?a=1&copyright", "/q?a=1&copyright"),
        ("/q?x=&copy;", "/q?x=©"),
        ("/q?x=&copy x", "/q?x=© x"),
        ("/&#47;x&#x2F;", "//x/"),
        ("/&nosuch;", "/&nosuch;"),
        ("plain", "plain"),
    ],
)
def test_attribute_values_decode_as_in_a_browser(raw: str, value: str) -> None:
    assert attribute_value(raw) == value


def test_every_url_attribute_is_rewritten_and_nothing_else() -> None:
    body = (
        '<p>See <a href="/2017/09/" title="/not-a-url">the month</a>, '
        "<a href='sibling/'>one</a>, <a href=#top>top</a> and <A HREF=\"/UP\">up</A>.</p>\n"
        '<img src="photo.jpg" srcset="a.jpg 1x, /b.jpg 2x" alt="/alt"/>\n'
        '<video poster="p.png" src="//cdn.example.com/v.mp4"><source src="v.webm"></video>\n'
        '<blockquote cite="/source"><p>q</p></blockquote><object data="m.svg"></object>'
        '<div data="x" data-src="/kept">d</div><a ping="/p1 p2">ping</a>\n'
        '<svg><image xlink:href="i.svg"/></svg><form action="search"><button formaction="/go">'
        "go</button></form>\n"
        '<!-- <a href="/in-a-comment"> --><script>var a = \'<a href="/in-a-script">\';</script>'
        '<style>a[href="/in-a-style"] {}</style>'
    )
    assert absolute_links(body, BASE) == (
        '<p>See <a href="https://example.org/2017/09/" title="/not-a-url">the month</a>, '
        f'<a href="{BASE}sibling/">one</a>, <a href="{BASE}#top">top</a> and '
        '<A HREF="https://example.org/UP">up</A>.</p>\n'
        f'<img src="{BASE}photo.jpg" srcset="{BASE}a.jpg 1x, https://example.org/b.jpg 2x" '
        'alt="/alt"/>\n'
        f'<video poster="{BASE}p.png" src="https://cdn.example.com/v.mp4"><source '
        f'src="{BASE}v.webm"></video>\n'
        '<blockquote cite="https://example.org/source"><p>q</p></blockquote>'
        f'<object data="{BASE}m.svg"></object>'
        '<div data="x" data-src="/kept">d</div>'
        f'<a ping="https://example.org/p1 {BASE}p2">ping</a>\n'
        f'<svg><image xlink:href="{BASE}i.svg"/></svg><form action="{BASE}search">'
        '<button formaction="https://example.org/go">go</button></form>\n'
        '<!-- <a href="/in-a-comment"> --><script>var a = \'<a href="/in-a-script">\';</script>'
        '<style>a[href="/in-a-style"] {}</style>'
    )


def test_values_are_escaped_again_and_other_bytes_kept() -> None:
    body = '<a  class=x   href = "/q?a=1&amp;b=&quot;2&quot;"\n  id=y>q</a> &amp; <b>bold</b>'
    assert absolute_links(body, BASE) == (
        '<a  class=x   href = "https://example.org/q?a=1&amp;b=&quot;2&quot;"\n  id=y>q</a> '
        "&amp; <b>bold</b>"
    )


def test_bodies_without_relative_links_come_back_unchanged() -> None:
    for body in (
        "",
        "<p>No links at all, 2 + 2 = 4.</p>",
        '<p><a href="https://example.com/">absolute</a> <a href="mailto:x@example.org">m</a></p>',
        "<p>broken <a href='/x'",  # never a complete tag: a browser makes no link of it
        "<a href>no value</a>",
    ):
        assert absolute_links(body, BASE) == body


def test_a_body_spread_over_lines_keeps_its_positions() -> None:
    body = "<p>one</p>\r\n<p>two\n<a\nhref='x'\n>x</a></p>\n" * 3
    assert absolute_links(body, BASE) == body.replace("href='x'", f'href="{BASE}x"')


def test_the_result_is_plain_text_to_be_escaped() -> None:
    """Markup in, str out: a template that forgets ``plain`` still escapes the body."""
    for body in (Markup("<p>no links</p>"), Markup('<a href="/x">x</a>')):
        result = absolute_links(body, BASE)
        assert type(result) is str
