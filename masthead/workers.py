"""Parsing and rendering in worker processes, with results in input order.

Workers get everything they need through the pool initializer's arguments (pickled, so any
start method works); nothing relies on state inherited by fork. Small batches run in the
calling process, where starting a pool would cost more than it saves.

Workers never outlive the build: each holds the read end of a pipe (the "lifeline") whose
write end only the building process has, and a thread in each worker exits the process
when that pipe reaches its end, which the kernel makes happen however the parent died
(kill -9 included). Once the workers are gone the forkserver, which stays up only while a
client holds its "alive" pipe, ends too. What goes wrong in a worker comes back as a value
(a template Problem, or the OSError that staging a file raised) or as an exception the
parent can always unpickle (``WorkerError``); a worker that dies is a ``WorkerError`` too.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
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
ORPHAN_EXIT = 70
"""Exit status of a worker whose parent died (as in an internal error: nobody reads it)."""

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
    """What rendering one page did: staged its file (or found it unchanged), or a problem.

    ``error`` is the OSError that staging the file raised (disk full, permissions, a
    read-only file system, a name too long), with ``filename`` always set (the staging
    file, or the destination it was compared with; ``task.slot.rel`` names the page's
    output file): the page rendered, but its file could not be written. It is a value, so
    that the pool carries on and the caller decides."""

    task: RenderTask
    staged: Staged | None
    problem: Problem | None
    error: OSError | None = None


class WorkerError(Exception):
    """A worker process failed other than through a template: it died, or raised an
    exception that could not be sent back as it was. ``str()`` is one line saying which and
    why; ``details`` holds the worker's traceback, when there is one (for ``--debug``)."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message, details)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


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
            results.append(self._stage(task, data))
        return results

    @staticmethod
    def _stage(task: RenderTask, data: bytes) -> Rendered:
        # Staging here, in the worker, spreads the slow part (creating files) over the
        # processes and keeps the pages' bytes off the pipe back to the parent.
        if task.slot is None:
            return Rendered(task, None, None)
        try:
            return Rendered(task, stage_bytes(task.slot, data), None)
        except OSError as exc:
            if exc.filename is None:  # a failed write or close names no file
                exc.filename = task.slot.temp
            return Rendered(task, None, None, exc)


def _start_parse_worker(config: SiteConfig) -> None:
    _WORKER["run"] = _ParseWorker(config).run


def _start_render_worker(setup: RenderSetup) -> None:
    _WORKER["run"] = _RenderWorker(setup).run


def _start_worker(starter: Callable[[Any], None], setup: Any, lifeline: Connection) -> None:
    """The pool initializer: watch the parent, then set the worker up. A failure here is
    kept for the first task to raise (concurrent.futures would print a traceback and break
    the pool)."""
    _watch_parent(lifeline)
    try:
        starter(setup)
    except Exception as exc:
        _WORKER["failed"] = _portable(exc)


def _watch_parent(lifeline: Connection) -> None:
    """Exit this process as soon as the parent is gone: a blocked read, no cost per task."""

    def wait() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()  # the parent never writes: this returns at its death
        os._exit(ORPHAN_EXIT)

    threading.Thread(target=wait, name="masthead-lifeline", daemon=True).start()


def _run_chunk(chunk: Sequence[Any]) -> list[Any]:
    failed = _WORKER.get("failed")
    if failed is not None:
        raise failed
    try:
        return _WORKER["run"](chunk)
    except Exception as exc:
        raise _portable(exc) from None
    except SystemExit as exc:  # a plug-in calling sys.exit() must not stop the parent
        raise WorkerError(f"a worker process was asked to exit (SystemExit: {exc})") from None


def _portable(exc: Exception) -> Exception:
    """``exc`` if the parent can unpickle it as it is; else a WorkerError that says what it
    was, with the worker's traceback in its message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        details = "".join(traceback.format_exception(exc)).rstrip()
        return WorkerError(f"{type(exc).__name__} in a worker process: {exc}", details)
    return exc


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
    if jobs <= 1 or len(items) < POOL_THRESHOLD:
        run = worker_class(setup).run
        yield from _collect(chunks, map(run, chunks), len(items), progress, label)
        return
    # The write end stays here; a worker sees the read end close when this process dies.
    lifeline, keep_alive = multiprocessing.Pipe(duplex=False)
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_context(),
        initializer=_start_worker,
        initargs=(starter, setup, lifeline),
    )
    try:
        yield from _collect(chunks, pool.map(_run_chunk, chunks), len(items), progress, label)
    except BrokenProcessPool as exc:
        raise WorkerError(
            f"a worker process stopped unexpectedly while {label} (killed, or out of memory?); "
            f"rerun with --jobs 1 to build in one process"
        ) from exc
    finally:
        pool.shutdown(cancel_futures=True)
        keep_alive.close()
        lifeline.close()


def _collect(
    chunks: list, results: Iterator, total: int, progress: Progress | None, label: str
) -> Iterator:
    done = 0
    for chunk, chunk_results in zip(chunks, results, strict=True):
        done += len(chunk)
        if progress:
            progress(label, done, total)
        yield from chunk_results


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: workers do not inherit the parent's threads (the preview server has some).
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
