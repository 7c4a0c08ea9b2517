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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from . import markup, urls
from .cache import CacheUnusable, ParseCache, remove_cache
from .config import SiteConfig, load_config, parse_instant, with_base_url
from .content import parse_article, read_source
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
from .lock import name_holder, output_lock, release_folder_if_empty
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
from .model import WARNING, Article, BuildOptions, BuildReport, Page, Problem, ProblemsError
from .plan import OutputCheck, check_output_paths, navigation, plan_pages, sections
from .render import bodies_needed, make_environment, static_files, template_paths
from .session import Session
from .workers import Progress, RenderSetup, RenderTask, default_jobs, render_tasks
from .write import (
    MANIFEST_NAME,
    Manifest,
    OutputError,
    OutputWriter,
    clear_staging,
    intact_outputs,
    os_error_message,
    output_conflicts,
    output_folder_problem,
    read_manifest,
)

CACHE_DIR = ".masthead-cache"
PREVIEW_FOLDER = "preview"  # inside the cache folder: where ``masthead serve`` builds
PREVIEW_LOCK = "preview.lock"
BYTECODE_FOLDER = "templates"  # compiled Jinja templates, inside the cache folder
MAX_LISTED = 20  # files in the way listed one by one; the rest are counted


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
    on_wait: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build the site in ``site_path``. Raises ProblemsError for configuration problems and
    OutputBusy when another build holds the output folder and ``options.wait`` is False.

    A ``session`` carries results from one build to the next in a long-running process
    (the preview server); without one, the build starts from what is on disk. ``on_wait``
    is told once, in words, what the build waits for when another one writes its output."""
    options = options or BuildOptions()
    session = session or Session()
    try:
        with _fewer_collections():
            config, problems = _configure(site_path, options)
            config = session.value("config", config, lambda: config)  # the same object
            output_path = resolve_output(site_path, config, options)
            if not options.write:
                return _build(site_path, config, problems, output_path, options, progress, session)
            return _locked_build(
                site_path, config, problems, output_path, options, progress, session, on_wait
            )
    finally:
        session.finish_build()


def _locked_build(
    site_path: Path,
    config: SiteConfig,
    problems: list[Problem],
    output_path: Path,
    options: BuildOptions,
    progress: Progress | None,
    session: Session,
    on_wait: Callable[[str], None] | None,
) -> BuildReport:
    """The build, holding the output folder's lock: one writer per output folder."""
    try:
        told = (
            (lambda holder: on_wait(f"{holder} to finish writing {_shown(output_path, site_path)}"))
            if on_wait
            else None
        )
        with output_lock(output_path, options.wait, told):
            clear_staging(output_path)
            name_holder(output_path)
            try:
                return _build(site_path, config, problems, output_path, options, progress, session)
            except OutputError as exc:
                return _failed_output(output_path, site_path, str(exc), problems)
            finally:
                clear_staging(output_path)
                release_folder_if_empty(output_path)
    except OSError as exc:  # the folder or its lock cannot be made
        return _failed_output(
            output_path, site_path, os_error_message(exc, "the output folder"), problems
        )


def _failed_output(
    output_path: Path, site_path: Path, message: str, problems: list[Problem]
) -> BuildReport:
    problem = Problem(_shown(output_path, site_path), None, message)
    return BuildReport(problems=_sorted([*problems, problem]), output_failed=True)


def _shown(path: Path, site_path: Path) -> str:
    """A path as messages show it: relative to the site when inside it."""
    try:
        return path.resolve().relative_to(site_path.resolve()).as_posix() + "/"
    except (ValueError, OSError):
        return str(path)


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
    site_path: Path,
    config: SiteConfig,
    problems: list[Problem],
    output_path: Path,
    options: BuildOptions,
    progress: Progress | None,
    session: Session,
) -> BuildReport:
    stages = _Stages()
    jobs = options.jobs or default_jobs()
    started_ns = time.time_ns()
    prefix = _content_prefix(config)
    now = reference_time(config, options)
    inputs = None
    manifest = read_manifest(output_path, session)
    if options.write and options.use_cache:
        with stages.stage("check"):
            inputs = read_inputs(site_path, config, options, template_paths(site_path, config))
            memo = memo_from(manifest.memo)
            current = is_current(memo, inputs, now) and intact_outputs(manifest.files, output_path)
        if memo and current:
            return _memoised_report(memo, len(manifest.files), problems, stages)
    with stages.stage("cache"):
        cache, cache_problem = _open_cache(site_path, config, options)
        if cache_problem:
            problems.append(cache_problem)
    try:
        with stages.stage("load"):
            found = inputs.sources if inputs else None
            loaded = load_sources(site_path, config, cache, jobs, progress, found, session)
            problems += loaded.problems
            articles, drafts, future = _published(loaded.articles, options, now)
            collisions = url_collisions(articles, prefix)
            problems += collisions
            articles = _without_files(articles, collisions, prefix)
        with stages.stage("index"):
            archive, index_problems = build_archive(articles, prefix, session)
            problems += index_problems
            pages = plan_pages(archive, config, session)
            pages += tuple(plan_feeds(archive, config))
            pages += tuple(plan_sitemaps(pages, archive, config, now, session))
            paths = template_paths(site_path, config)
            static = static_files(paths)
            checked = check_output_paths(
                pages, _shown_static(static, site_path), prefix, _line_finder(archive.articles)
            )
            problems += checked.problems
            conflicts = _conflicts(output_path, site_path, pages, static, manifest, options)
            problems += conflicts.problems
            refused = checked.refused | conflicts.refused
            if refused:
                pages = tuple(p for p in pages if urls.output_rel(p.url) not in refused)
                static = {rel: path for rel, path in static.items() if rel not in refused}
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
            folder = cache_path(site_path, options) if cache.db is not None else None
            bytecode = folder / BYTECODE_FOLDER if folder and options.write else None
            setup = RenderSetup(
                paths, config, navigation(archive), sections(), archive, site_path, bytecode
            )
            writer = OutputWriter(output_path, manifest, session) if options.write else None
            tasks = _pages_to_render(pages, setup, cache, writer, options.use_cache, session)
            render_problems, write_failures = _render(tasks, setup, writer, jobs, progress)
            problems += render_problems
            report = replace(report, rendered=len(tasks))
        with stages.stage("write"):
            if writer and write_failures:
                writer.abort()
                shown = _shown(output_path, site_path)
                failure = Problem(
                    shown, None, f"{write_failures[0]}; the previous output is intact"
                )
                return replace(
                    report,
                    problems=_sorted([*problems, failure]),
                    timings=tuple(stages.timings),
                    output_failed=True,
                )
            if writer and render_problems and not options.keep_going:
                writer.abort()
            elif writer:
                for rel, file_path in static.items():
                    writer.add(rel, _read_static(file_path, site_path))
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
        cache_warning = cache.close()
        if cache_warning:
            problems.append(cache_warning)
    return replace(report, problems=_sorted(problems), timings=tuple(stages.timings))


def _open_cache(
    site_path: Path, config: SiteConfig, options: BuildOptions
) -> tuple[ParseCache, Problem | None]:
    """The parse cache; when it cannot be used (its folder is a file, it is read-only),
    a cache that keeps nothing, and a warning saying so."""
    folder = cache_path(site_path, options)
    fingerprint = parse_fingerprint(config)
    try:
        return ParseCache(folder, fingerprint, read_only=not options.write), None
    except CacheUnusable as exc:
        shown = _shown(folder, site_path) if folder else "cache"
        warning = Problem(
            shown,
            None,
            f"cannot use the cache: {exc}; building without it (remove the folder or choose another --cache-dir)",
            WARNING,
        )
        return ParseCache(None, fingerprint), warning


def _conflicts(
    output_path: Path,
    site_path: Path,
    pages: tuple[Page, ...],
    static: dict[str, Path],
    manifest: Manifest,
    options: BuildOptions,
) -> OutputCheck:
    """Files in the output folder that the build would overwrite but masthead did not write,
    and links in the way: errors listed (the first MAX_LISTED), never overwritten."""
    rels = [urls.output_rel(p.url) for p in pages] + list(static)
    found = output_conflicts(output_path, rels, manifest, options.overwrite)
    if not found:
        return OutputCheck((), frozenset())
    shown = _shown(output_path, site_path)
    problems = [Problem(shown + rel, None, why) for rel, why in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        more = len(found) - MAX_LISTED
        hint = "" if manifest.files else f" (there is no {MANIFEST_NAME}: was it deleted?)"
        problems.append(
            Problem(
                shown,
                None,
                f"and {more} more files masthead did not write{hint}; move them away, or build with --overwrite to let masthead replace them",
            )
        )
    refused = frozenset(rel.rstrip("/") for rel, _ in found)
    blocked = frozenset(
        r for r in rels if r in refused or any(r.startswith(f + "/") for f in refused)
    )
    return OutputCheck(tuple(problems), blocked)


def _line_finder(articles: tuple[Article, ...]) -> Callable[[str, str], int | None]:
    """(source rel, field) -> line; the slug's line is the title's when the slug is made
    from the title."""
    by_rel = {article.rel: article for article in articles}

    def line_of(rel: str, name: str) -> int | None:
        article = by_rel.get(rel)
        if article is None:
            return None
        if name == "slug":
            return article.line_of("slug") or article.line_of("title")
        return article.line_of(name)

    return line_of


def _shown_static(static: dict[str, Path], site_path: Path) -> dict[str, str]:
    found = {}
    for rel, path in static.items():
        try:
            found[rel] = path.resolve().relative_to(site_path.resolve()).as_posix()
        except ValueError:
            found[rel] = f"the theme's {rel}"
    return found


def _read_static(path: Path, site_path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        shown = _shown_static({"": path}, site_path)[""]
        raise ProblemsError([Problem(shown, None, f"cannot read file: {exc.strerror}")]) from exc


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
        bodies = {i: _body(cache, setup, i) for i in bodies_needed(page)}
        tasks.append(RenderTask(page, bodies, fingerprint, writer.slot(rel) if writer else None))
    return tasks


def _body(cache: ParseCache, setup: RenderSetup, position: int) -> str:
    """An article's body from the cache; parsed from its file again if the cache lost it."""
    article = setup.archive.articles[position]
    try:
        return cache.body(article.rel)
    except KeyError:
        pass
    prefix = _content_prefix(setup.config)
    source = read_source(
        setup.site_path / setup.config.content_dir, article.rel, prefix + article.rel
    )
    if source.text is None or source.digest != article.digest:
        raise ProblemsError(
            [Problem(prefix + article.rel, None, "changed while the build ran; build again")]
        )
    parsed, _ = parse_article(article.rel, source.text, setup.config, digest=source.digest)
    if parsed is None:
        raise ProblemsError(
            [Problem(prefix + article.rel, None, "changed while the build ran; build again")]
        )
    return parsed.body_html


def _render(
    tasks: list[RenderTask],
    setup: RenderSetup,
    writer: OutputWriter | None,
    jobs: int,
    progress: Progress | None,
) -> tuple[list[Problem], list[str]]:
    """Render and stage the pages; return template problems and staging failures."""
    problems: dict[Problem, None] = {}
    failures: list[str] = []
    for result in render_tasks(tasks, setup, jobs, progress):
        if result.error is not None:  # staging failed in the worker (disk full, read-only ...)
            rel = result.task.slot.rel if result.task.slot else "a page"
            failures.append(os_error_message(result.error, rel))
        elif result.problem:
            problems.setdefault(result.problem)
        elif writer and result.task.slot and result.staged:
            writer.accept(result.task.slot, result.staged, result.task.fingerprint)
    return _collapse_template_problems(list(problems)), failures


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
    """Remove the cache folder and every output file masthead wrote; keep everything else.
    Waits for a build writing the output folder (or raises OutputBusy with ``wait`` off)."""
    output_path = resolve_output(site_path, config, options)
    files = 0
    if output_path.is_dir():
        with output_lock(output_path, options.wait):
            clear_staging(output_path)
            files = OutputWriter(output_path, read_manifest(output_path)).remove_all()
            release_folder_if_empty(output_path)
    cache_folder = cache_path(site_path, replace(options, use_cache=True))
    if cache_folder and cache_folder.is_dir():
        _remove_preview(cache_folder)
        _remove_bytecode(cache_folder / BYTECODE_FOLDER)
    had_cache = bool(cache_folder and cache_folder.is_dir() and remove_cache(cache_folder))
    return Cleaned(files, had_cache)


def _remove_bytecode(folder: Path) -> None:
    """Remove compiled templates (Jinja names them __jinja2_*.cache)."""
    if folder.is_dir() and not folder.is_symlink():
        for path in folder.glob("__jinja2_*.cache"):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()


def _remove_preview(cache_folder: Path) -> None:
    """Remove what ``masthead serve`` built in the cache folder (only files it wrote)."""
    preview = cache_folder / PREVIEW_FOLDER
    if preview.is_dir() and not preview.is_symlink():
        with output_lock(preview):
            clear_staging(preview)
            OutputWriter(preview, read_manifest(preview)).remove_all()
            release_folder_if_empty(preview)
        with contextlib.suppress(OSError):
            preview.rmdir()
    (cache_folder / PREVIEW_LOCK).unlink(missing_ok=True)
