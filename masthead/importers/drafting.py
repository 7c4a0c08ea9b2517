"""What an original says, plus the command line's fallbacks -> one ``Draft``.

Shared by the page and feed importers, so that both clean, check and report the same way:
text on one line without control characters, dates as ISO 8601 with their offset when the
original gave one, ``updated`` only when it is later than ``date``, URLs only when they are
absolute http(s), ``lang`` only when it differs from the site's language. ``--source``,
``--category`` and ``--lang`` fill a field the original leaves empty (``Draft.fallbacks``);
every other field the importer looked for and did not find is listed in ``Draft.missing``.
"""

from __future__ import annotations

import argparse
import email.utils
from dataclasses import dataclass
from typing import Any

from .. import urls
from ..config import SiteConfig
from ..fields import parse_when
from ..model import WARNING, Problem
from . import Draft, clues

FIELD_ORDER = (
    "title", "date", "updated", "category", "source", "authors", "tags", "location", "lang",
    "summary", "image", "source_url",
)  # fmt: skip
"""The front matter an importer writes, in this order (``slug`` and ``imported_from`` are
added by the store)."""
FALLBACKS = ("source", "category", "lang")
"""Fields the command line can fill: ``--source``, ``--category``, ``--lang``."""


@dataclass(frozen=True)
class Defaults:
    """The command line's fallbacks and the site settings a draft is checked against."""

    config: SiteConfig
    source: str | None = None
    category: str | None = None
    lang: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace, config: SiteConfig) -> Defaults:
        """The fallbacks given as ``--source``, ``--category`` and ``--lang``."""
        lang = getattr(args, "lang", None)
        return cls(
            config,
            clues.one_line(getattr(args, "source", None)) or None,
            clues.one_line(getattr(args, "category", None)) or None,
            clues.lang_tag(lang) or (clues.one_line(lang) or None),
        )


def any_when(value: str | None) -> str | None:
    """A date as ISO 8601 from what originals write: ISO 8601 (offset kept), RFC 822
    (``Thu, 17 Aug 2023 09:30:00 +0500``) or a date in words; None for anything else."""
    text = clues.one_line(value)
    if not text:
        return None
    iso = clues.iso_when(text)
    if iso:
        return iso
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is not None:
        return when.replace(microsecond=0).isoformat()
    words = clues.parse_date_line(text)
    return words[1] if words else None


def make_draft(
    origin: str,
    shown_as: str,
    facts: dict[str, Any],
    body: str,
    defaults: Defaults,
    looked_for: tuple[str, ...],
    notes: tuple[Problem, ...] = (),
) -> Draft:
    """The draft of one article. ``looked_for`` names the optional fields this kind of
    original can carry: those not found are reported as missing."""
    fields = _cleaned(facts)
    body = clues.clean(body).strip()
    notes = notes + tuple(_check(fields, defaults.config, shown_as))
    if clues.script_conflict(fields.get("lang"), f"{fields.get('title', '')} {body}"):
        message = f"lang {fields.pop('lang')} does not fit the script of the text: left out"
        notes = (*notes, Problem(shown_as, None, message, WARNING))
    fallbacks = []
    for name in FALLBACKS:
        given = getattr(defaults, name)
        if not fields.get(name) and given:
            fields[name] = given
            fallbacks.append(name)
    if fields.get("lang") and fields["lang"].casefold() == defaults.config.language.casefold():
        del fields["lang"]
    elif not fields.get("lang") and clues.mostly_other_script(f"{fields.get('title', '')} {body}"):
        looked_for = (*looked_for, "lang")
    missing = tuple(name for name in looked_for if not fields.get(name))
    ordered = {name: fields[name] for name in FIELD_ORDER if fields.get(name)}
    return Draft(
        origin=origin,
        shown_as=shown_as,
        fields=ordered,
        body=body,
        missing=missing,
        fallbacks=tuple(fallbacks),
        notes=notes,
    )


def _cleaned(facts: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("title", "category", "source", "location", "summary"):
        text = clues.one_line(facts.get(name))
        if text:
            fields[name] = text
    for name in ("authors", "tags"):
        fields[name] = _names(facts.get(name) or ())
    for name in ("date", "updated"):
        fields[name] = any_when(facts.get(name))
    for name in ("image", "source_url"):
        fields[name] = _http_url(facts.get(name))
    fields["lang"] = clues.lang_tag(facts.get("lang"))
    return {name: value for name, value in fields.items() if value}


def _names(values: Any) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    names: dict[str, str] = {}
    for item in items:
        name = clues.one_line(item)
        if name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


def _http_url(value: Any) -> str | None:
    text = clues.one_line(value if isinstance(value, str) else None).replace(" ", "%20")
    return text if text and urls.http_url_problem(text) is None else None


def _check(fields: dict[str, Any], config: SiteConfig, shown_as: str) -> list[Problem]:
    """Drop an ``updated`` that is not after ``date`` (a page's modified time equal to its
    publication is no correction; one before it is a mistake), saying so for the latter."""
    if "updated" not in fields:
        return []
    date = parse_when(fields.get("date"), config.tz)
    updated = parse_when(fields["updated"], config.tz)
    if date is None or updated is None or updated > date:
        return [] if updated is not None else [_drop(fields, shown_as, "is not a date")]
    if updated == date:
        del fields["updated"]
        return []
    return [_drop(fields, shown_as, f"is before the publication date {fields['date']}")]


def _drop(fields: dict[str, Any], shown_as: str, why: str) -> Problem:
    value = fields.pop("updated")
    return Problem(shown_as, None, f"updated {value} {why}: left out", WARNING)
