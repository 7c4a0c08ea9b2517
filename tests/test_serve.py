"""The preview server: change classification, debouncing, temp-file filtering and path
safety as units; then ``masthead serve`` end to end in a subprocess on a free port.

The end-to-end tests build a tiny site in ``tmp_path``, start the server with ``--port 0
--no-open``, and stop it with SIGINT (what Ctrl-C sends), expecting exit code 0. Every wait
polls with a deadline; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import http.client
import io
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from masthead.config import SiteConfig
from masthead.model import BuildOptions, BuildReport, Problem
from masthead.preview import httpd, serve, watch
from masthead.preview.watch import (
    CONFIG,
    CONTENT,
    TEMPLATES,
    Change,
    ChangeQueue,
    Debouncer,
    WatchRoots,
)

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 30.0  # seconds; generous for a loaded CI machine, reached only on failure

PYPROJECT = """\
[tool.masthead]
title = "Serve Test"
timezone = "UTC"
base_url = "https://example.org/"
"""


def story(title: str, date: str, category: str = "World", body: str = "Body text.") -> str:
    """An article source with YAML front matter."""
    return f"---\ntitle: {title}\ndate: {date}\ncategory: {category}\nsource: Wire\n---\n{body}\n"


def tiny_site(root: Path) -> Path:
    """Three articles, no templates of its own (the default theme is found by itself)."""
    files = {
        "pyproject.toml": PYPROJECT,
        "content/2017/09/first.md": story("First story", "2017-09-23", body="Original body."),
        "content/2017/09/second.md": story("Second story", "2017-09-24", "Business"),
        "content/2018/01/third.md": story("Third story", "2018-01-05"),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def poll(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Call ``check`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


# --- Classifying changes ----------------------------------------------------------------


@pytest.fixture
def roots(tmp_path: Path) -> WatchRoots:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "templates").mkdir()
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
        (".DS_Store", True),
    ],
)
def test_editor_temp_names(name: str, temp: bool) -> None:
    assert watch.is_editor_temp(name) is temp


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


def test_the_queue_coalesces_a_burst_from_another_thread() -> None:
    changes_queue = ChangeQueue(quiet=0.5)  # wide enough for a descheduled writer thread
    burst = [Change(CONTENT, f"content/2017/09/{n}.md") for n in range(500)]

    def checkout() -> None:  # like `git checkout`: hundreds of files in a fraction of a second
        for change in burst:
            changes_queue.put([change])

    writer = threading.Thread(target=checkout)
    writer.start()
    first = changes_queue.get(timeout=DEADLINE)
    writer.join()
    assert first == tuple(burst)
    started = time.monotonic()
    assert changes_queue.get(timeout=0.3) == ()
    assert time.monotonic() - started < 5


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


# --- Path safety ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "rel"),
    [
        ("/", ""),
        ("/2017/09/23/first-story/", "2017/09/23/first-story/"),
        ("/2017/09/23/first-story/?utm=1#top", "2017/09/23/first-story/"),
        ("/static/style.css", "static/style.css"),
        ("/tag/caf%C3%A9/", "tag/café/"),
        ("/2017", "2017"),
        ("/a%20b.html", "a b.html"),
    ],
)
def test_request_paths_are_decoded_once(target: str, rel: str) -> None:
    assert httpd.request_rel(target) == rel


@pytest.mark.parametrize(
    "target",
    [
        "/../etc/passwd",
        "/..",
        "/2017/../../x",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/",
        "/.%2e/x",
        "/2017/./09/",
        "/..%2fetc%2fpasswd",
        "/static%2Fstyle.css",
        "/%5c..%5cx",
        "/..\\x",
        "/a%00.html",
        "/a\x00.html",
        "//etc/passwd",
        "/%2fetc/passwd",
        "/a//b",
        "/C:/Windows/win.ini",
        "/%c0%ae%c0%ae/",
        "/%252e%252e/",  # decoded once: a literal "%2e%2e" segment, which is refused below
        "etc/passwd",
        "http://example.org/",
    ],
)
def test_unsafe_request_paths_are_refused(target: str) -> None:
    try:
        rel = httpd.request_rel(target)
    except ValueError:
        return
    # What decoding once lets through must still be a harmless name inside the folder.
    assert rel == "%2e%2e/" and target == "/%252e%252e/"


@pytest.fixture
def preview_root(tmp_path: Path) -> Path:
    root = tmp_path / "site" / ".masthead-cache" / "preview"
    files = {
        "index.html": "<html><body>home</body></html>",
        "2017/09/23/first-story/index.html": "<html><body>first</body></html>",
        "static/style.css": "body{}",
        "feed.xml": "<feed/>",
        "data.json": "{}",
        "img/logo.png": "png",
        "404.html": "<html><body>not here</body></html>",
        ".masthead-manifest.json": "{}",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "site" / "pyproject.toml").write_text(PYPROJECT)
    return root


def test_locate_maps_pretty_urls_and_stays_inside(preview_root: Path, tmp_path: Path) -> None:
    assert httpd.locate(preview_root, "") == (preview_root / "index.html").resolve()
    found = httpd.locate(preview_root, "2017/09/23/first-story/")
    assert found == (preview_root / "2017/09/23/first-story/index.html").resolve()
    assert httpd.locate(preview_root, "2017/09/23/first-story") == httpd.REDIRECT
    assert httpd.locate(preview_root, "static/style.css/") is None
    assert httpd.locate(preview_root, "missing/") is None
    assert httpd.locate(preview_root, ".masthead-manifest.json") is None
    assert httpd.locate(preview_root, "../../secret.txt") is None
    assert httpd.locate(preview_root, "../../pyproject.toml") is None
    (preview_root / "escape").symlink_to(tmp_path)
    (preview_root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    assert httpd.locate(preview_root, "escape/secret.txt") is None
    assert httpd.locate(preview_root, "leak.txt") is None
    assert httpd.locate(preview_root, "escape") is None


# --- Responses without a socket ----------------------------------------------------------


def make_preview(root: Path) -> watch.Preview:
    return watch.Preview(root.parent.parent, BuildOptions(output=str(root)))


def headers(**fields: str) -> Message:
    message = Message()
    for name, value in fields.items():
        message[name.replace("_", "-")] = value
    return message


def header(response: httpd.Response, name: str) -> str | None:
    return dict(response.headers).get(name)


def test_content_types(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    expected = {
        "/": "text/html; charset=utf-8",
        "/static/style.css": "text/css; charset=utf-8",
        "/feed.xml": "application/xml; charset=utf-8",
        "/data.json": "application/json; charset=utf-8",
        "/img/logo.png": "image/png",
    }
    for target, kind in expected.items():
        response = httpd.file_response(preview, target)
        assert response.status == 200, target
        assert header(response, "Content-Type") == kind, target
        assert header(response, "Content-Length") == str(len(response.body))


def test_static_files_revalidate_with_etag_and_last_modified(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    first = httpd.file_response(preview, "/static/style.css")
    etag, modified = header(first, "ETag"), header(first, "Last-Modified")
    assert etag and modified and first.body == b"body{}"
    assert (
        httpd.file_response(preview, "/static/style.css", headers(If_None_Match=etag)).status == 304
    )
    weak = headers(If_None_Match=f'"other", W/{etag}')
    assert httpd.file_response(preview, "/static/style.css", weak).status == 304
    assert (
        httpd.file_response(
            preview, "/static/style.css", headers(If_Modified_Since=modified)
        ).status
        == 304
    )
    earlier = formatdate(time.time() - 3600 * 24 * 365, usegmt=True)
    older = httpd.file_response(preview, "/static/style.css", headers(If_Modified_Since=earlier))
    assert older.status == 200
    stale = headers(If_None_Match='"stale"', If_Modified_Since=modified)
    assert httpd.file_response(preview, "/static/style.css", stale).status == 200
    garbage = headers(If_Modified_Since="not a date")
    assert httpd.file_response(preview, "/static/style.css", garbage).status == 200


def test_pages_revalidate_until_the_next_build(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    first = httpd.file_response(preview, "/")
    etag = header(first, "ETag")
    assert httpd.file_response(preview, "/", headers(If_None_Match=etag)).status == 304
    preview.state = watch.Snapshot(preview.state.generation + 1, preview.state.server_id, (), 0)
    assert httpd.file_response(preview, "/", headers(If_None_Match=etag)).status == 200


def test_missing_pages_get_the_sites_404_page(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    response = httpd.file_response(preview, "/no/such/page/")
    assert response.status == 404
    assert b"not here" in response.body and b"data-masthead-reload" in response.body
    (preview_root / "404.html").unlink()
    response = httpd.file_response(preview, "/no/such/page/")
    assert response.status == 404 and b"Not found" in response.body


def test_bad_paths_get_400_and_folders_a_redirect(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    assert httpd.file_response(preview, "/%2e%2e/secret.txt").status == 400
    redirect = httpd.file_response(preview, "/2017/09/23/first-story?x=1")
    assert redirect.status == 302
    assert header(redirect, "Location") == "/2017/09/23/first-story/?x=1"


def test_the_reload_script_goes_before_the_last_body_end_tag() -> None:
    state = watch.Snapshot(7, "abc123", (), 0.0)
    page = b"<html><body><p>&lt;/body&gt;</p></BODY></html>"
    decorated = httpd.decorate(page, state)
    assert decorated.startswith(b"<html><body><p>&lt;/body&gt;</p><script data-masthead-reload>")
    assert decorated.endswith(b"</script>\n</BODY></html>")
    assert b"since = 7" in decorated and b'server = "abc123"' in decorated
    assert httpd.decorate(b"no body", state).startswith(b"no body<script")


def test_the_error_overlay_lists_every_problem_escaped() -> None:
    problems = (
        Problem("content/2017/09/a.md", 4, "front matter is not valid YAML: <b>oops</b>"),
        Problem("templates/article.html", 12, "template syntax error: unexpected '}'"),
        Problem("pyproject.toml", None, "unknown key 'titel'", "warning"),
    )
    overlay = httpd.error_overlay(problems)
    assert "2 errors" in overlay
    assert (
        "content/2017/09/a.md:4: error: front matter is not valid YAML: &lt;b&gt;oops&lt;/b&gt;"
        in overlay
    )
    assert (
        "templates/article.html:12: error: template syntax error: unexpected &#x27;}&#x27;"
        in overlay
    )
    assert "pyproject.toml: warning: unknown key" in overlay
    assert "<b>" not in overlay
    decorated = httpd.decorate(b"<body>page</body>", watch.Snapshot(1, "x", problems, 0.0))
    assert b"page" in decorated, "the last good page stays underneath"
    assert decorated.index(b"masthead-build-errors") < decorated.index(b"data-masthead-reload")


# --- The build lock and the long poll -------------------------------------------------------


def test_requests_wait_while_a_build_runs(preview_root: Path, monkeypatch) -> None:
    building, release = threading.Event(), threading.Event()

    def slow_build(*args: object) -> BuildReport:
        building.set()
        assert release.wait(DEADLINE)
        return BuildReport(written=1)

    monkeypatch.setattr(watch, "build", slow_build)
    preview = make_preview(preview_root)
    builder = threading.Thread(target=preview.rebuild)
    builder.start()
    assert building.wait(DEADLINE)
    answers: queue.Queue[httpd.Response] = queue.Queue()
    reader = threading.Thread(target=lambda: answers.put(httpd.file_response(preview, "/")))
    reader.start()
    with pytest.raises(queue.Empty):
        answers.get(timeout=0.3)
    release.set()
    response = answers.get(timeout=DEADLINE)
    builder.join()
    assert response.status == 200
    assert b"since = 1;" not in response.body
    assert b"since = 1," in response.body, "the request saw the build that it waited for"


def test_requests_wait_for_the_first_build(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(watch, "build", lambda *args: BuildReport(written=1))
    preview = watch.Preview(
        preview_root.parent.parent, BuildOptions(output=str(preview_root)), built=False
    )
    answers: queue.Queue[httpd.Response] = queue.Queue()
    reader = threading.Thread(target=lambda: answers.put(httpd.file_response(preview, "/")))
    reader.start()
    with pytest.raises(queue.Empty):
        answers.get(timeout=0.3)
    preview.rebuild()
    assert answers.get(timeout=DEADLINE).status == 200
    reader.join()


def test_a_build_waits_for_requests_being_read(preview_root: Path, monkeypatch) -> None:
    built = threading.Event()
    monkeypatch.setattr(watch, "build", lambda *args: built.set() or BuildReport())
    preview = make_preview(preview_root)
    with preview.reading():
        builder = threading.Thread(target=preview.rebuild)
        builder.start()
        assert not built.wait(0.3)
    assert built.wait(DEADLINE)
    builder.join()


def test_a_failed_build_keeps_its_problems_and_a_fixed_one_clears_them(
    preview_root: Path, monkeypatch
) -> None:
    problem = Problem("content/a.md", 2, "front matter is not valid YAML")
    reports = iter([BuildReport(problems=(problem,)), BuildReport(), BuildReport(written=3)])
    monkeypatch.setattr(watch, "build", lambda *args: next(reports))
    preview = make_preview(preview_root)
    assert preview.rebuild().errors == (problem,)
    assert (preview.state.generation, preview.state.problems) == (1, (problem,))
    preview.rebuild()  # fixed back to what was built before: nothing written, yet the page changes
    assert (preview.state.generation, preview.state.problems) == (2, ())
    preview.rebuild()
    assert preview.state.generation == 3


def test_a_build_that_changes_nothing_reloads_no_tab(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(watch, "build", lambda *args: BuildReport(unchanged=5))
    preview = make_preview(preview_root)
    preview.rebuild()
    assert preview.state.generation == 0


def test_a_crashing_build_becomes_a_problem(preview_root: Path, monkeypatch) -> None:
    def broken(*args: object) -> BuildReport:
        raise RuntimeError("boom")

    monkeypatch.setattr(watch, "build", broken)
    outcome = make_preview(preview_root).rebuild()
    assert "internal error: RuntimeError: boom" in str(outcome.errors[0])
    assert outcome.crash == ""  # the traceback only with --debug


def test_a_preview_that_cannot_be_written_is_one_line(preview_root: Path, monkeypatch) -> None:
    def full(*args: object) -> BuildReport:
        raise OSError(28, "No space left on device", "/site/.masthead-cache/preview/x.tmp")

    monkeypatch.setattr(watch, "build", full)
    outcome = make_preview(preview_root).rebuild()
    assert [str(p) for p in outcome.errors] == [
        "/site/.masthead-cache/preview/x.tmp: error: cannot write the preview: No space left "
        "on device; free some space or fix the permissions, then save again"
    ]
    assert outcome.crash == "", "no traceback"


def test_the_long_poll(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(watch, "build", lambda *args: BuildReport(written=1))
    preview = make_preview(preview_root)
    server_id = preview.state.server_id
    started = time.monotonic()
    assert preview.wait_for_change(0, server_id, 0.2).generation == 0
    assert time.monotonic() - started >= 0.19
    other_server = httpd.wait_response(preview, "since=0&server=restarted")
    assert b'"reload": true' in other_server.body
    threading.Timer(0.1, preview.rebuild).start()
    answer = httpd.wait_response(preview, f"since=0&server={server_id}")
    assert b'"reload": true' in answer.body and b'"generation": 1' in answer.body
    preview.stop()
    assert preview.wait_for_change(1, server_id, DEADLINE).generation == 1


# --- Small helpers --------------------------------------------------------------------------


def test_local_urls() -> None:
    assert serve.local_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert serve.local_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert serve.local_url("::1", 9) == "http://[::1]:9/"
    assert serve.local_url("localhost", 80) == "http://localhost:80/"


def test_the_port_option() -> None:
    from masthead.cli import make_parser

    parser = make_parser()
    args = parser.parse_args(["serve"])
    assert (args.port, args.host, args.open_browser) == (8000, "127.0.0.1", True)
    args = parser.parse_args(["serve", "--port", "0", "--no-open", "--drafts", "--future"])
    assert (args.port, args.open_browser, args.drafts, args.future) == (0, False, True, True)
    for bad in ("-1", "65536", "http"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--port", bad])


def test_a_second_server_gets_a_temporary_preview_folder(tmp_path: Path) -> None:
    site = tiny_site(tmp_path / "site")
    with serve.preview_folder(site) as first, serve.preview_folder(site) as second:
        assert first == site / ".masthead-cache" / "preview"
        assert second != first and not second.is_relative_to(site)
        assert second.is_dir()
    assert not second.exists()


# --- End to end: `masthead serve` in a subprocess ------------------------------------------


# Runs a module or script as __main__ with Python's own Ctrl-C handling, even when pytest was
# started with SIGINT ignored (a background job of a non-interactive shell inherits that).
LAUNCH = """\
import runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
script = sys.argv.pop(1)
sys.argv[0] = script
if script.endswith(".py"):
    runpy.run_path(script, run_name="__main__")
else:
    runpy.run_module(script, run_name="__main__", alter_sys=True)
"""


class ServeProcess:
    """``masthead serve ... --port 0 --no-open`` in a subprocess, with its output collected."""

    def __init__(self, *args: str, script: str = "masthead.cli"):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, script, "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self.readers:
            reader.start()
        self.url = ""

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        with self.lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = DEADLINE, after: int = 0) -> re.Match:
        """The first output line (from line number ``after`` on) matching ``pattern``."""

        def found() -> re.Match | None:
            with self.lock:
                lines = self.lines[after:]
            for line in lines:
                if match := re.search(pattern, line):
                    return match
            if self.process.poll() is not None:
                pytest.fail(f"masthead serve exited early:\n{self.output()}")
            return None

        return poll(
            found, f"{pattern!r} in the output of masthead serve:\n{self.output()}", timeout
        )

    def line_count(self) -> int:
        with self.lock:
            return len(self.lines)

    def start(self) -> str:
        self.url = self.wait_for(r"^Serving (http://[\w.:\[\]]+:\d+/) \(Ctrl-C to stop\)$")[1]
        return self.url

    def stop(self) -> int:
        """Ctrl-C (SIGINT); the exit code, or -9 when it had to be killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
            code = -9
        for reader in self.readers:
            reader.join(timeout=5)
        return code


@contextmanager
def running(*args: str, script: str = "masthead.cli") -> Iterator[ServeProcess]:
    """A started server; stopped with Ctrl-C afterwards, which must exit 0."""
    server = ServeProcess("--port", "0", "--no-open", *args, script=script)
    try:
        server.start()
        yield server
    finally:
        code = server.stop()
    assert code == 0, f"Ctrl-C should stop the server cleanly, got {code}:\n{server.output()}"
    assert "Traceback" not in server.output(), server.output()


def fetch(
    url: str, target: str, method: str = "GET", **request_headers: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and body of one request, whatever the status; ``target`` is sent as is."""
    host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=DEADLINE)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in request_headers.items():
            connection.putheader(name.replace("_", "-"), value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def page_with(url: str, target: str, needle: str) -> str | None:
    """The page's text when it contains ``needle``."""
    text = text_of(url, target)[1]
    return text if needle in text else None


def text_of(url: str, target: str) -> tuple[int, str]:
    status, _, body = fetch(url, target)
    return status, body.decode("utf-8")


FIRST = "/2017/09/23/first-story/"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return tiny_site(tmp_path / "site")


def test_serving_the_site(site: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("top secret")
    with running("--site", str(site)) as server:
        url = server.url
        assert re.search(r"built: 3 articles, \d+ pages", server.output())
        status, home = text_of(url, "/")
        assert status == 200 and "First story" in home and "Third story" in home
        assert f'href="{url}"' in home or url in home, "base_url is the local address"
        status, headers_, body = fetch(url, FIRST)
        assert status == 200 and headers_["Content-Type"] == "text/html; charset=utf-8"
        assert b"Original body." in body and b"data-masthead-reload" in body
        built = site / ".masthead-cache" / "preview" / FIRST.strip("/") / "index.html"
        assert b"data-masthead-reload" not in built.read_bytes(), "injected when served only"
        assert not (site / "output").exists(), "the preview never writes output/"

        status, headers_, body = fetch(url, FIRST, "HEAD")
        assert status == 200 and body == b"" and int(headers_["Content-Length"]) > 100
        etag = headers_["ETag"]
        assert fetch(url, FIRST, If_None_Match=etag)[0] == 304
        status, css_headers, _ = fetch(url, "/static/style.css")
        assert status == 200 and css_headers["Content-Type"] == "text/css; charset=utf-8"
        modified = css_headers["Last-Modified"]
        assert fetch(url, "/static/style.css", If_Modified_Since=modified)[0] == 304
        feeds = [p.name for p in (site / ".masthead-cache" / "preview").glob("*.xml")]
        for name in feeds:
            status, feed_headers, _ = fetch(url, "/" + name)
            assert status == 200 and feed_headers["Content-Type"].startswith("application/xml")

        status, missing = text_of(url, "/no/such/page/")
        assert status == 404 and "data-masthead-reload" in missing
        site_404 = (site / ".masthead-cache" / "preview" / "404.html").read_text()
        assert missing.startswith(site_404.split("</body>")[0][:200])
        status, redirect_headers, _ = fetch(url, FIRST.rstrip("/"))
        assert status == 302 and redirect_headers["Location"] == FIRST

        for target in (
            "/../secret.txt",
            "/../../secret.txt",
            "/%2e%2e/%2e%2e/secret.txt",
            "/..%2f..%2fsecret.txt",
            "/%2e%2e%5c%2e%2e%5csecret.txt",
            "//" + str(tmp_path / "secret.txt").lstrip("/"),
            "/" + str(tmp_path / "secret.txt"),
            "/../../pyproject.toml",
            "/.masthead-manifest.json",
            "/index.html%00.css",
        ):
            status, _, body = fetch(url, target)
            assert status in (400, 404), target
            assert b"top secret" not in body and b"[tool.masthead]" not in body, target

        with ThreadPoolExecutor(max_workers=16) as pool:
            targets = [FIRST, "/", "/static/style.css", "/no/such/"] * 10
            statuses = list(pool.map(lambda t: fetch(url, t)[0], targets))
        assert statuses == [200, 200, 200, 404] * 10


def test_edit_break_fix_create_rename_delete(site: Path) -> None:
    article = site / "content" / "2017" / "09" / "first.md"
    with running("--site", str(site)) as server:
        url = server.url

        article.write_text(story("First story", "2017-09-23", body="Edited body."))
        poll(lambda: "Edited body." in text_of(url, FIRST)[1], "the edited article")
        server.wait_for(r"content/2017/09/first\.md: rebuilt: 3 articles")

        seen = server.line_count()
        article.write_text(
            "---\ntitle: First story\ndate: 2017-09-23\ncategory: World: Asia\n---\n"
        )
        page = poll(lambda: page_with(url, FIRST, "masthead-build-errors"), "the error overlay")
        assert re.search(
            r"content/2017/09/first\.md:4: error: front matter is not valid YAML", page
        )
        assert "Edited body." in page, "the last good page is still underneath"
        server.wait_for(r"^content/2017/09/first\.md:4: error: front matter", after=seen)
        server.wait_for(r"1 error; still serving the last good pages", after=seen)
        status, body = text_of(url, "/static/style.css")
        assert status == 200 and "masthead-build-errors" not in body

        article.write_text(story("First story", "2017-09-23", body="Fixed body."))
        poll(
            lambda: (
                "Fixed body." in (t := text_of(url, FIRST)[1]) and "masthead-build-errors" not in t
            ),
            "the page back without errors",
        )

        new = site / "content" / "2018" / "02" / "fourth.md"
        new.parent.mkdir(parents=True)
        new.write_text(story("Fourth story", "2018-02-01"))
        poll(lambda: text_of(url, "/2018/02/01/fourth-story/")[0] == 200, "the new article")
        assert "Fourth story" in text_of(url, "/")[1]

        new.rename(new.with_name("renamed.md"))
        new.with_name("renamed.md").write_text(story("Fourth story moved", "2018-02-03"))
        poll(lambda: text_of(url, "/2018/02/03/fourth-story-moved/")[0] == 200, "the moved article")
        assert text_of(url, "/2018/02/01/fourth-story/")[0] == 404

        article.unlink()
        poll(lambda: text_of(url, FIRST)[0] == 404, "a 404 for the deleted article")
        home = text_of(url, "/")[1]
        assert "First story" not in home and "Second story" in home


def test_template_settings_and_duplicate_url_errors_show_and_clear(site: Path) -> None:
    theme_article = (REPO / "templates" / "article.html").read_text(encoding="utf-8")
    with running("--site", str(site)) as server:
        url = server.url

        # A templates/ folder appearing after the start is watched from then on.
        own = site / "templates" / "article.html"
        own.parent.mkdir()
        own.write_text(theme_article.replace("<h1>", "<h1 class=own>", 1), encoding="utf-8")
        poll(lambda: page_with(url, FIRST, "<h1 class=own>"), "the site's own template")
        own.write_text("{% extends 'base.html' %}\n{% block content %}\n{{ oops }\n", "utf-8")
        page = poll(lambda: page_with(url, FIRST, "masthead-build-errors"), "a template error")
        assert "templates/article.html:3: error: template syntax error" in page
        own.unlink()
        poll(lambda: not page_with(url, FIRST, "masthead-build-errors"), "the theme back")

        twin = site / "content" / "2017" / "09" / "twin.md"
        twin.write_text(story("First story", "2017-09-23"), encoding="utf-8")
        page = poll(lambda: page_with(url, "/", "masthead-build-errors"), "a duplicate URL error")
        assert "URL /2017/09/23/first-story/ is claimed by content/2017/09/first.md" in page
        twin.unlink()
        poll(lambda: not page_with(url, "/", "masthead-build-errors"), "the URL error gone")

        pyproject = site / "pyproject.toml"
        pyproject.write_text(PYPROJECT + 'title = "unclosed\n', encoding="utf-8")
        page = poll(lambda: page_with(url, FIRST, "masthead-build-errors"), "a settings error")
        assert re.search(r"pyproject\.toml:\d+: error: invalid TOML", page)
        pyproject.write_text(PYPROJECT.replace("Serve Test", "Renamed Site"), encoding="utf-8")
        page = poll(lambda: page_with(url, FIRST, "Renamed Site"), "the new site title")
        assert "masthead-build-errors" not in page


def test_a_burst_of_files_is_one_rebuild(site: Path) -> None:
    with running("--site", str(site)) as server:
        seen = server.line_count()
        folder = site / "content" / "2019" / "05"
        folder.mkdir(parents=True)
        for n in range(100):  # like a `git checkout` bringing in a hundred articles
            (folder / f"burst-{n}.md").write_text(story(f"Burst {n}", "2019-05-01"), "utf-8")
        poll(lambda: text_of(server.url, "/2019/05/01/burst-99/")[0] == 200, "the last article")
        server.wait_for(r"rebuilt: 103 articles", after=seen)
        with server.lock:
            rebuilds = [line for line in server.lines[seen:] if ": rebuilt: " in line]
    counts = [
        1 + int(m[1]) if (m := re.search(r" and (\d+) more: rebuilt", line)) else 1
        for line in rebuilds
    ]
    assert len(rebuilds) <= 3 and sum(counts) >= 100, rebuilds


def test_pages_reload_after_a_rebuild(site: Path) -> None:
    with running("--site", str(site)) as server:
        url = server.url
        page = text_of(url, FIRST)[1]
        since, server_id = re.search(r'since = (\d+), server = "(\w+)"', page).groups()
        results: queue.Queue[bytes] = queue.Queue()
        waiter = threading.Thread(
            target=lambda: results.put(
                fetch(url, f"/__masthead/wait?since={since}&server={server_id}")[2]
            )
        )
        waiter.start()
        (site / "content" / "2017" / "09" / "second.md").write_text(
            story("Second, edited", "2017-09-24")
        )
        answer = results.get(timeout=DEADLINE)
        waiter.join()
        assert b'"reload": true' in answer


def test_drafts_and_future_only_with_the_flags(site: Path) -> None:
    draft = site / "content" / "2017" / "09" / "draft.md"
    draft.write_text(
        story("Draft story", "2017-09-25").replace("source: Wire", "source: Wire\ndraft: true")
    )
    future = site / "content" / "2099" / "01" / "later.md"
    future.parent.mkdir(parents=True)
    future.write_text(story("Future story", "2099-01-01"))
    with running("--site", str(site)) as server:
        home = text_of(server.url, "/")[1]
        assert "Draft story" not in home and "Future story" not in home
    with running("--site", str(site), "--drafts", "--future") as server:
        home = text_of(server.url, "/")[1]
        assert "Draft story" in home and "Future story" in home


def test_a_busy_port_is_a_clear_error(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ServeProcess("--site", str(site), "--port", str(port), "--no-open")
        code = server.process.wait(timeout=DEADLINE)
        server.stop()
    assert code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in server.output()
    assert "--port 0" in server.output()
    assert "Traceback" not in server.output()


def test_binding_beyond_this_machine_warns(site: Path) -> None:
    with running("--site", str(site), "--host", "0.0.0.0") as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert text_of(server.url, FIRST)[0] == 200
    assert "warning: listening on 0.0.0.0, not only this machine" in server.output()
    for host in ("127.0.0.2", "localhost"):  # loopback: no warning
        with running("--site", str(site), "--host", host) as server:
            assert text_of(server.url, FIRST)[0] == 200
        assert "warning" not in server.output(), host


def test_build_py_serve(site: Path) -> None:
    with running("--site", str(site), script=str(REPO / "build.py")) as server:
        assert text_of(server.url, FIRST)[0] == 200
    assert "masthead serve: stopped" in server.output()


def test_the_latency_bench_runs(site: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "serve_latency.py"), str(site), "--edits", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"median save-to-served latency: \d+\.\d+ s", result.stdout), result.stdout


# --- Hostile requests, on a socket (a server in this process) -------------------------------


@dataclass
class LiveServer:
    """A PreviewServer on a free port of 127.0.0.1, serving a preview folder."""

    server: httpd.PreviewServer
    errors: io.StringIO

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def raw(self, data: bytes, timeout: float = DEADLINE) -> bytes:
        """Send ``data`` as is; everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            return read_all(sock)

    def status(self, target: str, method: str = "GET", **request_headers: str) -> int:
        return fetch(f"http://127.0.0.1:{self.port}/", target, method, **request_headers)[0]


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def live_server(root: Path, idle_timeout: float = httpd.IDLE_SECONDS) -> Iterator[LiveServer]:
    errors = io.StringIO()
    server = httpd.PreviewServer("127.0.0.1", 0, idle_timeout=idle_timeout, errors=errors)
    server.preview = make_preview(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(server, errors)
    finally:
        server.preview.stop()
        server.shutdown()
        server.server_close()
        thread.join(DEADLINE)


def status_of(answer: bytes) -> int:
    """The status of a raw answer; an HTTP/0.9 one (to a request line of one word) has no
    status line, only the error page."""
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer) or re.search(
        rb"Error code: (\d{3})", answer
    )
    assert match, answer[:200]
    return int(match[1])


def test_the_404_page_behind_a_symlink_is_not_followed_out(preview_root: Path, tmp_path: Path):
    preview = make_preview(preview_root)
    page = preview_root / "404.html"
    page.unlink()
    page.symlink_to(tmp_path / "secret.txt")
    response = httpd.file_response(preview, "/no/such/page/")
    assert response.status == 404
    assert b"secret" not in response.body and b"Not found" in response.body
    page.unlink()
    page.symlink_to("/etc/passwd")
    response = httpd.file_response(preview, "/no/such/page/")
    assert b"root:" not in response.body and b"Not found" in response.body
    page.unlink()
    (preview_root / "pages").mkdir()
    (preview_root / "pages" / "missing.html").write_text("<body>inside the preview</body>")
    page.symlink_to(preview_root / "pages" / "missing.html")  # inside: fine
    assert b"inside the preview" in httpd.file_response(preview, "/nothing/").body
    page.unlink()
    page.mkdir()  # a folder is no page either
    assert b"Not found" in httpd.file_response(preview, "/nothing/").body


@pytest.mark.parametrize(
    "query",
    [
        "",
        "since=",
        "since=abc",
        "since=-1",
        "since=1.5",
        "since=%C2%B2",  # a superscript two: a digit to str.isdigit(), not to int()
        "since=\u0661",  # an Arabic-Indic one
        "since=" + "9" * 5000,  # beyond int()'s digit limit
        "since=%ff%fe",
        "server=abc",
        "since=1%00",
        "since=+1",
        "since= 1",
    ],
)
def test_malformed_reload_requests_are_400(preview_root: Path, query: str) -> None:
    response = httpd.wait_response(make_preview(preview_root), query)
    assert response.status == 400
    assert b"since=" in response.body


def test_a_well_formed_reload_request_still_works(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    answer = httpd.wait_response(preview, "since=7&server=other&since=x&odd&=&&")
    assert answer.status == 200 and b'"reload": true' in answer.body


def test_hostile_requests_get_an_answer_and_print_nothing(
    preview_root: Path, tmp_path: Path, capsys
) -> None:
    (preview_root / "loop").symlink_to(preview_root / "loop")
    (preview_root / "a").symlink_to(preview_root / "b")
    (preview_root / "b").symlink_to(preview_root / "a")
    with live_server(preview_root) as live:
        statuses = {
            "/" + "a" * 300: 404,  # a name longer than any file system allows
            "/" + "a/" * 3000 + "x": 404,  # a path longer than PATH_MAX
            "/" + "%C3%A9" * 200: 404,  # 400 bytes of UTF-8 in 200 characters
            "/" + "a" * 9000: 414,
            "/loop": 404,
            "/loop/": 404,
            "/a/x": 404,
            "/%ff": 400,
            "/x?%%%&&==": 404,
            "/?since=abc": 200,  # the home page: only the reload endpoint reads since=
            "/__masthead/wait?since=abc": 400,
            "/__masthead/wait?since=" + "1" * 4000: 400,
            "*": 400,
        }
        for target, expected in statuses.items():
            assert live.status(target) == expected, target[:80]
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW", "get"):
            status, response_headers, _ = fetch(f"http://127.0.0.1:{live.port}/", "/", method)
            assert status == 405 and response_headers["Allow"] == "GET, HEAD", method
        for name, value in [
            ("If-Modified-Since", "not a date"),
            ("If-Modified-Since", "Thu, 99 Foo 99999 99:99:99 GMT"),
            ("If-Modified-Since", "Sat, 01 Jan 10000 00:00:00 GMT"),
            ("If-Modified-Since", "\u00ff\u00fe"),
            ("If-None-Match", ',,, W/ "" *x'),
            ("Content-Length", "banana"),
            ("Range", "bytes=-"),
        ]:
            assert live.status("/static/style.css", **{name: value}) == 200, (name, value)
        raw_requests = {
            b"GARBAGE\r\n\r\n": 400,
            b"GET / HTTP/9.9\r\n\r\n": 505,
            b"GET / HTTP/1.1\r\nno colon here\r\n\r\n": 200,
            b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n": 431,
            b"GET / HTTP/1.1\r\nX-Long: " + b"x" * 70000 + b"\r\n\r\n": 431,
            b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n": 414,
            b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n": 404,  # raw UTF-8: a name, decoded
            b"GET /\xff HTTP/1.1\r\n\r\n": 400,
            b"POST / HTTP/1.1\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n": 405,
            b"GET / HTTP/1.1\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n": 200,
        }
        for request, expected in raw_requests.items():
            answer = live.raw(request)
            assert status_of(answer) == expected, request[:60]
            assert answer.count(b"HTTP/1.") <= 1, "a body is never taken for a request"
        assert live.status("/") == 200, "still serving"
    assert live.errors.getvalue() == ""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""


def test_a_bug_answers_500_and_prints_one_line(preview_root: Path, monkeypatch) -> None:
    def broken(*args: object) -> httpd.Response:
        raise RuntimeError("a bug\nwith \x1b[31m escapes")

    monkeypatch.setattr(httpd, "file_response", broken)
    with live_server(preview_root) as live:
        assert live.status("/x") == 500
        assert live.status("/__masthead/wait?since=x") == 400, "the rest still answers"
    lines = live.errors.getvalue().splitlines()
    assert lines == [
        "masthead serve: error answering /x: RuntimeError: a bug\\x0awith \\x1b[31m escapes"
    ]


def test_client_errors_are_silent_and_bugs_one_line() -> None:
    errors = io.StringIO()
    server = httpd.PreviewServer("127.0.0.1", 0, errors=errors)
    try:
        for error in (ConnectionResetError(), BrokenPipeError(), TimeoutError(), OSError(107)):
            try:
                raise error
            except OSError:
                server.handle_error(None, ("127.0.0.1", 5))
        assert errors.getvalue() == ""
        try:
            raise KeyError("bug")
        except KeyError:
            server.handle_error(None, ("127.0.0.1", 5))
    finally:
        server.server_close()
    assert errors.getvalue() == (
        "masthead serve: error while answering 127.0.0.1:5: KeyError: 'bug'\n"
    )


def test_idle_connections_are_closed(preview_root: Path) -> None:
    with live_server(preview_root, idle_timeout=0.3) as live:
        with socket.create_connection(("127.0.0.1", live.port), timeout=DEADLINE) as sock:
            started = time.monotonic()
            assert sock.recv(1) == b"", "a connection that never sends is closed"
            assert time.monotonic() - started < DEADLINE / 2
        with socket.create_connection(("127.0.0.1", live.port), timeout=DEADLINE) as sock:
            sock.sendall(b"GET /static/style.css HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = read_all(sock)  # the answer, then the close once idle
            assert status_of(answer) == 200 and answer.endswith(b"body{}")
        with socket.create_connection(("127.0.0.1", live.port), timeout=DEADLINE) as sock:
            sock.sendall(b"GET / HT")  # half a request line, then nothing
            assert status_of(read_all(sock) or b"HTTP/1.1 000 closed") in (0, 400, 408)


def test_the_idle_timeout_does_not_cut_the_long_poll(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(httpd, "WAIT_SECONDS", 1.0)
    with live_server(preview_root, idle_timeout=0.2) as live:
        server_id = live.server.preview.state.server_id
        started = time.monotonic()
        status, _, body = fetch(
            f"http://127.0.0.1:{live.port}/", f"/__masthead/wait?since=0&server={server_id}"
        )
        assert status == 200 and b'"reload": false' in body
        assert time.monotonic() - started >= 0.9, "it waited the whole poll"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LocalHost.", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("example.org", False),
        ("128.0.0.1", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback


def test_the_host_option_takes_brackets() -> None:
    from masthead.cli import make_parser

    args = make_parser().parse_args(["serve", "--host", "[::1]"])
    assert args.host == "::1"


def test_file_names_in_the_terminal_log_are_printable() -> None:
    out, err = io.StringIO(), io.StringIO()
    outcome = watch.Outcome(BuildReport(articles=1, pages=2), (), 0.1)
    changes = (Change(CONTENT, "content/a\x1b]0;pwned\x07\nb.md"),)
    serve._report(outcome, changes, (), out, err)
    line = out.getvalue()
    assert line.count("\n") == 1 and "\x1b" not in line and "\x07" not in line
    assert "content/a\\x1b]0;pwned\\x07\\x0ab.md: rebuilt" in line
