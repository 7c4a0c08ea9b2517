"""Drafts -> Markdown files in ``content/``: the one place importers write.

A draft becomes ``content/YYYY/MM/<slug>.md`` (its date in the site's time zone) with
complete front matter, an explicit ``slug`` (so that fixing the headline never moves the
page) and ``imported_from`` (so that importing the same original again adds nothing). It is
written only when it builds without an error, never over an existing file, and never onto
a URL another article has: then the slug gets ``-2``, ``-3``. ``dry_run`` does everything but
write.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import matter, urls
from ..article import parse_article
from ..collector import thawed_at_the_end
from ..config import SiteConfig
from ..fields import parse_when
from ..incremental import cache_folder
from ..incremental.cache import open_cache
from ..incremental.fingerprint import parse_fingerprint
from ..incremental.parsing import load_sources
from ..model import Article, Problem
from ..workers import default_jobs
from . import Draft, Failed, ImportReport

REQUIRED = ("title", "date", "category", "source")
Progress = Callable[[str, int, int], None]


@dataclass
class _Known:
    """What the content folder holds already: originals imported, URLs taken, files."""

    origins: dict[str, str] = field(default_factory=dict)
    """imported_from -> the file below the site that holds it."""
    urls: set[str] = field(default_factory=set)
    """Output files of every article (their URL as a file)."""


def write_drafts(
    site_path: Path,
    config: SiteConfig,
    items: Iterable[Draft | Failed],
    dry_run: bool = False,
    progress: Progress | None = None,
    total: int = 0,
) -> ImportReport:
    """Write every draft that is new and builds; report the rest. ``total`` (when known)
    is how many items to expect, for ``progress(label, done, total)``."""
    known = _known(site_path, config, read_only=dry_run)
    report = ImportReport()
    for done, item in enumerate(items, start=1):
        if isinstance(item, Failed):
            report.failed.append((item.shown_as, item.reason))
        else:
            _store(site_path, config, item, known, dry_run, report)
        if progress:
            progress("importing", done, max(total, done))
    return report


def existing_articles(
    site_path: Path, config: SiteConfig, read_only: bool = False
) -> tuple[Article, ...]:
    """The articles the site has now, parsed as a build would (through the parse cache; a
    dry run only reads the cache, so that it writes nothing at all)."""
    if not (site_path / config.content_dir).is_dir():
        return ()
    folder = cache_folder(site_path, None)
    cache, _ = open_cache(folder, parse_fingerprint(config), read_only=read_only, shown="cache")
    try:
        with thawed_at_the_end():
            return load_sources(site_path, config, cache, default_jobs()).articles
    finally:
        cache.close()


def _known(site_path: Path, config: SiteConfig, read_only: bool) -> _Known:
    """What the content folder holds already."""
    known = _Known()
    for article in existing_articles(site_path, config, read_only):
        _remember(known, article, config.content_prefix + article.rel)
    return known


def _remember(known: _Known, article: Article, shown: str) -> None:
    known.urls.add(urls.output_rel(article.url))
    for alias in article.aliases:
        known.urls.add(urls.output_rel(alias))
    if article.imported_from:
        known.origins[article.imported_from] = shown


def _store(
    site_path: Path,
    config: SiteConfig,
    draft: Draft,
    known: _Known,
    dry_run: bool,
    report: ImportReport,
) -> None:
    if draft.origin in known.origins:
        report.skipped.append(
            (draft.shown_as, f"already imported as {known.origins[draft.origin]}")
        )
        return
    lacking = [name for name in REQUIRED if not draft.fields.get(name)]
    if lacking:
        report.failed.append((draft.shown_as, _lacking_message(lacking)))
        return
    placed = _placed(config, draft, known, site_path)
    if isinstance(placed, str):
        report.failed.append((draft.shown_as, placed))
        return
    rel, text, article = placed
    shown = config.content_prefix + rel
    if not dry_run:
        problem = _write(site_path / config.content_dir / rel, text)
        problem = problem or _copy_assets(site_path, draft.assets)
        if problem:
            report.failed.append((draft.shown_as, problem))
            return
    _remember(known, article, shown)
    report.imported.append((draft.shown_as, shown))
    report.notes.extend(_notes(draft, shown))


def _lacking_message(lacking: list[str]) -> str:
    hints = {"category": "--category", "source": "--source"}
    given = [f"{name} (give {hints[name]})" if name in hints else name for name in lacking]
    return f"could not determine {', '.join(given)}; nothing is invented"


def _placed(
    config: SiteConfig, draft: Draft, known: _Known, site_path: Path
) -> tuple[str, str, Article] | str:
    """Where the draft goes, its text, and the article it parses to; or why it cannot go."""
    fields = dict(draft.fields)
    fields["imported_from"] = draft.origin
    base = str(fields.get("slug") or urls.slugify(str(fields["title"]), config.slug_length))
    base = base or "untitled"
    for number in range(1, 1000):
        fields["slug"] = base if number == 1 else f"{base}-{number}"
        rel = draft.rel or _conventional_rel(config, fields)
        if rel is None:
            return f'date "{fields["date"]}" is not a date masthead reads'
        if number > 1 and draft.rel:
            rel = _numbered(draft.rel, number)
        made = _article(config, rel, fields, draft.body)
        if isinstance(made, str):
            return made
        text, article = made
        taken = urls.output_rel(article.url) in known.urls
        exists = (site_path / config.content_dir / rel).exists()
        if not taken and not exists:
            return rel, text, article
    return "no free slug found (1,000 articles of this name on one day?)"


def _conventional_rel(config: SiteConfig, fields: dict[str, Any]) -> str | None:
    when = parse_when(fields["date"], config.tz)
    if when is None:
        return None
    return f"{when.year:04d}/{when.month:02d}/{fields['slug']}.md"


def _numbered(rel: str, number: int) -> str:
    stem, dot, suffix = rel.rpartition(".")
    return f"{stem}-{number}.{suffix}" if dot else f"{rel}-{number}"


def _article(
    config: SiteConfig, rel: str, fields: dict[str, Any], body: str
) -> tuple[str, Article] | str:
    """The file's text and its article, or the first error it would have in a build."""
    try:
        ordered = {name: fields[name] for name in ("title", "slug") if name in fields}
        front = matter.dump_yaml(_plain({**ordered, **fields}))
    except matter.Refused as exc:
        return exc.message
    text = f"---\n{front}---\n\n{body.strip()}\n"
    article, problems = parse_article(rel, text, config, shown_as=rel)
    errors = [p for p in problems if p.is_error]
    if article is None or errors:
        first = errors[0] if errors else problems[0]
        return f"would not build: {first.message}"
    return text, article


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as front matter holds them: dates as ISO text, no empty values."""
    plain = {}
    for name, value in fields.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, tuple):
            value = list(value)
        if value in (None, "", []):
            continue
        plain[name] = value
    return plain


def _write(path: Path, text: str) -> str | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        return f"{path} exists; masthead never overwrites a file"
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def _copy_assets(site_path: Path, assets: tuple[tuple[Path, str], ...]) -> str | None:
    """Copy the article's files, never over a different one (the same bytes are fine)."""
    for source, rel in assets:
        target = site_path / rel
        try:
            if target.exists():
                if _digest(target) != _digest(source):
                    return f"{rel} exists with other bytes; masthead never overwrites a file"
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        except OSError as exc:
            return f"cannot copy {source} to {rel}: {exc.strerror or exc}"
    return None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _notes(draft: Draft, shown: str) -> list[Problem]:
    notes = [replace(note, message=f"{note.message} (in {shown})") for note in draft.notes]
    if draft.missing:
        missing = ", ".join(draft.missing)
        notes.append(
            Problem(
                draft.shown_as,
                None,
                f"could not determine {missing}: left out of {shown}",
                "warning",
            )
        )
    if draft.fallbacks:
        used = ", ".join(draft.fallbacks)
        notes.append(
            Problem(
                draft.shown_as,
                None,
                f"{used} from the command line (the original has none): {shown}",
                "warning",
            )
        )
    return notes
