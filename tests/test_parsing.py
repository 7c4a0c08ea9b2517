"""Load stage on hostile content folders: special files, size limits, unlistable folders."""

from __future__ import annotations

import os
import subprocess
import sys

from sitegen import SIMPLE_PYPROJECT

from masthead.model import BuildOptions
from masthead.pipeline import build

GOOD = "---\ntitle: Talks resume\ndate: 2017-09-02\ncategory: World\nsource: Wire\n---\n\nBody.\n"


def messages(report) -> list[str]:
    return [str(p) for p in report.problems]


def test_a_fifo_in_the_content_folder_is_a_warning_and_the_build_goes_on(make_site):
    site = make_site({"content/2017/09/talks.md": GOOD})
    os.mkfifo(site / "content/2017/09/pipe.md")
    done = subprocess.run(
        [sys.executable, "-m", "masthead.cli", "build", "--site", str(site)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "content/2017/09/pipe.md: warning: is a named pipe (FIFO), not a regular file: skipped "
        "(replace it with a file, or move it out of the content folder)"
    ]
    assert (site / "output/2017/09/02/talks-resume/index.html").is_file()


def test_a_lowered_size_limit_applies_to_articles_the_cache_already_holds(make_site):
    site = make_site({"content/2017/09/talks.md": GOOD})
    assert build(site).errors == ()
    (site / "pyproject.toml").write_text(SIMPLE_PYPROJECT + "max_article_bytes = 50\n")
    report = build(site)
    size = (site / "content/2017/09/talks.md").stat().st_size
    assert messages(report) == [
        f"content/2017/09/talks.md: error: is {size} bytes, over max_article_bytes (50); "
        "split the article, or raise max_article_bytes in [tool.masthead] of pyproject.toml"
    ]


def test_a_folder_that_cannot_be_listed_is_an_error(make_site, monkeypatch):
    import masthead.sources as content_module

    site = make_site({"content/2017/09/talks.md": GOOD, "content/secret/x.md": GOOD})
    real_scandir = os.scandir

    def scandir(path):
        if str(path).rstrip("/").endswith("secret"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(content_module.os, "scandir", scandir)
    monkeypatch.setattr("masthead.incremental.parsing.os.scandir", scandir)
    report = build(site, BuildOptions(write=False))
    assert messages(report) == [
        "content/secret/: error: cannot read folder: Permission denied; fix its permissions, "
        "or move it out of the content folder"
    ]


def test_a_file_name_that_is_not_utf8_fails_the_build_with_one_line(make_site):
    site = make_site({"content/2017/09/talks.md": GOOD})
    path = os.fsencode(site / "content/2017/09") + b"/caf\xe9.md"
    with open(path, "wb") as handle:
        handle.write(GOOD.encode())
    report = build(site)
    assert messages(report) == [
        "content/2017/09/caf\\udce9.md: error: file name is not valid UTF-8; rename the file "
        "(URLs and messages need UTF-8 names)"
    ]
