"""Every site the tests write, from one module: files from a dict, articles from fields,
generated archives, and helpers to compare built output.

- ``write_files(root, {rel: text or bytes})`` writes a folder of files (MkDocs' ``tempdir``);
  a path ending in ``/`` makes an empty folder. ``make_site`` (the conftest fixture) is this
  with a default ``pyproject.toml`` in a fresh folder below ``tmp_path``.
- ``article_text(...)`` is one article's Markdown source with YAML front matter written line
  by line as given; ``front_matter_text(fields)`` writes every value as a JSON literal (valid
  YAML and TOML, control characters escaped), which ``write_site`` and ``write_article`` use.
- ``write_site(root, settings, articles)`` writes ``pyproject.toml`` and one file per
  article; ``build_site`` builds it in one process without the cache, at the pinned ``NOW``.
- ``tiny_site(root)`` is the three-article site of the preview server's tests;
  ``copy_demo(target)`` copies the repository's demo archive.
- ``generate_site(root, n)`` writes ``n`` articles (YAML front matter with title, date,
  category, source, authors and tags; a few paragraphs of body) below ``root/content``, a
  ``pyproject.toml`` and, on request, a site-own ``templates/`` folder. The same arguments
  always give the same bytes: every choice comes from ``random.Random(seed)``, dates are
  fixed and lie in the past.

Only ``build_site`` imports masthead (when called), so a broken masthead cannot break the
writers.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
THEME = REPO / "templates"
MANIFEST = ".masthead-manifest.json"
DELTA = ".masthead-manifest-delta.json"
MANIFESTS = (MANIFEST, DELTA)
"""The manifest and its delta: they hold mtimes, so they differ on every build."""
STAGING = ".masthead-staging"
CACHE_DIR = ".masthead-cache"
CACHE_FILE = "cache.sqlite"

CATEGORIES = ("World", "National", "Business", "Science", "Sport", "Culture")
SOURCES = ("Reuters", "Associated Press", "Dawn", "The Staff")
AUTHORS = (
    "Amina Khan", "Bilal Ahmed", "Carla Diaz", "Dmitri Orlov",
    "Erin Walsh", "Farah Naz", "Goran Petrovic", "Hana Sato",
)  # fmt: skip
TAGS = (
    "elections", "climate", "trade", "health", "football", "cricket", "space", "energy",
    "courts", "floods", "markets", "music", "film", "education", "transport",
)  # fmt: skip
_TEXT = (
    "the minister said on monday that talks would continue despite the storm while officials "
    "in the capital reported record turnout and analysts warned of rising prices across the "
    "region as farmers waited for rain and the council approved a new budget for schools "
    "roads and hospitals after a long debate"
)
WORDS = tuple(_TEXT.split())

START = datetime(2019, 1, 3, 6, 0, tzinfo=UTC)
# Generated sources get this modification time: long settled, as in a real archive (a file
# modified moments before a build is one the cache must not trust by its stat alone).
SETTLED_NS = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
DEFAULT_PYPROJECT = """\
[tool.masthead]
title = "Generated Gazette"
timezone = "UTC"
base_url = "https://example.org/"
per_page = {per_page}
url_ledger = false
search = false
"""
# Generated sites delete and rename articles freely; the URL ledger has tests of its own.
# The search index too (tests/test_search.py): it costs a Pagefind run per build.


SIMPLE_PYPROJECT = """\
[tool.masthead]
timezone = "UTC"
base_url = "https://example.org/"
url_ledger = false
search = false
"""
"""The settings of a ``make_site`` site that brings none of its own (test sites delete and
rename articles freely; the URL ledger has tests of its own)."""
KARACHI = ZoneInfo("Asia/Karachi")
NOW = datetime(2017, 9, 24, 12, 0, tzinfo=KARACHI)
"""The reference time ``build_site`` pins: 24 Sep 2017, 12:00 in Asia/Karachi (+05:00)."""


# -- sites from a dict of files ----------------------------------------------------------------


def write_files(root: Path, files: dict[str, str | bytes | None]) -> Path:
    """Write ``{relative path: text or bytes}`` below ``root`` (text as UTF-8, LF endings);
    a path ending in ``/`` (its value None or empty) is an empty folder. Returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = root / rel
        if rel.endswith("/"):
            assert not data, f"{rel}: a folder has no content"
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data or "", encoding="utf-8", newline="\n")
    return root


def article_text(
    title: str | None = "A headline",
    date: str | None = "2017-09-23",
    category: str | None = "World",
    source: str | None = "Wire",
    body: str = "Body text.\n",
    **more: str,
) -> str:
    """Markdown source with YAML front matter; each extra keyword is one raw ``key: value`` line.

    Pass None to leave a field out. Values are written as given (quote them yourself)."""
    lines = ["---"]
    for key, value in (
        ("title", title),
        ("date", date),
        ("category", category),
        ("source", source),
    ):
        if value is not None:
            lines.append(f"{key}: {value}")
    lines.extend(f"{key}: {value}" for key, value in more.items())
    lines.append("---")
    return "\n".join(lines) + "\n" + body


def front_matter_text(fields: dict[str, object], body: str = "Some text.\n") -> str:
    """An article's source with every front-matter value written as a JSON literal: valid
    YAML, with control characters as escapes such as ``\\u0001`` that YAML decodes."""
    front = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items())
    return f"---\n{front}\n---\n{body}"


def settings_text(settings: dict[str, object]) -> str:
    """A ``pyproject.toml`` whose ``[tool.masthead]`` holds ``settings`` as JSON literals
    (which are valid TOML)."""
    lines = ["[tool.masthead]"]
    settings = {"url_ledger": False, "search": False, **settings}  # see DEFAULT_PYPROJECT
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def write_site(root: Path, settings: dict, articles: dict[str, dict]) -> Path:
    """A site folder: pyproject.toml with ``[tool.masthead]`` and one Markdown file per article
    (``{rel below content/: fields}``, the body under the key ``body``)."""
    files: dict[str, str | bytes | None] = {"pyproject.toml": settings_text(settings)}
    for rel, fields in articles.items():
        fields = dict(fields)
        body = fields.pop("body", "Some text.\n")
        files[f"content/{rel}"] = front_matter_text(fields, body)
    return write_files(root, files)


def write_article(site: Path, rel: str, **fields: object) -> Path:
    """Write one article (``body`` and front-matter fields) below the site's content/ folder."""
    body = str(fields.pop("body", "Some text.\n"))
    write_files(site, {f"content/{rel}": front_matter_text(fields, body)})
    return site / "content" / rel


def build_site(root: Path, now: datetime | None = NOW, jobs: int = 1, **options) -> Path:
    """Build the site without the cache (one process unless ``jobs`` says otherwise) and return
    its output folder; any error fails the test."""
    from masthead.model import BuildOptions
    from masthead.pipeline import build

    report = build(root, BuildOptions(now=now, use_cache=False, jobs=jobs, **options))
    assert not report.errors, "\n".join(str(p) for p in report.errors)
    return root / "output"


def clean_build(site: Path, output: Path):
    """The reference an incremental build is compared with: ``--no-cache``, one process,
    into a folder of its own; returns the report (any error fails the test)."""
    from masthead.model import BuildOptions
    from masthead.pipeline import build

    report = build(site, BuildOptions(jobs=1, use_cache=False, output=str(output)))
    assert not report.errors, report.errors
    return report


# -- the preview server's site and the demo archive ----------------------------------------------

TINY_PYPROJECT = """\
[tool.masthead]
title = "Serve Test"
timezone = "UTC"
base_url = "https://example.org/"
url_ledger = false
search = false
"""


def story(title: str, date: str, category: str = "World", body: str = "Body text.") -> str:
    """An article source with YAML front matter, source Wire (the tiny site's articles)."""
    return article_text(title, date, category, "Wire", body + "\n")


def tiny_site(root: Path) -> Path:
    """Three articles, no templates of its own (the default theme is found by itself)."""
    return write_files(
        root,
        {
            "pyproject.toml": TINY_PYPROJECT,
            "content/2017/09/first.md": story("First story", "2017-09-23", body="Original body."),
            "content/2017/09/second.md": story("Second story", "2017-09-24", "Business"),
            "content/2018/01/third.md": story("Third story", "2018-01-05"),
        },
    )


def copy_demo(target: Path, *, build_py: bool = False) -> Path:
    """A copy of the repository's demo archive (content/, templates/, pyproject.toml and,
    with ``build_py``, build.py, which builds the folder it lives in)."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in ("content", "templates"):
        shutil.copytree(REPO / folder, target / folder)
    for name in ("pyproject.toml", *(("build.py",) if build_py else ())):
        shutil.copy2(REPO / name, target / name)
    return target


# -- generated archives ------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One generated article: its source path below content/ and every field."""

    rel: str
    title: str
    date: str
    category: str
    source: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]
    slug: str | None = None
    draft: bool = False
    summary: str | None = None

    def text(self) -> str:
        """The Markdown source: YAML front matter, then the body."""
        lines = [
            "---",
            f'title: "{self.title}"',
            f"date: {self.date}",
            f'category: "{self.category}"',
            f'source: "{self.source}"',
        ]
        if self.authors:
            lines.append("authors: [" + ", ".join(f'"{a}"' for a in self.authors) + "]")
        if self.tags:
            lines.append("tags: [" + ", ".join(f'"{t}"' for t in self.tags) + "]")
        if self.slug:
            lines.append(f"slug: {self.slug}")
        if self.summary:
            lines.append(f'summary: "{self.summary}"')
        if self.draft:
            lines.append("draft: true")
        lines.append("---")
        return "\n".join(lines) + "\n\n" + "\n\n".join(self.paragraphs) + "\n"

    def with_(self, **changes) -> Spec:
        """A copy with some fields changed."""
        return replace(self, **changes)


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def make_specs(n: int, seed: int = 0, hours_apart: int = 14) -> list[Spec]:
    """``n`` article specs, oldest first, one every ``hours_apart`` hours or so."""
    rng = random.Random(seed)
    specs = []
    for i in range(n):
        jitter = rng.randrange(0, max(1, hours_apart * 5 // 7))
        when = START + timedelta(hours=hours_apart * i + jitter, minutes=rng.randrange(60))
        title = f"Story {i:04d}: " + sentence(rng, rng.randrange(3, 7))[:-1]
        paragraphs = [sentence(rng, rng.randrange(12, 30)) for _ in range(rng.randrange(2, 5))]
        if i % 7 == 0:
            paragraphs.insert(1, f"## Background {i}")
        if i % 11 == 0:
            paragraphs.append("- first point\n- second point\n- third *point*")
        specs.append(
            Spec(
                rel=f"{when:%Y/%m}/story-{i:04d}.md",
                title=title,
                date=when.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                category=CATEGORIES[rng.randrange(len(CATEGORIES))],
                source=SOURCES[rng.randrange(len(SOURCES))],
                authors=tuple(rng.sample(AUTHORS, rng.randrange(0, 3))),
                tags=tuple(rng.sample(TAGS, rng.randrange(1, 4))),
                paragraphs=tuple(paragraphs),
                slug=f"story-{i:04d}" if i % 3 == 0 else None,
            )
        )
    return specs


def write_spec(site: Path, spec: Spec) -> Path:
    """Write one article's source below ``site/content``; return its path."""
    path = site / "content" / spec.rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(spec.text(), encoding="utf-8", newline="\n")
    return path


def generate_site(
    root: Path,
    n: int,
    *,
    per_page: int = 5,
    seed: int = 0,
    hours_apart: int = 14,
    own_templates: tuple[str, ...] = (),
) -> list[Spec]:
    """Write a site of ``n`` articles into ``root``; return the specs (oldest first).

    ``own_templates`` names theme templates to copy into the site's ``templates/`` folder
    (unchanged copies: overrides that render exactly like the theme until edited)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(DEFAULT_PYPROJECT.format(per_page=per_page), "utf-8")
    specs = make_specs(n, seed, hours_apart)
    for spec in specs:
        path = write_spec(root, spec)
        os.utime(path, ns=(SETTLED_NS, SETTLED_NS))
    for name in own_templates:
        copy_theme_template(root, name)
    return specs


def copy_theme_template(site: Path, name: str) -> Path:
    """Copy the repository's ``templates/NAME`` into the site's own ``templates/``."""
    target = site / "templates" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(THEME / name, target)
    return target


def set_config(site: Path, key: str, value: str) -> None:
    """Set ``key = value`` (a TOML literal) in the site's ``[tool.masthead]``."""
    path = site / "pyproject.toml"
    lines = [ln for ln in path.read_text("utf-8").splitlines() if not ln.startswith(f"{key} =")]
    lines.append(f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n", "utf-8")


# -- output trees ------------------------------------------------------------------------------


def output_tree(folder: Path, ignore: tuple[str, ...] = MANIFESTS) -> dict[str, bytes]:
    """Every file below ``folder`` by POSIX relative path, except names in ``ignore``."""
    found = {}
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if rel not in ignore:
                found[rel] = path.read_bytes()
    return found


def mtimes(folder: Path) -> dict[str, int]:
    """Modification time (ns) of every file below ``folder``."""
    return {
        (Path(d) / f).relative_to(folder).as_posix(): (Path(d) / f).stat().st_mtime_ns
        for d, _, files in os.walk(folder)
        for f in files
    }


def tree_difference(got: dict[str, bytes], want: dict[str, bytes]) -> str:
    """A short description of how two trees differ ('' when they are equal)."""
    extra = sorted(set(got) - set(want))
    missing = sorted(set(want) - set(got))
    differing = sorted(rel for rel in set(got) & set(want) if got[rel] != want[rel])
    parts = []
    for label, rels in (("stale/extra", extra), ("missing", missing), ("differing", differing)):
        if rels:
            shown = ", ".join(rels[:8]) + (f" ... ({len(rels)} in all)" if len(rels) > 8 else "")
            parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def empty_folders(folder: Path) -> list[str]:
    """Folders below ``folder`` that hold nothing (left behind by pruning)."""
    return sorted(
        Path(d).relative_to(folder).as_posix()
        for d, dirs, files in os.walk(folder)
        if not dirs and not files and Path(d) != folder
    )


# -- the command line --------------------------------------------------------------------------


def masthead(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m masthead.cli ARGS`` and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "masthead.cli", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
        cwd=REPO,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Assert the command succeeded, showing its output when it did not."""
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result
