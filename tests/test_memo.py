"""The build memo (masthead/incremental/memo.py) as functions: the fingerprint of a build's
inputs, how long a build's output stays valid, when a memo is current, and the memo's
round trip through the manifest, damaged data and the racy window included.

The promise these functions keep together (a build with nothing changed does nothing, and
never wrongly) is tested through whole builds in test_incremental.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sitegen import SETTLED_NS

from masthead.config import SiteConfig
from masthead.incremental import memo as memo_module
from masthead.incremental.memo import (
    Inputs,
    Memo,
    bytes_digest,
    file_digest,
    is_current,
    memo_from,
    memo_of,
    memo_to_record,
    memoised_report,
    read_inputs,
    unchanged_by_bytes,
    valid_until,
)
from masthead.incremental.stamps import RACY_NS, Stamp
from masthead.model import BuildOptions, BuildReport, Problem

CONFIG = SiteConfig()
OPTIONS = BuildOptions()
NOW = datetime(2017, 9, 24, 12, 0, tzinfo=UTC)
PLUS_FIVE = timezone(timedelta(hours=5))


# --- read_inputs: the fingerprint of everything a build reads -------------------------------


@pytest.fixture
def site(make_site, tmp_path: Path) -> tuple[Path, tuple[Path, ...]]:
    """A site with two sources, a settings file and two template folders (the site's own and
    a stand-in for the theme), every file dated long ago."""
    folder = make_site(
        {
            "content/2017/09/a.md": "A",
            "content/2017/09/b.md": "B",
            "templates/article.html": "<h1>{{ article.title }}</h1>",
        },
        name="site",
    )
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "base.html").write_text("<html></html>", encoding="utf-8")
    (theme / "static" / "style.css").write_text("body {}", encoding="utf-8")
    for path in [*folder.rglob("*"), *theme.rglob("*")]:
        if path.is_file():
            os.utime(path, ns=(SETTLED_NS, SETTLED_NS))
    return folder, (folder / "templates", theme)


def fingerprint(
    site: tuple[Path, tuple[Path, ...]],
    config: SiteConfig = CONFIG,
    options: BuildOptions = OPTIONS,
) -> str:
    folder, roots = site
    return read_inputs(folder, config, options, roots).fingerprint


def touch(path: Path, ns: int = SETTLED_NS + 1_000_000_000) -> None:
    os.utime(path, ns=(ns, ns))


def test_the_same_inputs_give_the_same_fingerprint(site) -> None:
    assert fingerprint(site) == fingerprint(site)


def test_inputs_list_every_source_with_its_stat_and_hash_the_racy_ones(site) -> None:
    folder, roots = site
    template = folder / "templates" / "article.html"
    touch(template, SETTLED_NS + 5)
    inputs = read_inputs(folder, CONFIG, OPTIONS, roots, SETTLED_NS + 6)
    size = len("A")
    assert inputs.sources == {
        "2017/09/a.md": Stamp(SETTLED_NS, size),
        "2017/09/b.md": Stamp(SETTLED_NS, size),
    }
    assert str(template) in inputs.racy, "templates count as inputs too"
    assert all(Path(path).stat().st_mtime_ns <= SETTLED_NS + 5 for path in inputs.racy)


@pytest.mark.parametrize(
    "change",
    [
        "edit a source",
        "touch a source",
        "add a source",
        "remove a source",
        "break a source",
        "edit a site template",
        "add a site template",
        "touch a theme file",
        "add a static file",
        "edit the settings file",
    ],
)
def test_every_kind_of_file_a_build_reads_changes_the_fingerprint(site, change: str) -> None:
    folder, (own, theme) = site
    before = fingerprint(site)
    article = folder / "content" / "2017" / "09" / "a.md"
    if change == "edit a source":
        article.write_text("A longer text", encoding="utf-8")
        touch(article, SETTLED_NS)  # same mtime: the size tells
    elif change == "touch a source":
        touch(article)
    elif change == "add a source":
        (article.parent / "c.md").write_text("C", encoding="utf-8")
    elif change == "remove a source":
        article.unlink()
    elif change == "break a source":  # a link to nothing: listed, but no stat
        article.unlink()
        article.symlink_to(folder / "nowhere.md")
    elif change == "edit a site template":
        touch(own / "article.html")
    elif change == "add a site template":
        (own / "list.html").write_text("list", encoding="utf-8")
    elif change == "touch a theme file":
        touch(theme / "base.html")
    elif change == "add a static file":
        (theme / "static" / "logo.png").write_bytes(b"png")
    elif change == "edit the settings file":
        touch(folder / "pyproject.toml")
    assert fingerprint(site) != before


def test_a_file_moved_between_template_folders_changes_the_fingerprint(site) -> None:
    _, (own, theme) = site
    before = fingerprint(site)
    (own / "article.html").rename(theme / "article.html")
    assert fingerprint(site) != before


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Another title"},
        {"per_page": 7},
        {"timezone": "Asia/Karachi"},
        {"feed_taxonomies": ("category",)},
    ],
)
def test_a_setting_changes_the_fingerprint(site, changes: dict) -> None:
    assert fingerprint(site, dataclasses.replace(CONFIG, **changes)) != fingerprint(site)


@pytest.mark.parametrize(
    "changes",
    [{"drafts": True}, {"future": True}, {"base_url": "http://127.0.0.1:8000/"}, {"output": "x"}],
)
def test_options_that_change_the_output_change_the_fingerprint(site, changes: dict) -> None:
    assert fingerprint(site, options=BuildOptions(**changes)) != fingerprint(site)


@pytest.mark.parametrize(
    "changes",
    [{"jobs": 3}, {"keep_going": True}, {"wait": False}, {"now": NOW}, {"cache_dir": "elsewhere"}],
)
def test_options_that_do_not_change_the_output_keep_it(site, changes: dict) -> None:
    assert fingerprint(site, options=BuildOptions(**changes)) == fingerprint(site)


def test_another_masthead_version_changes_the_fingerprint(site, monkeypatch) -> None:
    before = fingerprint(site)
    monkeypatch.setattr(memo_module, "__version__", "99.0")
    assert fingerprint(site) != before


def test_a_site_without_content_or_settings_still_has_a_fingerprint(tmp_path: Path) -> None:
    inputs = read_inputs(tmp_path, CONFIG, OPTIONS, ())
    assert inputs.sources == {} and inputs.racy == {} and inputs.fingerprint


# --- valid_until: when the same inputs would give other output -------------------------------


def test_an_archive_of_old_articles_stays_valid_for_ever(article) -> None:
    assert valid_until((), 2, NOW) is None
    old = article("Old", NOW - timedelta(days=30))
    assert valid_until((old,), 2, NOW) is None


def test_a_scheduled_article_ends_validity_when_it_falls_due(article) -> None:
    later = article("Later", NOW + timedelta(hours=5))
    assert valid_until((later,), 2, NOW) == NOW + timedelta(hours=5)


def test_a_recent_article_ends_validity_when_it_leaves_the_news_window(article) -> None:
    recent = article("Recent", NOW - timedelta(hours=10))
    assert valid_until((recent,), 2, NOW) == NOW - timedelta(hours=10) + timedelta(days=2)
    assert valid_until((recent,), 30, NOW) == NOW - timedelta(hours=10) + timedelta(days=30)


def test_the_first_moment_of_several_wins(article) -> None:
    articles = (
        article("Later", NOW + timedelta(days=1)),
        article("Recent", NOW - timedelta(days=1, hours=20)),  # leaves the window in 4 hours
        article("Old", NOW - timedelta(days=9)),
    )
    assert valid_until(articles, 2, NOW) == NOW + timedelta(hours=4)


def test_the_edges_of_the_window(article) -> None:
    published_now = article("Now", NOW)
    assert valid_until((published_now,), 2, NOW) == NOW + timedelta(days=2)
    just_out = article("Just out", NOW - timedelta(days=2))
    assert valid_until((just_out,), 2, NOW) is None


# --- is_current ---------------------------------------------------------------------------------


def a_memo(
    fingerprint: str = "inputs",
    until: datetime | None = None,
    warnings: tuple[Problem, ...] = (),
) -> Memo:
    """The memo of a successful build of 3 articles and 20 pages."""
    report = BuildReport(articles=3, pages=20, skipped_drafts=1, skipped_future=2)
    since = NOW - timedelta(days=1)  # the memoised build's reference time
    return memo_of(Inputs(fingerprint, {}, {}, "missing"), since, until, report, warnings)


def inputs(fingerprint: str = "inputs") -> Inputs:
    return Inputs(fingerprint, {}, {}, "missing")


def test_no_memo_is_never_current() -> None:
    assert not is_current(None, inputs(), NOW)


def test_a_memo_of_other_inputs_is_not_current() -> None:
    assert not is_current(a_memo("other"), inputs(), NOW)


def test_a_memo_without_an_end_is_current_for_ever() -> None:
    assert is_current(a_memo(), inputs(), NOW + timedelta(days=10_000))


def test_a_memo_is_current_until_its_end_and_not_from_then_on() -> None:
    memo = a_memo(until=NOW)
    assert is_current(memo, inputs(), NOW - timedelta(microseconds=1))
    assert not is_current(memo, inputs(), NOW)
    assert not is_current(memo, inputs(), NOW + timedelta(days=1))


def test_a_memo_is_not_current_before_its_builds_reference_time() -> None:
    assert not is_current(a_memo(), inputs(), NOW - timedelta(days=2))


def test_the_end_is_compared_as_an_instant_whatever_its_zone() -> None:
    memo = a_memo(until=datetime(2017, 9, 24, 17, 0, tzinfo=PLUS_FIVE))
    assert is_current(memo, inputs(), datetime(2017, 9, 24, 11, 59, tzinfo=UTC))
    assert not is_current(memo, inputs(), datetime(2017, 9, 24, 12, 0, tzinfo=UTC))


@pytest.mark.parametrize("until", ["not a date", "2017-09-25T00:00:00"])
def test_a_memo_with_a_damaged_end_is_not_current(until: str) -> None:
    memo = dataclasses.replace(a_memo(), valid_until=until)
    assert not is_current(memo, inputs(), NOW)


# --- the memo in the manifest: round trip, damage, the racy window --------------------------

WARNINGS = (
    Problem("content/a.md", 3, "unknown field 'titel'; did you mean 'title'?", "warning"),
    Problem("pyproject.toml", None, "no such key", "warning"),
)
STARTED_NS = SETTLED_NS + 10 * RACY_NS


def stored(record: dict | None) -> dict | None:
    """The record as the next build reads it back from the manifest (JSON)."""
    return json.loads(json.dumps({"memo": record}))["memo"]


def test_a_memo_comes_back_from_the_manifest_exactly() -> None:
    memo = a_memo(until=datetime(2017, 9, 25, 10, 30, tzinfo=PLUS_FIVE), warnings=WARNINGS)
    record = memo_to_record(memo)
    assert record is not None
    assert memo_from(stored(record)) == memo


def test_the_memoised_report_gives_the_recorded_figures_and_warnings() -> None:
    memo = a_memo(warnings=WARNINGS)
    report = memoised_report(memo, files=42)
    assert (report.articles, report.pages, report.unchanged) == (3, 20, 42)
    assert (report.skipped_drafts, report.skipped_future) == (1, 2)
    assert report.problems == WARNINGS
    assert (report.parsed, report.rendered, report.written, report.removed) == (0, 0, 0, 0)


def good_record() -> dict:
    record = memo_to_record(a_memo(warnings=WARNINGS))
    assert record is not None
    return stored(record)


@pytest.mark.parametrize(
    "damage",
    [
        "none",
        "empty",
        "not a mapping",
        "a field missing",
        "a field more",
        "warnings missing",
        "warnings not a list",
        "a warning not a mapping",
        "a warning with another field",
        "a warning without a message",
    ],
)
def test_a_damaged_memo_is_no_memo(damage: str) -> None:
    record = good_record()
    if damage == "none":
        record = None
    elif damage == "empty":
        record = {}
    elif damage == "not a mapping":
        record = [record]
    elif damage == "a field missing":
        del record["pages"]
    elif damage == "a field more":
        record["renamed"] = 1
    elif damage == "warnings missing":
        del record["warnings"]
    elif damage == "warnings not a list":
        record["warnings"] = 5
    elif damage == "a warning not a mapping":
        record["warnings"] = ["content/a.md: warning: x"]
    elif damage == "a warning with another field":
        record["warnings"][0]["column"] = 4
    elif damage == "a warning without a message":
        del record["warnings"][0]["message"]
    assert memo_from(record) is None


def test_a_file_saved_moments_before_the_build_is_known_by_its_bytes(site) -> None:
    folder, roots = site
    saved = folder / "content" / "2017" / "09" / "a.md"
    saved.write_text("Just saved", encoding="utf-8")
    started_ns = os.stat(saved).st_mtime_ns + 1
    found = read_inputs(folder, CONFIG, OPTIONS, roots, started_ns)
    assert list(found.racy) == [str(saved)]
    later = read_inputs(folder, CONFIG, OPTIONS, roots, started_ns + RACY_NS)
    assert later.racy == {} and later.fingerprint == found.fingerprint


def test_a_memo_holds_while_the_racy_files_keep_their_bytes(site) -> None:
    folder, roots = site
    saved = folder / "content" / "2017" / "09" / "a.md"
    saved.write_text("Just saved", encoding="utf-8")
    stat = os.stat(saved)
    found = read_inputs(folder, CONFIG, OPTIONS, roots, stat.st_mtime_ns + 1)
    memo = memo_from(stored(memo_to_record(memo_of(found, NOW, None, BuildReport(), ()))))
    assert memo is not None and unchanged_by_bytes(memo, folder)
    saved.write_text("Just SAVED", encoding="utf-8")  # same size ...
    os.utime(saved, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ... and the same stat
    assert read_inputs(folder, CONFIG, OPTIONS, roots).fingerprint == found.fingerprint
    assert not unchanged_by_bytes(memo, folder)
    saved.unlink()
    assert not unchanged_by_bytes(memo, folder)


@pytest.mark.parametrize(
    "damage", [{"racy": []}, {"racy": {"a": 1}}, {"racy": "x"}, {"ledger": None}, {"ledger": 5}]
)
def test_a_memo_with_damaged_hashes_is_no_memo(damage: dict) -> None:
    assert memo_from({**good_record(), **damage}) is None


def test_only_regular_files_are_hashed_and_none_blocks(tmp_path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    (tmp_path / "folder.md").symlink_to(tmp_path)
    (tmp_path / "loop.md").symlink_to("loop.md")
    (tmp_path / "a.md").write_bytes(b"A")
    assert file_digest(fifo) == "special", "opening a FIFO for reading would block"
    assert file_digest(tmp_path / "folder.md") == "special"
    assert file_digest("/dev/zero") == "special"
    assert file_digest(tmp_path / "loop.md") == "missing"
    assert file_digest(tmp_path / "a.md") == bytes_digest(b"A")


HEAVY_LIBRARIES = ("jinja2", "markdown", "pyromark", "frontmatter", "yaml", "babel")
"""What a build with nothing changed never needs (importing them was most of its time)."""


def test_a_build_with_nothing_changed_loads_no_engine_template_or_yaml_library(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    from sitegen import masthead, ok, tiny_site

    site = tiny_site(tmp_path / "site")
    ok(masthead("build", "--site", site, "--quiet"))
    probe = (
        "import sys\n"
        "from masthead.cli import main\n"
        f"code = main(['build', '--site', {str(site)!r}, '-v'])\n"
        f"print(code, sorted(m for m in {HEAVY_LIBRARIES!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "0 rendered" in done.stdout or "nothing changed" in done.stdout, done.stdout
    assert done.stdout.strip().splitlines()[-1] == "0 []"


# --- Inputs a watcher vouched for -------------------------------------------------------------


def _sources_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    for rel in ("2017/a.md", "2017/c.md", "2018/b.md"):
        (site / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / "content" / rel).write_text(f"---\ntitle: {rel}\n---\n", "utf-8")
    return site


def _inputs(site: Path, since=None):
    return memo_module.read_inputs(site, SiteConfig(), BuildOptions(), (), 0, since)


def test_inputs_of_a_vouched_build_equal_those_of_a_walk(tmp_path: Path) -> None:
    """Changed, new and removed sources: looking at only those gives what walking the
    content folder gives, in the same order."""
    site = _sources_site(tmp_path)
    content = site / "content"
    last = _inputs(site)
    (content / "2017/a.md").write_text("---\ntitle: edited at length\n---\n", "utf-8")
    (content / "2017/b.md").write_text("---\ntitle: new\n---\n", "utf-8")
    (content / "2018/b.md").unlink()

    vouched = _inputs(site, (last, frozenset({"2017/a.md", "2017/b.md", "2018/b.md"})))

    walked = _inputs(site)
    assert list(vouched.sources.items()) == list(walked.sources.items())
    assert vouched.fingerprint == walked.fingerprint
    assert vouched.changed == {"2017/a.md", "2017/b.md", "2018/b.md"}
    assert walked.changed is None


@pytest.mark.parametrize("now", ["folder", "link"])
def test_a_changed_path_that_is_now_a_folder_or_a_link_makes_the_build_walk(
    tmp_path: Path, now: str
) -> None:
    site = _sources_site(tmp_path)
    last = _inputs(site)
    path = site / "content" / "2017" / "d.md"
    if now == "folder":
        path.mkdir()
    else:
        path.symlink_to(site / "content" / "2017" / "a.md")

    vouched = _inputs(site, (last, frozenset({"2017/d.md"})))

    assert vouched.changed is None, "walked instead"
    assert list(vouched.sources) == list(_inputs(site).sources)


def test_links_and_unlisted_folders_are_what_a_watcher_cannot_vouch_for(tmp_path: Path) -> None:
    site = _sources_site(tmp_path)
    (site / "content" / "2017" / "link.md").symlink_to(tmp_path / "elsewhere.md")
    assert _inputs(site).unseen == {"2017/link.md"}
