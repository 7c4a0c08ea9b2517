"""``build(site_path, options)``: the whole pipeline, read top to bottom.

config -> load -> index -> plan -> render -> write. Nothing is written unless every stage
before it succeeded (or ``keep_going`` asks to build what is valid).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from . import content, markup, urls
from .config import SiteConfig, load_config, with_base_url
from .index import build_archive, url_collisions
from .model import Article, BuildOptions, BuildReport, Page, Problem, ProblemsError
from .plan import navigation, page_collisions, plan_pages, sections
from .render import make_environment, render_page, static_files, template_paths, template_problem
from .write import OutputWriter, output_folder_problem


@dataclass
class _Stages:
    """Wall-clock time per stage, for ``-v``."""

    timings: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings.append((name, time.perf_counter() - start))


def build(site_path: Path, options: BuildOptions = BuildOptions()) -> BuildReport:  # noqa: B008
    """Build the site in ``site_path``. Raises ProblemsError for configuration problems."""
    stages = _Stages()
    with stages.stage("config"):
        config, problems = _configure(site_path, options)
        output_path = resolve_output(site_path, config, options)
    with stages.stage("load"):
        articles, load_problems = load_articles(site_path, config)
        problems += load_problems
        articles, skipped_drafts, skipped_future = _published(articles, options)
        collisions = url_collisions(articles, _content_prefix(config))
        problems += collisions
        articles = _without_files(articles, collisions, _content_prefix(config))
    with stages.stage("index"):
        archive, index_problems = build_archive(articles, _content_prefix(config))
        problems += index_problems
        pages = plan_pages(archive, config)
        page_problems = page_collisions(pages, _content_prefix(config))
        problems += page_problems
        pages = _first_page_per_file(pages)
    report = BuildReport(
        articles=len(archive.articles),
        pages=len(pages),
        skipped_drafts=skipped_drafts,
        skipped_future=skipped_future,
    )
    if _has_errors(problems) and not options.keep_going:
        return replace(report, problems=_sorted(problems), timings=tuple(stages.timings))
    with stages.stage("render"):
        env = make_environment(
            template_paths(site_path, config), config, navigation(archive), sections()
        )
        writer = OutputWriter(output_path) if options.write else None
        render_problems = _render_all(
            pages, archive, env, site_path, writer.add if writer else None
        )
        problems += render_problems
    with stages.stage("write"):
        if writer and render_problems and not options.keep_going:
            writer.abort()
        elif writer:
            for rel, file_path in static_files(template_paths(site_path, config)).items():
                writer.add(rel, file_path.read_bytes())
            result = writer.commit()
            report = replace(
                report, written=result.written, unchanged=result.unchanged, removed=result.removed
            )
    return replace(report, problems=_sorted(problems), timings=tuple(stages.timings))


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


def load_articles(site_path: Path, config: SiteConfig) -> tuple[list[Article], list[Problem]]:
    """Read and parse every source; return the valid articles and every problem found."""
    content_path = site_path / config.content_dir
    prefix = _content_prefix(config)
    if not content_path.is_dir():
        return [], [
            Problem(
                config.content_dir, None, "content folder not found; create it and add articles"
            )
        ]
    converter = markup.make_converter(config.markdown_extensions)
    articles: list[Article] = []
    problems: list[Problem] = []
    for rel in content.discover_sources(content_path):
        source = content.read_source(content_path, rel, prefix + rel)
        if source.problem:
            problems.append(source.problem)
            continue
        assert source.text is not None
        article, found = content.parse_article(
            rel, source.text, config, converter, source.digest, prefix + rel
        )
        problems.extend(found)
        if article:
            articles.append(article)
    return articles, problems


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


def _published(articles: list[Article], options: BuildOptions) -> tuple[list[Article], int, int]:
    now = options.now or datetime.now(UTC)
    drafts = [a for a in articles if a.draft and not options.drafts]
    future = [
        a
        for a in articles
        if a.date > now and not options.future and not (a.draft and not options.drafts)
    ]
    excluded = {a.rel for a in drafts} | {a.rel for a in future}
    return [a for a in articles if a.rel not in excluded], len(drafts), len(future)


def _render_all(
    pages: tuple[Page, ...],
    archive,
    env,
    site_path: Path,
    emit: Callable[[str, bytes], None] | None,
) -> list[Problem]:
    problems: dict[Problem, None] = {}
    for page in pages:
        try:
            data = render_page(env, page, archive)
        except Exception as exc:
            problems.setdefault(template_problem(exc, page, site_path))
            continue
        if emit:
            emit(urls.output_rel(page.url), data)
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
