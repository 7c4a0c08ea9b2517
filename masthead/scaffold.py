"""New sites and new articles: ``masthead init`` and ``masthead new``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import frontmatter

from . import urls
from .config import CONFIG_FILE, SiteConfig
from .model import Problem, ProblemsError

SITE_PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
description = "A news archive built with masthead"
requires-python = ">=3.11"
dependencies = ["masthead"]

[tool.masthead]
title = "{title}"
description = "News archive"
base_url = "https://example.org/"
language = "en"
timezone = "UTC"
per_page = 20
"""

SITE_GITIGNORE = "output/\n.masthead-cache/\n"

OPTIONAL_FIELDS_HELP = """\
# Optional fields: summary, slug, updated, lang, location, source_url, image, aliases.
# See the front matter reference in masthead's README.
"""


def init_site(site_path: Path, now: datetime) -> list[Path]:
    """Create a new archive site that builds at once; refuse to touch an existing one."""
    if (site_path / CONFIG_FILE).exists() or (site_path / "content").exists():
        raise ProblemsError(
            [
                Problem(
                    str(site_path),
                    None,
                    "already holds a site (pyproject.toml or content/); choose an empty folder",
                )
            ]
        )
    site_path.mkdir(parents=True, exist_ok=True)
    name = urls.slugify(site_path.resolve().name) or "news-archive"
    created = [
        _write_new(
            site_path / CONFIG_FILE,
            SITE_PYPROJECT.format(name=name, title=site_path.resolve().name or "News Archive"),
        ),
        _write_new(site_path / ".gitignore", SITE_GITIGNORE),
    ]
    (site_path / "templates").mkdir(exist_ok=True)
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
    """Create ``content/YYYY/MM/slug.md`` with complete front matter; never overwrite."""
    slug = urls.slugify(title)
    if not slug or not title.strip():
        raise ProblemsError([Problem("title", None, "needs letters or digits to make a slug from")])
    when = now.astimezone(config.tz).replace(microsecond=0)
    path = site_path / config.content_dir / f"{when.year:04d}" / f"{when.month:02d}" / f"{slug}.md"
    if path.exists():
        raise ProblemsError(
            [Problem(str(path), None, "already exists; choose another title or edit that file")]
        )
    post = frontmatter.Post(
        body,
        title=title.strip(),
        date=when.isoformat(),
        category=category,
        source=source,
        authors=list(authors),
        tags=list(tags),
        draft=False,
    )
    text = frontmatter.dumps(post, sort_keys=False)
    head, _, rest = text.partition("\n---\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write_new(path, f"{head}\n{OPTIONAL_FIELDS_HELP}---\n{rest}\n")


def _write_new(path: Path, text: str) -> Path:
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path
