"""Parsing and rendering in worker processes, with results in input order.

Workers get everything they need through the pool initializer's arguments (pickled, so any
start method works); nothing relies on state inherited by fork. Small batches run in the
calling process, where starting a pool would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import content, markup
from .cache import Parsed, Stamp
from .config import SiteConfig
from .model import Archive, Link, Page, Problem
from .render import make_environment, render_page, template_problem
from .write import Slot, Staged, stage_bytes

CHUNK = 64
POOL_THRESHOLD = 2 * CHUNK
Progress = Callable[[str, int, int], None]

# The state of a worker process, set once by the pool initializer (never in the parent).
_WORKER: dict[str, Any] = {}


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ParseItem:
    """One source to parse: its text, hash and stat, and the path shown in messages."""

    rel: str
    text: str
    digest: str
    shown_as: str
    stamp: Stamp


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


@dataclass(frozen=True)
class RenderTask:
    """One page to render, with the bodies of the articles it shows in full."""

    page: Page
    bodies: dict[int, str]
    fingerprint: str
    slot: Slot | None
    """Where to stage the output (None: render only, as ``masthead check`` does)."""


@dataclass(frozen=True)
class Rendered:
    """What rendering one page did: staged its file (or found it unchanged), or a problem."""

    task: RenderTask
    staged: Staged | None
    problem: Problem | None


class _ParseWorker:
    def __init__(self, config: SiteConfig):
        self.config = config
        self.converter = markup.make_converter(config.markdown_extensions)

    def run(self, items: Sequence[ParseItem]) -> list[tuple[Parsed, str]]:
        results = []
        for item in items:
            article, problems = content.parse_article(
                item.rel, item.text, self.config, self.converter, item.digest, item.shown_as
            )
            body = article.body_html if article else ""
            bare = replace(article, body_html="") if article else None
            results.append((Parsed(item.rel, item.digest, bare, tuple(problems)), body))
        return results


class _RenderWorker:
    def __init__(self, setup: RenderSetup):
        self.setup = setup
        self.env = make_environment(
            setup.template_paths, setup.config, setup.nav, setup.sections, setup.bytecode_dir
        )

    def run(self, tasks: Sequence[RenderTask]) -> list[Rendered]:
        results = []
        for task in tasks:
            try:
                data = render_page(self.env, task.page, self.setup.archive, task.bodies)
            except Exception as exc:  # every template failure becomes a Problem
                problem = template_problem(exc, task.page, self.setup.site_path)
                results.append(Rendered(task, None, problem))
                continue
            # Staging here, in the worker, spreads the slow part (creating files) over the
            # processes and keeps the pages' bytes off the pipe back to the parent.
            staged = stage_bytes(task.slot, data) if task.slot else None
            results.append(Rendered(task, staged, None))
        return results


def _start_parse_worker(config: SiteConfig) -> None:
    _WORKER["run"] = _ParseWorker(config).run


def _start_render_worker(setup: RenderSetup) -> None:
    _WORKER["run"] = _RenderWorker(setup).run


def _run_chunk(chunk: Sequence[Any]) -> list[Any]:
    return _WORKER["run"](chunk)


def parse_items(
    items: list[ParseItem], config: SiteConfig, jobs: int, progress: Progress | None
) -> Iterator[tuple[Parsed, str]]:
    """Parse sources, yielding (outcome without body, body) in the order of ``items``."""
    yield from _map(items, _ParseWorker, config, _start_parse_worker, jobs, progress, "parsing")


def render_tasks(
    tasks: list[RenderTask], setup: RenderSetup, jobs: int, progress: Progress | None
) -> Iterator[Rendered]:
    """Render pages, yielding results in the order of ``tasks``."""
    yield from _map(tasks, _RenderWorker, setup, _start_render_worker, jobs, progress, "rendering")


def _map(
    items: list,
    worker_class: type,
    setup: Any,
    starter: Callable,
    jobs: int,
    progress: Progress | None,
    label: str,
) -> Iterator:
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    done = 0
    if jobs <= 1 or len(items) < POOL_THRESHOLD:
        run = worker_class(setup).run
        results = map(run, chunks)
        pool = None
    else:
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=_context(), initializer=starter, initargs=(setup,)
        )
        results = pool.map(_run_chunk, chunks)
    try:
        for chunk, chunk_results in zip(chunks, results, strict=True):
            done += len(chunk)
            if progress:
                progress(label, done, len(items))
            yield from chunk_results
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: workers do not inherit the parent's threads (the preview server has some).
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
