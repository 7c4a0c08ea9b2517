"""The plan a build saves for the next process (masthead/incremental/snapshot.py).

Each build here starts from disk, as ``masthead build`` does: a fresh Session every time. A
build whose plan has the inputs of the saved one takes its pages instead of planning, and
fingerprints again only the pages an edit reaches; whatever it takes, its output is what a
clean build writes. A snapshot that is damaged, forged, made by other code or outside its
time window is never used.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sitegen import (
    CACHE_DIR,
    NOW,
    Spec,
    generate_site,
    output_tree,
    tree_difference,
    write_spec,
)

from masthead import index, pipeline
from masthead.incremental import snapshot as snapshots
from masthead.incremental.fingerprint import article_fingerprints
from masthead.model import BuildOptions, BuildReport
from masthead.pipeline import build

N = 24


def fresh_build(site: Path, **options) -> BuildReport:
    """``masthead build`` in a new process: cache on, a fresh Session."""
    report = build(site, BuildOptions(jobs=1, **options))
    assert not report.errors, report.errors
    return report


def assert_equals_clean(site: Path, tmp_path: Path, counter: CallCounter | None = None) -> None:
    """The site's output is what a clean build writes (whose planning ``counter`` skips)."""
    calls = counter.calls if counter else 0
    clean = tmp_path / "clean"
    report = build(site, BuildOptions(jobs=1, use_cache=False, output=str(clean)))
    assert not report.errors, report.errors
    difference = tree_difference(output_tree(site / "output"), output_tree(clean))
    assert not difference, difference
    if counter:
        counter.calls = calls


class CallCounter:
    """Counts calls of ``module.name`` (a build step) for the rest of the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: object, name: str):
        self.calls = 0
        original = getattr(module, name)

        def counting(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)


def PlanCounter(monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    """Counts calls of plan_pages: a build that takes the saved plan makes none."""
    return CallCounter(monkeypatch, pipeline, "plan_pages")


def IndexCounter(monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    """Counts calls of index_shape: a build that takes the saved index makes none."""
    return CallCounter(monkeypatch, index, "index_shape")


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, list[Spec]]:
    folder = tmp_path / "site"
    specs = generate_site(folder, N, per_page=5)
    fresh_build(folder)
    return folder, specs


def snapshot_files(site: Path) -> list[Path]:
    return sorted((site / CACHE_DIR).glob("plan-*.pickle"))


def edit_body(site: Path, spec: Spec, words: str = "A sentence added at the end.") -> Spec:
    edited = replace(spec, paragraphs=(*spec.paragraphs, words))
    write_spec(site, edited)
    return edited


def test_a_build_saves_one_snapshot_per_output_folder(site, tmp_path) -> None:
    folder, _ = site
    assert len(snapshot_files(folder)) == 1
    fresh_build(folder, output=str(tmp_path / "elsewhere"))
    assert len(snapshot_files(folder)) == 2


def test_a_body_edit_takes_the_saved_plan_and_renders_only_what_shows_it(
    site, tmp_path, monkeypatch
) -> None:
    folder, specs = site
    counter = PlanCounter(monkeypatch)
    edit_body(folder, specs[7])
    report = fresh_build(folder)
    assert counter.calls == 0, "the saved plan was not taken"
    assert 0 < report.rendered < report.pages // 10, report.rendered
    assert_equals_clean(folder, tmp_path, counter)
    edit_body(folder, specs[3], "Another sentence.")  # and again, from the same snapshot
    assert fresh_build(folder).rendered < report.pages // 10
    assert counter.calls == 0
    assert_equals_clean(folder, tmp_path, counter)


def test_a_changed_title_plans_again(site, tmp_path, monkeypatch) -> None:
    folder, specs = site
    counter = PlanCounter(monkeypatch)
    write_spec(folder, replace(specs[5], title="An entirely new headline"))
    fresh_build(folder)
    assert counter.calls == 1
    assert_equals_clean(folder, tmp_path, counter)
    edit_body(folder, specs[9])  # the new snapshot is taken by the next build
    fresh_build(folder)
    assert counter.calls == 1
    assert_equals_clean(folder, tmp_path, counter)


def test_a_template_edit_renders_its_pages_again_from_the_saved_plan(
    site, tmp_path, monkeypatch
) -> None:
    folder, _ = site
    counter = PlanCounter(monkeypatch)
    ours = folder / "templates" / "article.html"
    ours.parent.mkdir(parents=True, exist_ok=True)
    theme = Path(__file__).resolve().parent.parent / "templates" / "article.html"
    ours.write_text(theme.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    report = fresh_build(folder)
    assert report.rendered >= N
    assert_equals_clean(folder, tmp_path, counter)
    assert counter.calls <= 1


def test_a_body_edit_takes_the_saved_index(site, tmp_path, monkeypatch) -> None:
    folder, specs = site
    counter = IndexCounter(monkeypatch)
    edit_body(folder, specs[11])
    fresh_build(folder)
    assert counter.calls == 0, "the saved index was not taken"
    assert_equals_clean(folder, tmp_path, counter)


def test_an_edited_tag_indexes_again_and_the_next_edit_takes_the_new_index(
    site, tmp_path, monkeypatch
) -> None:
    folder, specs = site
    counter = IndexCounter(monkeypatch)
    write_spec(folder, replace(specs[6], tags=("A tag nobody used before",)))
    fresh_build(folder)
    assert counter.calls == 1
    assert (folder / "output" / "tag" / "a-tag-nobody-used-before" / "index.html").is_file()
    assert_equals_clean(folder, tmp_path)
    counter.calls = 0
    edit_body(folder, specs[9])
    fresh_build(folder)
    assert counter.calls == 0
    assert_equals_clean(folder, tmp_path)


def test_a_saved_index_renames_a_term_written_two_ways(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "site"
    specs = generate_site(folder, N, per_page=5)
    variant = replace(specs[4], tags=("Economy",))
    for spec in (replace(specs[2], tags=("economy",)), replace(specs[8], tags=("economy",))):
        write_spec(folder, spec)
    write_spec(folder, variant)
    first = fresh_build(folder)
    assert any('is written "economy"' in str(p) for p in first.problems)
    counter = IndexCounter(monkeypatch)
    edit_body(folder, variant)
    again = fresh_build(folder)
    assert counter.calls == 0
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    page = article_page(folder, variant)
    assert '<meta property="article:tag" content="economy">' in page
    assert 'content="Economy"' not in page
    assert_equals_clean(folder, tmp_path)


def article_page(folder: Path, spec: Spec) -> str:
    """The built page of a generated article (its folder name starts with the source's)."""
    stem = Path(spec.rel).stem
    pages = (folder / "output").rglob("index.html")
    [page] = [path for path in pages if path.parent.name.startswith(stem)]
    return page.read_text(encoding="utf-8")


def test_a_word_count_alone_leaves_the_planned_print(article) -> None:
    from masthead.model import Archive

    one = article(word_count=120)
    longer = replace(one, word_count=121)
    before = article_fingerprints(Archive(articles=(one,), terms={}, years=(), months=(), days=()))
    after = article_fingerprints(
        Archive(articles=(longer,), terms={}, years=(), months=(), days=())
    )
    assert before.planned == after.planned
    assert before.shown != after.shown


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle", b"\x80\x05K\x01."],
    ids=["empty", "garbage", "another-object"],
)
def test_a_damaged_snapshot_is_ignored(site, tmp_path, monkeypatch, damage: bytes) -> None:
    folder, specs = site
    for path in snapshot_files(folder):
        path.write_bytes(damage)
    counter = PlanCounter(monkeypatch)
    edit_body(folder, specs[2])
    fresh_build(folder)
    assert counter.calls == 1
    assert_equals_clean(folder, tmp_path, counter)
    assert snapshots.read_snapshot(snapshot_files(folder)[0], snapshots.code_fingerprint())


class Forged:
    def __reduce__(self):
        import os

        return (os.system, ("echo forged > forged.txt",))


def test_a_forged_snapshot_runs_nothing(site, tmp_path, monkeypatch) -> None:
    folder, specs = site
    monkeypatch.chdir(tmp_path)
    for path in snapshot_files(folder):
        path.write_bytes(pickle.dumps(Forged()))
    edit_body(folder, specs[2])
    fresh_build(folder)
    assert not (tmp_path / "forged.txt").exists()
    assert_equals_clean(folder, tmp_path)


def forge_in_place(path: Path, offset: int, length: int) -> None:
    """Overwrite ``length`` bytes of a snapshot file at ``offset`` with a forged pickle
    (padded with a pickle's STOP bytes), keeping the file's header and length."""
    forged = pickle.dumps(Forged())
    assert len(forged) <= length
    data = bytearray(path.read_bytes())
    data[offset : offset + length] = forged + b"." * (length - len(forged))
    path.write_bytes(bytes(data))


def test_a_forged_snapshot_behind_a_true_header_runs_nothing(site, tmp_path, monkeypatch) -> None:
    folder, specs = site
    monkeypatch.chdir(tmp_path)
    [path] = snapshot_files(folder)
    header = snapshots._HEADER.size
    forge_in_place(path, header, 200)
    counter = PlanCounter(monkeypatch)
    edit_body(folder, specs[2])
    fresh_build(folder)
    assert counter.calls == 1
    assert not (tmp_path / "forged.txt").exists()
    assert_equals_clean(folder, tmp_path, counter)


def test_a_forged_page_in_the_page_area_runs_nothing(site, tmp_path, monkeypatch) -> None:
    """Every page the edit reaches is read from the page area; forge them all."""
    folder, specs = site
    monkeypatch.chdir(tmp_path)
    [path] = snapshot_files(folder)
    saved = snapshots.read_snapshot(path, snapshots.code_fingerprint())
    assert saved is not None
    with open(path, "rb") as file:
        _, length = snapshots._read_header(file)
    start = snapshots._HEADER.size + length
    for page in saved.pages:
        offset, size = page.place
        forge_in_place(path, start + offset, size)
    counter = PlanCounter(monkeypatch)
    edit_body(folder, specs[5])
    fresh_build(folder)
    assert counter.calls == 1, "a forged page did not send the build back to planning"
    assert not (tmp_path / "forged.txt").exists()
    assert_equals_clean(folder, tmp_path, counter)


def test_a_cut_short_page_area_plans_again(site, tmp_path, monkeypatch) -> None:
    folder, specs = site
    [path] = snapshot_files(folder)
    with open(path, "rb") as file:
        _, length = snapshots._read_header(file)
    with open(path, "r+b") as file:
        file.truncate(snapshots._HEADER.size + length + 10)  # the snapshot, no pages
    assert snapshots.read_snapshot(path, snapshots.code_fingerprint()) is not None
    counter = PlanCounter(monkeypatch)
    edit_body(folder, specs[4])
    fresh_build(folder)
    assert counter.calls == 1
    assert_equals_clean(folder, tmp_path, counter)


def test_pages_are_read_only_from_the_file_of_their_snapshot(site) -> None:
    """A snapshot read before another build replaced its file reads no page of the new one."""
    folder, specs = site
    [path] = snapshot_files(folder)
    code = snapshots.code_fingerprint()
    before = snapshots.read_snapshot(path, code)
    assert before is not None
    with snapshots.PageFile(path, before.token) as stored:
        assert stored.load(before.pages[0]).url == before.pages[0].url
    write_spec(folder, replace(specs[3], title="A headline that plans again"))
    fresh_build(folder)
    after = snapshots.read_snapshot(path, code)
    assert after is not None and after.token != before.token
    with snapshots.PageFile(path, before.token) as stored, pytest.raises(pickle.UnpicklingError):
        stored.load(before.pages[0])


def test_the_page_area_copies_whole_and_closes_its_file(site) -> None:
    """A refreshed plan copies the page area; the file is closed once the copy has read it
    all, before the new snapshot replaces it."""
    folder, _ = site
    [path] = snapshot_files(folder)
    saved = snapshots.read_snapshot(path, snapshots.code_fingerprint())
    assert saved is not None
    with snapshots.PageFile(path, saved.token) as stored:
        area = b"".join(stored.chunks())
        assert stored.file is None
    assert len(area) == sum(length for _, length in (page.place for page in saved.pages))
    assert path.read_bytes().endswith(area)


def test_a_body_edit_reads_only_the_pages_it_renders_again(site, monkeypatch) -> None:
    folder, specs = site
    loaded = []
    original = snapshots.PageFile.load
    monkeypatch.setattr(
        snapshots.PageFile, "load", lambda self, item: loaded.append(item) or original(self, item)
    )
    edit_body(folder, specs[7])
    report = fresh_build(folder)
    assert 0 < len(loaded) <= report.rendered, (len(loaded), report.rendered)


def test_a_snapshot_of_other_code_is_ignored(site, tmp_path, monkeypatch) -> None:
    folder, specs = site
    monkeypatch.setattr(pipeline, "code_fingerprint", lambda: "another masthead")
    counter = PlanCounter(monkeypatch)
    edit_body(folder, specs[4])
    fresh_build(folder)
    assert counter.calls == 1
    assert_equals_clean(folder, tmp_path, counter)


def test_a_snapshot_outside_its_window_is_not_taken(site, tmp_path, monkeypatch) -> None:
    folder, specs = site
    fresh_build(folder, now=NOW)
    counter = PlanCounter(monkeypatch)
    edit_body(folder, specs[1])
    fresh_build(folder, now=NOW - timedelta(hours=1))  # before the saved plan's moment
    assert counter.calls == 1
    fresh_build(folder, now=NOW + timedelta(days=2))  # another day: "on this day" moves
    assert counter.calls == 2
    edit_body(folder, specs[2])
    fresh_build(folder, now=NOW + timedelta(days=2, hours=1))
    assert counter.calls == 2


def test_a_link_in_the_way_of_an_edited_page_is_refused(site, tmp_path) -> None:
    folder, specs = site
    edited = edit_body(folder, specs[6])
    output = folder / "output"
    day = output / edited.date[:4] / edited.date[5:7] / edited.date[8:10]
    page_folder = next(
        path
        for path in sorted(day.iterdir())
        if path.is_dir()
        and f"<h1>{edited.title}</h1>".encode() in (path / "index.html").read_bytes()
    )
    outside = tmp_path / "outside"
    page_folder.rename(outside)
    page_folder.symlink_to(outside, target_is_directory=True)
    before = {path.name: path.read_bytes() for path in outside.iterdir()}
    report = build(folder, BuildOptions(jobs=1))
    assert report.errors, "the link was not reported"
    assert any("symbolic link" in problem.message for problem in report.errors)
    assert {path.name: path.read_bytes() for path in outside.iterdir()} == before


def test_no_snapshot_without_the_cache(tmp_path) -> None:
    folder = tmp_path / "site"
    generate_site(folder, 6, per_page=5)
    report = build(folder, BuildOptions(jobs=1, use_cache=False))
    assert not report.errors
    assert not snapshot_files(folder)


def test_after_a_template_edit_the_saved_plan_is_refreshed(site, tmp_path, monkeypatch) -> None:
    """A build from the saved plan that fingerprints many pages again (a template edit)
    saves the plan again, so the next one fingerprints only what its edit reaches."""
    folder, specs = site
    ours = folder / "templates" / "article.html"
    ours.parent.mkdir(parents=True, exist_ok=True)
    theme = Path(__file__).resolve().parent.parent / "templates" / "article.html"
    ours.write_text(theme.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    fresh_build(folder)
    loaded = []
    original = snapshots.PageFile.load
    monkeypatch.setattr(
        snapshots.PageFile, "load", lambda self, item: loaded.append(item) or original(self, item)
    )
    edit_body(folder, specs[8])
    fresh_build(folder)
    assert 0 < len(loaded) < N, len(loaded)  # not every article page again
    assert_equals_clean(folder, tmp_path)


@pytest.mark.parametrize("collecting", [True, False])
def test_no_collection_runs_while_a_snapshot_is_unpickled(
    site, monkeypatch, collecting: bool
) -> None:
    """Saved state has no reference cycles: the collector is off while it is read, and as
    it was afterwards."""
    import gc

    folder, _ = site
    seen = []
    load = snapshots._SnapshotUnpickler.load

    def watched(self):
        seen.append(gc.isenabled())
        return load(self)

    monkeypatch.setattr(snapshots._SnapshotUnpickler, "load", watched)
    (gc.enable if collecting else gc.disable)()
    try:
        found = snapshots.read_snapshot(snapshot_files(folder)[0], snapshots.code_fingerprint())
        assert found is not None and seen == [False]
        assert gc.isenabled() is collecting
    finally:
        gc.enable()
