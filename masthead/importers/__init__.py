"""``masthead import``: bring articles in from saved pages, feeds and other generators.

Every importer turns its input into ``Draft`` records (fields and a Markdown body, with what
it could not determine) or ``Failed`` ones; ``store.write_drafts`` is the one place that
turns drafts into files in ``content/``: at the conventional path, never over a file,
never twice for the same original (``imported_from``), and only when the article builds
without an error. Importers that read another generator's sources plug their readers into
the same Reader protocol as masthead's own (``masthead.readers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Problem


@dataclass(frozen=True)
class Draft:
    """One article an importer made, before it is written."""

    origin: str
    """The original's identity, remembered as ``imported_from``: its URL, a feed entry's id,
    or its path; importing the same origin again adds nothing."""
    shown_as: str
    """Where it came from, for messages: ``saved/page.html``, ``feed.xml: entry 3``."""
    fields: dict[str, Any]
    """Front matter to write: masthead's fields, as plain text, lists and true/false."""
    body: str
    """The body, as Markdown."""
    missing: tuple[str, ...] = ()
    """Fields the importer could not determine and left out (never invented)."""
    fallbacks: tuple[str, ...] = ()
    """Fields filled from the command line (``--source``, ``--category``) for want of one."""
    notes: tuple[Problem, ...] = ()
    """Things to look at, each with its line in the original: an unconverted template tag."""
    assets: tuple[tuple[Path, str], ...] = ()
    """Files to copy with the article: (the original file, its path below the site)."""
    rel: str | None = None
    """Where below the content folder to write it; default ``YYYY/MM/<slug>.md``."""


@dataclass(frozen=True)
class Failed:
    """An input an importer could not make an article of, and why."""

    shown_as: str
    reason: str


@dataclass
class ImportReport:
    """What an import did (or, with ``--dry-run``, would do)."""

    imported: list[tuple[str, str]] = field(default_factory=list)
    """(where it came from, the file written below the site)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(where it came from, why): already imported."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
