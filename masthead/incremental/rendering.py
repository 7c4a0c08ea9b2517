"""Which planned pages to render again: those whose fingerprint changed, or whose file
someone touched. Every other page keeps the file an earlier build wrote from equal inputs.
"""

from __future__ import annotations

from pathlib import Path

from .. import urls
from ..jobs import RenderSetup, RenderTask
from ..model import Page
from ..render import make_environment
from ..write import OutputWriter
from .cache import ParseCache
from .fingerprint import PagePrints, TemplateFingerprints, article_fingerprints, site_fingerprint
from .parsing import body_of
from .session import Session


def pages_to_render(
    pages: tuple[Page, ...],
    setup: RenderSetup,
    cache: ParseCache,
    writer: OutputWriter | None,
    reuse: bool,
    session: Session,
) -> list[RenderTask]:
    """A task for every page whose fingerprint changed (or whose file was touched), with the
    bodies it shows; with ``reuse`` off, a task for every page. ``writer`` None: render only
    (``masthead check``)."""
    env = make_environment(
        setup.template_paths, setup.config, setup.nav, setup.sections, None, setup.catalogues
    )
    templates = TemplateFingerprints(env, session)
    site = site_fingerprint(setup.config, setup.nav, setup.sections, setup.catalogues)
    page_print = PagePrints(site, article_fingerprints(setup.archive, session), session)
    tasks = []
    for page in pages:
        fingerprint = page_print(page, templates(page.template))
        rel = urls.output_rel(page.url)
        if reuse and writer and writer.keep_if_intact(rel, fingerprint):
            continue
        bodies = {i: _body(cache, setup, i) for i in page.body_positions()}
        tasks.append(RenderTask(page, bodies, fingerprint, writer.slot(rel) if writer else None))
    return tasks


def _body(cache: ParseCache, setup: RenderSetup, position: int) -> str:
    return body_of(cache, setup.archive.articles[position], setup.config, Path(setup.site_path))
