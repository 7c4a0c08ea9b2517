"""One tiny invalid site per failure mode, built through the command line.

Each folder of ``tests/invalid_sites/`` is a site plus an ``expected.txt``::

    # what the case is about (comment lines are ignored)
    exit: 1                         the expected exit code
    args: --keep-going              extra command-line arguments (optional)
    symlink: LINK -> TARGET         a symbolic link the test makes in the copy (optional)
    rename: FROM -> TO              a file the test renames in the copy (optional; for a broken
                                    pyproject.toml, which would trip tools that read them)
    built: 2017/09/02/x/index.html  a file the build must write (optional, repeatable)
    user-file: robots.txt           a file of the user's in the previous output (repeatable)
    stderr:
    content/2017/09/x.md:4: error: ...   every line that follows is expected on stderr, exactly

The case is copied into a temporary folder next to a previous ``output/`` holding a marker
file of the user's and old pages masthead wrote (named in its manifest); unless the case lists ``built:`` files, that output must be left
byte-for-byte untouched. All cases run in parallel subprocesses (one per case) to keep the
suite fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from masthead.manifest import MANIFEST_NAME
from masthead.model import BuildOptions, ProblemsError
from masthead.pipeline import build

CASES_DIR = Path(__file__).parent / "invalid_sites"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected.txt").is_file())
MARKER = b"written by hand, not by masthead\n"
OLD_PAGE = b"<!doctype html><title>previous build</title>\n"


@dataclass(frozen=True)
class Expected:
    exit: int
    stderr: list[str]
    args: list[str] = field(default_factory=list)
    symlinks: list[tuple[str, str]] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    user_files: list[str] = field(default_factory=list)


def read_expected(path: Path) -> Expected:
    lines = path.read_text(encoding="utf-8").splitlines()
    end = lines.index("stderr:")
    settings: dict[str, list[str]] = {}
    for line in lines[:end]:
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.partition(":")
        settings.setdefault(key.strip(), []).append(value.strip())

    def pairs(key: str) -> list[tuple[str, str]]:
        return [tuple(value.split(" -> ", 1)) for value in settings.get(key, [])]  # type: ignore[misc]

    return Expected(
        exit=int(settings["exit"][0]),
        stderr=[line for line in lines[end + 1 :] if line],
        args=" ".join(settings.get("args", [])).split(),
        symlinks=pairs("symlink"),
        renames=pairs("rename"),
        built=settings.get("built", []),
        user_files=settings.get("user-file", []),
    )


@dataclass
class Run:
    site: Path
    expected: Expected
    before: dict
    returncode: int
    stdout: str
    stderr: str


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Files (bytes) and folders (None) below ``folder``."""
    found: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            found[(Path(dirpath) / name).relative_to(folder).as_posix() + "/"] = None
        for name in filenames:
            found[(Path(dirpath) / name).relative_to(folder).as_posix()] = (
                Path(dirpath) / name
            ).read_bytes()
    return found


def prepare(case: str, root: Path) -> tuple[Path, Expected, dict]:
    """Copy the case, make its symlinks and a previous output; return the 'before' state."""
    site = root / case
    shutil.copytree(CASES_DIR / case, site, ignore=shutil.ignore_patterns("expected.txt"))
    expected = read_expected(CASES_DIR / case / "expected.txt")
    for old, new in expected.renames:
        (site / old).rename(site / new)
    for link, target in expected.symlinks:
        (site / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, site / link)
    output = site / "output"
    output.mkdir()
    (output / "MARKER.txt").write_bytes(MARKER)
    (output / "index.html").write_bytes(OLD_PAGE)
    (output / "2016" / "01").mkdir(parents=True)
    (output / "2016" / "01" / "index.html").write_bytes(OLD_PAGE)
    write_manifest(output, ("index.html", "2016/01/index.html"), ("2016", "2016/01"))
    for rel in expected.user_files:
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        (output / rel).write_bytes(MARKER)
    return site, expected, snapshot(output)


def write_manifest(output: Path, files: tuple[str, ...], folders: tuple[str, ...]) -> None:
    """A manifest saying that masthead wrote ``files`` (MARKER.txt is the user's own)."""
    entries = {}
    for rel in files:
        stat = (output / rel).stat()
        digest = hashlib.sha256((output / rel).read_bytes()).hexdigest()
        entries[rel] = [digest, stat.st_size, stat.st_mtime_ns, "old"]
    document = {"version": 2, "files": entries, "folders": list(folders)}
    (output / MANIFEST_NAME).write_text(json.dumps(document), encoding="utf-8")


def run_cli(site: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "masthead.cli", "build", "--site", str(site), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=60,
        check=False,
    )


def run_case(case: str, root: Path) -> Run:
    site, expected, before = prepare(case, root)
    done = run_cli(site, *expected.args)
    return Run(site, expected, before, done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Future]:
    """Every case, started at once on a small pool; each test waits for its own."""
    root = tmp_path_factory.mktemp("invalid_sites")
    pool = ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) * 2)))
    futures = {case: pool.submit(run_case, case, root) for case in CASES}
    yield futures
    pool.shutdown(wait=True)


def test_there_are_cases():
    assert len(CASES) >= 20


@pytest.mark.slow  # every case is a build in a subprocess
@pytest.mark.parametrize("case", CASES)
def test_case_reports_exactly_the_expected_problems(runs, case):
    run = runs[case].result()
    assert run.stderr.splitlines() == run.expected.stderr, run.stdout
    assert run.returncode == run.expected.exit, run.stderr


@pytest.mark.slow  # every case is a build in a subprocess
@pytest.mark.parametrize("case", CASES)
def test_case_leaves_the_previous_output_alone(runs, case):
    run = runs[case].result()
    output = run.site / "output"
    after = snapshot(output)
    if not run.expected.built:
        assert after == run.before, "a failed build must not change output/"
        return
    # --keep-going writes what is valid, prunes the pages it wrote before that no article
    # produces any more, and never deletes a file it did not write.
    assert after["MARKER.txt"] == MARKER
    assert "2016/01/index.html" not in after
    for rel in run.expected.built:
        assert (output / rel).is_file(), rel
    assert not any(name.startswith(".masthead-staging") for name in after)


@pytest.mark.slow  # every case is a build in a subprocess
def test_failed_build_says_nothing_was_written(runs):
    run = runs["invalid_date"].result()
    assert "nothing written" in run.stdout


# -- a failed build after a good one ---------------------------------------------------------

GOOD = """\
---
title: Talks resume
date: 2017-09-02
category: World
source: Wire
---

The talks resumed on Monday.
"""


@pytest.fixture
def built_site(make_site, tree):
    site = make_site({"content/2017/09/talks.md": GOOD})
    report = build(site)
    assert report.errors == ()
    (site / "output" / "MARKER.txt").write_bytes(MARKER)
    return site, tree(site / "output")


def test_content_error_after_a_good_build_leaves_the_output_untouched(built_site, tree):
    site, before = built_site
    (site / "content/2017/09/talks.md").write_text(GOOD.replace("2017-09-02", "2017-13-45"))
    (site / "content/2017/09/new.md").write_text(GOOD.replace("Talks resume", "New story"))
    report = build(site)
    assert [str(p) for p in report.errors] == [
        'content/2017/09/talks.md:3: error: date: "2017-13-45" is not a date (use YYYY-MM-DD or ISO 8601)'
    ]
    assert tree(site / "output") == before


def test_template_error_after_a_good_build_leaves_the_output_untouched(built_site, tree):
    # Rendering has started when a template fails: staged pages must be thrown away.
    site, before = built_site
    (site / "content/2017/09/new.md").write_text(GOOD.replace("Talks resume", "New story"))
    (site / "templates").mkdir()
    (site / "templates/list.html").write_text(
        '{% extends "base.html" %}\n{% block content %}{{ no_such_thing }}{% endblock %}\n'
    )
    report = build(site)
    assert [p.path for p in report.errors] == ["templates/list.html"]
    assert report.errors[0].line == 2
    assert tree(site / "output") == before


def test_config_error_after_a_good_build_leaves_the_output_untouched(built_site, tree):
    site, before = built_site
    (site / "pyproject.toml").write_text('[tool.masthead]\nper_page = "ten"\n')
    with pytest.raises(ProblemsError):
        build(site)
    assert tree(site / "output") == before


def test_failed_render_without_previous_output_creates_no_output_folder(make_site):
    site = make_site(
        {
            "content/2017/09/talks.md": GOOD,
            "templates/article.html": "{{ no_such_thing }}\n",
        }
    )
    report = build(site)
    assert report.errors
    assert not (site / "output").exists(), "nothing written, so no output/ folder either"


def test_check_reports_the_same_problems_and_writes_nothing(tmp_path):
    site, expected, before = prepare("several_bad_files", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "masthead.cli", "check", "--site", str(site)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == expected.stderr
    assert snapshot(site / "output") == before


def test_keep_going_in_process_builds_the_valid_article(tmp_path):
    site, _, _ = prepare("keep_going", tmp_path)
    report = build(site, BuildOptions(keep_going=True))
    assert report.articles == 1
    assert len(report.errors) == 1
    assert (site / "output/2017/09/02/talks-resume/index.html").is_file()
