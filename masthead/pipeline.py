"""``build(site_path, options)``: the whole pipeline, read top to bottom.

config -> load -> index -> plan -> render -> write. Every build plans every page; only
pages whose fingerprint changed are rendered. Nothing is written unless every stage before
it succeeded (or ``keep_going`` asks to build what is valid). In a long-running process a
``Session`` hands each stage the previous build's results for inputs that did not change.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from . import markup, urls
from .cache import ParseCache, remove_cache
from .config import SiteConfig, load_config, parse_instant, with_base_url
from .feeds import plan_feeds, plan_sitemaps
from .fingerprint import (
    PagePrints,
    TemplateFingerprints,
    article_fingerprints,
    parse_fingerprint,
    site_fingerprint,
)
from .index import build_archive, url_collisions
from .load import load_sources
from .memo import (
    Inputs,
    Memo,
    is_current,
    memo_from,
    memo_to_record,
    read_inputs,
    valid_until,
    warnings_of,
)
from .model import Article, BuildOptions, BuildReport, Page, Problem, ProblemsError
from .plan import navigation, page_collisions, plan_pages, sections
from .render import bodies_needed, make_environment, static_files, template_paths
from .session import Session
from .workers import Progress, RenderSetup, RenderTask, default_jobs, render_tasks
from .write import OutputWriter, intact_outputs, output_folder_problem, read_manifest

CACHE_DIR = ".masthead-cache"
PREVIEW_FOLDER = "preview"  # inside the cache folder: where ``masthead serve`` builds
PREVIEW_LOCK = "preview.lock"
BYTECODE_FOLDER = "templates"  # compiled Jinja templates, inside the cache folder


@dataclass
class _Stages:
    """Wall-clock time per stage, for ``-v``."""

    timings: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings.append((name, time.perf_counter() - start))


def build(
    site_path: Path,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    session: Session | None = None,
) -> BuildReport:
    """Build the site in ``site_path``. Raises ProblemsError for configuration problems.

    A ``session`` carries results from one build to the next in a long-running process
    (the preview server); without one, the build starts from what is on disk."""
    session = session or Session()
    try:
        with _fewer_collections():
            return _build(site_path, options or BuildOptions(), progress, session)
    finally:
        session.finish_build()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often while a build makes its millions of small,
    long-lived, acyclic records; with the default thresholds it would walk them again and
    again, which costs a third of an incremental build's time."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), max(before[1], 20), max(before[2], 20))
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _build(
    site_path: Path, options: BuildOptions, progress: Progress | None, session: Session
) -> BuildReport:
    stages = _Stages()
    jobs = options.jobs or default_jobs()
    started_ns = time.time_ns()
    with stages.stage("config"):
        config, problems = _configure(site_path, options)
        config = session.value("config", config, lambda: config)  # the same object as last time
        output_path = resolve_output(site_path, config, options)
        now = reference_time(config, options)
    inputs = None
    if options.write and options.use_cache:
        with stages.stage("check"):
            inputs = read_inputs(site_path, config, options, template_paths(site_path, config))
            files, recorded = read_manifest(output_path, session)
            memo = memo_from(recorded)
            current = is_current(memo, inputs, now) and intact_outputs(files, output_path)
        if memo and current:
            return _memoised_report(memo, len(files), problems, stages)
    with stages.stage("cache"):
        cache = ParseCache(
            cache_path(site_path, options), parse_fingerprint(config), read_only=not options.write
        )
    try:
        with stages.stage("load"):
            found = inputs.sources if inputs else None
            loaded = load_sources(site_path, config, cache, jobs, progress, found, session)
            problems += loaded.problems
            articles, drafts, future = _published(loaded.articles, options, now)
            collisions = url_collisions(articles, _content_prefix(config))
            problems += collisions
            articles = _without_files(articles, collisions, _content_prefix(config))
        with stages.stage("index"):
            archive, index_problems = build_archive(articles, _content_prefix(config), session)
            problems += index_problems
            pages = plan_pages(archive, config, session)
            pages += tuple(plan_feeds(archive, config))
            pages += tuple(plan_sitemaps(pages, archive, config, now, session))
            page_problems = page_collisions(pages, _content_prefix(config))
            problems += page_problems
            if page_problems:
                pages = _first_page_per_file(pages)
        report = BuildReport(
            articles=len(archive.articles),
            pages=len(pages),
            parsed=loaded.parsed,
            reused=loaded.reused,
            skipped_drafts=drafts,
            skipped_future=future,
        )
        if _has_errors(problems) and not options.keep_going:
            return replace(report, problems=_sorted(problems), timings=tuple(stages.timings))
        with stages.stage("render"):
            paths = template_paths(site_path, config)
            folder = cache_path(site_path, options)
            bytecode = folder / BYTECODE_FOLDER if folder and options.write else None
            setup = RenderSetup(
                paths, config, navigation(archive), sections(), archive, site_path, bytecode
            )
            writer = OutputWriter(output_path, session) if options.write else None
            tasks = _pages_to_render(pages, setup, cache, writer, options.use_cache, session)
            render_problems = _render(tasks, setup, writer, jobs, progress)
            problems += render_problems
            report = replace(report, rendered=len(tasks))
        with stages.stage("write"):
            if writer and render_problems and not options.keep_going:
                writer.abort()
            elif writer:
                for rel, file_path in static_files(paths).items():
                    writer.add(rel, file_path.read_bytes())
                record = None
                if inputs and not _has_errors(problems):
                    until = valid_until(loaded.articles, config.news_window_days, now)
                    record = memo_to_record(_memo(inputs, until, report, problems), started_ns)
                result = writer.commit(record)
                report = replace(
                    report,
                    written=result.written,
                    unchanged=result.unchanged,
                    removed=result.removed,
                )
    finally:
        cache.close()
    return replace(report, problems=_sorted(problems), timings=tuple(stages.timings))


def _memo(
    inputs: Inputs, until: datetime | None, report: BuildReport, problems: list[Problem]
) -> Memo:
    return Memo(
        inputs=inputs.fingerprint,
        newest_input_ns=inputs.newest_ns,
        valid_until=until.isoformat() if until else None,
        articles=report.articles,
        pages=report.pages,
        skipped_drafts=report.skipped_drafts,
        skipped_future=report.skipped_future,
        warnings=[[p.path, p.line, p.message, p.severity] for p in _sorted(problems)],
    )


def _memoised_report(
    memo: Memo, files: int, problems: list[Problem], stages: _Stages
) -> BuildReport:
    """The report of a build that found nothing changed since the memoised one."""
    return BuildReport(
        articles=memo.articles,
        pages=memo.pages,
        unchanged=files,
        skipped_drafts=memo.skipped_drafts,
        skipped_future=memo.skipped_future,
        problems=_sorted([*problems, *warnings_of(memo)]),
        timings=tuple(stages.timings),
    )


def cache_path(site_path: Path, options: BuildOptions) -> Path | None:
    """The cache folder, or None when the cache is off."""
    if not options.use_cache:
        return None
    return Path(options.cache_dir) if options.cache_dir else site_path / CACHE_DIR


def resolve_output(site_path: Path, config: SiteConfig, options: BuildOptions) -> Path:
    """The output folder, refused (ProblemsError) when writing there could destroy sources."""
    output_path = Path(options.output) if options.output else site_path / config.output_dir
    protected = (site_path / config.content_dir, site_path / config.templates_dir)
    problem = output_folder_problem(site_path, output_path, protected)
    if problem:
        raise ProblemsError(
            [Problem("--output" if options.output else "output_dir", None, problem)]
        )
    return output_path


def _configure(site_path: Path, options: BuildOptions) -> tuple[SiteConfig, list[Problem]]:
    config, problems = load_config(site_path)
    if options.base_url:
        config = with_base_url(config, options.base_url)
    try:
        markup.make_converter(config.markdown_extensions)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        message = f"[tool.masthead] markdown_extensions: cannot load an extension: {exc}"
        raise ProblemsError([Problem("pyproject.toml", None, message)]) from exc
    return config, list(problems)


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


def _published(
    articles: tuple[Article, ...], options: BuildOptions, now: datetime
) -> tuple[list[Article], int, int]:
    """Leave out drafts and future-dated articles unless asked for; count each."""
    drafts = {a.rel for a in articles if a.draft and not options.drafts}
    future = {
        a.rel for a in articles if a.date > now and not options.future and a.rel not in drafts
    }
    kept = [a for a in articles if a.rel not in drafts and a.rel not in future]
    return kept, len(drafts), len(future)


def _pages_to_render(
    pages: tuple[Page, ...],
    setup: RenderSetup,
    cache: ParseCache,
    writer: OutputWriter | None,
    incremental: bool,
    session: Session,
) -> list[RenderTask]:
    """Every page whose fingerprint changed (or whose file was touched), with what it needs."""
    env = make_environment(setup.template_paths, setup.config, setup.nav, setup.sections)
    templates = TemplateFingerprints(env, session)
    site = site_fingerprint(setup.config, setup.nav, setup.sections)
    page_print = PagePrints(site, article_fingerprints(setup.archive, session), session)
    tasks = []
    for page in pages:
        fingerprint = page_print(page, templates(page.template))
        rel = urls.output_rel(page.url)
        if incremental and writer and writer.keep_if_intact(rel, fingerprint):
            continue
        bodies = {i: cache.body(setup.archive.articles[i].rel) for i in bodies_needed(page)}
        tasks.append(RenderTask(page, bodies, fingerprint, writer.slot(rel) if writer else None))
    return tasks


def _render(
    tasks: list[RenderTask],
    setup: RenderSetup,
    writer: OutputWriter | None,
    jobs: int,
    progress: Progress | None,
) -> list[Problem]:
    problems: dict[Problem, None] = {}
    for result in render_tasks(tasks, setup, jobs, progress):
        if result.error is not None:
            raise result.error  # staging failed (disk full, read-only ...): the build stops
        if result.problem:
            problems.setdefault(result.problem)
        elif writer and result.task.slot and result.staged:
            writer.accept(result.task.slot, result.staged, result.task.fingerprint)
    return _collapse_template_problems(list(problems))


def _collapse_template_problems(problems: list[Problem]) -> list[Problem]:
    """One template mistake fails every page that uses it: report it once, with a count."""
    seen: dict[tuple, list[Problem]] = {}
    for problem in problems:
        key = (problem.path, problem.line, problem.message.split(" (rendering /")[0])
        seen.setdefault(key, []).append(problem)
    collapsed = []
    for (path, line, _), group in seen.items():
        more = f" (and {len(group) - 1} more pages)" if len(group) > 1 else ""
        collapsed.append(Problem(path, line, group[0].message + more) if more else group[0])
    return collapsed


def _first_page_per_file(pages: tuple[Page, ...]) -> tuple[Page, ...]:
    seen: set[str] = set()
    kept = []
    for page in pages:
        rel = urls.output_rel(page.url)
        if rel not in seen:
            seen.add(rel)
            kept.append(page)
    return tuple(kept)


def _without_files(articles: list[Article], problems: list[Problem], prefix: str) -> list[Article]:
    bad = {p.path for p in problems}
    return [a for a in articles if prefix + a.rel not in bad]


def _content_prefix(config: SiteConfig) -> str:
    return config.content_dir.rstrip("/") + "/"


def _has_errors(problems: list[Problem]) -> bool:
    return any(p.is_error for p in problems)


def _sorted(problems: list[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.message)))


@dataclass(frozen=True)
class Cleaned:
    """What ``clean`` removed."""

    files: int
    cache: bool


def clean(site_path: Path, config: SiteConfig, options: BuildOptions) -> Cleaned:
    """Remove the cache folder and every output file masthead wrote; keep everything else."""
    output_path = resolve_output(site_path, config, options)
    files = OutputWriter(output_path).remove_all() if output_path.is_dir() else 0
    cache_folder = cache_path(site_path, replace(options, use_cache=True))
    if cache_folder:
        _remove_preview(cache_folder)
        _remove_bytecode(cache_folder / BYTECODE_FOLDER)
    had_cache = bool(cache_folder and remove_cache(cache_folder))
    return Cleaned(files, had_cache)


def _remove_bytecode(folder: Path) -> None:
    """Remove compiled templates (Jinja names them __jinja2_*.cache)."""
    if folder.is_dir():
        for path in folder.glob("__jinja2_*.cache"):
            path.unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()


def _remove_preview(cache_folder: Path) -> None:
    """Remove what ``masthead serve`` built in the cache folder (only files it wrote)."""
    preview = cache_folder / PREVIEW_FOLDER
    if preview.is_dir():
        OutputWriter(preview).remove_all()
        with contextlib.suppress(OSError):
            preview.rmdir()
    (cache_folder / PREVIEW_LOCK).unlink(missing_ok=True)
