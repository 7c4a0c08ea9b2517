"""``build(site_path, options)``: the whole pipeline, read top to bottom.

A long-running caller (the preview server) passes a ``Session`` (re-exported here: the
pipeline is the one door into the build) to carry results from one build to the next.

config -> load -> index -> plan -> render -> write. Each stage is a pure function of its
arguments in its own module; this module runs them in order and wraps them with the
incremental layer (``masthead.incremental``): the build memo, the parse cache, fingerprints
and, in a long-running process, the Session that hands each stage last build's result for
equal arguments. Every build plans every page; only pages whose fingerprint changed are
rendered. Nothing is written unless every stage before it succeeded (or ``keep_going`` asks
to build what is valid), and only while holding the output folder's lock.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from . import markup, urls
from .collector import fewer_collections, thawed_at_the_end
from .config import SiteConfig, load_config, parse_instant, with_base_url
from .descriptions import Description
from .feeds import plan_feeds, plan_sitemaps
from .frontedit import add_alias
from .i18n import Catalogues, Words, load_catalogues
from .incremental import BYTECODE_FOLDER, cache_folder
from .incremental.cache import ParseCache, open_cache
from .incremental.fingerprint import (
    ArticlePrints,
    article_fingerprints,
    digest,
    index_key,
    known_prints,
    outline_prints,
    parse_fingerprint,
    term_names,
)
from .incremental.memo import (
    Inputs,
    bytes_digest,
    is_current,
    memo_from,
    memo_of,
    memo_to_record,
    memoised_report,
    read_inputs,
    unchanged_by_bytes,
    valid_until,
)
from .incremental.session import Session as Session  # the one door for the preview
from .incremental.snapshot import (
    PageFile,
    PlanSnapshot,
    SavedIndex,
    code_fingerprint,
    read_snapshot,
    snapshot_path,
    write_snapshot,
)
from .index import (
    IndexShape,
    index_articles,
    published,
    split_retracted,
    url_collisions,
    without_sources,
)
from .ledger import (
    LEDGER_FILE,
    Ledger,
    Moved,
    ledger_text,
    moved_problems,
    moved_urls,
    read_ledger,
    served,
    write_ledger,
)
from .lock import name_holder, output_lock, release_folder_if_empty
from .manifest import (
    Manifest,
    intact_outputs,
    manifest_files,
    manifest_path,
    read_manifest_file,
)
from .model import (
    WARNING,
    Archive,
    Article,
    BuildOptions,
    BuildReport,
    Page,
    Problem,
    ProblemsError,
)
from .outputdir import conflict_problems, output_folder_problem
from .paths import check_output_paths, line_finder
from .plan import navigation, plan_pages, redirects_page, retraction_pages, sections
from .search import IndexOutcome, Shard, search_pages, shard_plan, update_index
from .themefiles import STATIC_FOLDER, shown_static, static_files, template_paths
from .workers import Progress, default_jobs
from .write import OutputError, OutputWriter, clear_staging, os_error_message

if TYPE_CHECKING:
    from .incremental.parsing import Loaded
    from .jobs import RenderSetup, RenderTask

CHECKED = "checked inputs"
"""The session's table of the inputs each build found, by content folder."""

# The stages that read sources and render (Markdown engines, python-frontmatter, Jinja) are
# imported by the methods that run them: a build that finds nothing changed never loads them.


def build(
    site_path: Path,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    session: Session | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build the site in ``site_path``. Raises ProblemsError for configuration problems and
    OutputBusy when another build holds the output folder and ``options.wait`` is False.

    A ``session`` carries results from one build to the next in a long-running process
    (the preview server); without one, the build starts from what is on disk. ``on_wait``
    is told once, in words, what the build waits for when another one writes its output."""
    options = options or BuildOptions()
    session = session or Session(lasting=False)
    try:
        with fewer_collections(), thawed_at_the_end(session.keeps_frozen):
            config, problems = configure(site_path, options)
            config = session.same("config", config)  # equal settings: the same object
            output = resolve_output(site_path, config, options)
            run = _Build(site_path, config, options, output, progress, session, problems)
            report = run.run() if not options.write else _holding_the_output(run, on_wait)
            if not run.accepted:
                return report
            # Aliases were added to the sources: build again from them (every source
            # checked: no watcher saw those writes yet).
            session.saw_changes(None)
            again = replace(options, accept_url_changes=False)
            rerun = _Build(site_path, config, again, output, progress, session, list(problems))
            rerun.problems += run.accepted
            return rerun.run() if not again.write else _holding_the_output(rerun, on_wait)
    finally:
        session.finish_build()


def _holding_the_output(run: _Build, on_wait: Callable[[str], None] | None) -> BuildReport:
    """Run the build holding the output folder's lock: one writer per output folder."""
    output = run.output

    def told(holder: str) -> None:
        if on_wait:
            on_wait(f"{holder} to finish writing {run.shown(output)}")

    try:
        with output_lock(output, run.options.wait, told):
            clear_staging(output)
            name_holder(output)
            try:
                return run.run()
            except OutputError as exc:
                return run.failed_output(str(exc))
            finally:
                clear_staging(output)
                release_folder_if_empty(output)
    except OSError as exc:  # the folder or its lock cannot be made
        return run.failed_output(os_error_message(exc, "the output folder"))


class _Build:
    """One build: its settings, what it found so far, and the stages in order (``run``)."""

    def __init__(
        self,
        site_path: Path,
        config: SiteConfig,
        options: BuildOptions,
        output: Path,
        progress: Progress | None,
        session: Session,
        problems: list[Problem],
    ):
        self.site_path, self.config, self.options, self.output = site_path, config, options, output
        self.progress, self.session, self.problems = progress, session, problems
        self.jobs = options.jobs or default_jobs()
        self.now = reference_time(config, options)
        self.started_ns = time.time_ns()
        self.timings: list[tuple[str, float]] = []
        self.report = BuildReport()
        self.inputs: Inputs | None = None
        self.manifest = Manifest({}, frozenset(), None)
        self.retracted: tuple[Article, ...] = ()
        self.catalogues = Catalogues()
        self.serving: tuple[Article, ...] = ()
        """Every article this build serves at its URL (the retracted ones too)."""
        self.serving_entries: dict[str, Article] | None = None
        """Their ledger entries (``served``), made once they are asked for."""
        self.shards: dict[str, Shard] = {}
        self.descriptions: tuple[Description, ...] = ()
        self.accepted: list[Problem] = []
        """Aliases --accept-url-changes wrote into sources (the build then starts again)."""
        self.search_failed = False
        self.found_ledger: tuple[Ledger | None] | None = None
        self.snapshot: PlanSnapshot | None = None
        """What the last build that planned every page saved (see incremental/snapshot.py)."""
        self.plan_key = ""
        self.plan_problems: tuple[Problem, ...] = ()
        self.reused_plan = False
        """True when this build took the saved plan's pages instead of planning."""
        self.refreshed: PlanSnapshot | None = None
        """The saved plan with the fingerprints this build made again, to save again."""
        self.outlines: SavedIndex | None = None
        """The outline prints and index key of this build's articles (no shape yet), when
        the saved index let them be made cheaply."""
        self.indexed: tuple[list[Article], IndexShape] | None = None
        """The articles this build indexed, and their index."""
        self.prints: tuple[Archive, ArticlePrints] | None = None
        """The fingerprints of the articles of an archive (see ``article_prints``)."""

    def run(self) -> BuildReport:
        """config -> load -> index -> plan -> render -> write, each a call. (Call it holding
        the output folder's lock: it starts from what the last build wrote there.)"""
        with self.stage("manifest"):
            path, also = manifest_files(self.output)
            self.manifest = self.session.file(path, read_manifest_file, self.manifest, also)
        if self.nothing_changed():
            return self.finished()
        check_engine(self.config)
        with self.parse_cache() as cache:
            loaded = self.load(cache)
            self.resume()
            archive = self.index(loaded)
            with self.stage("ledger"):
                moved = self.urls_moved(archive)
            if moved:
                return self.finished()
            pages, static = self.plan(archive)
            if self.has_errors() and not self.options.keep_going:
                return self.finished()
            writer = self.new_writer()
            tasks = self.changed_pages(pages, archive, writer)
            if tasks is None or (self.reused_plan and not self.writable(tasks, static)):
                pages, static = self.plan(archive, fresh=True)  # reports what is in the way
                if self.has_errors() and not self.options.keep_going:
                    return self.finished()
                writer = self.new_writer()
                tasks = self.changed_pages(pages, archive, writer)
            self.render(tasks, archive, cache, writer)
            if writer:
                self.write(writer, static, loaded, pages)
                self.save_plan(loaded, archive, pages)
        return self.finished()

    # -- the stages ----------------------------------------------------------------------

    def nothing_changed(self) -> bool:
        """True when the memo shows every input as the last successful build left it."""
        if not (self.options.write and self.options.use_cache):
            return False
        with self.stage("check"):
            self.inputs = self.check_inputs()
            memo = memo_from(self.manifest.memo)
            if memo is None or not is_current(memo, self.inputs, self.now):
                return False
            if not unchanged_by_bytes(memo, self.site_path):
                return False
            if not intact_outputs(self.manifest.files, self.output):
                return False
        self.report = memoised_report(memo, len(self.manifest.files))
        self.problems += self.report.problems
        return True

    def check_inputs(self) -> Inputs:
        """The stat of every input. In a session a watcher vouches for, only the sources it
        saw change are looked at again (and those it cannot see): the others have the stat
        the last build found."""
        paths = template_paths(self.site_path, self.config)
        table = self.session.table(CHECKED)
        content = str(self.site_path / self.config.content_dir)
        changed = self.session.unchecked()
        last = table.last(content) if changed is not None else None
        since = (last, changed) if last is not None else None
        inputs = read_inputs(
            self.site_path, self.config, self.options, paths, self.started_ns, since
        )
        table.put(content, None, inputs)
        self.session.checked()
        return inputs

    @contextmanager
    def parse_cache(self) -> Iterator[ParseCache]:
        """The parse cache for this build, written and closed at the end."""
        with self.stage("cache"):
            folder = cache_folder(self.site_path, self.options.cache_dir)
            cache, warning = open_cache(
                folder if self.options.use_cache else None,
                parse_fingerprint(self.config),
                read_only=not self.options.write,
                shown=self.shown(folder),
                few=self.inputs is not None and self.inputs.changed is not None,
            )
        self.problems += [warning] if warning else []
        try:
            yield cache
        finally:
            warning = cache.close()
            self.problems += [warning] if warning else []

    def load(self, cache: ParseCache) -> Loaded:
        """Every source, parsed (or reused from the cache)."""
        with self.stage("load"):
            found = self.inputs.sources if self.inputs else None
            from .incremental.parsing import load_sources

            loaded = load_sources(
                self.site_path, self.config, cache, self.jobs, self.progress, found, self.session
            )
        self.problems += loaded.problems
        return loaded

    def index(self, loaded: Loaded) -> Archive:
        """The published articles, indexed: order, taxonomies, date periods."""
        prefix = self.config.content_prefix
        with self.stage("index"):
            articles, drafts, future = published(
                loaded.articles, self.options.drafts, self.options.future, self.now
            )
            collisions = url_collisions(articles, prefix)
            articles = without_sources(articles, collisions, prefix)
            live, self.retracted = split_retracted(articles)
            archive, shape = index_articles(live, prefix, self.session, self.saved_index(live))
        self.serving = (*archive.articles, *self.retracted)
        self.descriptions = loaded.descriptions
        self.problems += [*collisions, *shape.problems]
        self.indexed = (live, shape)
        self.report = replace(
            self.report,
            articles=len(archive.articles),
            parsed=loaded.parsed,
            reused=loaded.reused,
            skipped_drafts=drafts,
            skipped_future=future,
        )
        return archive

    def plan(
        self, archive: Archive, fresh: bool = False
    ) -> tuple[tuple[Page, ...], dict[str, Path]]:
        """Every page and static file, with every output path checked before anything is
        written; those that cannot be written are left out (and reported). The last build's
        pages when its saved plan had the same inputs (unless ``fresh``)."""
        with self.stage("plan"):
            self.catalogues, problems = load_catalogues(template_paths(self.site_path, self.config))
            self.problems += problems
            words = Words(self.catalogues, self.config.language)
            today = self.now.astimezone(self.config.tz)
            day = (today.month, today.day)
            static = static_files(template_paths(self.site_path, self.config))
            self.plan_key = self.key_of_plan(archive, static, day)
            saved = None if fresh else self.saved_plan()
            self.reused_plan = saved is not None
            if saved is not None:
                pages, self.shards = saved.pages, saved.shards
                self.problems += saved.problems
            else:
                pages, static = self.plan_every_page(archive, words, day, static)
        self.report = replace(self.report, pages=len(pages))
        return pages, static

    def plan_every_page(
        self, archive: Archive, words: Words, day: tuple[int, int], static: dict[str, Path]
    ) -> tuple[tuple[Page, ...], dict[str, Path]]:
        """Plan every page; check every output path (leaving out those refused)."""
        before = len(self.problems)
        pages = plan_pages(archive, self.config, self.session, words, day, self.descriptions)
        pages += retraction_pages(self.retracted, self.config, words)
        if self.config.search:
            self.shards = shard_plan(archive.articles, self.config.language)
            pages += search_pages(self.serving, self.shards, self.config, words)
        if self.config.redirects_file:
            pages += (redirects_page(pages, self.config),)
        pages += tuple(plan_feeds(archive, self.config))
        pages += tuple(plan_sitemaps(pages, archive, self.config, self.now, self.session))
        refused = self.check_outputs(pages, static, archive)
        self.plan_problems = tuple(self.problems[before:])
        if refused:
            pages = tuple(p for p in pages if urls.output_rel(p.url) not in refused)
            static = {rel: path for rel, path in static.items() if rel not in refused}
        return pages, static

    def changed_pages(
        self,
        pages: tuple[Page, ...],
        archive: Archive,
        writer: OutputWriter | None,
    ) -> list[RenderTask] | None:
        """The pages to render: those whose fingerprint changed. None when the saved plan's
        pages this build took cannot be compared after all (then plan afresh)."""
        from .incremental.rendering import pages_to_render, saved_pages_to_render

        with self.stage("compare"):
            setup = self.render_setup(archive)
            path = self.snapshot_file()
            if self.reused_plan and self.snapshot and writer and path:
                prints = self.article_prints(archive)
                with PageFile(path, self.snapshot.token) as stored:
                    found = saved_pages_to_render(
                        self.snapshot, stored, setup, writer, self.session, prints
                    )
                self.refreshed = found.refreshed if found else None
                return found.tasks if found else None
            reuse = self.options.use_cache
            prints = self.article_prints(archive)
            return pages_to_render(pages, setup, writer, reuse, self.session, prints)

    def render(
        self,
        tasks: list[RenderTask],
        archive: Archive,
        cache: ParseCache,
        writer: OutputWriter | None,
    ) -> None:
        """Render the pages in workers; each stages its own file. A task gets the bodies
        its page shows from the cache as its batch is sent, so that only the batches under
        way hold bodies."""
        from .incremental.parsing import SourceChanged
        from .incremental.rendering import with_bodies
        from .jobs import render_tasks

        with self.stage("render"):
            setup = self.render_setup(archive)
            failures: list[str] = []
            failed_pages: dict[Problem, list[str]] = {}
            bodies = functools.partial(with_bodies, cache=cache, setup=setup)
            try:
                for result in render_tasks(tasks, setup, self.jobs, self.progress, bodies):
                    if result.error is not None:  # staging failed (disk full, read-only ...)
                        rel = result.slot.rel if result.slot else "a page"
                        failures.append(os_error_message(result.error, rel))
                    elif result.problem:
                        failed_pages.setdefault(result.problem, []).append(result.url)
                        if writer and result.slot:
                            writer.keep_previous(result.slot.rel)
                    elif writer and result.slot and result.staged:
                        writer.accept(result.slot, result.staged, result.fingerprint)
            except SourceChanged as exc:
                raise ProblemsError([exc.problem]) from exc
        self.problems += _template_problems(failed_pages)
        self.report = replace(self.report, rendered=len(tasks))
        if failures:
            raise OutputError(f"{failures[0]}; the previous output is intact")

    def write(
        self, writer: OutputWriter, static: dict[str, Path], loaded: Loaded, pages: tuple[Page, ...]
    ) -> None:
        """Move the staged files into place (or throw them away after an error)."""
        if self.has_errors() and not self.options.keep_going:
            writer.abort()
            return
        if self.config.search:
            self.search_index(writer, pages)
        with self.stage("write"):
            for rel, path in static.items():
                writer.add(rel, self.read_static(path))
            ledger = self.updated_ledger()
            result = writer.commit(self.memo_record(loaded, ledger))
            if ledger is not None:
                self.write_ledger(ledger)
        if writer.written:
            path, also = manifest_files(self.output)
            self.session.wrote_file(path, writer.written, also)
        self.report = replace(
            self.report, written=result.written, unchanged=result.unchanged, removed=result.removed
        )

    def search_index(self, writer: OutputWriter, pages: tuple[Page, ...]) -> None:
        """The search index of the article pages as they will be committed (staged in the
        writer), made again only when they changed."""
        with self.stage("search"):
            start = time.perf_counter()
            outcome: IndexOutcome = update_index(writer, pages, self.shards, workers=self.jobs)
            seconds = time.perf_counter() - start
        if outcome.problem is not None:
            self.problems.append(outcome.problem)
            self.search_failed = True  # no memo: the next build tries again
        self.report = replace(self.report, search=outcome.summary(seconds))

    # -- the plan saved for the next process ---------------------------------------------

    def saved_index(self, live: list[Article]) -> IndexShape | None:
        """The archive index the saved plan was made from, when these articles' outlines are
        the ones it was made from (keyed by outline prints, so a stale index is never
        taken). Only the outlines of sources that changed since are printed."""
        saved = self.snapshot.index if self.snapshot else None
        parse = parse_fingerprint(self.config)
        known = saved.prints_for(parse) if saved else None
        if saved is None or known is None:
            return None
        prints = outline_prints(live, known)
        self.outlines = SavedIndex(parse, prints, index_key(prints, self.config.content_prefix))
        return saved.shape if saved.key == self.outlines.key else None

    def index_to_save(self) -> SavedIndex | None:
        """This build's archive index, keyed by its articles' outline prints."""
        if self.indexed is None:
            return None
        return replace(self.made_outlines(), shape=self.indexed[1])

    def snapshot_file(self) -> Path | None:
        """Where builds into this output save their plan; None when they save none."""
        if not (self.options.write and self.options.use_cache):
            return None
        folder = cache_folder(self.site_path, self.options.cache_dir)
        return snapshot_path(folder, self.output)

    def resume(self) -> None:
        """Read what the last build that planned every page saved for this output."""
        path = self.snapshot_file()
        if path is not None:
            with self.stage("resume"):
                code = code_fingerprint()
                found = self.session.file(path, lambda path: read_snapshot(path, code), None)
                self.snapshot = found if found is not None and found.code == code else None

    def article_prints(self, archive: Archive) -> ArticlePrints:
        """The fingerprints of the archive's articles, made once per build (those of
        sources unchanged since the saved plan are taken from it)."""
        if self.prints is not None and self.prints[0] is archive:
            return self.prints[1]
        known = None
        if self.snapshot is not None:
            parse = parse_fingerprint(self.config)
            known = self.snapshot.prints_for(parse, term_names(archive))
        prints = article_fingerprints(archive, self.session, known)
        self.prints = (archive, prints)
        return prints

    def key_of_plan(self, archive: Archive, static: dict[str, Path], day: tuple[int, int]) -> str:
        """Everything the plan stage depends on, but the reference time (see PlanSnapshot)."""
        prints = self.article_prints(archive)
        options = self.options
        return digest(
            repr(self.config),
            repr((options.drafts, options.future, options.preview, options.overwrite)),
            repr(sorted(self.catalogues.entries.items())),
            repr(day),
            repr(self.descriptions),
            repr(sorted((rel, str(path)) for rel, path in static.items())),
            repr(self.retracted),
            self.made_outlines().key,  # the outlines hold the lines warnings name
            *prints.planned,
        )

    def made_outlines(self) -> SavedIndex:
        """The outline prints and index key of the articles this build indexed, made once
        (taken from the saved index where it has them)."""
        if self.outlines is None:
            live = self.indexed[0] if self.indexed else []
            prints = outline_prints(live, None)
            key = index_key(prints, self.config.content_prefix)
            self.outlines = SavedIndex(parse_fingerprint(self.config), prints, key)
        return self.outlines

    def saved_plan(self) -> PlanSnapshot | None:
        """The saved plan, when it is this build's and the output holds every page of it."""
        saved = self.snapshot
        if saved is None or not saved.holds(self.plan_key, self.now):
            return None
        files = self.manifest.files
        if not all(page.rel in files for page in saved.pages):
            return None
        return saved

    def writable(self, tasks: list[RenderTask], static: dict[str, Path]) -> bool:
        """True when nothing is in the way of the files this build writes (a saved plan
        skips the check of every output path: the last build wrote them all)."""
        rels = [task.slot.rel for task in tasks if task.slot] + list(static)
        found = conflict_problems(
            self.output, self.shown(self.output), rels, self.manifest, self.options.overwrite
        )
        return not found.problems

    def save_plan(self, loaded: Loaded, archive: Archive, pages: tuple[Page, ...]) -> None:
        """Save this build's plan and fingerprints for the next process, after a build that
        planned every page and wrote them all."""
        path = self.snapshot_file()
        if path is None or self.has_errors() or self.search_failed:
            return
        if self.reused_plan:
            if self.refreshed is not None:  # the saved plan's token, pages and places
                with self.stage("save"), PageFile(path, self.refreshed.token) as stored:
                    # the same pages in the same places: the area is copied as it is
                    written = write_snapshot(path, self.refreshed, stored.chunks())
                    if written is not None:
                        self.session.wrote_file(path, written)
            return
        from .incremental.rendering import saved_fingerprints, saved_pages

        with self.stage("save"):
            made_with = saved_fingerprints(self.session)
            prints = self.article_prints(archive)
            found = saved_pages(pages, self.session)
            if made_with is None or found is None:
                return
            saved, area = found
            snapshot = PlanSnapshot(
                code_fingerprint(),
                self.plan_key,
                self.now,
                self.holds_until(loaded),
                *made_with,
                prints,
                parse_fingerprint(self.config),
                term_names(archive),
                known_prints(archive, prints),
                saved,
                self.shards,
                self.plan_problems,
                self.index_to_save(),
            )
            written = write_snapshot(path, snapshot, area.blobs)
            if written is not None:
                self.session.wrote_file(path, written)

    # -- the URL ledger -------------------------------------------------------------------

    def urls_moved(self, archive: Archive) -> bool:
        """Check that every URL in the ledger is still served; with --accept-url-changes,
        add the aliases that keep them and return True (the build starts again)."""
        ledger = self.ledger()
        if ledger is None:
            return False
        self.problems += ledger.problems
        moved = moved_urls(ledger, self.served())
        if self.options.accept_url_changes and moved:
            self.accepted = self.accept(moved)
            if self.accepted:
                return True
        preview = self.options.preview
        self.problems += moved_problems(moved, self.config.content_prefix, preview)
        return False

    def ledger(self) -> Ledger | None:
        """The site's URL ledger as this build found it (None: none, or none kept)."""
        if not self.config.url_ledger:
            return None
        if self.found_ledger is None:
            path = self.site_path / LEDGER_FILE
            read = lambda _: read_ledger(self.site_path)  # noqa: E731
            self.found_ledger = (self.session.file(path, read, None),)
        return self.found_ledger[0]

    def accept(self, moved: list[Moved]) -> list[Problem]:
        """Write each moved article's old URL into its aliases; what was done, as notes."""
        done = []
        for item in moved:
            if item.article is None:
                continue
            shown = self.config.content_prefix + item.article.rel
            path = self.site_path / self.config.content_dir / item.article.rel
            trouble = add_alias(path, item.old)
            if trouble:
                message = f'cannot add the alias "{item.old}": {trouble}; add it by hand'
                self.problems.append(Problem(shown, None, message))
            else:
                done.append(
                    Problem(
                        shown,
                        None,
                        f'added "{item.old}" to aliases (--accept-url-changes)',
                        WARNING,
                    )
                )
        return done

    def updated_ledger(self) -> str | None:
        """The ledger's text after a successful production build, to which every URL it
        serves is added; None when this build leaves the ledger alone."""
        production = not (self.options.preview or self.options.drafts or self.options.future)
        if not (self.config.url_ledger and production) or self.has_errors():
            return None
        ledger = self.ledger()
        entries = self.served()
        if ledger is not None and ledger.as_written and ledger.lines.keys() >= entries.keys():
            return None  # nothing new to add, and the file is as masthead writes it
        known = set(ledger.lines) if ledger else set()
        return ledger_text(known | set(entries))

    def served(self) -> dict[str, Article]:
        """Every ledger entry this build serves, by entry (made once per build)."""
        if self.serving_entries is None:
            self.serving_entries = served(self.serving)
        return self.serving_entries

    def write_ledger(self, text: str) -> None:
        """Write the ledger after the output was committed (a warning when it cannot be)."""
        try:
            write_ledger(self.site_path, text)
        except OSError as exc:
            message = (
                f"cannot write {LEDGER_FILE}: {exc.strerror or exc}; the next build tries again"
            )
            self.problems.append(Problem(LEDGER_FILE, None, message, WARNING))

    # -- what the stages share -----------------------------------------------------------

    def check_outputs(
        self, pages: tuple[Page, ...], static: dict[str, Path], archive: Archive
    ) -> frozenset[str]:
        """Problems with the files the build would write; the paths to leave out."""
        prefix = self.config.content_prefix
        shown = shown_static(static, self.site_path)
        checked = check_output_paths(pages, shown, prefix, line_finder(archive.articles))
        rels = [urls.output_rel(p.url) for p in pages] + list(static)
        overwrite = self.options.overwrite
        found = conflict_problems(
            self.output, self.shown(self.output), rels, self.manifest, overwrite
        )
        self.problems += [*checked.problems, *found.problems]
        return checked.refused | found.refused

    def render_setup(self, archive: Archive) -> RenderSetup:
        """What every render worker needs (compiled templates kept in the cache folder)."""
        from .jobs import RenderSetup

        paths = template_paths(self.site_path, self.config)
        bytecode = None
        if self.options.write and self.options.use_cache:
            bytecode = cache_folder(self.site_path, self.options.cache_dir) / BYTECODE_FOLDER
        words = Words(self.catalogues, self.config.language)
        nav = navigation(archive, self.config, words)
        return RenderSetup(
            paths,
            self.config,
            nav,
            sections(words),
            archive,
            self.site_path,
            bytecode,
            self.catalogues,
        )

    def memo_record(self, loaded: Loaded, ledger: str | None) -> dict | None:
        """The memo to record for the next build, which finds the ledger as ``ledger`` (None:
        as it was); None when the next build must not trust this one."""
        if self.inputs is None or self.has_errors() or self.search_failed:
            return None
        until = self.holds_until(loaded)
        problems = _sorted(self.problems)
        left = None if ledger is None else bytes_digest(ledger.encode("utf-8"))
        memo = memo_of(self.inputs, self.now, until, self.report, problems, left)
        return memo_to_record(memo)

    def holds_until(self, loaded: Loaded) -> datetime:
        """When the output of this build's inputs changes by the clock alone."""
        until = valid_until(loaded.articles, self.config.news_window_days, self.now)
        return min(filter(None, (until, next_day(self.now, self.config.tz))))

    def new_writer(self) -> OutputWriter | None:
        """The writer of this build's output (None: a build that writes nothing)."""
        if not self.options.write:
            return None
        trusted = self.options.own_output and self.session.wrote_last(
            manifest_path(self.output), self.manifest
        )
        return OutputWriter(self.output, self.manifest, self.options.overwrite, trusted)

    def read_static(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            shown = shown_static({"": path}, self.site_path)[""]
            raise ProblemsError(
                [Problem(shown, None, f"cannot read file: {exc.strerror}")]
            ) from exc

    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def shown(self, path: Path) -> str:
        """A folder as messages show it: relative to the site when inside it."""
        try:
            return path.resolve().relative_to(self.site_path.resolve()).as_posix() + "/"
        except (ValueError, OSError):
            return str(path)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage, for ``-v``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append((name, time.perf_counter() - start))

    def finished(self) -> BuildReport:
        return replace(self.report, problems=_sorted(self.problems), timings=tuple(self.timings))

    def failed_output(self, message: str) -> BuildReport:
        self.problems.append(Problem(self.shown(self.output), None, message))
        return replace(self.finished(), output_failed=True)


def _template_problems(failed: dict[Problem, list[str]]) -> list[Problem]:
    """One template mistake fails every page that uses it: report it once, naming the first
    page and counting the rest."""
    from .render import PAGE_ERROR

    found = []
    for problem, pages in failed.items():
        if not problem.message.startswith(PAGE_ERROR):
            found.append(problem)
            continue
        more = f" and {len(pages) - 1} more pages" if len(pages) > 1 else ""
        found.append(replace(problem, message=f"{problem.message} (rendering /{pages[0]}{more})"))
    return found


def configure(site_path: Path, options: BuildOptions) -> tuple[SiteConfig, list[Problem]]:
    """The site's settings, with the command line's overrides; their warnings."""
    if not site_path.is_dir():
        raise ProblemsError(
            [
                Problem(
                    str(site_path),
                    None,
                    "no site folder here; give --site the folder that holds pyproject.toml and content/",
                )
            ]
        )
    config, problems = load_config(site_path)
    if options.base_url:
        config = with_base_url(config, options.base_url)
    return config, list(problems)


def check_engine(config: SiteConfig) -> None:
    """Raise ProblemsError when the Markdown engine (or one of its extensions) cannot be
    loaded. Called when there is something to build: a build with nothing changed uses
    the settings the last build checked, and never loads an engine."""
    try:
        markup.make_converter(config)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        if config.markdown_engine == "markdown":
            message = f"[tool.masthead] markdown_extensions: cannot load an extension: {exc}"
        else:
            message = f"[tool.masthead] markdown_engine: {exc}"
        raise ProblemsError([Problem("pyproject.toml", None, message)]) from exc


def resolve_output(site_path: Path, config: SiteConfig, options: BuildOptions) -> Path:
    """The output folder, refused (ProblemsError) when writing there could destroy sources,
    or publish the cache (which holds every source, drafts too)."""
    output_path = Path(options.output) if options.output else site_path / config.output_dir
    protected = (
        site_path / config.content_dir,
        site_path / config.templates_dir,
        *(folder / STATIC_FOLDER for folder in template_paths(site_path, config)),
    )
    problem = output_folder_problem(site_path, output_path, protected)
    if problem is None and options.use_cache:
        problem = _cache_inside(cache_folder(site_path, options.cache_dir), output_path)
    if problem:
        raise ProblemsError(
            [Problem("--output" if options.output else "output_dir", None, problem)]
        )
    return output_path


def _cache_inside(cache: Path, output: Path) -> str | None:
    """Why the cache folder must not lie in the output folder, or None."""
    cache, output = cache.resolve(), output.resolve()
    if cache == output or cache.is_relative_to(output):
        return (
            f"refusing to write the site into {output}: the cache folder {cache} is inside it, "
            "and it holds every source, drafts too; choose another output folder or --cache-dir"
        )
    return None


def next_day(now: datetime, tz: ZoneInfo) -> datetime:
    """The next midnight in the site's time zone: the home page's "on this day" box names
    the reference day, so output made today holds until then."""
    local = now.astimezone(tz)
    following = (local + timedelta(days=1)).date()
    return datetime(following.year, following.month, following.day, tzinfo=tz)


def reference_time(config: SiteConfig, options: BuildOptions) -> datetime:
    """ "Now" for future-dated articles and the news sitemap: ``--now``, else the ``now``
    setting, else the clock."""
    if options.now:
        return options.now
    if config.now:
        pinned = parse_instant(config.now)
        assert pinned is not None  # validated with the config
        return pinned
    return datetime.now(UTC)


def _sorted(problems: list[Problem] | tuple[Problem, ...]) -> tuple[Problem, ...]:
    return tuple(sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.message)))
