"""``masthead import feed``: RSS 2.0, RSS 1.0, RSS 0.91 and Atom feeds, as files and over
HTTP (a server on 127.0.0.1 in a thread; no other network).

The feeds hold HTML content with furniture and relative links, enclosures, Media RSS
images and thumbnails, entries without a guid, without a date, dated only by their link,
and an Urdu entry; each is imported twice, and the second run imports nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from importhelp import FEEDS, build_ok, rendered, run_import

from masthead import __version__
from masthead.importers import fetch

RSS20 = FEEDS / "rss20.xml"


def entry(feed, number: int) -> str:
    return f"{feed}: entry {number}"


# --- each kind of feed, imported twice ------------------------------------------------------

EXPECTED = {
    # file, options, entries imported, failed entries with their reason
    "rss20.xml": ((), {1, 2, 4, 5}, {3: "no date (published, dc:date or updated), and none in its link; nothing is invented"}),
    "rss10.xml": ((), {1}, {2: "no date (published, dc:date or updated), and none in its link; nothing is invented"}),
    "rss091.xml": (("--category", "Wire"), {1}, {2: "no date (published, dc:date or updated), and none in its link; nothing is invented"}),
    "atom.xml": ((), {1, 2, 3}, {4: "no date (published, dc:date or updated), and none in its link; nothing is invented"}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_kind_of_feed_imports_once(name: str, make_site, capsys) -> None:
    options, imported, failed = EXPECTED[name]
    feed = FEEDS / name
    site = make_site()
    first = run_import(capsys, site, "feed", feed, *options)
    assert set(first.imported) == {entry(feed, n) for n in imported}, first.err
    assert first.failed == {entry(feed, n): why for n, why in failed.items()}
    assert first.code == 1
    files = sorted((site / "content").rglob("*.md"))
    second = run_import(capsys, site, "feed", feed, *options)
    assert second.imported == {}
    assert set(second.skipped) == set(first.imported)
    assert all(second.skipped[shown] == rel for shown, rel in first.imported.items())
    assert (
        second.summary
        == f"masthead import feed: 0 imported, {len(imported)} skipped, {len(failed)} failed"
    )
    assert sorted((site / "content").rglob("*.md")) == files
    build_ok(capsys, site)


# --- what each entry becomes ------------------------------------------------------------------


def test_rss20_entry_with_html_content_enclosures_and_media(make_site, capsys) -> None:
    outcome = run_import(capsys, make_site(), "feed", RSS20)
    fields, body = outcome.article("rss20.xml: entry 1")
    assert fields == {
        "title": "Floods hit Karachi as monsoon rains break records",
        "date": "2023-08-17T09:30:00+05:00",
        "category": "National News",
        "source": "Dawn News: Pakistan",
        "authors": ["Amina Rao", "Bilal Khan"],
        "tags": ["Floods", "Monsoon"],
        "location": "KARACHI",
        "lang": "en-GB",
        "summary": "Record rainfall flooded large parts of the city.",
        "image": "https://images.dawn.example/1234/lead.jpg",
        "source_url": "https://www.dawn.example/news/1234/floods-hit-karachi",
        "imported_from": "https://www.dawn.example/pakistan#dawn-1234",
        "slug": "floods-hit-karachi-as-monsoon-rains-break-records",
    }
    # Relative links resolved against the entry's link; the caption kept.
    assert body.startswith(
        "Record rainfall flooded large parts of the city on Thursday, cutting power to "
        "[thousands of homes](https://www.dawn.example/tags/power)."
    )
    assert (
        "![A flooded street in Saddar](https://www.dawn.example/news/1234/images/flooded-street.jpg)\n\n*A flooded street in Saddar.*"
        in body
    )
    assert "## Power cuts" in body and "> “We have never seen water this high,”" in body
    # The enclosure is kept as a link; the image is the article's image, not a link again.
    assert body.endswith("[Audio: 1234.mp3, 2.4 MB](https://www.dawn.example/audio/1234.mp3)")
    assert "lead.jpg" not in body and "thumb.jpg" not in body
    for furniture in (
        "alert",
        "Share this",
        "Twitter",
        "Heatwave",
        "appeared first on",
        "feedburner",
    ):
        assert furniture not in body, furniture
    # Text that looks like markup is shown as text.
    html = rendered(body)
    assert "Text that says &lt;script&gt; and [brackets](here) and *stars* stays text." in html


def test_rss20_entries_without_guid_without_date_and_in_urdu(make_site, capsys) -> None:
    outcome = run_import(capsys, make_site(), "feed", RSS20)
    fields, body = outcome.article("rss20.xml: entry 2")
    assert (
        fields["imported_from"] == "https://www.dawn.example/news/1235/rain-forecast"
    )  # no guid: the link
    assert (
        fields["image"] == "https://images.dawn.example/1235/thumb.jpg"
    )  # a thumbnail, for want of more
    assert body == "More rain is expected on Saturday &amp; Sunday, the Met Office said."
    assert "summary" not in fields  # the summary is the body
    fields, _ = outcome.article("rss20.xml: entry 4")
    assert fields["date"] == "2019-05-06"
    assert outcome.notes("rss20.xml: entry 4")[0].startswith(
        "no date in the entry: 2019-05-06 is from its link"
    )
    fields, body = outcome.article("rss20.xml: entry 5")
    assert fields["title"] == "کراچی میں ریکارڈ بارش"
    assert fields["category"] == "قومی خبریں"
    assert fields["location"] == "کراچی"
    assert body == "شہر میں ریکارڈ بارش ہوئی۔\n\nمحکمہ موسمیات کے مطابق مزید بارش متوقع ہے۔"
    assert "lang" not in fields  # the feed's en-gb says nothing true of Urdu text
    assert outcome.notes("rss20.xml: entry 5")[0].startswith(
        "lang en-GB does not fit the script of the text: left out"
    )


def test_rss10_and_rss091(make_site, capsys) -> None:
    site = make_site()
    outcome = run_import(capsys, site, "feed", FEEDS / "rss10.xml")
    fields, body = outcome.article("rss10.xml: entry 1")
    assert fields["date"] == "2021-03-12T10:00:00+05:00"  # dc:date, offset kept
    assert fields["authors"] == ["Sara Malik"] and fields["category"] == "Science"
    assert fields["source"] == "Science Desk"
    assert fields["imported_from"] == "https://science.example/2021/03/12/cubesat"
    assert body == (
        "The satellite, built by [students](https://science.example/students), survived the "
        "shaker table.\n\n1. Vibration\n2. Thermal vacuum"
    )
    outcome = run_import(capsys, site, "feed", FEEDS / "rss091.xml", "--category", "Wire")
    fields, body = outcome.article("rss091.xml: entry 1")
    assert fields["title"] == "Café owners protest new tax"  # ISO-8859-1, read as such
    assert fields["date"] == "2001-03-05"
    assert fields["category"] == "Wire" and fields["source"] == "The Old Wire"
    assert body == "Owners of cafés marched on Monday."
    assert "category from the command line" in " ".join(outcome.notes("rss091.xml: entry 1"))


def test_atom_entries(make_site, capsys) -> None:
    outcome = run_import(capsys, make_site(), "feed", FEEDS / "atom.xml")
    fields, body = outcome.article("atom.xml: entry 1")
    assert fields["title"] == "The case for slower news"  # type="html": the markup is not text
    assert fields["date"] == "2023-06-01T09:00:00+05:00"
    assert fields["updated"] == "2023-06-02T10:30:00+05:00"
    assert fields["category"] == "Opinion" and fields["tags"] == ["Media"]  # labels
    assert fields["authors"] == ["Hina Qureshi", "Omar Sheikh"]
    assert fields["summary"] == "Why the best reporting takes time."
    assert fields["imported_from"] == "tag:culture.example,2023:slower-news"
    assert (
        body
        == (
            "Speed is not the same as [news value](https://culture.example/2023/06/news-value).\n\n"  # xml:base
            "![A tortoise](https://culture.example/2023/06/slow.jpg)\n\n"
            "[File: slower-news.pdf, 47 KB](https://culture.example/media/slower-news.pdf)"
        )
    )
    fields, body = outcome.article("atom.xml: entry 2")
    assert fields["date"] == "2023-05-20T08:00:00+00:00"  # only <updated>: that is its date
    assert "updated" not in fields and "summary" not in fields
    assert body == "An **xhtml** body."
    fields, body = outcome.article("atom.xml: entry 3")
    assert fields["lang"] == "ur" and fields["location"] == "لاہور"
    assert body == "نئی کتابوں کی نمائش۔"


def test_source_from_the_command_line_wins_over_the_feed_title(make_site, capsys) -> None:
    outcome = run_import(
        capsys, make_site(), "feed", FEEDS / "atom.xml", "--source", "Culture Desk"
    )
    fields, _ = outcome.article("atom.xml: entry 1")
    assert fields["source"] == "Culture Desk"
    assert not any("source" in note for note in outcome.notes("atom.xml: entry 1"))


def test_dry_run_writes_nothing(make_site, tree, capsys) -> None:
    site = make_site()
    before = tree(site)
    outcome = run_import(capsys, site, "feed", RSS20, "--dry-run")
    assert tree(site) == before
    assert len(outcome.imported) == 4
    assert outcome.summary.endswith("4 to import, 0 skipped, 1 failed (dry run: nothing written)")


def test_what_is_not_a_feed(make_site, tmp_path, capsys) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Hello</p></body></html>", encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(
        RSS20.read_text(encoding="utf-8").replace("</channel>", "<oops></channel>"),
        encoding="utf-8",
    )
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    outcome = run_import(capsys, make_site(), "feed", page, tmp_path / "missing.xml", broken, empty)
    assert outcome.failed[str(empty)] == "not an RSS or Atom feed (no RSS or Atom elements)"
    assert outcome.failed[str(page)].startswith("not an RSS or Atom feed")
    assert outcome.failed[str(tmp_path / "missing.xml")] == "cannot read: No such file or directory"
    assert len([s for s in outcome.imported if s.startswith(str(broken))]) == 4
    assert outcome.notes(str(broken))[0].startswith("not well-formed (")


# --- over HTTP ----------------------------------------------------------------------------


class _Feeds(BaseHTTPRequestHandler):
    """Serves the fixtures, a 404, a feed too big, and one that answers too late."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers))
        if self.path == "/slow.xml":
            time.sleep(1.5)
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/feeds/rss20.xml")
            self.end_headers()
            return
        name = self.path.rsplit("/", 1)[-1]
        path = FEEDS / name
        body = path.read_bytes() if path.is_file() else b"x" * 5000 if name == "big.xml" else None
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout test) is no error of the server's


@pytest.fixture
def server() -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), _Feeds)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_feed_url_is_fetched_with_our_own_client(make_site, server, capsys) -> None:
    site = make_site()
    _Feeds.seen.clear()
    outcome = run_import(capsys, site, "feed", f"{server}/moved")
    assert len(outcome.imported) == 4, outcome.err
    assert _Feeds.seen[0]["User-Agent"] == f"masthead/{__version__} (feed import)"
    fields, _ = outcome.article("/moved: entry 1")
    assert fields["imported_from"] == "https://www.dawn.example/pakistan#dawn-1234"
    # The same feed as a file is the same feed: nothing again.
    again = run_import(capsys, site, "feed", RSS20)
    assert again.imported == {} and len(again.skipped) == 4
    build_ok(capsys, site)


def test_fetch_failures_are_one_line_each(make_site, server, monkeypatch, capsys) -> None:
    monkeypatch.setattr(fetch, "MAX_FEED_BYTES", 4096)
    outcome = run_import(
        capsys, make_site(), "feed", f"{server}/none.xml", f"{server}/big.xml", f"{server}/slow.xml",
        "http://127.0.0.1:9/closed.xml", "--timeout", "0.5",
    )  # fmt: skip
    assert outcome.failed[f"{server}/none.xml"] == "HTTP 404 Not Found"
    assert outcome.failed[f"{server}/big.xml"] == "larger than 4,096 bytes; not fetched whole"
    assert outcome.failed[f"{server}/slow.xml"] == "no answer within 0.5 seconds"
    assert outcome.failed["http://127.0.0.1:9/closed.xml"].startswith("cannot fetch: ")
    assert outcome.code == 1
