"""A build killed at any moment (SIGKILL: no cleanup runs) must leave a usable site.

After every kill: each file in output/ (the staging folder aside) is a complete version of
that file, byte for byte the old one or the new one; the parse cache opens and reads; and
the next normal build succeeds and writes exactly what a clean ``--no-cache`` build writes,
leaving no staging folder behind.

The site has 1,500 articles and builds with ``--jobs 2``, so worker processes are killed
too (the whole process group, as a power cut or the OOM killer would).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sitegen import (
    CACHE_FILE,
    MANIFEST,
    REPO,
    STAGING,
    generate_site,
    masthead,
    ok,
    output_tree,
    tree_difference,
)

pytestmark = pytest.mark.slow  # 1,500 articles, killed and built again many times

N = 1500
KILL_AFTER = (0.3, 0.8, 1.5, 3.0)
# A template edit whose effect on the output is a plain byte substitution, so that the
# new version of every article page is known without building it.
OLD_MARK, NEW_MARK = 'class="story-header"', 'class="story-header late-edition"'


@pytest.fixture(scope="module")
def crash_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The site and its clean build (``--no-cache``), checked to be complete HTML."""
    root = tmp_path_factory.mktemp("crash")
    site = root / "site"
    generate_site(site, N, per_page=50, hours_apart=4, own_templates=("article.html",))
    ok(masthead("build", "--site", site, "--no-cache", "--jobs", "2", "--output", root / "ref"))
    reference = output_tree(root / "ref")
    problems = [p for rel, data in reference.items() for p in html_problems(rel, data)]
    assert not problems, problems[:10]
    html = sorted(rel for rel in reference if rel.endswith(".html"))
    for rel in html[:: max(1, len(html) // 80)]:  # a full parse of a sample
        assert parse_problems(reference[rel]) == [], rel
    return site, reference


# -- what a file left by a killed build may look like --------------------------------------------


def html_problems(rel: str, data: bytes) -> list[str]:
    """Why ``data`` is not a whole HTML page ([] when it is)."""
    if not rel.endswith(".html"):
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [f"{rel}: not UTF-8"]
    problems = []
    if not text.lstrip().lower().startswith("<!doctype html>"):
        problems.append(f"{rel}: does not start with <!doctype html>")
    if not text.rstrip().endswith("</html>"):
        problems.append(f"{rel}: does not end with </html>")
    if text.count("</html>") != 1 or text.count("<body") != 1 or text.count("</body>") != 1:
        problems.append(f"{rel}: not exactly one html and body element")
    return problems


VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    | {"track", "wbr"}
)


class _Nesting(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.closed: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag not in self.stack:
            self.problems.append(f"</{tag}> without <{tag}>")
            return
        while self.stack.pop() != tag:
            pass
        self.closed.add(tag)


def parse_problems(data: bytes) -> list[str]:
    """Parse a page: every end tag has its start tag; html, head and body are closed."""
    parser = _Nesting()
    parser.feed(data.decode("utf-8"))
    parser.close()
    missing = [
        f"<{tag}> not closed" for tag in ("html", "head", "body") if tag not in parser.closed
    ]
    return parser.problems + missing


def crash_problems(output: Path, versions: Callable[[str], set[bytes]]) -> list[str]:
    """Files of ``output`` that are not a complete version of themselves, and a bad manifest."""
    problems = []
    if not output.exists():
        return problems
    for rel, data in output_tree(output, ignore=()).items():
        if rel.startswith(STAGING + "/") or rel.startswith(".masthead-"):
            continue  # masthead's own work in progress, never served
        allowed = versions(rel)
        if not allowed:
            problems.append(f"{rel}: a file no build of this site writes")
        elif data not in allowed:
            problems.append(f"{rel}: neither the old nor the new version ({len(data)} bytes)")
        problems.extend(html_problems(rel, data))
    manifest = output / MANIFEST
    if manifest.exists():
        try:
            json.loads(manifest.read_text("utf-8"))
        except ValueError as exc:
            problems.append(f"{MANIFEST} is not JSON: {exc}")
    return problems


def cache_problems(cache: Path) -> list[str]:
    """Why the parse cache cannot be opened and read in full ([] when it can, or is absent)."""
    path = cache / CACHE_FILE
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(path)
    except sqlite3.DatabaseError as exc:
        return [f"cache cannot be opened: {exc}"]
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            return [f"cache integrity check: {verdict}"]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "sources" in tables:
            for _ in db.execute("SELECT * FROM sources"):
                pass
    except sqlite3.DatabaseError as exc:
        return [f"cache cannot be read: {exc}"]
    finally:
        db.close()
    return []


# -- running and killing builds -------------------------------------------------------------------


def start_build(site: Path, output: Path, cache: Path) -> subprocess.Popen:
    """``masthead build --jobs 2`` in a process group of its own."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "masthead.cli", "build", "--site", str(site), "--jobs", "2"),
            *("--output", str(output), "--cache-dir", str(cache), "-q"),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill(process: subprocess.Popen) -> bool:
    """SIGKILL the build and its workers; True if it was still running.

    The group is ours (``start_new_session``) and cannot be reused while its leader is
    unreaped, which ``poll`` does only once the leader has exited."""
    running = process.poll() is None
    if running:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return running


def kill_after(seconds: float, site: Path, output: Path, cache: Path) -> bool:
    process = start_build(site, output, cache)
    time.sleep(seconds)
    return kill(process)


def kill_during_commit(site: Path, output: Path, cache: Path, watched: Path) -> bool:
    """Kill the build as soon as it has moved ``watched`` into place (it moves the first
    page it rendered first, and goes on with the others)."""

    def state() -> tuple[int, int] | None:
        stat = _stat(watched)
        return (stat.st_ino, stat.st_mtime_ns) if stat else None

    before = state()
    process = start_build(site, output, cache)
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        if state() != before:
            break
        time.sleep(0.0005)
    return kill(process)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


# -- the test -------------------------------------------------------------------------------------


def test_killed_builds_leave_complete_files_and_the_next_build_repairs_everything(
    crash_site, tmp_path
):
    site, reference = crash_site
    output, cache = tmp_path / "output", tmp_path / "cache"
    failures: list[str] = []

    def check(when: str, versions: Callable[[str], set[bytes]]) -> None:
        failures.extend(f"{when}: {p}" for p in crash_problems(output, versions))
        failures.extend(f"{when}: {p}" for p in cache_problems(cache))

    def recover(when: str) -> subprocess.CompletedProcess[str]:
        result = masthead(
            "build", "--site", site, "--jobs", "2", "--output", output, "--cache-dir", cache, "-v"
        )
        if result.returncode != 0:
            failures.append(f"{when}: the next build failed: {result.stderr}")
        difference = tree_difference(output_tree(output), reference)
        if difference:
            failures.append(f"{when}: the next build differs from a clean build: {difference}")
        if (output / STAGING).exists():
            failures.append(f"{when}: the staging folder was left behind")
        return result

    # 1. The first build of the site, killed while loading, parsing and rendering.
    only_reference = lambda rel: {reference[rel]} if rel in reference else set()  # noqa: E731
    for seconds in KILL_AFTER:
        kill_after(seconds, site, output, cache)
        check(f"first build killed after {seconds} s", only_reference)
    recover("after the killed first builds")
    assert not failures, "\n".join(failures)

    # 2. A rebuild that rewrites every article page (template edit, sources cached), killed
    #    while rendering and then while moving the new pages into place.
    template = site / "templates" / "article.html"
    original = template.read_text("utf-8")
    assert original.count(OLD_MARK) == 1
    article_pages = {rel for rel, data in reference.items() if OLD_MARK.encode() in data}
    assert len(article_pages) == N

    def old_or_new(rel: str) -> set[bytes]:
        if rel not in reference:
            return set()
        return {reference[rel], reference[rel].replace(OLD_MARK.encode(), NEW_MARK.encode())}

    template.write_text(original.replace(OLD_MARK, NEW_MARK), "utf-8")
    try:
        kill_after(1.5, site, output, cache)
        check("rebuild killed after 1.5 s", old_or_new)
        newest = max(article_pages)  # rendered first, so moved into place first
        caught = kill_during_commit(site, output, cache, output / newest)
        check("rebuild killed while committing", old_or_new)
        new = sum(NEW_MARK.encode() in (output / rel).read_bytes() for rel in article_pages)
    finally:
        template.write_text(original, "utf-8")
    result = recover("after the killed rebuilds")
    if result.returncode == 0 and "0 parsed" not in result.stdout:
        failures.append(f"the cache was not reused after the kills:\n{result.stdout}")
    assert not failures, "\n".join(failures)
    if not (caught and 0 < new < N):
        warnings.warn(
            f"the kill missed the commit phase ({new} of {N} article pages were new)",
            stacklevel=1,
        )
