"""End to end: ``python build.py`` and the ``masthead`` console command, as a person runs them.

Every test works in its own temporary folder: a copy of the demo archive (content/,
templates/, pyproject.toml and build.py, which builds the folder it lives in) or a site made
with ``masthead init``. Nothing here writes into the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import frontmatter
import pytest
from sitegen import copy_demo, write_article

from masthead.cli import make_parser

pytestmark = pytest.mark.slow  # every test runs the console script, most build in subprocesses

MANIFEST = ".masthead-manifest.json"
MANIFESTS = (MANIFEST, ".masthead-manifest-delta.json")
SUMMARY = re.compile(r"^masthead: .*\b(\d+) written, (\d+) unchanged, (\d+) removed\b.*$", re.M)
ERROR_LINE = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): error: (?P<message>.+)$", re.M)
LINK = re.compile(r"""\b(href|src)\s*=\s*["']([^"']*)["']""")
CANONICAL = re.compile(r"""<link\b[^>]*\brel=["']canonical["'][^>]*>""")


def masthead_command() -> list[str]:
    """The installed console script, next to the running Python (a venv's bin/)."""
    beside = Path(sys.executable).with_name("masthead")
    found = str(beside) if beside.is_file() else shutil.which("masthead")
    assert found, "the `masthead` console script is not installed: pip install -e '.[test]'"
    return [found]


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``masthead ARGS`` and return the finished process (output captured as text)."""
    return subprocess.run(
        [*masthead_command(), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def counts(result: subprocess.CompletedProcess[str]) -> tuple[int, int, int]:
    """(written, unchanged, removed) from the build's summary line."""
    match = SUMMARY.search(result.stdout)
    assert match, f"no summary line in:\n{result.stdout}"
    written, unchanged, removed = (int(n) for n in match.groups())
    return written, unchanged, removed


def files_of(root: Path, *, skip: tuple[str, ...] = MANIFESTS) -> dict[str, bytes]:
    """Every file below ``root`` by POSIX relative path, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in skip
    }


def stamps(root: Path, *, skip: tuple[str, ...] = MANIFESTS) -> dict[str, tuple[int, int]]:
    """(inode, mtime in ns) of every file: a rewrite changes one or both."""
    return {
        path.relative_to(root).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in skip
    }


def page_of(output: Path, slug: str) -> Path | None:
    """The built page of the article with this slug, or None."""
    found = list(output.glob(f"**/{slug}/index.html"))
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the repository's demo archive that ``python build.py`` builds in place."""
    return copy_demo(tmp_path / "demo", build_py=True)


@pytest.fixture
def new_site(tmp_path: Path) -> Path:
    """A site made by ``masthead init``."""
    site = tmp_path / "mysite"
    ok(run("init", site))
    return site


# --- python build.py ----------------------------------------------------------------------


def test_build_py_builds_the_folder_it_lives_in(demo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, str(demo / "build.py")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    ok(result)
    written, unchanged, removed = counts(result)
    assert written > 100 and unchanged == 0 and removed == 0
    assert (demo / "output" / "index.html").is_file()
    assert (demo / "output" / "404.html").is_file()
    assert not list(elsewhere.iterdir()), "build.py wrote into the current folder"
    assert page_of(demo / "output", "us-russia-still-far-apart-over-syria")


def test_build_py_passes_arguments_to_masthead(demo: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "build.py", "check", "--site", "."],
        cwd=demo,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    ok(result)
    assert result.stdout.startswith("masthead check:"), result.stdout
    assert not (demo / "output").exists()


# --- init, build, new ---------------------------------------------------------------------


def test_init_creates_a_site_that_builds(tmp_path: Path) -> None:
    site = tmp_path / "mysite"
    result = ok(run("init", site))
    assert "created" in result.stdout
    assert (site / "pyproject.toml").is_file()
    sources = list((site / "content").rglob("*.md"))
    assert len(sources) == 1
    build = ok(run("build", "--site", site))
    written, unchanged, removed = counts(build)
    assert written > 0 and unchanged == 0 and removed == 0
    home = (site / "output" / "index.html").read_text(encoding="utf-8")
    assert "Welcome to your news archive" in home


def test_build_in_the_site_folder_without_site_option(new_site: Path) -> None:
    ok(run("build", cwd=new_site))
    assert (new_site / "output" / "index.html").is_file()


def test_init_refuses_an_existing_site(new_site: Path) -> None:
    before = files_of(new_site)
    result = run("init", new_site)
    assert result.returncode == 2, result
    assert "error" in result.stderr
    assert files_of(new_site) == before


def test_new_creates_an_article_and_refuses_to_overwrite(new_site: Path) -> None:
    before = datetime.now(UTC)
    result = ok(
        run(
            "new",
            "Floods Hit Karachi",
            "--category",
            "National News",
            "--source",
            "Dawn News",
            "--author",
            "Amina Rao",
            "--tag",
            "Floods",
            "--site",
            new_site,
        )
    )
    after = datetime.now(UTC)
    months = {f"{when:%Y/%m}" for when in (before, after)}  # the init site's time zone is UTC
    expected = [new_site / "content" / month / "floods-hit-karachi.md" for month in months]
    created = [path for path in expected if path.is_file()]
    assert len(created) == 1, f"expected one of {expected}; stdout: {result.stdout}"
    article = frontmatter.load(created[0])
    assert article["title"] == "Floods Hit Karachi"
    assert article["category"] == "National News"
    assert article["source"] == "Dawn News"
    assert article["date"]
    assert article.get("authors") == ["Amina Rao"]
    assert article.get("tags") == ["Floods"]
    text = created[0].read_bytes()

    again = run("new", "Floods Hit Karachi", "--category", "C", "--source", "S", "--site", new_site)
    assert again.returncode == 2, again
    assert "already exists" in again.stderr
    assert created[0].read_bytes() == text

    ok(run("build", "--site", new_site))
    page = page_of(new_site / "output", "floods-hit-karachi")
    assert page, "the new article was not built"
    assert "Floods Hit Karachi" in page.read_text(encoding="utf-8")


def test_a_parallel_build_ends_with_every_line_printed_and_no_process_left(demo: Path) -> None:
    # The command ends its process at once after a build (cli.console): what it printed
    # must still arrive, and no worker may outlive it (one holding the pipe would hang
    # this call until the timeout).
    result = ok(run("build", "--site", demo, "--jobs", "2", "-v"))
    assert SUMMARY.search(result.stdout)
    assert re.search(r"^  write +\d", result.stdout, re.M), result.stdout
    assert re.search(r"^  manifest +\d", result.stdout, re.M), "reading the manifest is timed"
    # Only the demo's own warnings: nothing left behind for multiprocessing to complain of.
    assert all(": warning: " in line for line in result.stderr.splitlines()), result.stderr
    (demo / "content" / "broken.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    failed = run("build", "--site", demo, "--jobs", "2")
    assert failed.returncode == 1 and "content/broken.md" in failed.stderr, failed.stderr


def test_a_parallel_build_leaves_nothing_in_the_temporary_folder(demo: Path, tmp_path: Path):
    # The quick exit still runs the exit handlers: multiprocessing's removes the folder its
    # forkserver listened in (a pymp-* folder per build was left in /tmp before).
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    result = ok(run("build", "--site", demo, "--jobs", "2", "-v", env=env))
    assert re.search(r"; \d{3} rendered", result.stdout), "enough pages for the workers"
    assert list(temporary.iterdir()) == []


def test_a_parallel_build_works_under_a_temporary_folder_too_long_for_a_socket(
    demo: Path, tmp_path: Path
):
    # The forkserver listens on a Unix socket there; such a path is capped at 107 bytes.
    temporary = tmp_path / ("t" * max(1, 110 - len(str(tmp_path))))
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    result = ok(run("build", "--site", demo, "--jobs", "2", "-v", env=env))
    assert re.search(r"; \d{3} rendered", result.stdout), "enough pages for the workers"


def test_a_build_under_a_profiler_exits_the_ordinary_way_so_the_profile_is_printed(
    new_site: Path,
) -> None:
    profiled = subprocess.run(
        [sys.executable, "-m", "cProfile", "-m", "masthead.cli", "build", "--site", new_site],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert profiled.returncode == 0, profiled.stderr
    assert SUMMARY.search(profiled.stdout) and "function calls" in profiled.stdout


def test_main_returns_from_a_build_in_process(new_site: Path) -> None:
    from masthead.cli import main

    assert main(["build", "--site", str(new_site), "--quiet"]) == 0  # and this test goes on
    assert (new_site / "output" / "index.html").is_file()


# --- check --------------------------------------------------------------------------------


def test_check_writes_nothing_and_exits_1_on_errors(demo: Path) -> None:
    def snapshot() -> dict[str, bytes]:
        """Every file of the site: check must not write output, a cache or anything else."""
        return files_of(demo, skip=())

    before = snapshot()
    result = ok(run("check", "--site", demo))
    assert re.match(r"masthead check: \d+ articles?, \d+ pages?, no errors", result.stdout)
    assert not (demo / "output").exists(), "check created the output folder"
    assert sorted(snapshot()) == sorted(before), "check wrote files into the site"
    assert snapshot() == before

    broken = demo / "content" / "2020" / "01" / "broken.md"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text(
        "---\ndate: 2020-01-05\ncategory: City\nsource: Wire\n---\n\nNo title.\n",
        encoding="utf-8",
    )
    before = snapshot()
    failed = run("check", "--site", demo)
    assert failed.returncode == 1, failed
    errors = list(ERROR_LINE.finditer(failed.stderr))
    assert errors, f"no `path:line: error: message` line in:\n{failed.stderr}"
    assert errors[0]["path"] == "content/2020/01/broken.md"
    assert "title" in errors[0]["message"]
    assert not (demo / "output").exists()
    assert snapshot() == before


def test_failed_build_leaves_previous_output_untouched(new_site: Path) -> None:
    ok(run("build", "--site", new_site))
    output = new_site / "output"
    before, before_stamps = files_of(output), stamps(output)
    write_article(new_site, "2020/01/broken.md", title="Broken", date="2020-01-05", category="City")
    result = run("build", "--site", new_site)
    assert result.returncode == 1, result
    assert re.search(r"^content/2020/01/broken\.md:\d+: error: source", result.stderr, re.M)
    assert files_of(output) == before
    assert stamps(output) == before_stamps


# --- drafts, future, base URL, output folder ----------------------------------------------


def test_drafts_and_future_articles_need_their_options(new_site: Path, tmp_path: Path) -> None:
    common = {"category": "City", "source": "Wire"}
    write_article(new_site, "2020/05/a-draft.md", title="A draft", date="2020-05-01", draft=True, **common)  # fmt: skip
    write_article(new_site, "2999/01/far-future.md", title="Far future", date="2999-01-01", **common)  # fmt: skip
    outputs = {}
    for name, options in {
        "plain": [],
        "drafts": ["--drafts"],
        "future": ["--future"],
        "both": ["--drafts", "--future"],
    }.items():
        outputs[name] = tmp_path / name
        ok(run("build", "--site", new_site, "--output", outputs[name], *options))
    has = {
        name: (page_of(out, "a-draft") is not None, page_of(out, "far-future") is not None)
        for name, out in outputs.items()
    }
    assert has == {
        "plain": (False, False),
        "drafts": (True, False),
        "future": (False, True),
        "both": (True, True),
    }
    home = (outputs["plain"] / "index.html").read_text(encoding="utf-8")
    assert "A draft" not in home and "Far future" not in home
    assert not (outputs["plain"] / "2999").exists()


def test_base_url_with_a_sub_path(demo: Path, tmp_path: Path) -> None:
    output = tmp_path / "news"
    ok(run("build", "--site", demo, "--base-url", "https://example.org/news/", "--output", output))
    wrong, missing, canonical = [], [], []
    pages = sorted(output.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        rel = page.relative_to(output).as_posix()
        text = page.read_text(encoding="utf-8")
        for tag in CANONICAL.findall(text):
            href = LINK.search(tag)
            if not href or not href.group(2).startswith("https://example.org/news/"):
                canonical.append(f"{rel}: {tag}")
        for attribute, value in LINK.findall(text):
            parts = urlsplit(value)
            if value.startswith("#") or parts.scheme in ("http", "https", "mailto", "data"):
                continue
            if not value.startswith("/news/"):
                wrong.append(f"{rel}: {attribute}={value!r}")
                continue
            target = unquote(parts.path)[len("/news/") :]
            if target == "" or target.endswith("/"):
                target += "index.html"
            if not (output / target).is_file():
                missing.append(f"{rel}: {attribute}={value!r}")
    assert not wrong, "links outside /news/:\n" + "\n".join(wrong[:40])
    assert not missing, "links to files the build did not write:\n" + "\n".join(missing[:40])
    assert not canonical, "canonical URLs outside the base URL:\n" + "\n".join(canonical[:40])
    home = (output / "index.html").read_text(encoding="utf-8")
    assert 'href="https://example.org/news/"' in home  # the canonical URL


def test_output_option_writes_only_there(new_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "elsewhere" / "public"
    ok(run("build", "--site", new_site, "--output", output))
    assert (output / "index.html").is_file()
    assert (output / MANIFEST).is_file()
    assert not (new_site / "output").exists()


@pytest.mark.parametrize("where", [".", "content", "templates", ".."])
def test_output_folders_that_hold_the_site_are_refused(new_site: Path, where: str) -> None:
    before = files_of(new_site.parent)
    result = run("build", "--site", new_site, "--output", new_site / where)
    assert result.returncode == 2, result
    assert "refusing" in result.stderr
    assert files_of(new_site.parent) == before


# --- help and usage errors ----------------------------------------------------------------


def subcommands() -> list[str]:
    parser = make_parser()
    for action in parser._actions:  # argparse has no public way to list subcommands
        if getattr(action, "choices", None) and isinstance(action.choices, dict):
            return sorted(action.choices)
    raise AssertionError("masthead has no subcommands")


def test_the_four_commands_exist() -> None:
    assert {"build", "check", "new", "init"} <= set(subcommands())


@pytest.mark.parametrize("command", [None, *subcommands()])
def test_help_on_every_command(command: str | None) -> None:
    args = [command, "--help"] if command else ["--help"]
    result = ok(run(*args))
    expected = f"usage: masthead {command}" if command else "usage: masthead"
    assert result.stdout.startswith(expected), result.stdout
    assert not result.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frobnicate"],
        ["build", "--no-such-option"],
        ["build", "--quiet", "--verbose"],
        ["check", "--output", "x"],
        ["new", "A title"],
        ["new", "A title", "--category", "City"],
        ["init"],
        ["build", "--base-url", "not-a-url"],
        ["build", "--base-url", "ftp://example.org/"],
    ],
    ids=lambda args: " ".join(args) or "no-command",
)
def test_usage_errors_exit_2(args: list[str], new_site: Path) -> None:
    result = run(*args, cwd=new_site)
    assert result.returncode == 2, result
    assert (result.stderr + result.stdout).strip(), "a usage error must say what is wrong"
    assert not (new_site / "output").exists()


def test_configuration_error_exits_2_with_the_error_format(new_site: Path) -> None:
    config = new_site / "pyproject.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("per_page = 20", "per_page = 0"),
        encoding="utf-8",
    )
    result = run("build", "--site", new_site)
    assert result.returncode == 2, result
    assert re.search(r"^pyproject\.toml(:\d+)?: error: .*per_page", result.stderr, re.M)


# --- incremental output -------------------------------------------------------------------


def test_second_build_rewrites_nothing(demo: Path) -> None:
    first = ok(run("build", "--site", demo))
    output = demo / "output"
    total = len(files_of(output))
    assert counts(first) == (total, 0, 0)
    before = stamps(output)
    time.sleep(0.05)  # a rewrite would then show a later mtime even on coarse clocks
    second = ok(run("build", "--site", demo))
    assert counts(second) == (0, total, 0)
    assert stamps(output) == before, "files were rewritten although nothing changed"


def unpublish(site: Path, url: str) -> None:
    """Take a URL out of the site's ledger, as a user who means to unpublish it does."""
    ledger = site / "published-urls.txt"
    lines = ledger.read_text("utf-8").splitlines(keepends=True)
    assert url + "\n" in lines
    ledger.write_text("".join(line for line in lines if line != url + "\n"), "utf-8")


def test_deleted_article_is_removed_on_the_next_build(new_site: Path) -> None:
    write_article(new_site, "2020/05/short-lived.md", title="Short lived", date="2020-05-01", category="City", source="Wire")  # fmt: skip
    ok(run("build", "--site", new_site))
    output = new_site / "output"
    page = page_of(output, "short-lived")
    assert page
    (new_site / "content" / "2020" / "05" / "short-lived.md").unlink()
    refused = run("build", "--site", new_site)  # the URL ledger keeps published URLs alive
    assert refused.returncode == 1
    assert "the published URL /2020/05/01/short-lived/ would no longer be served" in refused.stderr
    unpublish(new_site, "/2020/05/01/short-lived/")
    result = ok(run("build", "--site", new_site))
    assert counts(result)[2] >= 1  # removed
    assert not page.exists()
    assert not page.parent.exists(), "the article's empty folder was left behind"
    assert not (output / "2020").exists(), "the 2020 archive pages were left behind"
    assert not (output / "category" / "city").exists()


def test_user_files_in_output_survive_builds(new_site: Path) -> None:
    write_article(new_site, "2020/05/short-lived.md", title="Short lived", date="2020-05-01", category="City", source="Wire")  # fmt: skip
    ok(run("build", "--site", new_site))
    output = new_site / "output"
    page = page_of(output, "short-lived")
    assert page
    mine = {
        output / "CNAME": b"news.example.org\n",
        output / "static" / "logo.txt": b"not written by masthead\n",
        page.parent / "notes.txt": b"kept beside a page that goes away\n",
    }
    for path, data in mine.items():
        path.write_bytes(data)
    ok(run("build", "--site", new_site))
    (new_site / "content" / "2020" / "05" / "short-lived.md").unlink()
    unpublish(new_site, "/2020/05/01/short-lived/")
    ok(run("build", "--site", new_site))
    for path, data in mine.items():
        assert path.is_file() and path.read_bytes() == data, path
    assert not page.exists()


def test_two_builds_are_byte_identical(demo: Path, tmp_path: Path) -> None:
    """Same input, same bytes: whatever the output folder, current folder, time zone or locale."""
    first, second = tmp_path / "one", tmp_path / "deeper" / "two"
    ok(run("build", "--site", demo, "--output", first))
    env = {**os.environ, "TZ": "America/Los_Angeles", "LC_ALL": "C", "LANG": "C"}
    result = subprocess.run(
        [*masthead_command(), "build", "--site", "demo", "--output", str(second)],
        cwd=demo.parent,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
    ok(result)
    a, b = files_of(first), files_of(second)
    assert sorted(a) == sorted(b)
    differing = [rel for rel in a if a[rel] != b[rel]]
    assert not differing, f"files differ between two builds: {differing[:20]}"
