"""The theme's words in the reader's language: one catalogue per language, and dates.

A catalogue is ``i18n/<lang>.toml`` in the theme or in the site's templates folder (the
site's entries win, key by key). Keys are the English words themselves, so a word no
catalogue has simply stays English; a key with ``{n}`` takes plural forms by CLDR's rules
(``one``, ``few``, ``many``, ``other``...), and ``{name}`` placeholders are filled in::

    "By" = "از"
    "{n} min read" = { one = "{n} منٹ", other = "{n} منٹ" }
    "date.long" = "d MMMM، y"

Dates are written with Babel (the Unicode CLDR data: month names in every language, the
same on every machine) in the pattern the catalogue names for the language.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Problem

if TYPE_CHECKING:  # Babel is imported where dates are written: not for a no-op build
    from babel import Locale

I18N_FOLDER = "i18n"
ENGLISH = "en"
PATTERNS = {
    "date.long": "d MMMM y",
    "date.month": "MMMM y",
    "date.day_month": "d MMMM",
    "date.day": "d",
}
"""Date patterns (CLDR syntax) for languages whose catalogue names none."""


@dataclass(frozen=True)
class Catalogues:
    """Every catalogue of a site, by language tag (``ur``, ``en-GB``)."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def words(self, lang: str) -> list[dict[str, Any]]:
        """The catalogues that speak for ``lang``, most specific first: ``ur-PK``, ``ur``."""
        found = []
        parts = lang.lower().split("-")
        for size in range(len(parts), 0, -1):
            entries = self.entries.get("-".join(parts[:size]))
            if entries is not None:
                found.append(entries)
        return found


def load_catalogues(template_paths: tuple[Path, ...]) -> tuple[Catalogues, list[Problem]]:
    """The catalogues in ``i18n/`` of every template folder (the site's first, winning)."""
    merged: dict[str, dict[str, Any]] = {}
    problems = []
    for root in reversed(template_paths):  # the theme first, the site's own over it
        folder = root / I18N_FOLDER
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                entries = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                shown = f"{root.name}/{I18N_FOLDER}/{path.name}"
                problems.append(Problem(shown, None, f"cannot read the word catalogue: {exc}"))
                continue
            bad = next((k for k, v in entries.items() if not _is_entry(v)), None)
            if bad is not None:
                shown = f"{root.name}/{I18N_FOLDER}/{path.name}"
                message = (
                    f'"{bad}" must be text, or a table of plural forms (one = "...", other = "...")'
                )
                problems.append(Problem(shown, None, message))
                continue
            merged.setdefault(path.stem.lower(), {}).update(entries)
    return Catalogues(merged), problems


def _is_entry(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def translate(
    catalogues: Catalogues, lang: str, key: str, n: int | None = None, **values: Any
) -> str:
    """``key`` in ``lang`` (English when no catalogue has it), with ``{n}`` and the other
    placeholders filled in."""
    entry: Any = key
    for entries in catalogues.words(lang):
        if key in entries:
            entry = entries[key]
            break
    if isinstance(entry, dict):
        entry = entry.get(_plural_form(lang, n or 0)) or entry.get("other") or key
    text = str(entry)
    try:
        return text.format(n=n, **values) if (n is not None or values) else text
    except (KeyError, IndexError, ValueError):  # a catalogue with a placeholder we lack
        return text


def localdate(catalogues: Catalogues, lang: str, when: date | datetime, style: str = "long") -> str:
    """A date as readers of ``lang`` write it (``style``: long, month, day_month)."""
    key = f"date.{style}"
    pattern = translate(catalogues, lang, key)
    if pattern == key:
        pattern = PATTERNS[key]
    return _formatted_date(date(when.year, when.month, when.day), pattern, lang)


@lru_cache(maxsize=8192)
def _formatted_date(day: date, pattern: str, lang: str) -> str:
    """Babel's writing of a day in a pattern: the same every time, so a process (the test
    suite, the preview server) writes each of the 366 days of the "on this day" pages once."""
    from babel.dates import format_date

    return format_date(day, pattern, locale=_locale(lang))


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    """Babel's locale for a language tag; English for one CLDR does not know."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(lang.split("-")[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse(ENGLISH)


def _plural_form(lang: str, n: int) -> str:
    return _locale(lang).plural_form(abs(n))


@dataclass(frozen=True)
class Words:
    """The words of one language, for planning and templates: ``words("By")``,
    ``words("{n} articles", n=3)``, ``words.date(when)``. Frozen and picklable; dates once
    written are remembered (an archive names each of its days many times)."""

    catalogues: Catalogues
    lang: str
    _dates: dict = field(default_factory=dict, compare=False, repr=False)

    def __call__(self, key: str, n: int | None = None, **values: Any) -> str:
        return translate(self.catalogues, self.lang, key, n, **values)

    def date(self, when: date | datetime, style: str = "long") -> str:
        """A date in this language (``style``: long, month, day_month)."""
        key = (when.year, when.month, when.day, style)
        found = self._dates.get(key)
        if found is None:
            found = self._dates[key] = localdate(self.catalogues, self.lang, when, style)
        return found

    def period(self, key: tuple[int, ...]) -> str:
        """``2017``, ``September 2017`` or ``23 September 2017``, in this language."""
        if len(key) == 1:
            return str(key[0])
        if len(key) == 2:
            return self.date(date(key[0], key[1], 1), "month")
        return self.date(date(*key), "long")

    def month(self, number: int) -> str:
        """The name of a month (1-12) standing alone, in this language."""
        from babel.dates import format_date

        return format_date(date(2000, number, 1), "LLLL", locale=_locale(self.lang))

    def month_short(self, number: int) -> str:
        """The abbreviated name of a month (1-12) standing alone: ``Sep``."""
        from babel.dates import format_date

        return format_date(date(2000, number, 1), "LLL", locale=_locale(self.lang))

    def day_of_year(self, month: int, day: int) -> str:
        """``23 September``, ``29 February``: a day of any year, in this language."""
        return self.date(date(2000, month, day), "day_month")  # 2000: a leap year

    @property
    def first_weekday(self) -> int:
        """The day weeks start on for readers of this language (0 Monday ... 6 Sunday)."""
        return _locale(self.lang).first_week_day

    def weekdays(self) -> tuple[tuple[str, str], ...]:
        """Each day of the week from Monday: (abbreviated, full) names standing alone."""
        names = _locale(self.lang).days["stand-alone"]
        return tuple((names["abbreviated"][i], names["wide"][i]) for i in range(7))

    def date_range(self, start: date | datetime, end: date | datetime) -> str:
        """``1–14 September 2017``, ``28 August – 3 September 2017``, ``30 December 2016 –
        2 January 2017``, or one date; the catalogue's ``{start}–{end}`` (within a month) and
        ``{start} – {end}`` entries join them, ``date.day`` names the first day alone."""
        if start > end:
            start, end = end, start
        if (start.year, start.month, start.day) == (end.year, end.month, end.day):
            return self.date(end)
        if (start.year, start.month) == (end.year, end.month):
            first = self.date(start, "day")
            return self("{start}–{end}", start=first, end=self.date(end))
        style = "day_month" if start.year == end.year else "long"
        return self("{start} – {end}", start=self.date(start, style), end=self.date(end))

    def of(self, lang: str) -> Words:
        """The same catalogues in another language."""
        if lang == self.lang:
            return self
        other = self._dates.get(("of", lang))
        if other is None:
            other = self._dates[("of", lang)] = Words(self.catalogues, lang)
        return other


ENGLISH_WORDS = Words(Catalogues(), ENGLISH)


def is_known(lang: str) -> bool:
    """True when CLDR has data for ``lang`` (its dates are then in that language)."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        return False
    return True
