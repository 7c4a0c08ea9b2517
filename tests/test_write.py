"""Write stage: refusing dangerous folders, atomic staging, unchanged files, pruning."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sitegen import write_files

from masthead.manifest import MANIFEST_NAME, Entry, read_manifest_file
from masthead.model import BuildOptions, ProblemsError
from masthead.outputdir import output_folder_problem
from masthead.pipeline import build
from masthead.write import STAGING_NAME, OutputWriter

# -- refusing output folders -------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    files = {"content/": None, "templates/": None, "pyproject.toml": "[tool.masthead]\n"}
    return write_files(tmp_path / "site", files)


def refusal(site: Path, output: Path) -> str | None:
    return output_folder_problem(site, output, (site / "content", site / "templates"))


def test_a_subfolder_of_the_site_is_fine(site):
    assert refusal(site, site / "output") is None
    assert refusal(site, site / "build" / "html") is None


def test_a_new_folder_elsewhere_is_fine(site, tmp_path):
    assert refusal(site, tmp_path / "public") is None


@pytest.mark.parametrize("where", [".", "..", "../.."])
def test_the_site_root_or_a_folder_holding_it_is_refused(site, where):
    problem = refusal(site, site / where)
    assert problem is not None
    assert "it holds the site itself" in problem


@pytest.mark.parametrize("folder", ["content", "templates", "content/2017", "templates/static"])
def test_content_and_templates_are_refused(site, folder):
    problem = refusal(site, site / folder)
    assert problem is not None
    assert "overlaps" in problem


def test_a_folder_holding_another_sites_sources_is_refused(site, tmp_path):
    other = tmp_path / "other-site"
    (other / "content").mkdir(parents=True)
    problem = refusal(site, other)
    assert problem == (
        f"refusing to write the site into {other.resolve()}: it holds content, "
        "which looks like a site's source"
    )
    (other / "content").rmdir()
    (other / "templates").mkdir()
    assert "it holds templates" in refusal(site, other)


def test_filesystem_root_is_refused(site):
    problem = refusal(site, Path("/"))
    assert problem == "refusing to write the site into /: choose a dedicated folder such as output/"


def test_home_is_refused(site, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    problem = refusal(site, home)
    assert problem == (
        f"refusing to write the site into {home.resolve()}: choose a dedicated folder such as output/"
    )


def test_a_symlink_to_the_site_is_refused(site, tmp_path):
    link = tmp_path / "sneaky"
    link.symlink_to(site, target_is_directory=True)
    assert "it holds the site itself" in refusal(site, link)


def test_build_refuses_before_touching_anything(make_site, tree):
    site = make_site(
        {
            "pyproject.toml": '[tool.masthead]\ntimezone = "UTC"\noutput_dir = "content"\n',
            "content/a.md": "---\ntitle: A\ndate: 2017-09-23\ncategory: W\nsource: S\n---\n",
        }
    )
    before = tree(site)
    with pytest.raises(ProblemsError) as caught:
        build(site)
    [problem] = caught.value.problems
    assert problem.path == "output_dir"
    assert tree(site) == before


def test_command_line_output_refused_as_home(make_site, monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    site = make_site({"content/a.md": "---\ntitle: A\n---\n"})
    with pytest.raises(ProblemsError) as caught:
        build(site, BuildOptions(output=str(home)))
    assert caught.value.problems[0].path == "--output"
    assert list(home.iterdir()) == []


# -- OutputWriter ------------------------------------------------------------------------------


def commit(output: Path, files: dict[str, bytes], overwrite: bool = False):
    writer = OutputWriter(output, overwrite=overwrite)
    for rel, data in files.items():
        writer.add(rel, data)
    return writer.commit()


def test_commit_writes_files_and_a_manifest(tmp_path):
    output = tmp_path / "output"
    result = commit(output, {"index.html": b"home", "2017/09/index.html": b"month"})
    assert (result.written, result.unchanged, result.removed) == (2, 0, 0)
    assert (output / "index.html").read_bytes() == b"home"
    assert (output / "2017/09/index.html").read_bytes() == b"month"
    manifest = json.loads((output / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == ["2017/09/index.html", "index.html"]
    assert not (output / STAGING_NAME).exists()


def test_unchanged_files_are_not_rewritten(tmp_path):
    output = tmp_path / "output"
    commit(output, {"index.html": b"home", "a/index.html": b"a"})
    past = 1_000_000_000_000_000_000
    os.utime(output / "index.html", ns=(past, past))
    os.utime(output / "a/index.html", ns=(past, past))
    # A first build over the folder, taking it over (--overwrite): identical files are kept.
    (output / MANIFEST_NAME).unlink()
    result = commit(output, {"index.html": b"home", "a/index.html": b"changed"}, overwrite=True)
    assert (result.written, result.unchanged) == (1, 1)
    assert (output / "index.html").stat().st_mtime_ns == past
    assert (output / "a/index.html").read_bytes() == b"changed"


def test_second_commit_keeps_mtimes(tmp_path):
    output = tmp_path / "output"
    commit(output, {"index.html": b"home", "a/index.html": b"a"})
    mtimes = {p: (output / p).stat().st_mtime_ns for p in ("index.html", "a/index.html")}
    result = commit(output, {"index.html": b"home", "a/index.html": b"a"})
    assert (result.written, result.unchanged, result.removed) == (0, 2, 0)
    assert {p: (output / p).stat().st_mtime_ns for p in mtimes} == mtimes


def test_a_file_changed_by_hand_is_rewritten(tmp_path):
    output = tmp_path / "output"
    commit(output, {"index.html": b"home"})
    (output / "index.html").write_bytes(b"edited by hand")
    result = commit(output, {"index.html": b"home"})
    assert result.written == 1
    assert (output / "index.html").read_bytes() == b"home"


def test_stale_files_are_pruned_with_their_empty_folders(tmp_path):
    output = tmp_path / "output"
    commit(output, {"index.html": b"home", "2017/09/23/story/index.html": b"story"})
    result = commit(output, {"index.html": b"home"})
    assert result.removed == 1
    assert not (output / "2017").exists()
    assert (output / "index.html").exists()


def test_files_masthead_did_not_write_are_never_deleted(tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    (output / "CNAME").write_text("example.org", encoding="utf-8")
    (output / "2017/09/23/story").mkdir(parents=True)
    (output / "2017/09/23/story/notes.txt").write_text("mine", encoding="utf-8")
    commit(output, {"index.html": b"home", "2017/09/23/story/index.html": b"story"})
    commit(output, {"index.html": b"home"})
    assert (output / "CNAME").read_text(encoding="utf-8") == "example.org"
    assert (output / "2017/09/23/story/notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (output / "2017/09/23/story/index.html").exists()


def test_a_tampered_manifest_cannot_delete_outside_the_output(tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    entry = ["0" * 64, 7, 0]
    files = {"../victim.txt": entry, str(victim): entry, "a/../../victim.txt": entry}
    (output / MANIFEST_NAME).write_text(json.dumps({"version": 1, "files": files}), "utf-8")
    commit(output, {"index.html": b"home"})
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_corrupt_manifest_is_ignored(tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    (output / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    result = commit(output, {"index.html": b"home"})
    assert result.written == 1


def test_abort_changes_nothing(tmp_path, tree):
    output = tmp_path / "output"
    commit(output, {"index.html": b"home", "old/index.html": b"old"})
    (output / "MARKER").write_bytes(b"user file")
    before = tree(output)
    writer = OutputWriter(output)
    writer.add("index.html", b"new home")
    writer.add("new/index.html", b"new page")
    writer.abort()
    assert tree(output) == before


def test_nothing_is_visible_before_commit(tmp_path):
    output = tmp_path / "output"
    commit(output, {"index.html": b"home"})
    writer = OutputWriter(output)
    writer.add("index.html", b"new home")
    writer.add("new/index.html", b"new page")
    assert (output / "index.html").read_bytes() == b"home"
    assert not (output / "new").exists()
    writer.commit()
    assert (output / "index.html").read_bytes() == b"new home"
    assert (output / "new/index.html").read_bytes() == b"new page"


def test_staging_left_by_a_killed_build_is_cleared(make_site, md):
    site = make_site({"content/a.md": md()})
    output = site / "output"
    (output / STAGING_NAME / "123-abcd").mkdir(parents=True)
    (output / STAGING_NAME / "123-abcd" / "1.tmp").write_bytes(b"half")
    assert not build(site).errors
    assert not (output / STAGING_NAME).exists()


def test_a_file_offered_twice_is_a_bug(tmp_path):
    writer = OutputWriter(tmp_path / "output")
    writer.add("index.html", b"a")
    with pytest.raises(ValueError, match="offered twice"):
        writer.add("index.html", b"b")


# -- whole builds ------------------------------------------------------------------------------


def story(title: str, day: int, **more: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in more.items())
    return (
        f"---\ntitle: {title}\ndate: 2017-09-{day:02d}\ncategory: World\nsource: Wire\n"
        f"{extra}---\nBody of {title}.\n"
    )


def test_rebuild_writes_nothing_and_keeps_mtimes(make_site, tree):
    site = make_site({"content/a.md": story("Alpha", 1), "content/b.md": story("Bravo", 2)})
    first = build(site)
    assert first.errors == ()
    assert first.written > 0
    before = tree(site / "output")
    second = build(site)
    assert (second.written, second.removed) == (0, 0)
    assert second.unchanged == first.written
    after = tree(site / "output")
    # masthead's own manifest may be rewritten; every page and asset must be left alone.
    before.pop(MANIFEST_NAME)
    after.pop(MANIFEST_NAME)
    assert after == before


def test_editing_one_article_rewrites_only_the_pages_that_show_it(make_site, tree):
    site = make_site({"content/a.md": story("Alpha", 1), "content/b.md": story("Bravo", 2)})
    build(site)
    before = tree(site / "output")
    # A second paragraph: listings show the first one only, so of the HTML pages only the
    # article's own changes (feeds, which carry whole articles, may change too).
    (site / "content/a.md").write_text(story("Alpha", 1) + "\nA new paragraph.\n", "utf-8")
    report = build(site)
    after = tree(site / "output")
    changed = {rel for rel in after if rel.endswith(".html") and after[rel] != before.get(rel)}
    assert changed == {"2017/09/01/alpha/index.html"}
    assert report.removed == 0
    assert "A new paragraph." in (site / "output/2017/09/01/alpha/index.html").read_text("utf-8")


def test_a_removed_article_is_pruned(make_site):
    site = make_site({"content/a.md": story("Alpha", 1), "content/b.md": story("Bravo", 2)})
    build(site)
    (site / "output/2017/09/01/alpha/notes.txt").write_text("mine", encoding="utf-8")
    (site / "content/a.md").unlink()
    report = build(site)
    assert report.removed >= 2  # the article and its day archive
    assert not (site / "output/2017/09/01/alpha/index.html").exists()
    assert not (site / "output/2017/09/01/index.html").exists()
    assert (site / "output/2017/09/01/alpha/notes.txt").read_text("utf-8") == "mine"
    assert (site / "output/2017/09/02/bravo/index.html").exists()


def test_rebuild_works_with_an_alias_under_content(make_site):
    # Old CMS URLs such as /content/2017/story.html (Drupal) are common. The first build writes
    # output/content/; the second must not take that for a site's sources and refuse.
    site = make_site({"content/a.md": story("Alpha", 1, aliases="[/content/alpha.html]")})
    assert build(site).errors == ()
    assert (site / "output/content/alpha.html").exists()
    assert build(site).errors == ()


def test_rebuild_works_with_an_article_slug_templates(make_site):
    site = make_site(
        {
            "pyproject.toml": '[tool.masthead]\ntimezone = "UTC"\npermalink = "{slug}/"\n',
            "content/a.md": story("Templates", 1),
        }
    )
    assert build(site).errors == ()
    assert (site / "output/templates/index.html").exists()
    assert build(site).errors == ()


def test_a_manifest_keeps_only_its_well_formed_rows_inside_the_output(tmp_path: Path) -> None:
    rows = {
        "a/index.html": ["d1", 10, 20, "f1"],  # as masthead writes it
        "b/index.html": ["d2", 11, 21],  # before fingerprints were recorded
        "c/index.html": ["d3", True, 22, "f3"],  # a bool is not a size
        "d/index.html": ["d4", 12, 23, 5],  # a fingerprint that is not text: kept without
        "e/index.html": "not a row",
        "../outside.html": ["d5", 13, 24, "f5"],
        "x/../../outside.html": ["d6", 14, 25, "f6"],
        "/etc/passwd": ["d7", 15, 26, "f7"],
        ".masthead-staging/x.html": ["d8", 16, 27, "f8"],
    }
    path = tmp_path / MANIFEST_NAME
    path.write_text(json.dumps({"version": 2, "files": rows, "folders": []}), encoding="utf-8")
    files = read_manifest_file(path).files
    assert files == {
        "a/index.html": Entry("d1", 10, 20, "f1"),
        "b/index.html": Entry("d2", 11, 21, ""),
        "d/index.html": Entry("d4", 12, 23, ""),
    }
    assert all(type(entry) is Entry for entry in files.values())
