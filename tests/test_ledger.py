"""URL permanence: the ledger of published URLs, --accept-url-changes, retraction, and the
``_redirects`` file."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sitegen import masthead, ok

from masthead.ledger import HEADER, LEDGER_FILE, ledger_text, read_ledger
from masthead.model import BuildOptions
from masthead.pipeline import build

SETTINGS = '[tool.masthead]\ntimezone = "UTC"\nbase_url = "https://example.org/news/"\n'


@pytest.fixture
def site(make_site, md):
    """A site with the ledger on, built once."""
    folder = make_site(
        {
            "pyproject.toml": SETTINGS,
            "content/2017/09/talks.md": md(
                '"US and Russia still far apart over Syria as talks discuss"',
                date="2017-09-23",
                aliases='["/old/syria.html"]',
            ),
            "content/2017/09/rates.md": md("Rates held", date="2017-09-20", slug="rates-held"),
        }
    )
    ok(masthead("build", "--site", folder))
    return folder


def ledger_urls(site: Path) -> list[str]:
    return [line for line in (site / LEDGER_FILE).read_text().splitlines() if line[:1] == "/"]


def test_a_production_build_writes_the_ledger_sorted(site):
    assert ledger_urls(site) == [
        "/2017/09/20/rates-held/",
        "/2017/09/23/us-and-russia-still-far-apart-over-syria-as-talks-discuss/",
        "/old/syria.html",
    ]
    assert (site / LEDGER_FILE).read_text().startswith("# ")


@pytest.mark.parametrize(
    "hand_edit",
    [
        lambda text: text.replace("/2017/09/20/rates-held/\n", "") + "/2017/09/20/rates-held/\n",
        lambda text: text + "\n",
        lambda text: text + "# a note of mine\n",
        lambda text: text.replace("/old/syria.html", "  /old/syria.html"),
    ],
    ids=["unsorted", "blank-line", "comment", "indented"],
)
def test_a_build_writes_a_hand_edited_ledger_back_as_masthead_writes_it(site, hand_edit):
    path = site / LEDGER_FILE
    written = path.read_text()
    path.write_bytes(hand_edit(written).encode())
    assert not read_ledger(site).as_written
    ok(masthead("build", "--site", site))
    assert path.read_bytes() == written.encode()


def test_a_ledger_with_windows_line_ends_is_left_as_it_is(site):
    """A checkout that turned the line ends into CRLF holds the same lines: not rewritten."""
    path = site / LEDGER_FILE
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    ok(masthead("build", "--site", site))
    assert path.read_bytes() == crlf


def test_a_build_that_serves_no_new_url_leaves_the_ledger_alone(site):
    path = site / LEDGER_FILE
    assert read_ledger(site).as_written
    before = path.stat().st_mtime_ns
    (site / "content/2017/09/rates.md").write_text(
        (site / "content/2017/09/rates.md").read_text() + "\nOne more sentence.\n"
    )
    ok(masthead("build", "--site", site))
    assert path.stat().st_mtime_ns == before


_ENTRY = st.text(alphabet="/abc-9.", min_size=0, max_size=6).map(lambda rest: "/" + rest)


@given(
    entries=st.lists(_ENTRY, max_size=8),
    extra=st.sampled_from(["", "\n", "# note\n", " ", "\r"]),
)
def test_as_written_is_true_exactly_for_the_text_ledger_text_writes(
    tmp_path_factory, entries, extra
):
    """The ledger's quick test equals comparing with the text masthead would write."""
    folder = tmp_path_factory.mktemp("ledger")
    text = HEADER + "".join(f"{entry}\n" for entry in entries) + extra
    (folder / LEDGER_FILE).write_bytes(text.encode())
    found = read_ledger(folder)
    assert found.as_written == (text == ledger_text(found.lines))


def retitle(site: Path) -> Path:
    path = site / "content/2017/09/talks.md"
    path.write_text(path.read_text().replace("talks discuss", "talks agree"))
    return path


def test_a_new_headline_that_moves_the_page_fails_the_build(site):
    before = sorted(p.relative_to(site) for p in (site / "output").rglob("*"))
    retitle(site)
    done = masthead("build", "--site", site)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "content/2017/09/talks.md:2: error: the published URL "
        "/2017/09/23/us-and-russia-still-far-apart-over-syria-as-talks-discuss/ would no longer be "
        "served: the article is now at "
        "/2017/09/23/us-and-russia-still-far-apart-over-syria-as-talks-agree/; add "
        '"/2017/09/23/us-and-russia-still-far-apart-over-syria-as-talks-discuss/" to its aliases '
        "(masthead build --accept-url-changes does it), or retract it"
    ]
    assert sorted(p.relative_to(site) for p in (site / "output").rglob("*")) == before
    assert masthead("check", "--site", site).returncode == 1


def test_accept_url_changes_writes_the_alias_and_the_old_url_redirects(site):
    path = retitle(site)
    done = ok(masthead("build", "--site", site, "--accept-url-changes"))
    assert "added " in done.stderr and "(--accept-url-changes)" in done.stderr
    assert "talks-discuss/" in path.read_text()
    old = (
        site
        / "output/2017/09/23/us-and-russia-still-far-apart-over-syria-as-talks-discuss/index.html"
    )
    assert "talks-agree/" in _refresh_target(old.read_text())
    assert "/2017/09/23/us-and-russia-still-far-apart-over-syria-as-talks-agree/" in ledger_urls(
        site
    )
    ok(masthead("build", "--site", site))  # and from then on it simply builds


def _refresh_target(html: str) -> str:
    match = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("aliases: [/a/]\n", ["/a/"]),
        ("aliases:\n  - /a/\n", ["/a/"]),
        ("aliases: /a/\n", ["/a/"]),
        ("", []),
    ],
)
def test_accepting_keeps_the_front_matter_as_written(make_site, md, front, expected):
    text = md("Old headline", date="2017-09-23").replace("---\n", "---\n" + front, 1)
    text = text.replace("source: Wire\n", "source: Wire\n# a comment that stays\n")
    site = make_site({"pyproject.toml": SETTINGS, "content/a.md": text})
    ok(masthead("build", "--site", site))
    path = site / "content/a.md"
    path.write_text(path.read_text().replace("Old headline", "New headline"))
    ok(masthead("build", "--site", site, "--accept-url-changes"))
    edited = path.read_text()
    assert "# a comment that stays" in edited
    from masthead.readers import read_front_matter

    assert read_front_matter(edited).data["aliases"] in (
        [*expected, "/2017/09/23/old-headline/"],
        "/2017/09/23/old-headline/",
    )


def test_a_deleted_file_names_the_ledger_line(site):
    (site / "content/2017/09/rates.md").unlink()
    done = masthead("build", "--site", site)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"{LEDGER_FILE}:3: error: the published URL /2017/09/20/rates-held/")
    assert 'retracted: "why"' in line


def test_a_retracted_article_keeps_its_url_with_a_notice_and_is_listed_nowhere(site):
    path = site / "content/2017/09/rates.md"
    path.write_text(
        path.read_text().replace("---\n", '---\nretracted: "The figures were wrong."\n', 1)
    )
    ok(masthead("build", "--site", site))
    output = site / "output"
    notice = (output / "2017/09/20/rates-held/index.html").read_text()
    assert "This article has been retracted." in notice and "The figures were wrong." in notice
    assert "Body text." not in notice
    assert '<meta name="robots" content="noindex">' in notice
    data = [json.loads(b) for b in re.findall(r'ld\+json">(.*?)</script>', notice)]
    assert any(d.get("creativeWorkStatus") == "Retracted" for d in data)
    for rel in ("index.html", "category/world/index.html", "2017/09/index.html"):
        assert "rates-held" not in (output / rel).read_text(), rel
    assert "rates-held" not in (output / "sitemap.xml").read_text()
    feed = feedparser.parse((output / "feed.xml").read_bytes())
    assert [e.title for e in feed.entries] == [
        "US and Russia still far apart over Syria as talks discuss"
    ]
    assert "/2017/09/20/rates-held/" in ledger_urls(site)


def test_an_empty_retraction_reason_is_an_error(make_site, md):
    site = make_site({"pyproject.toml": SETTINGS, "content/a.md": md(retracted='""')})
    done = masthead("build", "--site", site)
    assert done.returncode == 1
    assert 'retracted: must give the reason: retracted: "why"' in done.stderr


def test_a_preview_build_warns_and_leaves_the_ledger_alone(site, tmp_path):
    before = (site / LEDGER_FILE).read_text()
    retitle(site)
    report = build(site, BuildOptions(preview=True, output=str(tmp_path / "preview")))
    assert not report.errors
    [warning] = [p for p in report.problems if "published URL" in p.message]
    assert warning.severity == "warning"
    assert (site / LEDGER_FILE).read_text() == before


def test_drafts_and_future_builds_do_not_add_to_the_ledger(site, md):
    (site / "content/2017/09/draft.md").write_text(md("A draft", draft="true"))
    ok(masthead("build", "--site", site, "--drafts", "--output", site / "staging"))
    assert not any("a-draft" in url for url in ledger_urls(site))


def test_a_removed_alias_is_caught(site):
    path = site / "content/2017/09/talks.md"
    path.write_text(path.read_text().replace('aliases: ["/old/syria.html"]\n', ""))
    done = masthead("build", "--site", site)
    assert done.returncode == 1
    assert "/old/syria.html would no longer be served" in done.stderr


def test_a_ledger_line_that_is_not_a_path_is_a_warning(site):
    with (site / LEDGER_FILE).open("a") as ledger:
        ledger.write("not a path\n")
    ledger = read_ledger(site)
    assert ledger is not None
    [warning] = ledger.problems
    assert warning.path == LEDGER_FILE and warning.line == 6


def test_the_ledger_can_be_turned_off(make_site, md):
    site = make_site({"pyproject.toml": SETTINGS + "url_ledger = false\n", "content/a.md": md()})
    ok(masthead("build", "--site", site))
    assert not (site / LEDGER_FILE).exists()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hrefs += [v for k, v in attrs if k == "href" and v]


def test_the_redirects_file_moves_every_alias_for_good(site):
    pyproject = site / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "redirects_file = true\n")
    ok(masthead("build", "--site", site))
    lines = (site / "output/_redirects").read_text().splitlines()
    assert lines == [
        "/news/old/syria.html "
        "/news/2017/09/23/us-and-russia-still-far-apart-over-syria-as-talks-discuss/ 301"
    ]
