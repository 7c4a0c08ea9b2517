"""New sites and new articles: ``masthead init`` and ``masthead new``.

Both refuse, with one ProblemsError line naming the path and the fix, rather than overwrite a
file or leave half a site behind: everything is checked before the first file is written.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from . import urls
from .config import CONFIG_FILE, SiteConfig
from .model import Problem, ProblemsError
from .text import SURROGATES

SITE_PYPROJECT = """\
[project]
name = {name}
version = "0.1.0"
description = "A news archive built with masthead"
requires-python = ">=3.11"
dependencies = ["masthead"]

[tool.masthead]
title = {title}
description = "News archive"
base_url = "https://example.org/"
language = "en"
timezone = "UTC"
per_page = 20
"""

SITE_GITIGNORE = "output/\n.masthead-cache/\n"

OPTIONAL_FIELDS_HELP = """\
# Optional fields: summary, updated, lang, location, source_url, image, aliases.
# The slug is the last part of the URL: keep it when you edit the title, so links keep working.
# See the front matter reference in masthead's README.
"""

_PROJECT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def init_site(site_path: Path, now: datetime) -> list[Path]:
    """Create a new archive site that builds at once; refuse to touch an existing one."""
    if site_path.exists() and not site_path.is_dir():
        _refuse(site_path, "is a file, not a folder; choose a new or empty folder for the site")
    for name in (CONFIG_FILE, "content"):
        if (site_path / name).exists() or (site_path / name).is_symlink():
            _refuse(site_path, f"already holds a site ({name}); choose an empty folder")
    resolved = site_path.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        _refuse(
            site_path,
            "is the file-system root or your home folder; choose a folder of its own for the site",
        )
    templates = site_path / "templates"
    if templates.is_symlink() and not templates.exists():
        _refuse(templates, "is a link to nothing; remove it, or make the folder it points to")
    if templates.exists() and not templates.is_dir():
        _refuse(templates, "is a file; masthead needs a templates folder there")
    for name in ("content", CONFIG_FILE):  # a dangling link there would be written through
        if (site_path / name).is_symlink():
            _refuse(site_path / name, "is a link; remove it, masthead creates it")
    # Undecodable bytes of a folder name become U+FFFD: the name goes into a UTF-8 file.
    folder_name = (
        site_path.resolve().name.encode("utf-8", "surrogateescape").decode(errors="replace")
    )
    name = _PROJECT_NAME.sub("-", urls.slugify(folder_name)).strip("-.") or "news-archive"
    pyproject = SITE_PYPROJECT.format(
        name=_toml_string(name), title=_toml_string(folder_name or "News Archive")
    )
    _make_folder(site_path)
    created = [_write_new(site_path / CONFIG_FILE, pyproject)]
    if not (site_path / ".gitignore").exists():  # a repository's own one stays as it is
        created.append(_write_new(site_path / ".gitignore", SITE_GITIGNORE))
    _make_folder(templates)
    created.append(
        new_article(
            site_path,
            SiteConfig(),
            "Welcome to your news archive",
            category="Announcements",
            source="The Newsroom",
            now=now,
            body="This archive is built with masthead. Add articles with `masthead new`.\n",
        )
    )
    return created


def new_article(
    site_path: Path,
    config: SiteConfig,
    title: str,
    *,
    category: str,
    source: str,
    now: datetime,
    authors: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    body: str = "Write the article here.\n",
) -> Path:
    """Create ``content/YYYY/MM/slug.md`` with complete front matter, the slug written out
    so that editing the title later never moves the page; never overwrite."""
    _check_names(title, category, source, authors, tags)
    slug = urls.slugify(title, config.slug_length)
    when = now.astimezone(config.tz).replace(microsecond=0)
    folder = site_path / config.content_dir / f"{when.year:04d}" / f"{when.month:02d}"
    path = folder / f"{slug}.md"
    if path.exists() or path.is_symlink():
        _refuse(path, "already exists; choose another title or edit that file")
    fields = {
        "title": " ".join(title.split()),
        "slug": slug,
        "date": when.isoformat(),
        "category": category,
        "source": source,
        "authors": list(authors),
        "tags": list(tags),
        "draft": False,
    }
    _make_folder(folder)
    return _write_new(path, f"---\n{_yaml(fields)}{OPTIONAL_FIELDS_HELP}---\n\n{body}")


def _check_names(
    title: str, category: str, source: str, authors: tuple[str, ...], tags: tuple[str, ...]
) -> None:
    """Every name must make a URL, or the new article would fail the next build."""
    named = [("title", title), ("--category", category), ("--source", source)]
    named += [("--author", name) for name in authors] + [("--tag", name) for name in tags]
    problems = []
    for what, name in named:
        shown = json.dumps(name if len(name) <= 60 else name[:59] + "…")
        if SURROGATES.search(name):  # bytes of the command line that are not UTF-8
            problems.append(Problem(what, None, f"{shown} is not valid UTF-8; retype it"))
        elif not urls.slugify(name):
            problems.append(
                Problem(what, None, f"{shown} needs letters or digits to make a URL from")
            )
    if problems:
        raise ProblemsError(problems)


def _yaml(fields: dict) -> str:
    """Front matter text that masthead's own loader reads back as ``fields``."""
    from . import matter  # PyYAML: only for `masthead new`

    try:
        return matter.dump_yaml(fields)
    except matter.Refused:
        raise ProblemsError([Problem("title", None, "cannot be written as front matter")]) from None


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = (
        "\\" + ch if ch in '"\\' else ch if ch >= " " and ch != "\x7f" else f"\\u{ord(ch):04x}"
        for ch in text
    )
    return '"' + "".join(escaped) + '"'


def _make_folder(path: Path) -> None:
    """Create ``path`` and its parents; refuse, naming it, a file that stands in the way."""
    blocking = next((p for p in (path, *path.parents) if p.exists() or p.is_symlink()), None)
    if blocking is not None and not blocking.is_dir():
        _refuse(blocking, "is a file, not a folder; rename or move that file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _refuse(path, f"cannot create the folder: {exc.strerror or exc}")


def _write_new(path: Path, text: str) -> Path:
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        _refuse(path, "already exists; masthead never overwrites a file")
    except OSError as exc:
        _refuse(path, f"cannot write the file: {exc.strerror or exc}")
    return path


def _refuse(path: Path, message: str) -> NoReturn:
    raise ProblemsError([Problem(str(path), None, message)])
