"""Rewrite every golden file: ``python tests/update_golden.py``.

Two sets of golden files pin masthead's output byte for byte:

- tests/golden/expected/: everything the sample site in tests/golden/site/ builds to
  (compared by tests/test_golden.py) with either Markdown engine: both must write the
  same files, and this script refuses to update when they do not;
- tests/golden_head/: one article page's ``<head>`` and the Atom feed of a small news site
  (compared by tests/test_metadata.py);
- tests/golden_chart/: the archive's chart (its ``<svg>``) and one month's calendar of a
  small site spanning three years (compared by tests/test_archive_views.py).

When a change to the output is intended (a template, the Markdown rendering, a URL rule),
run this script, read the diff of both folders and commit it with the change. The tests
only compare; this script is the one way to update.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

from sitegen import build_site, write_site

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
SITE = GOLDEN / "site"
EXPECTED = GOLDEN / "expected"
ENGINES = ("markdown", "pyromark")
"""The Markdown engines the golden site is built with: Python-Markdown into EXPECTED, each
other engine into a folder of its own."""
IGNORED = frozenset({".masthead-manifest.json"})  # holds mtimes: differs on every build
BUNDLE = "pagefind"
"""The search index is built (its pages' markup is compared) but not compared: its bytes are
Pagefind's, which change with every Pagefind release; tests/test_search.py checks that they
are the same from build to build."""
HEAD = TESTS / "golden_head"
CHART = TESTS / "golden_chart"

# The news site behind tests/golden_head/ (tests/test_metadata.py builds it with these too).
HEAD_SETTINGS = {
    "title": "Example News",
    "description": "News from everywhere.",
    "base_url": "https://example.org/news/",
    "timezone": "Asia/Karachi",
    "language": "en",
    "per_page": 2,
    "publisher_logo": "/static/logo.png",
}
HEAD_ARTICLE_PAGE = "2017/09/23/talks-resume-in-geneva/index.html"
HEAD_ARTICLES = {
    "2017/09/geneva.md": {
        "title": "Talks resume in Geneva",
        "date": "2017-09-23T10:30:00",
        "updated": "2017-09-24T08:00:00",
        "category": "World",
        "source": "Reuters",
        "authors": ["Amina Khan", "Bilal Ahmed"],
        "tags": ["Diplomacy", "Syria"],
        "summary": "Diplomats met again on Saturday.",
        "location": "GENEVA",
        "source_url": "https://wire.example.com/2017/geneva-talks",
        "image": "/static/img/geneva.jpg",
        "body": "Talks *resumed* on Saturday.\n\nThe envoys met again.\n",
    },
    "2017/09/markets.md": {
        "title": "Markets rally",
        "date": "2017-09-22T13:00:00",
        "category": "Business",
        "source": "Associated Press",
        "summary": "Shares rose.",
        "body": "Shares rose on *Friday*, led by banks & insurers.\n",
    },
}


# -- tests/golden/: the sample site ----------------------------------------------------------


def expected_folder(engine: str) -> Path:
    """Where the golden site's expected output with ``engine`` is kept."""
    # Both engines write the golden site byte for byte alike, so they share one folder;
    # main() refuses to write it when they stop doing so.
    return EXPECTED


def build_golden(workdir: Path, engine: str = "markdown") -> Path:
    """Build a copy of the golden site inside ``workdir`` with the Markdown ``engine``;
    return the output folder.

    The site is copied first so that nothing (a cache, say) is written into the repository.
    """
    from masthead.cli import main

    site = workdir / "site"
    shutil.copytree(SITE, site)
    if engine != "markdown":
        with (site / "pyproject.toml").open("a", encoding="utf-8") as settings:
            settings.write(f'markdown_engine = "{engine}"\n')
    output = workdir / "output"
    messages = io.StringIO()
    with contextlib.redirect_stdout(messages), contextlib.redirect_stderr(messages):
        code = main(["build", "--site", str(site), "--output", str(output)])
    if code != 0:
        raise RuntimeError(f"the golden site did not build (exit {code}):\n{messages.getvalue()}")
    return output


def output_files(root: Path) -> dict[str, bytes]:
    """Every compared file below ``root``: POSIX relative path -> bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in IGNORED and path.relative_to(root).parts[0] != BUNDLE
    }


# -- tests/golden_head/: an article's head and a feed ------------------------------------------


def build_head_site(workdir: Path) -> Path:
    """Write and build the golden-head news site inside ``workdir``; return its output."""
    return build_site(write_site(workdir / "site", HEAD_SETTINGS, HEAD_ARTICLES))


def head_files(output: Path) -> dict[str, bytes]:
    """The golden-head files of a built news site: name -> bytes."""
    text = (output / HEAD_ARTICLE_PAGE).read_text(encoding="utf-8")
    start, end = text.index("<head>"), text.index("</head>") + len("</head>")
    return {
        "article_head.html": (text[start:end] + "\n").encode("utf-8"),
        "feed.xml": (output / "feed.xml").read_bytes(),
    }


# -- tests/golden_chart/: the archive's chart and a calendar -------------------------------------

CHART_SETTINGS = {"title": "Chart", "base_url": "https://example.org/news/", "timezone": "UTC"}
CHART_ARTICLES = {
    f"{year}/{month:02d}/story-{n}.md": {
        "title": f"Story {year} {month} {n}",
        "date": f"{year}-{month:02d}-{(n * 7) % 28 + 1:02d}",
        "category": "World",
        "source": "Wire",
    }
    for year, month, count in (
        (2015, 11, 1),
        (2016, 1, 4),
        (2016, 2, 2),
        (2016, 7, 6),
        (2017, 9, 3),
        (2017, 8, 1),
    )
    for n in range(count)
}
CHART_MONTH_PAGE = "2016/07/index.html"


def build_chart_site(workdir: Path) -> Path:
    """Write and build the golden-chart site inside ``workdir``; return its output."""
    return build_site(write_site(workdir / "site", CHART_SETTINGS, CHART_ARTICLES))


def chart_files(output: Path) -> dict[str, bytes]:
    """The golden-chart files of the built site: name -> bytes."""

    def cut(rel: str, start: str, end: str) -> bytes:
        text = (output / rel).read_text(encoding="utf-8")
        begin = text.index(start)
        return (text[begin : text.index(end, begin) + len(end)] + "\n").encode("utf-8")

    return {
        "chart.svg": cut("archive/index.html", "<svg", "</svg>"),
        "calendar.html": cut(CHART_MONTH_PAGE, '<table class="calendar">', "</table>"),
    }


# -- rewriting ---------------------------------------------------------------------------------


def rewrite(folder: Path, files: dict[str, bytes]) -> None:
    """Make ``folder`` hold exactly ``files``, printing what was added, removed or changed."""
    old = output_files(folder) if folder.is_dir() else {}
    shutil.rmtree(folder, ignore_errors=True)
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    added = sorted(set(files) - set(old))
    removed = sorted(set(old) - set(files))
    changed = sorted(rel for rel in set(files) & set(old) if files[rel] != old[rel])
    print(f"{folder}: {len(files)} files")
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        for name in names:
            print(f"  {label}: {name}")
    if not (added or removed or changed):
        print("  no changes")


def main() -> int:
    with tempfile.TemporaryDirectory() as temp:
        site_files = {
            engine: output_files(build_golden(Path(temp) / f"golden-{engine}", engine))
            for engine in ENGINES
        }
        head = head_files(build_head_site(Path(temp) / "head"))
        chart = chart_files(build_chart_site(Path(temp) / "chart"))
    differing = sorted(
        rel
        for files in site_files.values()
        for rel in set(files) | set(site_files["markdown"])
        if files.get(rel) != site_files["markdown"].get(rel)
    )
    if differing:
        raise SystemExit(f"the Markdown engines write different golden files: {differing[:10]}")
    rewrite(EXPECTED, site_files["markdown"])
    rewrite(HEAD, head)
    rewrite(CHART, chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
