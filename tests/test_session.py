"""The build Session: what the preview server keeps in memory from one build to the next.

Unit tests of Session and Table, then the promise that matters: builds in one session leave
exactly what a clean build leaves, after edits that a memo could get wrong (broken files,
reordering dates, hand-edited output), while redoing only what changed.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from sitegen import (
    Spec,
    clean_build,
    copy_theme_template,
    generate_site,
    output_tree,
    set_config,
    tree_difference,
    write_spec,
)

from masthead import index, plan
from masthead.incremental import cache, fingerprint
from masthead.incremental.session import Session
from masthead.model import BuildOptions
from masthead.pipeline import build

N = 40
PER_PAGE = 5

# -- Session and Table -----------------------------------------------------------------------


def test_a_result_is_reused_for_equal_inputs_and_computed_again_for_others():
    session = Session()
    calls = []

    def upper(value: str, n: int) -> str:
        calls.append(value)
        return value.upper()

    assert session.call(upper, "a", 1) == "A"
    session.finish_build()
    assert session.call(upper, "a", 1) == "A"  # equal arguments: not called again
    session.finish_build()
    assert session.call(upper, "b", 1) == "B"
    assert session.each(upper, "key", "c", 2) == "C"
    assert calls == ["a", "b", "c"]


def test_the_key_is_the_step_itself():
    session = Session()

    def one(x: int) -> str:
        return "one"

    def two(x: int) -> str:
        return "two"

    assert (session.call(one, 1), session.call(two, 1)) == ("one", "two")


def test_a_fresh_session_remembers_nothing():
    calls = []
    for _ in range(2):
        Session().call(calls.append, 1)
    assert calls == [1, 1]


def test_same_gives_back_the_equal_object_of_the_last_build():
    session = Session()
    first = ("a", 1)
    assert session.same("config", first) is first
    session.finish_build()
    assert session.same("config", ("a", 1)) is first
    session.finish_build()
    assert session.same("config", ("b", 1)) == ("b", 1)


def test_a_file_is_read_again_only_when_it_changed(tmp_path):
    path = tmp_path / "manifest.json"
    reads = []

    def read(p):
        reads.append(1)
        return p.read_text()

    session = Session()
    assert session.file(path, read, "missing") == "missing"
    path.write_text("one")
    assert session.file(path, read, "missing") == "one"
    session.finish_build()
    assert session.file(path, read, "missing") == "one"
    assert reads == [1]
    path.write_text("two!")
    assert session.file(path, read, "missing") == "two!"


def test_entries_a_build_did_not_use_are_forgotten():
    session = Session()
    table = session.table("pages")
    table.get("a", 1, lambda: "page a")
    table.get("b", 1, lambda: "page b")
    session.finish_build()
    session.table("pages").get("a", 1, lambda: "again")
    session.finish_build()
    assert session.table("pages").lookup("a", 1) == "page a"
    assert session.table("pages").lookup("b", 1) is None


def test_a_step_a_failed_build_never_reached_keeps_what_it_had():
    session = Session()
    session.call(str, "planned")
    session.finish_build()
    session.call(repr, "loaded")  # this build stops before planning
    session.finish_build()
    assert session.table("builtins.str").lookup(None, ("planned",)) == "planned"


def test_last_gives_the_previous_builds_result_whatever_its_inputs():
    session = Session()
    assert session.table("prints").last(None) is None
    session.table("prints").put(None, "inputs", "value")
    session.finish_build()
    assert session.table("prints").last(None) == "value"


def test_a_session_trusts_only_what_a_watcher_vouched_for_before_each_build():
    session = Session()
    assert session.unchecked() is None, "no build has checked the sources yet"
    session.saw_changes(frozenset({"a.md"}))
    assert session.unchecked() is None, "changes since an unknown state are unknown"
    session.checked()
    assert session.unchecked() is None, "no watcher vouched for this build"
    session.saw_changes(frozenset({"a.md"}))
    session.saw_changes(frozenset({"b.md"}))
    assert session.unchecked() == {"a.md", "b.md"}, "bursts add up"
    session.checked()
    session.saw_changes(frozenset({"c.md"}))
    assert session.unchecked() == {"c.md"}
    session.saw_changes(None)
    session.saw_changes(frozenset({"d.md"}))
    assert session.unchecked() is None, "once lost, until a build checks every source"


def test_carry_keeps_the_last_entry_whatever_its_inputs():
    session = Session()
    session.table("t").put("k", ("digest", "settings"), "value")
    session.finish_build()
    assert session.table("t").carry("k") == (("digest", "settings"), "value")
    assert session.table("t").carry("other") is None
    session.finish_build()
    assert session.table("t").last("k") == "value", "carried into the next build"


# -- Builds in one session equal clean builds --------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, list[Spec]]:
    folder = tmp_path / "site"
    return folder, generate_site(folder, N, per_page=PER_PAGE)


def test_session_builds_equal_clean_builds_through_errors_and_hand_edited_output(site, tmp_path):
    folder, specs = site
    output = folder / "output"
    session = Session()
    current = dict(enumerate(specs))

    def rewrite(i: int, **changes) -> None:
        current[i] = current[i].with_(**changes)
        write_spec(folder, current[i])

    def break_yaml() -> None:
        (folder / "content" / current[3].rel).write_text("---\ntitle: [unclosed\n---\nBody\n")

    def touch_without_change() -> None:
        path = folder / "content" / current[5].rel
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))

    def tamper_with_output() -> None:
        (output / "index.html").write_text("edited by hand", encoding="utf-8")
        next(output.glob("20*/*/*/*/index.html")).unlink()

    steps = [
        ("first build in the session", lambda: None),
        ("edit a body", lambda: rewrite(7, paragraphs=("A new first paragraph.",))),
        ("move an article to the newest date", lambda: rewrite(8, date="2031-01-01T09:00:00Z")),
        ("give it a summary", lambda: rewrite(8, summary="A summary of it.")),
        ("break an article's YAML", break_yaml),
        ("fix it again", lambda: write_spec(folder, current[3])),
        ("touch a file without changing it", touch_without_change),
        ("change its tags", lambda: rewrite(9, tags=("Brand New Tag",))),
        ("tamper with the output", tamper_with_output),
        ("change per_page", lambda: set_config(folder, "per_page", "3")),
        ("nothing changed", lambda: None),
    ]
    failures = []
    for number, (name, change) in enumerate(steps, start=1):
        change()
        report = build(folder, BuildOptions(jobs=1), session=session)
        if name == "break an article's YAML":
            assert report.errors, "a broken article fails the build"
            continue
        reference = tmp_path / f"clean-{number:02d}"
        clean = clean_build(folder, reference)
        difference = tree_difference(output_tree(output), output_tree(reference))
        if report.errors or difference or report.pages != clean.pages:
            failures.append(f"after {name}: {report.errors} {difference}")
    assert not failures, "\n".join(failures)


def test_an_edited_body_reads_one_record_and_reuses_the_index_and_the_plan(site, monkeypatch):
    folder, specs = site
    session = Session()
    build(folder, BuildOptions(jobs=1), session=session)
    calls: dict[str, list] = {"unpickled": [], "indexed": [], "planned": [], "printed": []}

    def counting(name: str, function):
        @functools.wraps(function)  # the same name: the session keys steps by it
        def counted(*args, **kwargs):
            calls[name].append(args)
            return function(*args, **kwargs)

        return counted

    monkeypatch.setattr(
        cache.ParseCache, "_unpickle", counting("unpickled", cache.ParseCache._unpickle)
    )
    monkeypatch.setattr(index, "index_shape", counting("indexed", index.index_shape))
    monkeypatch.setattr(plan, "index_pages", counting("planned", plan.index_pages))
    monkeypatch.setattr(fingerprint, "own_prints", counting("printed", fingerprint.own_prints))
    spec = specs[20].with_(paragraphs=("Only the body changed.",))
    write_spec(folder, spec)

    report = build(folder, BuildOptions(jobs=1), session=session)

    assert report.parsed == 1
    assert sum(len(rels) for _, rels in calls["unpickled"]) == 0, "records stay in memory"
    assert calls["indexed"] == [] and calls["planned"] == []
    # The new body changes the summary and word count lists show: the pages that list or
    # show the article are fingerprinted again, and those are exactly the ones rendered.
    assert len(calls["printed"]) == report.rendered < report.pages // 4


@pytest.mark.parametrize("lasting", [True, False])
def test_only_a_lasting_session_keeps_the_records_for_its_next_build(site, lasting) -> None:
    """A command's session (``lasting`` False) has no next build to keep the records for;
    the preview's keeps them for its next one."""
    folder, specs = site
    session = Session(lasting=lasting)
    first = build(folder, BuildOptions(jobs=1), session=session)
    assert not first.errors
    kept = session.table("parsed").previous
    assert len(kept) == (N if lasting else 0)
    write_spec(folder, specs[4].with_(paragraphs=("Changed.",)))
    again = build(folder, BuildOptions(jobs=1), session=session)
    assert not again.errors and again.parsed == 1
    assert again.reused == N - 1


@pytest.mark.parametrize("in_session", [False, True], ids=["fresh-process", "session"])
def test_a_template_naming_its_include_at_run_time_depends_on_every_template(
    site, tmp_path, in_session
):
    """``{% include name %}`` with a computed name could pull in any template: adding one
    renders the pages of such a template again."""
    folder, _ = site
    session = Session() if in_session else None
    template = copy_theme_template(folder, "article.html")
    text = template.read_text(encoding="utf-8")
    dynamic = '{% set note = "article-" ~ "note.html" %}{% include note ignore missing %}'
    template.write_text(text.replace("</article>", dynamic + "</article>", 1), encoding="utf-8")
    build(folder, BuildOptions(jobs=1), session=session)
    (folder / "templates" / "article-note.html").write_text("<p>A new note.</p>", "utf-8")

    report = build(folder, BuildOptions(jobs=1), session=session)

    clean_build(folder, tmp_path / "clean")
    assert tree_difference(output_tree(folder / "output"), output_tree(tmp_path / "clean")) == ""
    assert report.rendered >= N


def test_wrote_last_is_what_this_process_wrote_while_the_file_is_unchanged(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("one", encoding="utf-8")
    session = Session()
    written = {"files": 1}
    session.wrote_file(path, written)
    session.finish_build()
    found = session.file(path, lambda p: {"read": 1}, None)
    assert found is written and session.wrote_last(path, found)
    path.write_text("two!", encoding="utf-8")  # another process wrote it
    session.finish_build()
    found = session.file(path, lambda p: {"read": 2}, None)
    assert found == {"read": 2} and not session.wrote_last(path, found)


def test_an_own_output_is_trusted_only_while_this_session_wrote_it_last(
    site, tmp_path, monkeypatch
):
    """The preview server's folder is its own: its session keeps the pages it wrote without
    stat-ing each, and stat-s them again as soon as another build wrote the folder."""
    folder, specs = site
    output = tmp_path / "preview"
    options = BuildOptions(jobs=1, output=str(output), own_output=True)
    session = Session()
    assert not build(folder, options, session=session).errors
    stats = []
    lstat = os.lstat

    def counting(path, *args, **kwargs):
        if str(path).startswith(str(output)):
            stats.append(path)
        return lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", counting)
    appended = (*specs[7].paragraphs, "An appended sentence.")  # the plan stays: no check
    write_spec(folder, specs[7].with_(paragraphs=appended))
    report = build(folder, options, session=session)
    assert not report.errors and report.rendered < report.pages / 4
    trusted = len(stats)
    assert not clean_build(folder, tmp_path / "clean-1").errors
    assert not tree_difference(output_tree(output), output_tree(tmp_path / "clean-1"))

    page = next(output.glob("20*/*/*/*/index.html"))
    page.unlink()
    assert not build(folder, BuildOptions(jobs=1, output=str(output))).errors  # another build
    assert page.exists()
    page.write_text("edited by hand", encoding="utf-8")
    stats.clear()
    write_spec(folder, specs[7].with_(paragraphs=(*appended, "Another.")))
    assert not build(folder, options, session=session).errors
    assert len(stats) > trusted + report.pages / 2, "another build wrote it: every page stat-ed"
    clean_build(folder, tmp_path / "clean-2")
    assert not tree_difference(output_tree(output), output_tree(tmp_path / "clean-2"))
