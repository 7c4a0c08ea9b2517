"""The build memo returns at once only when it describes these very inputs at this very
reference time; a memo that was edited or damaged in any way means a normal build."""

from __future__ import annotations

import json
import os
import time

import pytest
from sitegen import MANIFEST, masthead, ok, output_tree, tiny_site

from masthead.incremental.memo import memo_from


@pytest.fixture
def built(make_site, md):
    site = make_site({"content/2020/01/good.md": md("Good news", date="2020-01-02")})
    time.sleep(2.1)  # past the window in which a fresh file's stat is not trusted
    ok(masthead("build", "--site", site, "--now", "2021-01-01T00:00:00+00:00"))
    return site


def test_an_earlier_now_is_not_taken_from_the_memo(built, tmp_path):
    again = ok(masthead("build", "--site", built, "--now", "2021-01-01T00:00:00+00:00"))
    assert "0 rendered" in again.stdout
    earlier = ok(masthead("build", "--site", built, "--now", "2019-01-01T00:00:00+00:00"))
    assert "1 future left out" in earlier.stdout
    ref = tmp_path / "ref"
    args = ("--now", "2019-01-01T00:00:00+00:00", "--no-cache", "--output", ref)
    ok(masthead("build", "--site", built, *args))
    assert output_tree(built / "output") == output_tree(ref)


@pytest.mark.parametrize(
    "damage",
    [
        {"valid_until": "garbage"},
        {"valid_until": 5},
        {"valid_until": "2099-01-01T00:00:00"},
        {"valid_from": None},
        {"warnings": [[1]]},
        {"warnings": "abc"},
        {"articles": "many\nlines"},
        {"pages": -5},
        {"warnings": [{"path": "x", "line": 1, "message": "m", "severity": "error"}]},
        {"extra": 1},
    ],
)
def test_a_damaged_memo_means_a_normal_build(built, damage):
    path = built / "output" / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["memo"] = {**manifest["memo"], **damage}
    assert memo_from(manifest["memo"]) is None
    path.write_text(json.dumps(manifest))
    done = ok(masthead("build", "--site", built, "--now", "2021-01-01T00:00:00+00:00"))
    assert done.stdout.startswith("masthead: 1 article, ")
    assert done.stderr == ""


# --- files saved moments before a build (a fresh clone or checkout) ---------------------------


@pytest.fixture
def fresh(tmp_path):
    """A site built at once after its files were written, as after a clone or checkout."""
    site = tiny_site(tmp_path / "site")
    ok(masthead("build", "--site", site, "--now", "2021-01-01T00:00:00+00:00"))
    return site


def test_the_first_build_after_a_checkout_is_remembered(fresh):
    again = ok(masthead("build", "--site", fresh, "--now", "2021-01-01T00:00:00+00:00", "-v"))
    assert "0 rendered" in again.stdout
    assert "  check " in again.stdout and "  plan " not in again.stdout, "the memo answered"


def test_a_racy_file_changed_without_a_new_stat_is_built_again(fresh):
    source = fresh / "content" / "2017" / "09" / "first.md"
    stat = os.stat(source)
    text = source.read_text("utf-8")
    source.write_text(text.replace("Original body.", "Changed body."), encoding="utf-8")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the stat alone looks unchanged
    again = ok(masthead("build", "--site", fresh, "--now", "2021-01-01T00:00:00+00:00"))
    assert "0 rendered" not in again.stdout
    page = fresh / "output" / "2017" / "09" / "23" / "first-story" / "index.html"
    assert "Changed body." in page.read_text("utf-8")


def test_a_build_that_adds_to_the_url_ledger_is_remembered(tmp_path):
    site = tiny_site(tmp_path / "site")
    settings = site / "pyproject.toml"
    settings.write_text(settings.read_text().replace("url_ledger = false", "url_ledger = true"))
    assert "url_ledger = true" in settings.read_text()
    ok(masthead("build", "--site", site, "--now", "2021-01-01T00:00:00+00:00"))
    assert (site / "published-urls.txt").is_file()
    again = ok(masthead("build", "--site", site, "--now", "2021-01-01T00:00:00+00:00", "-v"))
    assert "  plan " not in again.stdout, "the memo answered"
    with (site / "published-urls.txt").open("a") as ledger:
        ledger.write("/2017/09/23/gone/\n")
    edited = masthead("build", "--site", site, "--now", "2021-01-01T00:00:00+00:00")
    assert edited.returncode == 1 and "/2017/09/23/gone/" in edited.stderr
