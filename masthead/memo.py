"""The build memo: proof that nothing a build reads has changed since the last build.

Every build plans every page, which at archive scale costs seconds even when nothing
changed. A successful build records a fingerprint of all it read (settings, options, the
stat of every source, template and static file) and until when its time-dependent output
(scheduled articles, the news sitemap window) stays valid. A build whose inputs match, at a
time inside that validity, and whose output files are all intact, has nothing to do: it
reports the recorded figures and returns. The memo lives in the output manifest: a build that writes
anything rewrites the manifest first without it, so a crash cannot leave a stale memo. Any doubt (a file modified moments before the
last build, a missing or damaged memo) means a normal build.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from . import __version__
from .cache import Stamp
from .config import SiteConfig
from .content import discover_sources
from .fingerprint import digest
from .model import Article, BuildOptions, Problem

RACY_NS = 2_000_000_000  # files modified this close to a build may change unseen (mtime ticks)


@dataclass(frozen=True)
class Memo:
    """What a successful build read and reported."""

    inputs: str
    newest_input_ns: int
    valid_until: str | None
    articles: int
    pages: int
    skipped_drafts: int
    skipped_future: int
    warnings: list[list]


@dataclass(frozen=True)
class Inputs:
    """The fingerprint of everything a build reads, and the newest modification among them."""

    fingerprint: str
    newest_ns: int
    sources: dict[str, Stamp | None]
    """Every source found, with its stat: the load stage reuses them instead of walking and
    stat-ing the content folder a second time."""


def read_inputs(
    site_path: Path, config: SiteConfig, options: BuildOptions, template_paths: tuple[Path, ...]
) -> Inputs:
    """Stat every source, template and static file; fingerprint them with the settings."""
    parts = [
        __version__,
        repr(config),
        repr((options.drafts, options.future, options.base_url, options.output)),
    ]
    newest = 0
    sources: dict[str, Stamp | None] = {}
    content_path = site_path / config.content_dir
    if content_path.is_dir():
        folder = str(content_path)
        for rel in discover_sources(content_path):
            sources[rel] = _stat(os.path.join(folder, rel))
            newest = max(newest, _add_stamp(parts, "c", rel, sources[rel]))
    for number, root in enumerate(template_paths):
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                name = os.path.relpath(path, root)
                newest = max(newest, _add_stamp(parts, f"t{number}", name, _stat(path)))
    config_file = site_path / "pyproject.toml"
    if config_file.is_file():
        newest = max(newest, _add_stamp(parts, "p", "pyproject.toml", _stat(str(config_file))))
    return Inputs(digest(*parts), newest, sources)


def valid_until(articles: tuple[Article, ...], window_days: int, now: datetime) -> datetime | None:
    """The first moment at which the same inputs would give other output: a scheduled article
    falls due, or one enters or leaves the news sitemap's window."""
    window = timedelta(days=window_days)
    moments = []
    for article in articles:
        if article.date > now:
            moments.append(article.date)
        elif article.date + window > now:
            moments.append(article.date + window)
    return min(moments, default=None)


def memo_from(data: dict | None) -> Memo | None:
    """The memo recorded in the output manifest, or None."""
    try:
        return Memo(**data) if data else None
    except TypeError:
        return None


def is_current(memo: Memo | None, inputs: Inputs, now: datetime) -> bool:
    """True when ``memo`` describes these very inputs and is still valid at ``now``."""
    if memo is None or memo.inputs != inputs.fingerprint:
        return False
    return memo.valid_until is None or now < datetime.fromisoformat(memo.valid_until)


def memo_to_record(memo: Memo, started_ns: int) -> dict | None:
    """The memo as stored in the manifest; None when an input was modified too close to the
    build's start to trust its stat next time."""
    if memo.newest_input_ns >= started_ns - RACY_NS:
        return None
    return asdict(memo)


def warnings_of(memo: Memo) -> tuple[Problem, ...]:
    """The warnings the memoised build printed, to print them again."""
    return tuple(
        Problem(path, line, message, severity) for path, line, message, severity in memo.warnings
    )


def _stat(path: str) -> Stamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return Stamp(stat.st_mtime_ns, stat.st_size)


def _add_stamp(parts: list[str], kind: str, name: str, stamp: Stamp | None) -> int:
    if stamp is None:
        parts.append(f"{kind}:{name}:missing")
        return 0
    parts.append(f"{kind}:{name}:{stamp.mtime_ns}:{stamp.size}")
    return stamp.mtime_ns
