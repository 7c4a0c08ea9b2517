"""Front matter fields of one article: check each, normalise it, say what to write instead.

``FieldChecker`` turns the parsed front matter mapping into typed values (aware datetimes,
term links, validated slug and aliases), collecting every problem with the line of its
field, so that one run reports them all.
"""

from __future__ import annotations

import difflib
import unicodedata
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import urls
from .config import FIRST_YEAR, LANG_PATTERN, LAST_YEAR, in_year_range
from .model import WARNING, Correction, Link, Problem
from .taxonomy import TAXONOMIES, Taxonomy
from .text import describe, quoted, without_forbidden

if TYPE_CHECKING:
    from .readers import Document

KNOWN_FIELDS = (
    "title", "date", "category", "source", "authors", "tags", "summary", "slug", "updated",
    "draft", "lang", "location", "source_url", "image", "aliases", "imported_from",
    "retracted", "corrections", "featured",
)  # fmt: skip
"""Every front-matter field masthead reads (the taxonomies' fields among them); any other
key is kept in ``Article.extra``."""
MAX_LENGTHS = {"title": 1000, "summary": 5000, "name": 300}
"""Characters a headline, a summary and a name (category, tag, source, author) may have: a
name is repeated on every page that links its term, so a hostile one must stay small."""
MAX_NAMES = 200
"""Names one list field (tags, authors) may hold."""
CORRECTION_EXAMPLE = 'write each as "- date: YYYY-MM-DD" with "text: what was corrected" below it'
"""How a correction is written, for messages."""


class FieldChecker:
    """Checks every field of one front matter mapping, collecting (field, message) errors."""

    def __init__(self, front: Document, tz: ZoneInfo, slug_length: int = urls.DEFAULT_SLUG_LENGTH):
        self.front = front
        self.data: dict[Any, Any] = front.data
        self.tz = tz
        self.slug_length = slug_length
        self.errors: list[tuple[str, str]] = []

    def check_all(self) -> dict[str, Any]:
        """Return the validated, normalised fields (missing optional ones as defaults);
        ``category_slug`` is the slug the category's URL was made from."""
        fields: dict[str, Any] = {"title": self._text("title", required=True)}
        for taxonomy in TAXONOMIES:
            if taxonomy.required:
                fields[taxonomy.field] = self._terms(taxonomy)
        fields["date"] = self._when("date", required=True)
        fields["updated"] = self._when("updated", required=False)
        if fields["date"] and fields["updated"] and fields["updated"] < fields["date"]:
            self.errors.append(
                (
                    "updated",
                    f"{fields['updated'].isoformat()} is before date {fields['date'].isoformat()}; a correction comes after publication",
                )
            )
        for name in ("summary", "location", "image", "imported_from", "retracted"):
            fields[name] = self._text(name, required=False)
        if fields["retracted"] is not None and not fields["retracted"].strip():
            self.errors.append(("retracted", 'must give the reason: retracted: "why"'))
        fields["source_url"] = self._url("source_url")
        fields["lang"] = self._lang()
        fields["draft"] = self._flag("draft")
        fields["featured"] = self._flag("featured")
        for taxonomy in TAXONOMIES:
            if not taxonomy.required:
                fields[taxonomy.field] = self._terms(taxonomy)
        fields["aliases"] = self._aliases()
        fields["corrections"] = self._corrections(fields["date"])
        category = fields["category"]
        fields["category_slug"] = category.url.split("/")[1] if category else ""
        fields["slug"] = self._slug(fields["title"])
        return fields

    def problems(self, shown_as: str) -> list[Problem]:
        """The collected errors as Problems, each on the line of its field."""
        return [
            Problem(shown_as, self._line_of(name), f"{name}: {msg}") for name, msg in self.errors
        ]

    def misspelt(self, known: tuple[str, ...], shown_as: str) -> list[Problem]:
        """Warnings for unknown keys that look like a known field written wrong (``categroy``,
        ``tag``): they would be kept as extra data while the field stays empty."""
        warnings = []
        for key in self.data:
            if not isinstance(key, str) or key in known:
                continue
            close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.8)
            if close and close[0] not in self.data:
                message = f'unknown field "{key}" is kept as extra data; did you mean "{close[0]}"?'
                warnings.append(Problem(shown_as, self._line_of(key), message, WARNING))
        return warnings

    def field_lines(self, known: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        """The line of every known field the front matter holds."""
        return tuple((name, self._line_of(name)) for name in known if name in self.data)

    def _line_of(self, name: str) -> int:
        return self.front.key_lines.get(name, self.front.first_line)

    def _text(self, name: str, required: bool) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors.append(
                    (name, f"is required; add a line '{name}: ...' to the front matter")
                )
            return None
        if not isinstance(value, str):
            self.errors.append((name, f"must be text, not {describe(value)}; put it in quotes"))
            return None
        if required and not value.strip():
            self.errors.append((name, "must not be empty"))
            return None
        value = unicodedata.normalize("NFC", without_forbidden(value))
        value = " ".join(value.split()) if name != "summary" else value.strip()
        limit = MAX_LENGTHS.get(
            name, MAX_LENGTHS["name"] if name in ("category", "source") else None
        )
        if limit and len(value) > limit:
            self.errors.append(
                (name, f"has {len(value):,} characters; at most {limit:,}: shorten it")
            )
            return None
        return value

    def _when(self, name: str, required: bool) -> datetime | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors.append(
                    (name, f"is required; add a line '{name}: YYYY-MM-DD' to the front matter")
                )
            return None
        when = parse_when(value, self.tz)
        if when is None:
            shown = quoted(value) if isinstance(value, str) else describe(value)
            if _unchecked_when(value) is None:
                message = f"{shown} is not a date (use YYYY-MM-DD or ISO 8601)"
            else:
                message = f"{shown} is outside the years {FIRST_YEAR} to {LAST_YEAR} that masthead accepts"
            self.errors.append((name, message))
        return when

    def _url(self, name: str) -> str | None:
        value = self._text(name, required=False)
        if value is not None:
            problem = urls.http_url_problem(value)
            if problem:
                self.errors.append((name, f"{quoted(value)} {problem}"))
                return None
        return value

    def _lang(self) -> str | None:
        value = self.data.get("lang")
        if value is None:
            return None
        if not isinstance(value, str) or not LANG_PATTERN.fullmatch(value):
            shown = repr(value) if isinstance(value, str) and len(value) <= 40 else describe(value)
            self.errors.append(("lang", f"{shown} is not a BCP 47 language tag (e.g. en, ur, ar)"))
            return None
        return value

    def _flag(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.errors.append((name, f"must be true or false, not {describe(value)}"))
            return False
        return value

    def _names(self, name: str, clean: bool = True) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            self.errors.append((name, f"must be a name or a list of names, not {describe(value)}"))
            return ()
        bad = [v for v in items if not isinstance(v, str) or not v.strip()]
        if bad:
            shown = describe(bad[0]) if not isinstance(bad[0], str) else "an empty name"
            self.errors.append(
                (name, f"every item must be a name; found {shown} (put it in quotes)")
            )
            return ()
        if len(items) > MAX_NAMES:
            self.errors.append((name, f"has {len(items):,} items; at most {MAX_NAMES}"))
            return ()
        tidy = without_forbidden if clean else str
        names = tuple(
            dict.fromkeys(unicodedata.normalize("NFC", " ".join(tidy(v).split())) for v in items)
        )
        if clean:
            long = next((n for n in names if len(n) > MAX_LENGTHS["name"]), None)
            if long is not None:
                self.errors.append(
                    (
                        name,
                        f"has a name of {len(long):,} characters; at most {MAX_LENGTHS['name']}: shorten it",
                    )
                )
                return ()
        return names

    def _terms(self, taxonomy: Taxonomy) -> Link | tuple[Link, ...] | None:
        """The links of one taxonomy's field: a tuple for a list field, else one link."""
        if taxonomy.many:
            links = (self._link(n, taxonomy) for n in self._names(taxonomy.field))
            return tuple(link for link in links if link is not None)
        name = self._text(taxonomy.field, required=taxonomy.required)
        return self._link(name, taxonomy) if name is not None else None

    def _link(self, name: str, taxonomy: Taxonomy) -> Link | None:
        slug = urls.slugify(name, self.slug_length)
        if not slug:
            self.errors.append(
                (taxonomy.field, f"{quoted(name)} has no letters or digits to make a URL from")
            )
            return None
        return Link(name, urls.term_url(taxonomy.kind, slug))

    def _aliases(self) -> tuple[str, ...]:
        aliases = []
        for alias in self._names("aliases", clean=False):
            decoded = urls.decode_alias(alias)
            problem = (
                urls.alias_problem(decoded)
                if decoded is not None
                else ("has percent-escapes that are not UTF-8; write the path as it reads")
            )
            if problem:
                self.errors.append(("aliases", f"{quoted(alias)} {problem}"))
            else:
                aliases.append(urls.normalise_alias(decoded))
        # /old/story, /old/story/ and /old/story/index.html are one redirect page
        return tuple(dict.fromkeys(aliases))

    def _corrections(self, published: datetime | None) -> tuple[Correction, ...]:
        """The ``corrections`` list: mappings of ``date`` and ``text``, newest first."""
        value = self.data.get("corrections")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.errors.append(
                ("corrections", f"must be a list, not {describe(value)}; {CORRECTION_EXAMPLE}")
            )
            return ()
        if len(value) > MAX_NAMES:
            self.errors.append(("corrections", f"has {len(value):,} items; at most {MAX_NAMES}"))
            return ()
        found = []
        for number, item in enumerate(value, 1):
            problem, correction = self._correction(item, published)
            if problem:
                where = f"item {number}" if len(value) > 1 else "the item"
                self.errors.append(("corrections", f"{where}: {problem}"))
            elif correction is not None:
                found.append(correction)
        return tuple(sorted(found, key=lambda c: c.date, reverse=True))

    def _correction(
        self, item: Any, published: datetime | None
    ) -> tuple[str | None, Correction | None]:
        if not isinstance(item, dict):
            return (
                f"must be a mapping of date and text, not {describe(item)}; {CORRECTION_EXAMPLE}",
                None,
            )
        unknown = sorted(str(k) for k in item if k not in ("date", "text"))
        if unknown:
            return f"unknown key {quoted(unknown[0])}; a correction has only date and text", None
        if "date" not in item or "text" not in item:
            missing = "date" if "date" not in item else "text"
            return f"{missing} is required; {CORRECTION_EXAMPLE}", None
        when = parse_when(item["date"], self.tz)
        if when is None:
            shown = (
                quoted(item["date"]) if isinstance(item["date"], str) else describe(item["date"])
            )
            return (
                f"date {shown} is not a date (use YYYY-MM-DD or ISO 8601) in the years {FIRST_YEAR} to {LAST_YEAR}",
                None,
            )
        if published is not None and when < published:
            return (
                f"date {when.isoformat()} is before the article's date {published.isoformat()}; a correction comes after publication",
                None,
            )
        text = item["text"]
        if not isinstance(text, str) or not text.strip():
            return (
                f"text must be the words of the correction, not {describe(text) if not isinstance(text, str) else 'empty text'}",
                None,
            )
        text = " ".join(unicodedata.normalize("NFC", without_forbidden(text)).split())
        if len(text) > MAX_LENGTHS["summary"]:
            return (
                f"text has {len(text):,} characters; at most {MAX_LENGTHS['summary']:,}: shorten it",
                None,
            )
        return None, Correction(when, text)

    def _slug(self, title: str | None) -> str:
        value = self.data.get("slug")
        if value is None:
            return urls.slugify(title or "", self.slug_length) or "untitled"
        if not isinstance(value, str):
            self.errors.append(("slug", f"must be text, not {describe(value)}"))
            return ""
        value = unicodedata.normalize("NFC", value)  # one spelling of é: one URL
        problem = urls.slug_problem(value)
        if problem:
            self.errors.append(("slug", f"{quoted(value)} {problem}"))
        return value


def parse_when(value: Any, tz: ZoneInfo) -> datetime | None:
    """A date or ISO 8601 datetime as an aware datetime in ``tz``; naive values are in ``tz``.

    None for anything else, and for dates outside the years FIRST_YEAR to LAST_YEAR (before
    and after converting to ``tz``), so that no later shift by a time zone or a few days can
    leave the range Python's datetime holds."""
    when = _unchecked_when(value)
    if when is None or not in_year_range(when):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    when = when.astimezone(tz)
    return when if in_year_range(when) else None


def _unchecked_when(value: Any) -> datetime | None:
    """The datetime a front matter value names, naive or aware, in any year."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - made aware later
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
