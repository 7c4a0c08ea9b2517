"""The units of work a build sends to worker processes: parse sources, render pages.

Each job is made once per worker from a picklable setup and then runs batches of picklable
items, so that workers.py (or, some day, a cluster engine) can run them anywhere. A parse
job turns source texts into Parsed outcomes and bodies; a render job turns planned pages
into bytes and stages each in the file the writer reserved for it, which spreads the slow
part (creating files) over the processes and keeps the pages' bytes off the pipe back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .article import parse_article
from .config import SiteConfig
from .i18n import Catalogues
from .model import Archive, Link, Page, Parsed, Problem
from .readers import make_readers, reader_for
from .render import make_environment, render_page, template_problem
from .workers import Progress, run_batches
from .write import Slot, Staged, stage_bytes


@dataclass(frozen=True)
class ParseItem:
    """One source to parse: its text and hash, and the path shown in messages."""

    rel: str
    text: str
    digest: str
    shown_as: str


class ParseJob:
    """Parses sources with one reader of each kind, made once per process."""

    def __init__(self, config: SiteConfig):
        self.config = config
        self.readers = make_readers(config)

    def run(self, items: Sequence[ParseItem]) -> list[tuple[Parsed, str]]:
        """(outcome without body, body) for each item."""
        results = []
        for item in items:
            reader = reader_for(item.rel, self.readers)
            article, problems = parse_article(
                item.rel, item.text, self.config, reader, item.digest, item.shown_as
            )
            body = article.body_html if article else ""
            bare = replace(article, body_html="") if article else None
            results.append((Parsed(item.rel, item.digest, bare, tuple(problems)), body))
        return results


@dataclass(frozen=True)
class RenderSetup:
    """What every render worker needs, sent once per worker."""

    template_paths: tuple[Path, ...]
    config: SiteConfig
    nav: tuple[Link, ...]
    sections: tuple[Link, ...]
    archive: Archive
    site_path: Path
    bytecode_dir: Path | None = None
    catalogues: Catalogues = field(default_factory=Catalogues)


@dataclass(frozen=True)
class RenderTask:
    """One page to render, with the bodies of the articles it shows in full.

    The stage that decides which pages to render makes tasks without bodies; they are
    filled in (``with_bodies``) a batch at a time, as the batch is sent to a worker."""

    page: Page
    bodies: dict[int, str]
    fingerprint: str
    slot: Slot | None
    """Where to stage the output (None: render only, as ``masthead check`` does)."""


@dataclass(frozen=True)
class Rendered:
    """What rendering one page did: staged its file (or found it unchanged), or a problem.

    It names the task's page and slot rather than carrying the task back, bodies and all.
    ``error`` is the OSError that staging the file raised (disk full, permissions, a
    read-only file system, a name too long), with ``filename`` always set (the staging
    file, or the destination it was compared with; ``slot.rel`` names the page's output
    file): the page rendered, but its file could not be written. It is a value, so that the
    pool carries on and the caller decides."""

    url: str
    slot: Slot | None
    fingerprint: str
    staged: Staged | None
    problem: Problem | None
    error: OSError | None = None


class RenderJob:
    """Renders pages with one Jinja environment per process, and stages their files."""

    def __init__(self, setup: RenderSetup):
        self.setup = setup
        self.env = make_environment(
            setup.template_paths,
            setup.config,
            setup.nav,
            setup.sections,
            setup.bytecode_dir,
            setup.catalogues,
        )

    def run(self, tasks: Sequence[RenderTask]) -> list[Rendered]:
        """What rendering and staging each page did."""
        results = []
        for task in tasks:
            try:
                data = render_page(self.env, task.page, self.setup.archive, task.bodies)
            except Exception as exc:  # every template failure becomes a Problem
                problem = template_problem(exc, task.page, self.setup.site_path, self.env)
                results.append(_rendered(task, None, problem))
                continue
            results.append(_stage(task, data))
        return results


def _stage(task: RenderTask, data: bytes) -> Rendered:
    if task.slot is None:
        return _rendered(task, None, None)
    try:
        return _rendered(task, stage_bytes(task.slot, data), None)
    except OSError as exc:
        if exc.filename is None:  # a failed write or close names no file
            exc.filename = task.slot.temp
        return _rendered(task, None, None, exc)


def _rendered(
    task: RenderTask, staged: Staged | None, problem: Problem | None, error: OSError | None = None
) -> Rendered:
    return Rendered(task.page.url, task.slot, task.fingerprint, staged, problem, error)


def parse_items(
    items: list[ParseItem], config: SiteConfig, jobs: int, progress: Progress | None
) -> Iterator[tuple[Parsed, str]]:
    """Parse sources, yielding (outcome without body, body) in the order of ``items``."""
    yield from run_batches(items, ParseJob, config, jobs, progress, "parsing")


def render_tasks(
    tasks: Sequence[RenderTask],
    setup: RenderSetup,
    jobs: int,
    progress: Progress | None,
    prepare: Callable[[RenderTask], RenderTask] | None = None,
) -> Iterator[Rendered]:
    """Render pages, yielding results in the order of ``tasks``; ``prepare`` completes each
    task (gives it its bodies) just before its batch is sent."""
    yield from run_batches(tasks, RenderJob, setup, jobs, progress, "rendering", prepare)
