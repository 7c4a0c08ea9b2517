"""The preview server's watching: which file system events are changes to a build's inputs
(articles, templates, settings; never editor temporaries, the output or the cache), and when
a burst of them is over.

Classification and the Debouncer are pure; the ChangeQueue runs on a test clock, so no test
depends on how threads are scheduled. Only the last test watches a real folder.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from serving import DEADLINE, TestClock
from sitegen import story, tiny_site, write_files

from masthead.config import SiteConfig
from masthead.preview import watch
from masthead.preview.watch import (
    CONFIG,
    CONTENT,
    TEMPLATES,
    Change,
    ChangeQueue,
    Debouncer,
    WatchRoots,
)

# --- Classifying changes ----------------------------------------------------------------


@pytest.fixture
def roots(tmp_path: Path) -> WatchRoots:
    site = write_files(tmp_path / "site", {"content/": None, "templates/": None})
    return WatchRoots.of(site, SiteConfig(), [site / ".masthead-cache" / "preview"])


def changes(roots: WatchRoots, event: str, *rels: str, directory: bool = False) -> set[Change]:
    paths = [str(roots.site_path / rel) for rel in rels]
    return set(watch.classify(roots, event, paths, directory))


@pytest.mark.parametrize("event", ["created", "modified", "deleted"])
def test_an_article_event_is_a_content_change(roots: WatchRoots, event: str) -> None:
    rel = "content/2017/09/a.md"
    assert changes(roots, event, rel) == {Change(CONTENT, rel)}


def test_templates_static_files_and_settings_are_classified(roots: WatchRoots) -> None:
    assert changes(roots, "modified", "templates/article.html") == {
        Change(TEMPLATES, "templates/article.html")
    }
    assert changes(roots, "created", "templates/static/style.css") == {
        Change(TEMPLATES, "templates/static/style.css")
    }
    assert changes(roots, "modified", "pyproject.toml") == {Change(CONFIG, "pyproject.toml")}


def test_save_by_rename_counts_the_destination(roots: WatchRoots) -> None:
    moved = changes(roots, "moved", "content/2017/09/.a.md.tmp123", "content/2017/09/a.md")
    assert moved == {Change(CONTENT, "content/2017/09/a.md")}


def test_renaming_an_article_changes_both_paths(roots: WatchRoots) -> None:
    moved = changes(roots, "moved", "content/2017/09/a.md", "content/2017/09/b.md")
    assert moved == {
        Change(CONTENT, "content/2017/09/a.md"),
        Change(CONTENT, "content/2017/09/b.md"),
    }


def test_folders_of_articles_count_but_folder_mtimes_do_not(roots: WatchRoots) -> None:
    assert changes(roots, "deleted", "content/2017", directory=True) == {
        Change(CONTENT, "content/2017")
    }
    assert changes(roots, "moved", "content/2017", "content/2016", directory=True) == {
        Change(CONTENT, "content/2017"),
        Change(CONTENT, "content/2016"),
    }
    assert changes(roots, "modified", "content/2017", directory=True) == set()
    assert changes(roots, "created", "content/_drafts", directory=True) == set()
    assert changes(roots, "created", "content/_drafts/a.md") == set()


@pytest.mark.parametrize(
    "rel",
    [
        "content/2017/09/.a.md.swp",
        "content/2017/09/.a.md.swx",
        "content/2017/09/a.md.swp",
        "content/2017/09/a.md~",
        "content/2017/09/.#a.md",
        "content/2017/09/#a.md#",
        "content/2017/09/4913",
        "content/2017/09/a.md___jb_tmp___",
        "content/2017/09/a.md___jb_old___",
        "content/.hidden/a.md",
        "content/2017/09/notes.txt",
        "content/2017/09/photo.jpg",
        "templates/.article.html.swp",
        "templates/article.html~",
        "templates/4913",
        "templates/article.html___jb_tmp___",
        "output/index.html",
        "output/2017/09/23/a/index.html",
        ".masthead-cache/preview/index.html",
        ".masthead-cache/cache.sqlite-wal",
        ".git/index",
        "README.md",
        "build.py",
    ],
)
def test_noise_is_ignored(roots: WatchRoots, rel: str) -> None:
    for event in ("created", "modified", "deleted"):
        assert changes(roots, event, rel) == set(), (event, rel)


def test_reading_files_is_not_a_change(roots: WatchRoots) -> None:
    for event in ("opened", "closed_no_write", "closed"):
        assert changes(roots, event, "content/2017/09/a.md") == set()


def finished(roots: WatchRoots, event: str, src: str, dest: str = "") -> set[Change]:
    where = roots.site_path
    return set(watch.finished(roots, event, str(where / src), dest and str(where / dest), False))


def test_a_file_closed_after_writing_or_renamed_into_place_is_finished(roots) -> None:
    article = Change(CONTENT, "content/2017/09/a.md")
    assert finished(roots, "closed", "content/2017/09/a.md") == {article}
    assert finished(roots, "moved", "content/2017/09/a.md___jb_tmp___", article.rel) == {article}
    assert finished(roots, "closed", "templates/article.html") == {
        Change(TEMPLATES, "templates/article.html")
    }


@pytest.mark.parametrize(
    ("event", "src", "dest"),
    [
        ("modified", "content/a.md", ""),  # more writes may follow
        ("created", "content/a.md", ""),
        ("deleted", "content/a.md", ""),  # an editor keeping a backup writes it anew next
        ("moved", "content/a.md", "content/a.md~"),  # the same, by renaming it away
        ("closed_no_write", "content/a.md", ""),
        ("closed", "content/.a.md.swp", ""),
        ("closed", "output/index.html", ""),
    ],
)
def test_other_events_show_nothing_finished(roots, event: str, src: str, dest: str) -> None:
    assert finished(roots, event, src, dest) == set()


def test_paths_outside_the_site_are_ignored(roots: WatchRoots, tmp_path: Path) -> None:
    outside = str(tmp_path / "elsewhere" / "a.md")
    assert watch.classify(roots, "created", [outside], False) == ()


def test_roots_follow_the_settings(tmp_path: Path) -> None:
    site = tmp_path / "site"
    config = SiteConfig(content_dir="articles", templates_dir="theme/", output_dir="public")
    preview = tmp_path / "elsewhere" / "preview"  # outside the site: nothing to ignore there
    roots = WatchRoots.of(site, config, [preview, site / "build" / "preview"])
    assert (roots.content, roots.templates) == ("articles", "theme")
    assert roots.ignored == ("public", "build/preview")
    assert changes(roots, "modified", "articles/a.md") == {Change(CONTENT, "articles/a.md")}
    assert changes(roots, "modified", "content/a.md") == set()
    assert changes(roots, "modified", "public/index.html") == set()
    assert changes(roots, "modified", "build/preview/index.html") == set()


@pytest.mark.parametrize(
    ("name", "temp"),
    [
        ("a.md", False),
        ("style.css", False),
        ("4913.md", False),
        ("a.md~", True),
        (".a.md.swp", True),
        (".a.md.swo", True),
        ("a.md.swp", True),
        (".#a.md", True),
        ("#a.md#", True),
        ("4913", True),
        ("a.md___jb_tmp___", True),
        ("a.md___jb_old___", True),
        (".DS_Store", True),
        ("a.md.swa", True),
        ("a.md.swx", True),
        ("a.md.swq", False),  # Vim's swap names run .swp, .swo ... .swa, then .swx
        ("a.md.swpx", False),
        ("a~b.md", False),
        ("#", False),
        ("##", True),
        ("#a.md", False),
        ("a.md#", False),
        ("a4913", False),
        ("___jb_tmp___a.md", False),
    ],
)
def test_editor_temp_names(name: str, temp: bool) -> None:
    assert watch.is_editor_temp(name) is temp


def vouched(roots: WatchRoots, *batch: tuple[str, str, bool]) -> frozenset[str] | None:
    """What a build is told about the sources after these events (event, rel, folder)."""
    found: list[Change] = []
    for event, rel, directory in batch:
        found += changes(roots, event, rel, directory=directory)
    return watch.changed_sources(roots, found)


def test_file_changes_name_the_only_sources_a_build_looks_at(roots: WatchRoots) -> None:
    assert vouched(
        roots,
        ("modified", "content/2017/09/a.md", False),
        ("created", "content/2017/09/b.md", False),
        ("deleted", "content/c.md", False),
        ("modified", "templates/article.html", False),  # every build checks templates
    ) == {"2017/09/a.md", "2017/09/b.md", "c.md"}
    assert vouched(roots, ("modified", "templates/base.html", False)) == frozenset()


@pytest.mark.parametrize(
    "event",
    [
        ("created", "content/2018", True),
        ("deleted", "content/2017", True),
        ("moved", "content/2017", True),
        ("modified", "pyproject.toml", False),  # it may name another content folder
    ],
)
def test_folders_and_settings_make_the_build_check_every_source(roots, event) -> None:
    assert vouched(roots, ("modified", "content/a.md", False), event) is None


def test_lost_events_make_the_build_check_every_source(roots: WatchRoots) -> None:
    queue = ChangeQueue(quiet=0.0)
    handler = watch._Handler(watch.Watcher(roots, queue))
    lost = type("Lost", (), {"event_type": watch.EVENTS_LOST, "src_path": str(roots.site_path)})
    handler.on_any_event(lost())
    found = queue.get(timeout=DEADLINE)
    assert [change.kind for change in found] == [watch.LOST]
    assert watch.changed_sources(roots, found) is None


def test_the_watcher_is_complete_only_while_it_watches_every_root(tmp_path: Path) -> None:
    site = tiny_site(tmp_path / "site")
    watcher = watch.Watcher(WatchRoots.of(site, SiteConfig()), ChangeQueue())
    watcher.start()
    try:
        assert watcher.complete
        watcher.observer.schedule = _refused  # as when the system's limit of watches is hit
        (site / "templates").mkdir(exist_ok=True)
        watcher.watches.pop(site / "templates", None)
        watcher.sync(watcher.roots)
        assert not watcher.complete
    finally:
        watcher.stop()


def _refused(*args, **kwargs):
    raise OSError(28, "inotify watch limit reached")


# --- Debouncing ---------------------------------------------------------------------------


def test_a_burst_is_released_once_it_is_quiet() -> None:
    debouncer = Debouncer(quiet=0.15, longest=3.0)
    a, b = Change(CONTENT, "content/a.md"), Change(CONTENT, "content/b.md")
    assert debouncer.deadline() is None
    assert debouncer.take(100.0) == ()
    debouncer.add([a], 0.0)
    debouncer.add([b], 0.1)
    debouncer.add([a], 0.2)
    assert debouncer.take(0.3) == (), "still within the quiet period of the last event"
    assert debouncer.deadline() == pytest.approx(0.35)
    assert debouncer.take(0.35) == (a, b), "each change once, in the order first seen"
    assert debouncer.take(10.0) == ()


def test_a_never_ending_burst_is_released_after_the_longest_wait() -> None:
    debouncer = Debouncer(quiet=0.15, longest=3.0)
    now = 0.0
    released = ()
    while not released:
        debouncer.add([Change(CONTENT, f"content/{now:.1f}.md")], now)
        now += 0.1
        released = debouncer.take(now)
    assert now == pytest.approx(3.0, abs=0.11)
    assert len(released) == 30


def test_adding_nothing_starts_no_burst() -> None:
    debouncer = Debouncer()
    debouncer.add([], 1.0)
    assert debouncer.deadline() is None


def test_a_burst_of_finished_saves_is_released_after_the_shorter_quiet() -> None:
    debouncer = Debouncer(quiet=0.15, longest=3.0, finished_quiet=0.03)
    a, b = Change(CONTENT, "content/a.md"), Change(CONTENT, "content/b.md")
    debouncer.add([a], 0.0)
    debouncer.add([b], 0.001)
    debouncer.add([], 0.002, done=[a])
    assert debouncer.deadline() == pytest.approx(0.152), "b may still be written"
    debouncer.add([], 0.003, done=[b])
    assert debouncer.deadline() == pytest.approx(0.033)
    assert debouncer.take(0.033) == (a, b)
    debouncer.add([a], 1.0, done=[a])  # saved by a rename into place: one event
    assert debouncer.take(1.03) == (a,)


def test_a_write_after_the_close_waits_the_whole_quiet_period_again() -> None:
    debouncer = Debouncer(quiet=0.15, longest=3.0, finished_quiet=0.03)
    a = Change(CONTENT, "content/a.md")
    debouncer.add([a], 0.0)
    debouncer.add([], 0.001, done=[a])
    debouncer.add([a], 0.01)
    assert debouncer.take(0.05) == ()
    assert debouncer.deadline() == pytest.approx(0.16)


def test_an_editor_that_renames_the_file_away_first_is_finished_by_its_close() -> None:
    debouncer = Debouncer(quiet=0.15, longest=3.0, finished_quiet=0.03)
    a = Change(CONTENT, "content/a.md")
    debouncer.add([a], 0.0)  # moved to a.md~: a is gone, not finished
    assert debouncer.deadline() == pytest.approx(0.15)
    debouncer.add([a], 0.001)  # created anew, then written
    debouncer.add([], 0.002, done=[a])  # and closed
    assert debouncer.deadline() == pytest.approx(0.032)


def test_a_close_alone_starts_no_burst() -> None:
    debouncer = Debouncer(quiet=0.15, longest=3.0, finished_quiet=0.03)
    a, b = Change(CONTENT, "content/a.md"), Change(CONTENT, "content/b.md")
    debouncer.add([], 0.0, done=[a])
    assert debouncer.deadline() is None
    debouncer.add([a], 1.0)
    debouncer.add([], 1.001, done=[b])  # b was not pending: a stays unfinished
    assert debouncer.deadline() == pytest.approx(1.15)


def test_the_queue_coalesces_a_burst_from_another_thread() -> None:
    clock = TestClock()
    changes_queue = ChangeQueue(quiet=0.5, clock=clock)
    burst = [Change(CONTENT, f"content/2017/09/{n}.md") for n in range(500)]

    def checkout() -> None:  # like `git checkout`: hundreds of files in a fraction of a second
        for change in burst:
            changes_queue.put([change])

    writer = threading.Thread(target=checkout)
    writer.start()
    writer.join(DEADLINE)
    assert not writer.is_alive()
    # However long the writer thread was descheduled, no time passed on the queue's clock.
    assert changes_queue.get(timeout=0) == (), "not over before the quiet period"
    clock.advance(0.5)
    assert changes_queue.get(timeout=DEADLINE) == tuple(burst)
    clock.step = 1.0  # from now on every reading of the clock is a second later
    assert changes_queue.get(timeout=0.3) == (), "nothing pending: () at the timeout"


def test_a_pause_shorter_than_the_quiet_period_keeps_one_burst() -> None:
    clock = TestClock()
    changes_queue = ChangeQueue(quiet=0.5, longest=3.0, clock=clock)
    a, b = Change(CONTENT, "content/a.md"), Change(CONTENT, "content/b.md")
    changes_queue.put([a])
    clock.advance(0.4)
    changes_queue.put([b])
    clock.advance(0.4)
    assert changes_queue.get(timeout=0) == (), "0.4 s after the last change: still quiet"
    clock.advance(0.1)
    assert changes_queue.get(timeout=0) == (a, b)


def test_a_pause_as_long_as_the_quiet_period_ends_the_burst() -> None:
    clock = TestClock()
    changes_queue = ChangeQueue(quiet=0.5, longest=3.0, clock=clock)
    a, b = Change(CONTENT, "content/a.md"), Change(CONTENT, "content/b.md")
    changes_queue.put([a])
    clock.advance(0.5)
    assert changes_queue.get(timeout=0) == (a,)
    changes_queue.put([b])
    clock.advance(0.5)
    assert changes_queue.get(timeout=0) == (b,)


def test_a_queue_that_never_goes_quiet_is_released_after_the_longest_wait() -> None:
    clock = TestClock()
    changes_queue = ChangeQueue(quiet=0.5, longest=3.0, clock=clock)
    for n in range(12):  # a change every 0.25 s, from 0 to 2.75 s
        if n:
            clock.advance(0.25)
        changes_queue.put([Change(CONTENT, f"content/{n}.md")])
    assert changes_queue.get(timeout=0) == ()
    clock.advance(0.25)  # 3 s after the first change, 0.25 s after the last
    assert len(changes_queue.get(timeout=0)) == 12


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify tells closes; others not")
def test_the_watcher_releases_a_save_as_soon_as_the_file_is_closed(tmp_path: Path) -> None:
    site = tiny_site(tmp_path / "site")
    changes_queue = ChangeQueue(quiet=10 * DEADLINE, longest=10 * DEADLINE, finished_quiet=0.0)
    watcher = watch.Watcher(WatchRoots.of(site, SiteConfig()), changes_queue)
    watcher.start()
    try:
        article = site / "content" / "2017" / "09" / "first.md"
        article.write_text(story("Edited", "2017-09-23"))
        assert changes_queue.get(timeout=DEADLINE) == (Change(CONTENT, "content/2017/09/first.md"),)
        temp = article.with_name("first.md___jb_tmp___")
        temp.write_text(story("Saved by rename", "2017-09-23"))
        temp.replace(article)
        assert changes_queue.get(timeout=DEADLINE) == (Change(CONTENT, "content/2017/09/first.md"),)
    finally:
        watcher.stop()


def test_the_watcher_reports_saves_and_skips_editor_files(tmp_path: Path) -> None:
    site = tiny_site(tmp_path / "site")
    changes_queue = ChangeQueue(quiet=0.2)
    watcher = watch.Watcher(WatchRoots.of(site, SiteConfig()), changes_queue)
    watcher.start()
    try:
        folder = site / "content" / "2017" / "09"
        (folder / ".first.md.swp").write_text("swap")
        (folder / "4913").write_text("")
        (folder / "first.md~").write_text("backup")
        (site / "output").mkdir()
        (site / "output" / "index.html").write_text("built")
        (folder / "first.md").write_text(story("Edited", "2017-09-23"))
        temp = folder / "first.md___jb_tmp___"
        temp.write_text(story("Saved by rename", "2017-09-23"))
        temp.replace(folder / "second.md")
        got = set(changes_queue.get(timeout=DEADLINE))
        while extra := changes_queue.get(timeout=0.5):  # a slow machine may split the burst
            got |= set(extra)
        assert got == {
            Change(CONTENT, "content/2017/09/first.md"),
            Change(CONTENT, "content/2017/09/second.md"),
        }
    finally:
        watcher.stop()
