"""Watching and rebuilding for the preview server: which changes matter, when a burst of
them is over, and one build at a time that requests never see half-done.

``classify`` is pure: a file system event in, the changes that matter to a build out (an
article, a template or static file, the settings), with editor temporaries, hidden files and
the output and cache folders left out; ``finished`` tells which of them an event shows
complete (a file closed after writing, or renamed into place). ``Debouncer`` decides when a
burst of changes is over;
``ChangeQueue`` is its thread-safe form, filled by watchdog's thread and drained by the
rebuild loop. ``Watcher`` is the only part that talks to watchdog. ``Preview`` runs the
normal ``build()`` while holding requests back, and numbers the builds for live reload.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import watchdog.events
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from ..config import CONFIG_FILE, SiteConfig
from ..ledger import is_moved_url
from ..model import BuildOptions, BuildReport, Problem, ProblemsError
from ..pipeline import Session, build
from ..sources import is_editor_temp, is_source_name
from ..workers import Progress
from .overlay import Excerpt, excerpts

QUIET_SECONDS = 0.15
"""A burst is over when no event arrived for this long."""
FINISHED_QUIET_SECONDS = 0.03
"""A burst whose every change was seen finished is over when no event arrived for this long:
a save is one write and a close (or a rename into place) microseconds apart, and waiting the
whole quiet period after it was most of the time from save to served. The price: a writer
that closes a file and reopens it to write more (a script appending in steps) after a
pause this long gets a rebuild in between, and another one once it is done."""
LONGEST_SECONDS = 3.0
"""Rebuild at the latest this long after the first change, even if events keep coming."""

CONTENT, TEMPLATES, CONFIG = "content", "templates", "config"
LOST = "lost"
"""The kind of change that stands for events the watcher lost (its queue overflowed)."""
EVENTS_LOST = "events_lost"
"""watchdog's event type for an overflow (watchdog 7 and later; earlier ones never send it)."""
RELEVANT_EVENTS = frozenset({"created", "modified", "deleted", "moved"})
"""Opening and closing a file without writing (as every build does) changes nothing."""
CLOSED = "closed"
"""watchdog's event type for a file closed after writing (inotify only: elsewhere only a
rename into place tells a save finished, and a save in place waits the whole quiet
period)."""
EVENT_TYPES = [
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    *filter(None, [getattr(watchdog.events, "EventsLostEvent", None)]),
]


@dataclass(frozen=True)
class Change:
    """One changed input: its kind (content, templates or config) and site-relative path."""

    kind: str
    rel: str


@dataclass(frozen=True)
class WatchRoots:
    """What to watch in a site and what to ignore there, as site-relative POSIX folders."""

    site_path: Path
    content: str
    templates: str
    ignored: tuple[str, ...] = ()

    @classmethod
    def of(cls, site_path: Path, config: SiteConfig, ignored: Iterable[Path] = ()) -> WatchRoots:
        """The roots of a site with these settings; ``ignored`` adds folders such as the
        preview and cache folders (ignored only when they lie inside the site)."""
        site = site_path.resolve()
        skip = [config.output_dir]
        for folder in ignored:
            folder = folder.resolve()
            if folder.is_relative_to(site) and folder != site:
                skip.append(folder.relative_to(site).as_posix())
        return cls(
            site, _clean(config.content_dir), _clean(config.templates_dir), tuple(map(_clean, skip))
        )

    def folders(self) -> dict[Path, bool]:
        """Folders to schedule with watchdog, each with whether to watch it recursively."""
        found = {self.site_path: False}  # pyproject.toml, and content/ or templates/ appearing
        for rel in (self.content, self.templates):
            folder = self.site_path / rel
            if folder.is_dir():
                found[folder] = True
        return found


def classify(
    roots: WatchRoots, event_type: str, paths: Iterable[str], is_directory: bool
) -> tuple[Change, ...]:
    """The changes one event makes to the build's inputs (none for noise)."""
    if event_type not in RELEVANT_EVENTS or (is_directory and event_type == "modified"):
        return ()
    found = (_classify_path(roots, path, is_directory) for path in paths if path)
    return tuple(dict.fromkeys(change for change in found if change))


def _classify_path(roots: WatchRoots, path: str, is_directory: bool) -> Change | None:
    try:
        rel = Path(path).relative_to(roots.site_path).as_posix()
    except ValueError:
        return None
    parts = rel.split("/")
    if rel == "." or any(is_editor_temp(part) for part in parts):
        return None
    if any(_is_within(rel, folder) for folder in roots.ignored):
        return None
    if rel == CONFIG_FILE:
        return Change(CONFIG, rel)
    if _is_within(rel, roots.content):
        inner = rel[len(roots.content) + 1 :].split("/") if rel != roots.content else []
        # Discovery skips folders starting with "_" (and "."); so do we.
        if any(part.startswith("_") for part in (inner if is_directory else inner[:-1])):
            return None
        if is_directory or is_source_name(parts[-1]):
            return Change(CONTENT, rel)
        return None
    if _is_within(rel, roots.templates):
        return Change(TEMPLATES, rel)
    return None


def finished(
    roots: WatchRoots, event_type: str, src_path: str, dest_path: str, is_directory: bool
) -> tuple[Change, ...]:
    """The changes an event shows complete: a file closed after writing (its last write is
    in), or a file renamed into place (an editor's atomic save). A deletion or a rename away
    is not: editors that keep a backup rename the file away just before writing it anew."""
    if event_type == CLOSED and not is_directory:
        return classify(roots, "modified", [src_path], is_directory)
    if event_type == "moved":
        return classify(roots, event_type, [dest_path], is_directory)
    return ()


def changed_sources(roots: WatchRoots, changes: Iterable[Change]) -> frozenset[str] | None:
    """The sources (relative to the content folder) that a burst of changes touched, for a
    build that trusts the watcher with the rest; None when the burst says more than which
    files changed: a folder came, went or moved, the settings changed (they name the
    content folder), or events were lost. Changed templates do not count: every build
    checks every template."""
    found = set()
    for change in changes:
        if change.kind == TEMPLATES:
            continue
        if change.kind != CONTENT or not is_source_name(change.rel.rsplit("/", 1)[-1]):
            return None
        found.add(change.rel[len(roots.content) + 1 :])
    return frozenset(found)


def _is_within(rel: str, folder: str) -> bool:
    return rel == folder or rel.startswith(folder + "/")


def _clean(rel: str) -> str:
    return Path(rel).as_posix().strip("/")


class Debouncer:
    """Collects changes and tells when a burst is over: ``quiet`` seconds after the last
    event, or ``finished_quiet`` seconds after it when every change of the burst was last
    seen finished (see ``finished``), or ``longest`` seconds after the first change,
    whichever comes first."""

    def __init__(
        self,
        quiet: float = QUIET_SECONDS,
        longest: float = LONGEST_SECONDS,
        finished_quiet: float = FINISHED_QUIET_SECONDS,
    ):
        self.quiet = quiet
        self.longest = longest
        self.finished_quiet = min(quiet, finished_quiet)
        self.pending: dict[Change, None] = {}
        self.unfinished: set[Change] = set()
        self.first = self.last = 0.0

    def add(self, changes: Iterable[Change], now: float, done: Iterable[Change] = ()) -> None:
        """Record changes seen at time ``now``, and which changes (of this event or of the
        pending burst) the event shows finished. A finished change alone starts no burst:
        closing a file opened for writing but left as it was changes nothing."""
        changes = list(changes)
        done = [change for change in done if change in self.pending or change in changes]
        if not changes and not done:
            return
        if not self.pending:
            self.first = now
        self.last = now
        self.pending.update(dict.fromkeys(changes))
        self.unfinished.update(changes)
        self.unfinished.difference_update(done)

    def deadline(self) -> float | None:
        """When the pending burst is over, or None when nothing is pending."""
        if not self.pending:
            return None
        quiet = self.quiet if self.unfinished else self.finished_quiet
        return min(self.last + quiet, self.first + self.longest)

    def take(self, now: float) -> tuple[Change, ...]:
        """The burst's changes (each once, in order seen) if it is over at ``now``, else ()."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return ()
        changes, self.pending = tuple(self.pending), {}
        self.unfinished.clear()
        return changes


class ChangeQueue:
    """A Debouncer shared between watchdog's thread (``put``) and the rebuild loop (``get``)."""

    def __init__(
        self,
        quiet: float = QUIET_SECONDS,
        longest: float = LONGEST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        finished_quiet: float = FINISHED_QUIET_SECONDS,
    ):
        self.debouncer = Debouncer(quiet, longest, finished_quiet)
        self.clock = clock
        self.ready = threading.Condition()

    def put(self, changes: Iterable[Change], done: Iterable[Change] = ()) -> None:
        """Add changes, and those an event shows finished (from any thread)."""
        with self.ready:
            self.debouncer.add(changes, self.clock(), done)
            self.ready.notify_all()

    def get(self, timeout: float) -> tuple[Change, ...]:
        """Wait up to ``timeout`` seconds for a finished burst; () when there was none."""
        give_up = self.clock() + timeout
        with self.ready:
            while True:
                now = self.clock()
                changes = self.debouncer.take(now)
                if changes or now >= give_up:
                    return changes
                deadline = self.debouncer.deadline()
                self.ready.wait(min(deadline or give_up, give_up) - now)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == EVENTS_LOST:
            self.watcher.queue.put((Change(LOST, "events the watcher lost"),))
            return
        roots, kind = self.watcher.roots, event.event_type
        src_path, dest_path = _text(event.src_path), _text(event.dest_path)
        changes = classify(roots, kind, [src_path, dest_path], event.is_directory)
        done = finished(roots, kind, src_path, dest_path, event.is_directory)
        if changes or done:
            self.watcher.queue.put(changes, done)


class Watcher:
    """Feeds the changes watchdog sees below a site's roots into a ChangeQueue."""

    def __init__(self, roots: WatchRoots, queue: ChangeQueue):
        self.roots = roots
        self.queue = queue
        self.observer = Observer()
        self.handler = _Handler(self)
        self.watches: dict[Path, tuple[object, int]] = {}
        self.complete = False
        """True when every folder of the roots is watched (see ``sync``)."""

    def start(self) -> None:
        """Schedule the roots' folders and start watching."""
        self.sync(self.roots)
        self.observer.start()

    def sync(self, roots: WatchRoots) -> None:
        """Follow new roots (after a settings change) and folders created since the start."""
        self.roots = roots
        wanted = {
            folder: (recursive, _inode(folder)) for folder, recursive in roots.folders().items()
        }
        for folder, (watch, inode) in list(self.watches.items()):
            if folder not in wanted or wanted[folder][1] != inode:  # gone, or deleted and made anew
                del self.watches[folder]
                with contextlib.suppress(KeyError, OSError):  # its emitter may be gone already
                    self.observer.unschedule(watch)
        for folder, (recursive, inode) in wanted.items():
            if folder not in self.watches and inode:
                try:
                    watch = self.observer.schedule(
                        self.handler, str(folder), recursive=recursive, event_filter=EVENT_TYPES
                    )
                except OSError:  # removed in the meantime, or over the system's limit of
                    continue  # watches; the next sync tries again
                self.watches[folder] = (watch, inode)
        self.complete = all(
            folder in self.watches for folder, (_, inode) in wanted.items() if inode
        )

    def stop(self) -> None:
        """Stop watching and wait for watchdog's threads."""
        self.observer.stop()
        self.observer.join(timeout=5)


def _inode(folder: Path) -> int:
    try:
        return folder.stat().st_ino
    except OSError:
        return 0


def _text(path: str | bytes) -> str:
    return path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path


# --- Rebuilding -----------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The last finished build as requests see it; ``problems`` only when it failed."""

    generation: int
    server_id: str
    problems: tuple[Problem, ...]
    finished: float
    notices: tuple[Problem, ...] = ()
    """Warnings a writer must see in the page: saving moved a published URL."""
    excerpts: tuple[Excerpt, ...] = ()
    """The source lines each of ``problems`` names, for the overlay."""


@dataclass(frozen=True)
class Outcome:
    """One build's report (None when it could not run), problems, time and any crash."""

    report: BuildReport | None
    problems: tuple[Problem, ...]
    seconds: float
    crash: str = ""

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that failed the build."""
        return tuple(p for p in self.problems if p.is_error)

    @property
    def touched_output(self) -> bool:
        """True when the build wrote or removed a file of the preview."""
        return bool(self.report and (self.report.written or self.report.removed))


class Preview:
    """The preview's shared state: builds exclude requests, and requests exclude builds."""

    def __init__(
        self, site_path: Path, options: BuildOptions, built: bool = True, debug: bool = False
    ):
        """``built=False``: requests wait from the start, until the first ``rebuild``;
        ``debug``: keep the traceback of an internal error, for the terminal."""
        self.site_path = site_path
        self.options = options
        self.debug = debug
        self.root = Path(str(options.output))
        self.changed = threading.Condition()
        self.building = not built
        self.readers = 0
        self.stopping = False
        self.state = Snapshot(0, secrets.token_hex(6), (), time.time())
        # What each build hands the next: rebuilds redo only changes. The server freezes
        # it after each build (collector.settle).
        self.session = Session(keeps_frozen=True)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """Wait for a running build to finish; keep the next one out until the block ends."""
        with self.changed:
            self.changed.wait_for(lambda: not self.building)
            self.readers += 1
            state = self.state
        try:
            yield state
        finally:
            with self.changed:
                self.readers -= 1
                self.changed.notify_all()

    def rebuild(
        self, progress: Progress | None = None, sources: frozenset[str] | None = None
    ) -> Outcome:
        """Run ``build()`` once, with requests held, and publish the result. ``sources``:
        the only sources that changed since the last rebuild, when a watcher vouches for the
        rest (see ``changed_sources``); None makes the build check every source."""
        self.session.saw_changes(sources)
        with self.changed:
            self.building = True
            self.changed.wait_for(lambda: self.readers == 0)
        outcome = None
        try:
            outcome = self._build(progress)
            return outcome
        finally:  # publish the new state as the lock opens, so no request sees files early
            with self.changed:
                failed = outcome.problems if outcome and outcome.errors else ()
                notices = _notices(outcome.problems) if outcome else ()
                changed = failed != self.state.problems or notices != self.state.notices
                if outcome and (outcome.touched_output or changed):
                    # Open tabs reload only when something they could show changed.
                    generation = self.state.generation + 1
                    self.state = Snapshot(
                        generation,
                        self.state.server_id,
                        failed,
                        time.time(),
                        notices,
                        excerpts(self.site_path, failed),
                    )
                self.building = False
                self.changed.notify_all()

    def _build(self, progress: Progress | None) -> Outcome:
        started = time.perf_counter()
        try:
            report = build(self.site_path, self.options, progress, self.session)
            return Outcome(report, report.problems, time.perf_counter() - started)
        except ProblemsError as exc:
            return Outcome(None, exc.problems, time.perf_counter() - started)
        except OSError as exc:  # the preview could not be written (disk full, read-only...)
            return Outcome(None, (_write_problem(exc),), time.perf_counter() - started)
        except Exception as exc:  # a bug in masthead must not stop the preview
            message = f"internal error: {type(exc).__name__}: {exc}"
            if not self.debug:
                message += "; rerun masthead serve with --debug for details"
            crash = traceback.format_exc() if self.debug else ""
            return Outcome(
                None, (Problem("masthead", None, message),), time.perf_counter() - started, crash
            )

    def wait_for_change(self, since: int, server_id: str, timeout: float) -> Snapshot:
        """The state once a build after generation ``since`` finished (or at the timeout)."""
        with self.changed:
            self.changed.wait_for(
                lambda: (
                    self.stopping
                    or self.state.server_id != server_id
                    or self.state.generation != since
                ),
                timeout,
            )
            return self.state

    def stop(self) -> None:
        """Release every waiting long-poll request."""
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


def _notices(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """The warnings the browser shows too: a published URL that would move."""
    return tuple(p for p in problems if not p.is_error and is_moved_url(p))


def _write_problem(exc: OSError) -> Problem:
    """One line for a preview that could not be written: the file, the cause, the fix."""
    where = str(exc.filename) if exc.filename else "masthead"
    return Problem(
        where,
        None,
        f"cannot write the preview: {exc.strerror or exc}; free some space or fix the "
        f"permissions, then save again",
    )
