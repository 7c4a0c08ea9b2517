"""The output manifest written as a delta: a build that changed a few files records the
difference from the full manifest, never a mix of two builds' manifests."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest
from sitegen import (
    DELTA,
    MANIFEST,
    STAGING,
    generate_site,
    masthead,
    ok,
    output_tree,
    tree_difference,
    write_spec,
)

from masthead import manifest as manifest_module
from masthead import write
from masthead.incremental.session import Session
from masthead.manifest import (
    DELTA_NAME,
    MANIFEST_NAME,
    Base,
    Entry,
    Manifest,
    read_manifest_file,
    write_manifest,
)
from masthead.model import BuildOptions
from masthead.pipeline import build


def entry(n: int) -> Entry:
    return Entry(f"digest-{n}", n, n * 10, f"print-{n}")


def pages(n: int) -> dict[str, Entry]:
    return {f"p{i}/index.html": entry(i) for i in range(n)}


def folders_of(files: dict[str, Entry]) -> set[str]:
    return {rel.rpartition("/")[0] for rel in files}


def full_and_delta(folder: Path, n: int) -> tuple[Path, dict[str, Entry], Base]:
    """A full manifest of ``n`` pages in ``folder``, and a delta that changes one of them."""
    path = folder / MANIFEST_NAME
    files = pages(n)
    base = write_manifest(path, files, None, folders_of(files))
    write_manifest(path, {**files, "p1/index.html": entry(101)}, None, folders_of(files), base)
    return path, files, base


# -- the files on disk ---------------------------------------------------------------------


def test_a_small_change_is_a_delta_and_reads_back_as_the_whole_manifest(tmp_path):
    path = tmp_path / MANIFEST_NAME
    files = pages(200)
    base = write_manifest(path, files, {"inputs": "a"}, folders_of(files))
    full = path.read_bytes()
    changed = {**files, "p1/index.html": entry(100), "new/index.html": entry(7)}
    del changed["p2/index.html"]

    assert write_manifest(path, changed, {"inputs": "b"}, folders_of(changed), base) is base

    assert path.read_bytes() == full  # the full manifest is not written again
    delta = json.loads((tmp_path / DELTA_NAME).read_text())
    assert delta["base"] == base.id
    assert delta["files"]["p2/index.html"] is None
    assert delta["added"] == ["new"] and delta["removed"] == ["p2"]
    got = read_manifest_file(path)
    assert got == Manifest(changed, frozenset(folders_of(changed)), {"inputs": "b"})
    assert got.base is not None and got.base.id == base.id


def test_each_delta_is_against_the_full_manifest_not_the_last_delta(tmp_path):
    path, files, base = full_and_delta(tmp_path, 40)
    second = {**files, "p3/index.html": entry(103)}  # p1 is back as the base had it
    write_manifest(path, second, None, folders_of(second), base)
    assert set(json.loads((tmp_path / DELTA_NAME).read_text())["files"]) == {"p3/index.html"}
    assert read_manifest_file(path).files == second


def test_a_large_change_writes_a_new_full_manifest_and_drops_the_delta(tmp_path):
    path, files, base = full_and_delta(tmp_path, 64)
    assert (tmp_path / DELTA_NAME).is_file()
    large = {rel: entry(1000 + i) for i, rel in enumerate(files)}

    rebased = write_manifest(path, large, {"m": 1}, folders_of(large), base)

    assert rebased.id != base.id
    assert not (tmp_path / DELTA_NAME).exists()
    assert json.loads(path.read_text())["id"] == rebased.id
    assert read_manifest_file(path) == Manifest(large, frozenset(folders_of(large)), {"m": 1})


def test_a_delta_left_beside_a_newer_full_manifest_is_ignored(tmp_path):
    """A build killed after writing a new full manifest, before removing the old delta."""
    path, files, _ = full_and_delta(tmp_path, 40)
    stale = (tmp_path / DELTA_NAME).read_bytes()
    newer = {**files, "p5/index.html": entry(105)}
    write_manifest(path, newer, {"m": 2}, folders_of(newer))  # a new full manifest
    (tmp_path / DELTA_NAME).write_bytes(stale)
    assert read_manifest_file(path) == Manifest(newer, frozenset(folders_of(newer)), {"m": 2})


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"base": "%s", "files": [], "added": [], "removed": []}',
        '{"base": "%s", "files": {}, "added": {}, "removed": []}',
        '{"base": "%s", "files": {}, "added": [], "removed": "p1"}',
        '{"files": {}, "added": [], "removed": []}',
        "\udcff",
    ],
)
def test_a_damaged_delta_leaves_the_full_manifest(tmp_path, text):
    path = tmp_path / MANIFEST_NAME
    files = pages(20)
    base = write_manifest(path, files, {"m": 1}, folders_of(files))
    data = text.replace("%s", base.id) if "%s" in text else text
    (tmp_path / DELTA_NAME).write_bytes(data.encode("utf-8", "surrogateescape"))
    assert read_manifest_file(path) == Manifest(files, frozenset(folders_of(files)), {"m": 1})


def test_a_delta_cannot_name_a_file_outside_the_output_or_of_masthead(tmp_path):
    path = tmp_path / MANIFEST_NAME
    files = pages(20)
    base = write_manifest(path, files, None, folders_of(files))
    row = ["d", 1, 1, "f"]
    delta = {
        "base": base.id,
        "files": {"../escape.html": row, ".masthead-cache/x": row, "/abs": row, "ok.html": row,
                  "p1/index.html": [1, "not", "a", "row"]},
        "added": ["..", "good", "a//b"],
        "removed": [],
    }  # fmt: skip
    (tmp_path / DELTA_NAME).write_text(json.dumps(delta))
    got = read_manifest_file(path)
    assert set(got.files) - set(files) == {"ok.html"}
    assert got.files["p1/index.html"] == files["p1/index.html"]
    assert got.folders - frozenset(folders_of(files)) == {"good"}


def test_a_manifest_without_an_id_takes_no_delta(tmp_path):
    """A manifest of an earlier masthead (or one edited by hand) has no id to match."""
    path = tmp_path / MANIFEST_NAME
    path.write_text(json.dumps({"version": 2, "files": {"a.html": ["d", 1, 1, "f"]}}))
    delta = {"base": None, "files": {"b.html": ["d", 1, 1, "f"]}, "added": [], "removed": []}
    (tmp_path / DELTA_NAME).write_text(json.dumps(delta))
    got = read_manifest_file(path)
    assert set(got.files) == {"a.html"} and got.base is None
    assert write_manifest(path, got.files, None, (), got.base).id  # a full one, with an id
    assert not (tmp_path / DELTA_NAME).exists()


# -- builds --------------------------------------------------------------------------------


@pytest.fixture
def deltas(monkeypatch):
    """Every change smaller than the whole manifest is written as a delta (as in archives
    of thousands of pages, where one edit changes a few dozen of them)."""
    monkeypatch.setattr(manifest_module, "REBASE_SHARE", 1)


@pytest.fixture
def built(tmp_path) -> tuple[Path, list]:
    site = tmp_path / "site"
    specs = generate_site(site, 40, per_page=5)
    assert not build(site).errors
    return site, specs


def edit(site: Path, spec, words: str) -> None:
    write_spec(site, spec.with_(paragraphs=(*spec.paragraphs, words)))


def reference(site: Path, root: Path) -> dict[str, bytes]:
    ok(masthead("build", "--site", site, "--no-cache", "--output", root))
    return output_tree(root)


def test_an_edit_writes_a_delta_and_the_site_is_the_clean_builds(built, deltas, tmp_path):
    site, specs = built
    output = site / "output"
    full = (output / MANIFEST).read_bytes()
    edit(site, specs[20], "An added paragraph.")

    report = build(site)

    assert not report.errors and report.written
    assert (output / MANIFEST).read_bytes() == full
    assert (output / DELTA).is_file()
    assert not tree_difference(output_tree(output), reference(site, tmp_path / "ref"))
    manifest = write.read_manifest(output)
    for rel, known in manifest.files.items():
        assert hashlib.sha256((output / rel).read_bytes()).hexdigest() == known.digest, rel
    again = build(site)  # the memo in the delta says nothing changed
    assert again.rendered == 0 and again.written == 0


def test_removing_an_article_through_a_delta_removes_its_pages(built, deltas, tmp_path):
    site, specs = built
    output = site / "output"
    (site / "content" / specs[7].rel).unlink()
    assert not build(site).errors
    assert (output / DELTA).is_file()
    assert not tree_difference(output_tree(output), reference(site, tmp_path / "ref"))
    assert set(write.read_manifest(output).files) == set(output_tree(output))


def test_clean_removes_the_manifest_and_its_delta(built, deltas):
    site, specs = built
    edit(site, specs[3], "More.")
    assert not build(site).errors
    ok(masthead("clean", "--site", site))
    leftovers = [p.name for p in (site / "output").glob(".masthead-manifest*")]
    assert leftovers == []


def test_a_preview_session_sees_a_delta_another_build_wrote(built, deltas, tmp_path):
    site, specs = built
    session = Session()
    options = BuildOptions()
    assert not build(site, options, None, session).errors
    edit(site, specs[10], "Written by another build.")
    assert not build(site).errors  # a separate process, say: it writes only the delta
    edit(site, specs[11], "Then by the session.")
    assert not build(site, options, None, session).errors
    assert not tree_difference(output_tree(site / "output"), reference(site, tmp_path / "ref"))


@pytest.mark.parametrize("fail_at", ["page", "delta"])
def test_a_commit_that_fails_keeps_a_manifest_that_says_what_is_there(
    built, deltas, tmp_path, monkeypatch, fail_at
):
    site, specs = built
    output = site / "output"
    old = output_tree(output)
    edit(site, specs[15], "A paragraph that never lands, or lands unrecorded.")
    new = reference(site, tmp_path / "ref")
    real_replace = os.replace

    def failing_replace(src, dst):
        is_delta = str(dst).endswith(DELTA_NAME)
        if is_delta == (fail_at == "delta") and not str(dst).endswith(MANIFEST_NAME):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(write.os, "replace", failing_replace)
    monkeypatch.setattr(manifest_module.os, "replace", failing_replace)
    report = build(site)
    monkeypatch.setattr(write.os, "replace", real_replace)
    monkeypatch.setattr(manifest_module.os, "replace", real_replace)

    assert report.output_failed
    got = output_tree(output)
    for rel, data in got.items():
        assert data in (old.get(rel), new.get(rel)), f"{rel} is neither version"
    manifest = write.read_manifest(output)
    for rel, known in manifest.files.items():
        found = (output / rel).stat()
        if (found.st_size, found.st_mtime_ns) == (known.size, known.mtime_ns):
            assert hashlib.sha256((output / rel).read_bytes()).hexdigest() == known.digest, rel
    assert not (output / STAGING).exists()
    assert not build(site).errors  # the next build repairs everything
    assert not tree_difference(output_tree(output), new)


def test_a_delta_nested_too_deep_leaves_the_full_manifest(tmp_path):
    path = tmp_path / MANIFEST_NAME
    files = pages(20)
    write_manifest(path, files, None, folders_of(files))
    (tmp_path / DELTA_NAME).write_text("[" * 100_000)
    assert read_manifest_file(path).files == files


def test_the_next_build_removes_manifest_files_a_killed_build_was_writing(built, deltas):
    site, specs = built
    output = site / "output"
    leftovers = [output / f"{MANIFEST}.4242.tmp", output / f"{DELTA}.4242.tmp"]
    for path in leftovers:
        path.write_text("{half")
    edit(site, specs[9], "After a kill.")
    assert not build(site).errors
    assert not any(path.exists() for path in leftovers)
