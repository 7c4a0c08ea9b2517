"""The load stage, incrementally: discover the sources, reuse what the parse cache (and the
session, in a long-running process) already parsed, and parse only the rest.

Discovery and reading are sources.py's, parsing is article.py's (run in workers by
jobs.py); this module decides which sources need it.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass, replace
from operator import attrgetter
from pathlib import Path

from .. import sources
from ..article import parse_article
from ..config import SiteConfig
from ..descriptions import Description, is_description, read_descriptions
from ..jobs import ParseItem, parse_items
from ..model import Article, Parsed, Problem
from ..workers import Progress
from .cache import FEW_ROWS, ParseCache
from .session import Session, Table
from .stamps import Stamp, settled, stamp_of


@dataclass(frozen=True)
class Loaded:
    """Valid articles (without bodies: the cache holds them), problems, and what was reused."""

    articles: tuple[Article, ...]
    problems: tuple[Problem, ...]
    parsed: int
    reused: int
    descriptions: tuple[Description, ...] = ()
    """What the site says about its categories (``[tool.masthead.categories]`` and
    ``_category.md`` files)."""


def load_sources(
    site_path: Path,
    config: SiteConfig,
    cache: ParseCache,
    jobs: int,
    progress: Progress | None = None,
    found: dict[str, Stamp | None] | None = None,
    session: Session | None = None,
) -> Loaded:
    """Read and parse every source below the content folder, reusing cached outcomes.

    ``found`` maps the sources already discovered to their stat (None when unreadable), so
    that the folder is not walked twice in one build. A ``session`` keeps parsed outcomes
    in memory between builds."""
    content_path = site_path / config.content_dir
    prefix = config.content_prefix
    if not content_path.is_dir():
        problem = Problem(
            config.content_dir, None, "content folder not found; create it and add articles"
        )
        return Loaded((), (problem,), 0, 0)
    if found is None:
        found = {
            rel: stamp_of(content_path / rel) for rel in sources.discover_sources(content_path)
        }
    unlisted, described, rels = _sorted_out(found)
    problems = [_unlisted(content_path, prefix, rel) for rel in unlisted]
    descriptions, described_badly = read_descriptions(content_path, described, config)
    problems += described_badly
    # The records, kept for the session's next build (a command's has none to keep them for).
    kept = session.table("parsed") if session and session.lasting else None
    seen = session.table(LOADED) if session else None
    last = seen.last(str(content_path)) if seen else None
    cache.forget_except(set(rels), last if cache.few else None)
    started_ns = time.time_ns()
    reuse: list[str] = []
    carried: list[Parsed] = []
    todo: list[ParseItem] = []
    stamps: dict[str, Stamp] = {}
    limit = config.max_article_bytes
    others = []
    for rel in rels:
        stamp = found[rel]
        if stamp and last and kept and last.get(rel) is stamp and stamp.size <= limit:
            parsed = _carried(kept, rel, cache.fingerprint)
            if parsed is not None:
                carried.append(parsed)
                continue
        others.append(rel)
    if len(others) > FEW_ROWS:  # many to look at after all: every row in one query
        cache.read_every_row()
    for rel in others:
        stamp = found[rel]
        if stamp and stamp.size > limit:  # before the cache: the limit may have been lowered
            problems.append(sources.too_large(prefix + rel, limit, stamp.size))
            continue
        if stamp and cache.fresh_by_stamp(rel, stamp):
            reuse.append(rel)
            continue
        source = sources.read_source(content_path, rel, prefix + rel, limit)
        if source.problem or source.text is None or stamp is None:
            problems.append(source.problem or Problem(prefix + rel, None, "cannot read file"))
        elif cache.fresh_by_digest(rel, source.digest):
            cache.restamp(rel, settled(stamp, started_ns))
            reuse.append(rel)
        else:
            todo.append(ParseItem(rel, source.text, source.digest, prefix + rel))
            stamps[rel] = settled(stamp, started_ns)
    if seen:
        seen.put(str(content_path), None, found)
    outcomes = cache.load(reuse, kept)
    if len(outcomes) < len(reuse):  # rows the cache could not give back: parse them again
        loaded = {parsed.rel for parsed in outcomes}
        for rel in reuse:
            if rel not in loaded:
                _read_again(
                    content_path, rel, prefix, found[rel], started_ns, limit, todo, stamps, problems
                )
        reuse = [rel for rel in reuse if rel in loaded]
    for parsed, body in parse_items(todo, config, jobs, progress):
        parsed = cache.store(parsed, stamps[parsed.rel], body)
        if kept:
            kept.put(parsed.rel, cache.identity(parsed), parsed)
        outcomes.append(parsed)
    outcomes += carried
    reused = len(reuse) + len(carried)
    return replace(_collect(outcomes, problems, len(todo), reused), descriptions=descriptions)


LOADED = "loaded sources"
"""The session's table of the stats each load stage was given, by content folder."""


def _carried(kept: Table, rel: str, fingerprint: str) -> Parsed | None:
    """The outcome the last build had for a source whose stat it shares (the very same
    object: no one has looked at the file since, because a watcher vouched that it did
    not change), when parsed with the same settings."""
    entry = kept.carry(rel)
    if entry is None or entry[0][1] != fingerprint:
        return None
    return entry[1]


def _sorted_out(found: dict[str, Stamp | None]) -> tuple[list[str], list[str], list[str]]:
    """The folders that could not be listed, the categories' descriptions and the articles'
    sources among what discovery found (one pass: it runs over the whole archive)."""
    unlisted, described, rels = [], [], []
    for rel in found:
        if sources.is_unlisted_folder(rel):
            unlisted.append(rel)
        elif is_description(rel):
            described.append(rel)
        else:
            rels.append(rel)
    return unlisted, described, rels


def _read_again(
    content_path: Path,
    rel: str,
    prefix: str,
    stamp: Stamp | None,
    started_ns: int,
    limit: int,
    todo: list[ParseItem],
    stamps: dict[str, Stamp],
    problems: list[Problem],
) -> None:
    source = sources.read_source(content_path, rel, prefix + rel, limit)
    if source.problem or source.text is None or stamp is None:
        problems.append(source.problem or Problem(prefix + rel, None, "cannot read file"))
    else:
        todo.append(ParseItem(rel, source.text, source.digest, prefix + rel))
        stamps[rel] = settled(stamp, started_ns)


def _unlisted(content_path: Path, prefix: str, rel: str) -> Problem:
    """The error for a folder below the content folder that could not be listed."""
    folder = content_path if rel == "./" else content_path / rel
    fix = "fix its permissions, or move it out of the content folder"
    try:
        os.scandir(folder).close()
        reason = "it vanished or changed while being read"
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENAMETOOLONG:
            fix = "its path is too long for the file system: use fewer or shorter folders"
    shown = prefix if rel == "./" else prefix + rel
    return Problem(shown, None, f"cannot read folder: {reason}; {fix}")


def _collect(outcomes: list[Parsed], problems: list[Problem], parsed: int, reused: int) -> Loaded:
    outcomes.sort(key=attrgetter("rel"))
    articles = tuple(o.article for o in outcomes if o.article is not None)
    for outcome in outcomes:
        problems.extend(outcome.problems)
    return Loaded(articles, tuple(problems), parsed, reused)


class SourceChanged(Exception):
    """A source changed while the build ran, so its body is not the one the build planned."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def body_of(cache: ParseCache, article: Article, config: SiteConfig, site_path: Path) -> str:
    """An article's body from the cache, or parsed from its file again when the cache lost
    it (another build replaced the row); SourceChanged when the file is not what the build
    read."""
    try:
        return cache.body(article.rel, article.digest)
    except KeyError:
        pass
    shown = config.content_prefix + article.rel
    source = sources.read_source(site_path / config.content_dir, article.rel, shown)
    parsed = None
    if source.text is not None and source.digest == article.digest:
        parsed, _ = parse_article(article.rel, source.text, config, digest=source.digest)
    if parsed is None:
        raise SourceChanged(Problem(shown, None, "changed while the build ran; build again"))
    return parsed.body_html
