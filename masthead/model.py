"""Immutable records that cross stage boundaries.

Everything here is a frozen dataclass of plain values (strings, numbers, aware datetimes,
tuples and read-only dicts), so records can be compared, fingerprinted and sent to worker
processes. Relations between records are by position in ``Archive.articles``, never by
object reference.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from .text import printable

ERROR = "error"
WARNING = "warning"
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, printed as ``path:line: severity: message``."""

    path: str
    line: int | None
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return printable(f"{where}: {self.severity}: {self.message}")

    @property
    def is_error(self) -> bool:
        """True for problems that fail the build (as opposed to warnings)."""
        return self.severity == ERROR


class ProblemsError(Exception):
    """Raised when a stage cannot go on; carries every problem found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


class Link(NamedTuple):
    """A named link to a site-relative URL, with an article count where meaningful.

    A named tuple rather than a dataclass: archives hold hundreds of thousands of them, and
    tuples are built and unpickled several times faster."""

    name: str
    url: str
    count: int = 0


class Correction(NamedTuple):
    """One correction of an article, as its front matter's ``corrections`` list gives it."""

    date: datetime
    text: str


@dataclass(frozen=True)
class Article:
    """One parsed, validated article. ``rel`` is its path below the content folder."""

    rel: str
    title: str
    slug: str
    url: str
    date: datetime
    category: Link
    source: Link
    authors: tuple[Link, ...] = ()
    tags: tuple[Link, ...] = ()
    summary: str = ""
    body_html: str = ""
    word_count: int = 0
    updated: datetime | None = None
    draft: bool = False
    featured: bool = False
    """Marked as a lead story: the newest featured article leads the home page."""
    lang: str | None = None
    dir: str = "ltr"
    location: str | None = None
    source_url: str | None = None
    image: str | None = None
    aliases: tuple[str, ...] = ()
    imported_from: str | None = None
    """What ``masthead import`` made this article from (a URL, a feed entry's id, a path)."""
    retracted: str | None = None
    """Why the article was retracted: its URL then serves a notice instead of the article."""
    corrections: tuple[Correction, ...] = ()
    """What was corrected and when, newest first (shown as a notice at the top)."""
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    """Content hash of the source file: what a page that shows this article depends on."""
    field_lines: tuple[tuple[str, int], ...] = ()
    """Line of each front-matter field in the source, for messages (never shown on a page)."""

    def line_of(self, name: str) -> int | None:
        """The source line of front-matter field ``name``, or None when unknown."""
        for field_name, line in self.field_lines:
            if field_name == name:
                return line
        return None

    @property
    def revised(self) -> datetime | None:
        """When the article last changed after publication: the later of ``updated`` and
        its newest correction (None when neither)."""
        newest = self.corrections[0].date if self.corrections else None
        if newest is None or (self.updated is not None and self.updated >= newest):
            return self.updated
        return newest

    @property
    def last_modified(self) -> datetime:
        """The latest of ``date``, ``updated`` and the corrections."""
        return self.revised or self.date


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing one source: an article without its body, or problems."""

    rel: str
    digest: str
    article: Article | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class PageLink:
    """One numbered link in a pagination window."""

    number: int
    url: str
    current: bool


@dataclass(frozen=True)
class Pagination:
    """Where a listing page sits among its siblings."""

    number: int
    total: int
    prev_url: str | None
    next_url: str | None
    links: tuple[PageLink | None, ...]


@dataclass(frozen=True)
class PeriodNav:
    """Navigation of a date archive: the enclosing period and the neighbours with articles."""

    up: Link | None
    prev: Link | None
    next: Link | None


@dataclass(frozen=True)
class YearEntry:
    """One year of the archive overview, with its months."""

    link: Link
    months: tuple[Link, ...]


@dataclass(frozen=True)
class TermEntry:
    """A category, tag, source or author: its canonical link and its articles (positions)."""

    kind: str
    link: Link
    articles: tuple[int, ...]


@dataclass(frozen=True)
class Period:
    """A year, month or day that has articles. ``key`` is (year,), (year, month) or (y, m, d)."""

    key: tuple[int, ...]
    link: Link
    articles: tuple[int, ...]


@dataclass(frozen=True)
class Archive:
    """The whole archive, indexed: articles newest first, taxonomies and date periods."""

    articles: tuple[Article, ...]
    terms: dict[str, tuple[TermEntry, ...]]
    years: tuple[Period, ...]
    months: tuple[Period, ...]
    days: tuple[Period, ...]


@dataclass(frozen=True)
class Page:
    """One planned output page.

    ``values`` holds plain template variables; ``refs`` names template variables that are
    articles, given as positions in ``Archive.articles`` (an int, a tuple of ints, or None), so
    a page's inputs can be fingerprinted from the digests of the articles it shows.
    ``sources`` are the content files responsible for the page (for collision messages).
    """

    url: str
    template: str
    kind: str
    title: str
    lang: str
    dir: str = "ltr"
    description: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, int | tuple[int, ...] | None] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    with_bodies: bool = False
    """True when the template shows the bodies of every article it lists (feeds)."""

    def body_positions(self) -> tuple[int, ...]:
        """Archive positions whose bodies the page shows: its article, or every entry."""
        own = self.refs.get("article")
        if self.kind == "article" and isinstance(own, int):
            return (own,)
        if not self.with_bodies:
            return ()
        found: list[int] = []
        for ref in self.refs.values():
            if isinstance(ref, int):
                found.append(ref)
            elif ref is not None:
                found.extend(ref)
        return tuple(found)


@dataclass(frozen=True)
class BuildOptions:
    """What the command line asks of one build."""

    drafts: bool = False
    future: bool = False
    keep_going: bool = False
    base_url: str | None = None
    output: str | None = None
    now: datetime | None = None
    write: bool = True
    jobs: int = 0
    """Worker processes; 0 means one per CPU."""
    use_cache: bool = True
    cache_dir: str | None = None
    preview: bool = False
    """A preview build (``masthead serve``): the URL ledger warns instead of failing, and
    is not written."""
    accept_url_changes: bool = False
    """Add the old URL of every moved article to its aliases, instead of failing."""
    wait: bool = True
    """Wait for another build writing the same output folder (False: fail at once)."""
    overwrite: bool = False
    """Take over files in the output folder that masthead did not write."""
    own_output: bool = False
    """The output folder is this process's own (the preview server's, in the cache folder):
    while its manifest is the one this process's session last wrote, the files it names are
    taken to be as written, without stat-ing each (see ``OutputWriter``)."""


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the summary line and for tests."""

    articles: int = 0
    pages: int = 0
    parsed: int = 0
    reused: int = 0
    rendered: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped_drafts: int = 0
    skipped_future: int = 0
    problems: tuple[Problem, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()
    output_failed: bool = False
    """True when the output could not be written (a full disk, a permission)."""
    search: str = ""
    """What the search index cost or why it was not made (``-v``); empty without search."""

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that fail the build."""
        return tuple(p for p in self.problems if p.is_error)


class Memoizer(Protocol):
    """How a stage runs its pure steps: ``call(step, *args)`` is ``step(*args)``, or an equal
    earlier result. The key is the step and its arguments themselves, so a step can only
    depend on what it is given. Stages take one (``DIRECT`` by default) and never know
    whether anything is reused; the incremental layer's Session is the other one."""

    def call(self, step: Callable[..., T], *args: Any) -> T:
        """``step(*args)``, or its last result for equal arguments."""
        ...

    def each(self, step: Callable[..., T], key: Hashable, *args: Any) -> T:
        """``step(*args)`` for one of many items (``key``: a source path, a URL), or its last
        result for that key and equal arguments."""
        ...


class _Direct:
    """The Memoizer that reuses nothing."""

    def call(self, step: Callable[..., T], *args: Any) -> T:
        return step(*args)

    def each(self, step: Callable[..., T], key: Hashable, *args: Any) -> T:
        return step(*args)


DIRECT: Memoizer = _Direct()
