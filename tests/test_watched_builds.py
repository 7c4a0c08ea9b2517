"""Builds a watcher vouches for: the preview server tells each build which sources changed
(``Session.saw_changes``), and the build looks at only those instead of the stat of every
source and every row of the parse cache.

The promise is the session's: after every change the output equals a clean build's. Here
the changes are the ones a watcher reports (edits, new, removed and renamed files, broken
ones), plus those it cannot see (a link's target), a build that fails half-way, and a
build that no watcher vouched for.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sitegen import Spec, clean_build, generate_site, output_tree, tree_difference, write_spec

from masthead.incremental import cache, memo, parsing
from masthead.incremental.session import Session
from masthead.model import BuildOptions, BuildReport
from masthead.pipeline import build

N = 24


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, list[Spec]]:
    folder = tmp_path / "site"
    return folder, generate_site(folder, N, per_page=4)


@pytest.fixture
def walks(monkeypatch) -> list[Path]:
    """Every walk of the content folder by the check stage (clean builds, which use no
    cache, walk it in the load stage instead)."""
    found: list[Path] = []
    walk = memo.discover_sources

    def counted(content_path, *args):
        found.append(content_path)
        return walk(content_path, *args)

    monkeypatch.setattr(memo, "discover_sources", counted)
    return found


def shown(folder: Path, text: str) -> bool:
    """True when some page of the output shows ``text``."""
    return any(text in page.read_text("utf-8") for page in (folder / "output").rglob("*.html"))


def same_as_clean(folder: Path, tmp_path: Path, report: BuildReport, name: str) -> str:
    """What differs between the session's output and a clean build's (empty: nothing)."""
    reference = tmp_path / f"clean-{name}"
    clean = clean_build(folder, reference)
    difference = tree_difference(output_tree(folder / "output"), output_tree(reference))
    if report.errors or report.pages != clean.pages:
        difference += f" errors {report.errors}, pages {report.pages} against {clean.pages}"
    return difference


def test_watched_builds_equal_clean_builds_and_walk_nothing(site, tmp_path, walks):
    folder, specs = site
    content = folder / "content"
    session = Session()
    current = dict(enumerate(specs))

    def rewrite(i: int, **changes) -> set[str]:
        current[i] = current[i].with_(**changes)
        write_spec(folder, current[i])
        return {current[i].rel}

    def add() -> set[str]:
        rel = str(Path(specs[0].rel).parent / "new.md")  # a new folder would be a folder event
        spec = specs[0].with_(rel=rel, title="A new arrival", slug="a-new-arrival")
        write_spec(folder, spec)
        return {spec.rel}

    def remove() -> set[str]:
        (content / current[4].rel).unlink()
        return {current[4].rel}

    def rename() -> set[str]:
        old, new = current[5].rel, current[5].rel.replace(".md", "-moved.md")
        (content / old).rename(content / new)
        return {old, new}

    def break_yaml() -> set[str]:
        (content / current[3].rel).write_text("---\ntitle: [unclosed\n---\nBody\n")
        return {current[3].rel}

    def fix_yaml() -> set[str]:
        write_spec(folder, current[3])
        return {current[3].rel}

    def unchanged_but_reported() -> set[str]:
        return {current[9].rel}

    build(folder, BuildOptions(jobs=1), session=session)
    assert len(walks) == 1
    steps = [
        ("edit a body", lambda: rewrite(7, paragraphs=("A new first paragraph.",))),
        ("move an article to the newest date", lambda: rewrite(8, date="2031-01-01T09:00:00Z")),
        ("change its tags", lambda: rewrite(8, tags=("Brand New Tag",))),
        ("add an article", add),
        ("remove an article", remove),
        ("rename an article", rename),
        ("break an article's YAML", break_yaml),
        ("fix it again", fix_yaml),
        ("report a file that did not change", unchanged_but_reported),
    ]
    failures = []
    for number, (name, change) in enumerate(steps, start=1):
        session.saw_changes(frozenset(change()))
        report = build(folder, BuildOptions(jobs=1), session=session)
        if name == "break an article's YAML":
            assert report.errors, "a broken article fails the build"
            continue
        if difference := same_as_clean(folder, tmp_path, report, f"{number:02d}"):
            failures.append(f"after {name}: {difference}")
    assert not failures, "\n".join(failures)
    assert len(walks) == 1, "only the first build walked the content folder"


def test_a_build_no_watcher_vouched_for_checks_every_source(site, tmp_path, walks):
    folder, specs = site
    session = Session()
    build(folder, BuildOptions(jobs=1), session=session)
    session.saw_changes(frozenset())
    build(folder, BuildOptions(jobs=1), session=session)
    write_spec(folder, specs[2].with_(title="Changed while no one watched"))

    report = build(folder, BuildOptions(jobs=1), session=session)

    assert not same_as_clean(folder, tmp_path, report, "unvouched")
    assert shown(folder, "Changed while no one watched")
    assert len(walks) == 2, "the first build walked the content folder, and this one"


def test_a_watcher_that_lost_track_makes_the_build_check_every_source(site, tmp_path, walks):
    folder, specs = site
    session = Session()
    build(folder, BuildOptions(jobs=1), session=session)
    write_spec(folder, specs[2].with_(title="Seen by no event"))
    session.saw_changes(None)  # events were lost, or a folder moved
    session.saw_changes(frozenset({specs[3].rel}))  # a later burst does not undo that

    report = build(folder, BuildOptions(jobs=1), session=session)

    assert shown(folder, "Seen by no event")
    assert not same_as_clean(folder, tmp_path, report, "lost")


def test_a_linked_source_is_checked_though_no_watcher_sees_its_target(site, tmp_path):
    folder, specs = site
    outside = tmp_path / "elsewhere.md"
    linked = specs[0].with_(title="Linked story", slug="linked-story")
    outside.write_text(linked.text(), "utf-8")
    (folder / "content" / "2030").mkdir()
    (folder / "content" / "2030" / "linked.md").symlink_to(outside)
    session = Session()
    build(folder, BuildOptions(jobs=1), session=session)
    outside.write_text(linked.with_(title="Linked story, edited").text(), "utf-8")
    os.utime(outside, ns=(outside.stat().st_atime_ns, outside.stat().st_mtime_ns + 10**9))
    session.saw_changes(frozenset())  # the watcher of the content folder saw nothing

    report = build(folder, BuildOptions(jobs=1), session=session)

    assert report.parsed == 1
    assert not same_as_clean(folder, tmp_path, report, "linked")
    assert shown(folder, "Linked story, edited")


def test_changes_a_failed_build_did_not_load_are_loaded_by_the_next(site, tmp_path, monkeypatch):
    """A build that checked the sources but failed before loading them: the changes it saw
    are not lost, though the next build's watcher reports only its own."""
    folder, specs = site
    session = Session()
    build(folder, BuildOptions(jobs=1), session=session)
    write_spec(folder, specs[2].with_(title="First change"))
    session.saw_changes(frozenset({specs[2].rel}))
    load = parsing.load_sources

    def failing(*args, **kwargs):
        raise RuntimeError("a bug between the check and the load")

    monkeypatch.setattr(parsing, "load_sources", failing)
    with pytest.raises(RuntimeError):
        build(folder, BuildOptions(jobs=1), session=session)
    monkeypatch.setattr(parsing, "load_sources", load)
    write_spec(folder, specs[3].with_(title="Second change"))
    session.saw_changes(frozenset({specs[3].rel}))

    report = build(folder, BuildOptions(jobs=1), session=session)

    assert shown(folder, "First change") and shown(folder, "Second change")
    assert not same_as_clean(folder, tmp_path, report, "failed")


def test_a_watched_build_reads_only_the_rows_of_what_changed(site, monkeypatch):
    folder, specs = site
    session = Session()
    build(folder, BuildOptions(jobs=1), session=session)
    looked_up: list[str] = []
    row = cache.ParseCache.row

    def counted(self, rel):
        looked_up.append(rel)
        return row(self, rel)

    monkeypatch.setattr(cache.ParseCache, "row", counted)
    write_spec(folder, specs[6].with_(paragraphs=("Only this body changed.",)))
    session.saw_changes(frozenset({specs[6].rel}))

    report = build(folder, BuildOptions(jobs=1), session=session)

    assert (report.parsed, report.reused) == (1, N - 1)
    assert set(looked_up) == {specs[6].rel}


def test_a_watched_build_that_looks_at_many_sources_reads_every_row_at_once(
    site, tmp_path, monkeypatch
):
    """A checkout of many files in existing folders: one query for every row, not one per
    source."""
    folder, specs = site
    session = Session()
    build(folder, BuildOptions(jobs=1), session=session)
    monkeypatch.setattr(parsing, "FEW_ROWS", 2)
    looked_up: list[str] = []
    row = cache.ParseCache.row
    monkeypatch.setattr(
        cache.ParseCache,
        "row",
        lambda self, rel: looked_up.append(self.every_row) or row(self, rel),
    )
    changed = [specs[i].with_(title=f"Checked out {i}") for i in (1, 2, 3)]
    for spec in changed:
        write_spec(folder, spec)
    session.saw_changes(frozenset(spec.rel for spec in changed))

    report = build(folder, BuildOptions(jobs=1), session=session)

    assert report.parsed == 3
    assert looked_up and all(looked_up), "every row was read before any was looked up"
    assert not same_as_clean(folder, tmp_path, report, "many")
