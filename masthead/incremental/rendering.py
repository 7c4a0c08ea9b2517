"""Which planned pages to render again: those whose fingerprint changed, or whose file
someone touched. Every other page keeps the file an earlier build wrote from equal inputs.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from .. import urls
from ..jobs import RenderSetup, RenderTask
from ..model import Page
from ..render import make_environment
from ..write import OutputWriter
from .cache import ParseCache
from .fingerprint import (
    PAGE_PRINTS,
    TEMPLATE_REFERENCES,
    ArticlePrints,
    PagePrints,
    TemplateFingerprints,
    changed_positions,
    known_prints,
    own_prints,
    page_fingerprint,
    site_fingerprint,
)
from .parsing import body_of
from .session import Session
from .snapshot import PageArea, PageFile, PlanSnapshot, SavedPage


def pages_to_render(
    pages: tuple[Page, ...],
    setup: RenderSetup,
    writer: OutputWriter | None,
    reuse: bool,
    session: Session,
    prints: ArticlePrints,
) -> list[RenderTask]:
    """A task (without bodies: see ``with_bodies``) for every page whose fingerprint changed
    (or whose file was touched); with ``reuse`` off, a task for every page. ``writer``
    None: render only (``masthead check``). ``prints``: the archive's article prints
    (``article_fingerprints``)."""
    env = make_environment(
        setup.template_paths, setup.config, setup.nav, setup.sections, None, setup.catalogues
    )
    templates = TemplateFingerprints(env, session)
    site = site_fingerprint(setup.config, setup.nav, setup.sections, setup.catalogues)
    page_print = PagePrints(site, prints, session)
    tasks = []
    for page in pages:
        fingerprint = page_print(page, templates(page.template))
        rel = urls.output_rel(page.url)
        if reuse and writer and writer.keep_if_intact(rel, fingerprint):
            continue
        tasks.append(RenderTask(page, {}, fingerprint, writer.slot(rel) if writer else None))
    return tasks


def with_bodies(task: RenderTask, cache: ParseCache, setup: RenderSetup) -> RenderTask:
    """The task with the bodies of the articles its page shows in full, from the cache;
    SourceChanged when one cannot be had (its source changed while the build ran)."""
    positions = task.page.body_positions()
    if not positions:
        return task
    site_path = Path(setup.site_path)
    articles = setup.archive.articles
    bodies = {i: body_of(cache, articles[i], setup.config, site_path) for i in positions}
    return replace(task, bodies=bodies)


class FromSaved(NamedTuple):
    """The pages of a saved plan to render again, and the snapshot refreshed with the
    fingerprints made again (None when few were: the saved one still serves)."""

    tasks: list[RenderTask]
    refreshed: PlanSnapshot | None


REFRESH_SHARE = 100
"""A saved plan is saved again when more than one page in this many was fingerprinted
again (a template edit, say), so that later builds do not fingerprint them all again."""


def saved_pages_to_render(
    saved: PlanSnapshot,
    stored: PageFile,
    setup: RenderSetup,
    writer: OutputWriter,
    session: Session,
    prints: ArticlePrints,
) -> FromSaved | None:
    """The pages of a saved plan to render again, fingerprinting again only those that show
    an article whose fingerprint changed or use a template that changed (only those are read
    from ``stored``, the snapshot's page area). None when the saved fingerprints cannot be
    used at all (the site's changed) or a saved page cannot be read: then plan afresh."""
    env = make_environment(
        setup.template_paths, setup.config, setup.nav, setup.sections, None, setup.catalogues
    )
    site = site_fingerprint(setup.config, setup.nav, setup.sections, setup.catalogues)
    if site != saved.site:
        return None
    references = session.table(TEMPLATE_REFERENCES)
    for source, names in saved.references.items():
        references.put(source, None, names)
    templates = TemplateFingerprints(env, session)
    changed = changed_positions(saved.articles, prints)
    keep = writer.keep_if_intact
    tasks, again = [], {}
    try:
        # Each template once, not once per page: at 100,000 articles there are 161,201
        # pages and a dozen templates.
        stale = {
            name
            for name in dict.fromkeys(item.template for item in saved.pages)
            if templates(name) != saved.templates.get(name)
        }
        for number, item in enumerate(saved.pages):
            fingerprint, page = item.fingerprint, None
            if item.template in stale or not changed.isdisjoint(item.positions):
                page = stored.load(item)
                fingerprint = again[number] = page_fingerprint(
                    site, templates(item.template), own_prints(page), prints
                )
            if keep(item.rel, fingerprint):
                continue
            page = page or stored.load(item)
            tasks.append(RenderTask(page, {}, fingerprint, writer.slot(item.rel)))
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None
    if len(again) * REFRESH_SHARE <= len(saved.pages):
        return FromSaved(tasks, None)
    pages = tuple(
        item._replace(fingerprint=again[number]) if number in again else item
        for number, item in enumerate(saved.pages)
    )
    refreshed = replace(
        saved,
        templates={name: templates(name) for name in saved.templates},
        references={source: names for source, (_, names) in references.current.items()},
        articles=prints,
        known=known_prints(setup.archive, prints),
        pages=pages,
    )
    return FromSaved(tasks, refreshed)


def saved_pages(
    pages: tuple[Page, ...], session: Session
) -> tuple[tuple[SavedPage, ...], PageArea] | None:
    """Every page with the fingerprint this build gave it, as a snapshot keeps them, and
    the page area they lie in; None when some page has none (the build did not fingerprint
    every page)."""
    prints = session.table(PAGE_PRINTS).current
    area = PageArea()
    found = []
    for page in pages:
        entry = prints.get(page.url)  # made in this build, from this page or an equal one
        if entry is None:
            return None
        fingerprint, positions = entry[1]
        found.append(area.add(page, fingerprint, positions))
    return tuple(found), area


def saved_fingerprints(
    session: Session,
) -> tuple[str, dict[str, str], dict[str, tuple[str | None, ...]]] | None:
    """The site's fingerprint, each template's and the templates each template's source
    names, as this build's page fingerprints used them; None when they were not one site's."""
    sites, templates = set(), {}
    for (page, site, template), _ in session.table(PAGE_PRINTS).current.values():
        sites.add(site)
        templates[page.template] = template
    references = {
        source: names for source, (_, names) in session.table(TEMPLATE_REFERENCES).current.items()
    }
    return (sites.pop(), templates, references) if len(sites) == 1 else None
