"""The output folder is masthead's to write, never anyone else's to lose.

One writer per output folder (a second build waits, or fails with --no-wait); files,
folders and links in output/ that masthead did not make are left alone; every output path
is checked while planning; a commit that fails (a full disk, a permission) leaves complete
files, a manifest that says what is there, no staging, and a site the next build repairs.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sitegen import (
    CACHE_DIR,
    CACHE_FILE,
    MANIFEST,
    REPO,
    STAGING,
    generate_site,
    masthead,
    ok,
    output_tree,
    set_config,
    tree_difference,
)

from masthead import cli, write
from masthead.lock import HOLDER_FILE, OutputBusy, output_lock
from masthead.model import BuildOptions
from masthead.pipeline import build

# -- one writer per output folder ---------------------------------------------------------------


def _start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "masthead.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


@pytest.mark.slow  # concurrent builds
def test_two_builds_at_once_give_the_site_of_the_last_one(tmp_path):
    site = tmp_path / "site"
    specs = generate_site(site, 600, per_page=10)
    drafts = [s for s in specs[::7]]
    for spec in drafts:  # some drafts, so that --drafts builds another site
        path = site / "content" / spec.rel
        path.write_text(path.read_text("utf-8").replace("---\n", "---\ndraft: true\n", 1), "utf-8")
    first = _start("build", "--site", site, "--jobs", "2")
    holder = site / "output" / HOLDER_FILE  # written once the first build holds the lock
    deadline = time.monotonic() + 60
    while not holder.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = _start("build", "--site", site, "--drafts", "--jobs", "2")
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0, outs[0]
    assert second.returncode == 0, outs[1]
    waited = [i for i, (_, err) in enumerate(outs) if "masthead: waiting for process" in err]
    assert len(waited) == 1, outs  # one of them waited for the other, and said so
    last = ("--drafts",) if waited[0] == 1 else ()
    ok(masthead("build", "--site", site, "--no-cache", "--output", tmp_path / "ref", *last))
    got, want = output_tree(site / "output"), output_tree(tmp_path / "ref")
    assert not tree_difference(got, want)
    assert not (site / "output" / STAGING).exists()
    # And the next build agrees there is nothing to do.
    again = ok(masthead("build", "--site", site, *last))
    assert "0 written" in again.stdout


@pytest.mark.slow  # concurrent builds
def test_builds_into_different_folders_share_the_cache_side_by_side(tmp_path):
    site = tmp_path / "site"
    generate_site(site, 400, per_page=10)
    procs = [
        _start("build", "--site", site, "--jobs", "2", "--output", tmp_path / f"out{n}")
        for n in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert not any("waiting" in err for _, err in outs)
    ok(masthead("build", "--site", site, "--no-cache", "--output", tmp_path / "ref"))
    want = output_tree(tmp_path / "ref")
    for n in range(3):
        assert not tree_difference(output_tree(tmp_path / f"out{n}"), want)
    again = ok(masthead("build", "--site", site, "--output", tmp_path / "out0", "-v"))
    assert "0 parsed" in again.stdout or "0 written" in again.stdout


def test_no_wait_fails_at_once_naming_the_holder(make_site, md):
    site = make_site({"content/a.md": md()})
    output = site / "output"
    with output_lock(output):
        (output / STAGING).mkdir()
        (output / STAGING / "holder.json").write_text(
            json.dumps({"pid": 4242, "host": "newsroom", "started": "2026-12-01 10:00:00"})
        )
        started = time.monotonic()
        done = masthead("build", "--site", site, "--no-wait")
        assert time.monotonic() - started < 20
    assert done.returncode == 75
    assert done.stderr.splitlines() == [
        "masthead: the output folder is being written by process 4242 on newsroom, started "
        "2026-12-01 10:00:00; try again when it is done, or leave out --no-wait to wait for it"
    ]
    assert not (output / "index.html").exists()


def test_the_lock_is_per_folder(make_site, md):
    site = make_site({"content/a.md": md()})
    with output_lock(site / "output"):
        with pytest.raises(OutputBusy):
            build(site, BuildOptions(wait=False))
        report = build(site, BuildOptions(wait=False, output=str(site / "elsewhere")))
        assert not report.errors


def test_a_waiting_build_says_so_once(make_site, md):
    site = make_site({"content/a.md": md()})
    output = site / "output"
    with output_lock(output):
        proc = _start("build", "--site", site)
        stuck = threading.Timer(60, proc.kill)  # a build that never says so fails, not hangs
        stuck.start()
        said = proc.stderr.readline()  # the build says it waits, then waits
        assert said.startswith("masthead: waiting for"), said
        assert proc.poll() is None  # still waiting
    _, err = proc.communicate(timeout=60)
    stuck.cancel()
    assert proc.returncode == 0, said + err
    assert (said + err).count("masthead: waiting for") == 1


# -- what is in the output folder already -----------------------------------------------------


@pytest.fixture
def built(make_site, md):
    """A site built once (so its output has a manifest)."""
    site = make_site(
        {
            "content/2017/09/a.md": md("Talks resume", tags="[Syria]"),
            "content/2017/09/b.md": md("Rates held", date="2017-09-20", category="Business"),
        }
    )
    assert not build(site).errors
    return site


@pytest.mark.parametrize("rel", ["robots.txt", "tag/syria/index.html", "index.html"])
def test_a_file_masthead_did_not_write_is_never_overwritten(make_site, md, rel):
    site = make_site({"content/2017/09/a.md": md("Talks resume", tags="[Syria]")})
    mine = site / "output" / rel
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"made by hand\n")
    report = build(site)
    assert [str(p) for p in report.errors] == [
        f"output/{rel}: error: exists but was not written by masthead; move it away, or build "
        "with --overwrite to let masthead replace it"
    ]
    assert mine.read_bytes() == b"made by hand\n"
    assert not (site / "output" / MANIFEST).exists()
    # check finds it too, and writes nothing
    assert [p.path for p in build(site, BuildOptions(write=False)).errors] == [f"output/{rel}"]
    # --overwrite takes it over; from then on it is masthead's (and pruned when not produced)
    assert not build(site, BuildOptions(overwrite=True)).errors
    assert mine.read_bytes() != b"made by hand\n"


def test_many_foreign_files_are_counted_not_listed(make_site, md):
    site = make_site({f"content/2017/09/a{n}.md": md(f"Story {n}") for n in range(30)})
    assert not build(site).errors
    (site / "output" / MANIFEST).unlink()  # deleted by a deploy tool, say
    report = build(site)
    assert len(report.errors) == 21
    [summary] = [p for p in report.errors if p.message.startswith("and ")]
    assert summary.path == "output/"
    assert "there is no .masthead-manifest.json" in summary.message


def test_a_file_of_the_users_where_a_folder_goes(make_site, md):
    site = make_site({"content/2017/09/a.md": md("Talks resume", tags="[Syria]")})
    (site / "output").mkdir()
    (site / "output" / "tag").write_bytes(b"mine")
    [error] = build(site, BuildOptions(overwrite=True)).errors
    assert error.path == "output/tag/"
    assert "where the build needs a folder" in error.message
    assert (site / "output" / "tag").read_bytes() == b"mine"


def test_files_and_empty_folders_of_the_user_survive_every_build(built, md):
    output = built / "output"
    (output / "CNAME").write_text("news.example.org\n")
    (output / "downloads").mkdir()
    (output / "tag" / "syria" / "notes.txt").write_text("mine\n")
    (built / "content/2017/09/a.md").unlink()  # its pages and the Syria tag go
    report = build(built)
    assert not report.errors and report.removed
    assert (output / "CNAME").read_text() == "news.example.org\n"
    assert (output / "downloads").is_dir()
    assert (output / "tag" / "syria" / "notes.txt").read_text() == "mine\n"
    assert not (output / "tag" / "syria" / "index.html").exists()
    assert not (output / "2017" / "09" / "23").exists()  # folders masthead made, now empty


def test_masthead_never_writes_or_removes_through_a_link(built, tmp_path, md):
    output = built / "output"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(output / "tag", elsewhere)
    os.symlink(elsewhere, output / "tag")
    before = {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()}
    story = built / "content/2017/09/a.md"
    story.write_text(story.read_text().replace("Talks resume", "Talks resume again"))
    report = build(built)  # the Syria tag page changes, and lies behind a link
    assert report.errors
    assert report.errors[0].path == "output/tag/"
    assert "symbolic link" in report.errors[0].message
    story.unlink()  # its tag page would be removed: but not through the link
    assert not build(built).errors
    assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == before
    # clean does not follow the link either
    assert masthead("clean", "--site", built).returncode == 0
    assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == before
    assert (output / "tag").is_symlink()


def test_an_output_path_that_is_a_file(make_site, md):
    site = make_site({"content/a.md": md(), "output": "not a folder"})
    done = masthead("build", "--site", site)
    assert done.returncode == 2
    assert done.stderr.endswith(
        "output is a file, not a folder: remove it or choose another output folder\n"
    )
    assert (site / "output").read_text() == "not a folder"


def test_a_manifest_naming_impossible_files_cannot_stop_later_builds(built):
    manifest = built / "output" / MANIFEST
    data = json.loads(manifest.read_text())
    data["files"]["x" * 300 + "/index.html"] = ["0" * 64, 1, 1, "f"]
    data["files"][("y" * 250 + "/") * 20 + "index.html"] = ["0" * 64, 1, 1, "f"]
    manifest.write_text(json.dumps(data))
    ok(masthead("build", "--site", built))
    manifest.write_text(json.dumps(data))
    ok(masthead("build", "--site", built, "--no-cache"))
    manifest.write_text(json.dumps(data))
    ok(masthead("clean", "--site", built))


# -- every output path checked while planning ---------------------------------------------------


def test_a_path_too_long_for_the_file_system_is_found_before_anything_is_written(make_site, md):
    long_name = "ر" * 100  # 200 bytes in UTF-8: fine as a slug, too long with a category
    site = make_site(
        {
            "pyproject.toml": '[tool.masthead]\nbase_url = "https://example.org/"\n'
            'permalink = "{year}/{category}-{slug}/"\n',
            "content/a.md": md(f'"{long_name}"', category=f'"{long_name}"'),
        }
    )
    for write_it in (False, True):
        report = build(site, BuildOptions(write=write_it))
        [error] = report.errors
        assert error.path == "content/a.md" and error.line == 2
        assert "over the 255 a file system allows" in error.message
    assert not (site / "output").exists()


def test_a_file_where_another_page_needs_a_folder(make_site, md):
    site = make_site(
        {
            "pyproject.toml": '[tool.masthead]\nbase_url = "https://example.org/"\n'
            'permalink = "{year}/{slug}.html"\n',
            "content/a.md": md("v1"),
            "content/b.md": md("Other", aliases='["/2017/v1.html/old.html"]'),
        }
    )
    done = masthead("check", "--site", site)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "content/a.md:2: error: the article page from content/a.md:2 writes the file "
        "2017/v1.html, where the alias page from content/b.md:6 needs a folder; change a slug "
        "or an alias",
        "content/b.md:6: error: the article page from content/a.md:2 writes the file "
        "2017/v1.html, where the alias page from content/b.md:6 needs a folder; change a slug "
        "or an alias",
    ]


def test_an_alias_that_is_another_articles_url(make_site, md):
    site = make_site(
        {
            "content/a.md": md("Notes", slug="v1.2", date="2020-01-01"),
            "content/b.md": md("Other", aliases='["/2020/01/01/v1.2"]'),
        }
    )
    report = build(site, BuildOptions(keep_going=True))
    assert [(p.path, p.line) for p in report.errors] == [("content/a.md", 6), ("content/b.md", 6)]
    assert "remove the alias" in report.errors[0].message


def test_an_alias_equal_to_the_articles_own_url_is_ignored(make_site, md):
    site = make_site(
        {
            "content/a.md": md(
                "Talks resume",
                aliases='["/2017/09/23/talks-resume/", "/2017/09/23/talks-resume/index.html", '
                '"2017/09/23/talks-resume"]',
            )
        }
    )
    report = build(site)
    assert not report.problems
    page = (site / "output/2017/09/23/talks-resume/index.html").read_text()
    assert "http-equiv" not in page  # the article itself, not a redirect


def test_an_alias_with_a_dot_in_its_last_segment_is_a_folder(make_site, md):
    site = make_site({"content/a.md": md(aliases='["/en/blog/release/v8.1.2/"]')})
    assert not build(site).errors
    assert (site / "output/en/blog/release/v8.1.2/index.html").is_file()


def test_names_differing_only_in_case_warn(make_site, md):
    site = make_site(
        {"content/a.md": md("One", slug="Talks"), "content/b.md": md("Two", slug="talks")}
    )
    report = build(site)
    assert not report.errors
    [warning] = [p for p in report.problems if "letter case" in p.message]
    assert warning.severity == "warning"


# -- a commit that fails --------------------------------------------------------------------


def _site_and_next_version(root: Path) -> tuple[Path, dict[str, bytes]]:
    """A built site, its files now edited (every page changes), and the expected result."""
    site = root / "site"
    generate_site(site, 40, per_page=5)
    ok(masthead("build", "--site", site))
    set_config(site, "title", '"The Evening Edition"')
    ok(masthead("build", "--site", site, "--no-cache", "--output", root / "ref"))
    return site, output_tree(root / "ref")


def _assert_consistent(output: Path, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Each file is complete (the old or the new version); the manifest names every file
    masthead wrote, and every entry whose stat the next build would trust holds the bytes it
    says; no staging is left."""
    got = output_tree(output)
    for rel, data in got.items():
        assert data in (old.get(rel), new.get(rel)), f"{rel} is neither version"
    manifest = write.read_manifest(output)
    assert set(got) <= set(manifest.files)
    for rel, entry in manifest.files.items():
        path = output / rel
        if path.is_file():
            found = path.stat()
            if (found.st_size, found.st_mtime_ns) == (entry.size, entry.mtime_ns):
                assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.digest, rel
    assert manifest.memo is None or got == new
    assert not (output / STAGING).exists()


@pytest.mark.slow  # a full disk (or a permission) at 12 points of a commit
@pytest.mark.parametrize("fail_at", [1, 2, 25, 10_000])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_commit_that_fails_part_way_leaves_a_site_the_next_build_repairs(
    tmp_path, monkeypatch, fail_at, code
):
    site, new = _site_and_next_version(tmp_path)
    old = output_tree(site / "output")
    calls = {"n": 0}
    real_replace = os.replace

    def failing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == fail_at or (fail_at == 10_000 and str(dst).endswith(MANIFEST)):
            raise OSError(code, os.strerror(code), str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(write.os, "replace", failing_replace)
    report = build(site)
    monkeypatch.undo()
    assert report.output_failed
    [error] = report.errors
    assert error.path == "output/"
    assert "\n" not in error.message
    _assert_consistent(site / "output", old, new)
    assert not build(site).errors  # the next build repairs everything
    assert not tree_difference(output_tree(site / "output"), new)


@pytest.mark.slow  # a full disk
def test_a_full_disk_while_staging_keeps_the_previous_output(tmp_path):
    site, new = _site_and_next_version(tmp_path)
    before = output_tree(site / "output")
    manifest_before = (site / "output" / MANIFEST).read_bytes()
    limit = min(len(v) for k, v in new.items() if k.endswith(".html")) - 1

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "masthead.cli", "build", "--site", str(site), "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=small_files,
        timeout=300,
        check=False,
    )
    assert done.returncode == 74, done.stderr
    [line] = [ln for ln in done.stderr.splitlines() if ": error: " in ln]
    assert line.startswith("output/: error: ")
    assert line.endswith("the previous output is intact")
    assert "Traceback" not in done.stderr
    assert output_tree(site / "output") == before
    assert (site / "output" / MANIFEST).read_bytes() == manifest_before
    assert not (site / "output" / STAGING).exists()
    ok(masthead("build", "--site", site))
    assert not tree_difference(output_tree(site / "output"), new)


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.slow  # a full disk
def test_a_real_full_disk(tmp_path):
    disk = tmp_path / "disk"
    if os.geteuid() != 0 or shutil.which("mount") is None or not _mount_tmpfs(disk, "600k"):
        pytest.skip("cannot mount a small file system here (needs root and mount rights)")
    try:
        site = tmp_path / "site"
        generate_site(site, 150, per_page=5)
        done = masthead("build", "--site", site, "--output", disk / "out")
        assert done.returncode == 74, done.stderr
        assert "the disk is full" in done.stderr
        assert "Traceback" not in done.stderr
        assert not (disk / "out" / STAGING).exists()
        assert not os.listdir(disk / "out") if (disk / "out").exists() else True
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# -- the cache ---------------------------------------------------------------------------------


def test_a_cache_folder_that_is_a_file_is_a_warning(make_site, md):
    site = make_site({"content/a.md": md(), ".masthead-cache": "not a folder"})
    done = ok(masthead("build", "--site", site))
    assert ".masthead-cache/: warning: cannot use the cache: " in done.stderr
    assert "building without it" in done.stderr
    assert (site / "output/index.html").is_file()


def test_a_corrupt_row_in_the_cache_is_parsed_again(make_site, md):
    site = make_site({"content/a.md": md("Talks resume"), "content/b.md": md("Rates held")})
    ok(masthead("build", "--site", site))
    reference = output_tree(site / "output")
    db = sqlite3.connect(site / CACHE_DIR / CACHE_FILE)
    db.execute("UPDATE sources SET meta = x'00ff00' WHERE rel = 'a.md'")
    db.execute("UPDATE sources SET body = NULL WHERE rel = 'b.md'")
    db.commit()
    db.close()
    (site / "output" / "2017/09/23/talks-resume/index.html").unlink()
    (site / "output" / "2017/09/23/rates-held/index.html").unlink()
    ok(masthead("build", "--site", site))
    assert output_tree(site / "output") == reference


# -- never a traceback ---------------------------------------------------------------------------


def test_an_internal_error_is_one_line_and_exit_70(make_site, md, monkeypatch, capsys):
    site = make_site({"content/a.md": md()})

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(cli, "build", broken)
    assert cli.main(["build", "--site", str(site)]) == 70
    err = capsys.readouterr().err
    assert err == (
        "masthead: internal error: RuntimeError: something nobody foresaw; rerun with --debug "
        "for details\n"
    )
    assert cli.main(["build", "--site", str(site), "--debug"]) == 70
    assert "Traceback" in capsys.readouterr().err
