"""Site settings: ``[tool.masthead]`` of the site's ``pyproject.toml`` -> a frozen SiteConfig.

``parse_config`` is pure (text in, config and problems out); ``load_config`` reads the file.
Every problem is reported at once; unknown keys are warnings with a did-you-mean hint.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import urls
from .markup import DEFAULT_ENGINE, ENGINES
from .model import WARNING, Problem, ProblemsError
from .taxonomy import DEFAULT_FEEDS, KINDS
from .text import CONTROL, describe, toml_error_line, without_forbidden

CONFIG_FILE = "pyproject.toml"
PERMALINK_FIELDS = urls.PERMALINK_FIELDS
FIRST_YEAR, LAST_YEAR = 1000, 9998
"""The years a date may have, in any time zone: inside them, shifting a date by a time zone
or by a year (the news sitemap's window) never leaves what Python's datetime can hold."""
MAX_NEWS_WINDOW_DAYS = 365
DEFAULT_MARKDOWN_EXTENSIONS = ("extra", "sane_lists")
DEFAULT_NAV_CATEGORIES = 8
MAX_DESCRIPTION = 5000
"""Characters a category's description may have (as a summary)."""
LANG_PATTERN = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*|[xX](-[A-Za-z0-9]{1,8})+")
"""A BCP 47 language tag (use ``fullmatch``): ``en``, ``ur-PK``, ``en-US-u-ca-gregory``."""


@dataclass(frozen=True)
class SiteConfig:
    """Every site setting, with its default. Frozen: pass it to workers, fingerprint it."""

    title: str = "News Archive"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    per_page: int = 20
    permalink: str = "{year}/{month}/{day}/{slug}/"
    content_dir: str = "content"
    templates_dir: str = "templates"
    output_dir: str = "output"
    summary_length: int = 240
    related_count: int = 5
    markdown_engine: str = DEFAULT_ENGINE
    """``markdown`` (Python-Markdown with ``markdown_extensions``) or ``pyromark`` (fast
    CommonMark with GitHub's tables and footnotes)."""
    markdown_extensions: tuple[str, ...] = DEFAULT_MARKDOWN_EXTENSIONS
    feed_items: int = 50
    feed_taxonomies: tuple[str, ...] = DEFAULT_FEEDS
    news_window_days: int = 2
    now: str | None = None
    """Pinned reference time (ISO 8601) for future-dated articles and the news sitemap."""
    canonical_to_source: bool = False
    publisher_logo: str | None = None
    redirects_file: bool = False
    """Also write ``_redirects`` (Netlify and Cloudflare Pages syntax, 301) for every alias."""
    url_ledger: bool = True
    """Keep ``published-urls.txt`` and fail a build that would stop serving one of its URLs."""
    slug_length: int = urls.DEFAULT_SLUG_LENGTH
    """Slugs made from titles and term names are cut at a word boundary to this many characters."""
    max_article_bytes: int = 10_000_000
    """A source file larger than this is an error, not read."""
    markdown_seconds: int = 20
    """Converting one body to HTML may take this long before it is an error."""
    categories: tuple[tuple[str, str], ...] = ()
    """``[tool.masthead.categories]``: a description per category name, shown on its page."""
    nav_categories: int | tuple[str, ...] = DEFAULT_NAV_CATEGORIES
    """The header's categories: the N with most articles, or these names in this order."""
    search: bool = True
    """Full-text search: a Pagefind index of the articles and a search page per language."""

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The path part of ``base_url``: ``/`` or a sub-path such as ``/news/``."""
        return urlsplit(self.base_url).path or "/"

    @property
    def content_prefix(self) -> str:
        """How messages name a source: its path below the content folder after this."""
        return self.content_dir.rstrip("/") + "/"


KNOWN_KEYS = tuple(f.name for f in fields(SiteConfig))


def parse_config(text: str, path: str = CONFIG_FILE) -> tuple[SiteConfig, list[Problem]]:
    """Parse pyproject text into a SiteConfig; problems include warnings for unknown keys.

    Raises ProblemsError when the TOML itself is broken or any setting is invalid.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProblemsError([Problem(path, toml_error_line(exc), f"invalid TOML: {exc}")]) from exc
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        message = f"tool must be a table, not {_type_name(tool)}; masthead's settings go under [tool.masthead]"
        raise ProblemsError([Problem(path, None, message)])
    table = tool.get("masthead", {})
    if not isinstance(table, dict):
        message = f"[tool.masthead] must be a table, not {_type_name(table)}; write a line [tool.masthead] and the settings below it"
        raise ProblemsError([Problem(path, None, message)])
    return config_from_table(table, path)


def load_config(site_path: Path) -> tuple[SiteConfig, list[Problem]]:
    """Read ``pyproject.toml`` of the site folder; a site without one gets the defaults."""
    config_path = site_path / CONFIG_FILE
    if not config_path.is_file():
        return SiteConfig(), [
            Problem(CONFIG_FILE, None, "no pyproject.toml: using default settings", WARNING)
        ]
    try:
        text = config_path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ProblemsError(
            [Problem(CONFIG_FILE, None, f"cannot read file: {exc.strerror}")]
        ) from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        message = "not valid UTF-8; save the file as UTF-8"
        raise ProblemsError([Problem(CONFIG_FILE, line, message)]) from exc
    return parse_config(text, CONFIG_FILE)


def config_from_table(table: dict[str, Any], path: str) -> tuple[SiteConfig, list[Problem]]:
    """Validate the ``[tool.masthead]`` mapping; raise ProblemsError listing every error."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            problems.append(Problem(path, None, _unknown_key_message(key), WARNING))
            continue
        checked, error = _check_value(key, value)
        if error:
            problems.append(Problem(path, None, f"[tool.masthead] {key}: {error}"))
        else:
            values[key] = checked
    if any(p.is_error for p in problems):
        raise ProblemsError(problems)
    if (
        values.get("markdown_engine", DEFAULT_ENGINE) != "markdown"
        and "markdown_extensions" in values
    ):
        message = (
            f'[tool.masthead] markdown_extensions is ignored: markdown_engine = "{values["markdown_engine"]}" '
            'has its own fixed syntax (only markdown_engine = "markdown" loads extensions)'
        )
        problems.append(Problem(path, None, message, WARNING))
    return SiteConfig(**values), problems


def with_base_url(config: SiteConfig, base_url: str) -> SiteConfig:
    """Return the config with another base URL (``--base-url``), validated."""
    checked, error = _check_value("base_url", base_url)
    if error:
        raise ProblemsError([Problem("--base-url", None, error)])
    return replace(config, base_url=checked)


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(KNOWN_KEYS)})"
    return f"[tool.masthead] unknown key '{key}' is ignored{hint}"


def _check_value(key: str, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, None) or (None, message saying what to write instead)."""
    checker = _CHECKERS.get(key, _check_text)
    return checker(value)


def _check_text(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"must be text, not {_type_name(value)}"
    return without_forbidden(value), None


def _check_positive_int(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None, f"must be a whole number of at least 1, not {_shown(value)}"
    return value, None


def _check_count(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None, f"must be a whole number of at least 0, not {_shown(value)}"
    return value, None


def _check_int_up_to(highest: int) -> Any:
    def check(value: Any) -> tuple[Any, str | None]:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
            return None, f"must be a whole number from 1 to {highest}, not {_shown(value)}"
        return value, None

    return check


def _check_base_url(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"must be text, not {_type_name(value)}"
    problem = urls.http_url_problem(value)
    if problem:
        example = ' (e.g. "https://example.org/news/")' if "absolute" in problem else ""
        return None, f'"{value}" {problem}{example}'
    parts = urlsplit(value)
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        return None, f'"{value}" must not have a query or fragment'
    if parts.username is not None or parts.password is not None:
        return None, f'"{value}" must not hold a user name or password: it is printed on every page'
    if any(c in value for c in '"<>\\`{}|^'):
        return None, f'"{value}" holds a character a URL cannot have as it is; percent-encode it'
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return None, f'"{value}" must not have "." or ".." in its path'
    return value if value.endswith("/") else value + "/", None


def _check_timezone(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"must be text, not {_type_name(value)}"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None, f'"{value}" is not an IANA time zone name (e.g. "Europe/London", "UTC")'
    return value, None


def _check_language(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str) or not LANG_PATTERN.fullmatch(value):
        return None, f'{_shown(value)} is not a BCP 47 language tag (e.g. "en", "en-GB", "ur")'
    return value, None


def _check_permalink(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"must be text, not {_type_name(value)}"
    pattern = value.lstrip("/")
    problem = urls.permalink_problem(pattern)
    if problem:
        return None, f'"{value}" {problem}'
    return pattern, None


def _check_extensions(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None, 'must be a list of Python-Markdown extension names, e.g. ["extra", "toc"]'
    return tuple(value), None


ENGINE_CHOICES = {
    "markdown": "Python-Markdown, the default",
    "pyromark": "fast CommonMark with tables and footnotes",
}
"""What each Markdown engine is, in a message (one entry per ``markup.ENGINES`` name)."""


def _check_engine(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str) and value in ENGINES:
        return value, None
    choices = " or ".join(f'"{name}" ({ENGINE_CHOICES[name]})' for name in ENGINES)
    return None, f"{_shown(value)} is not a Markdown engine; choose {choices}"


def _check_choices(value: Any, allowed: tuple[str, ...]) -> tuple[Any, str | None]:
    if not isinstance(value, list) or any(v not in allowed for v in value):
        return None, f"must be a list drawn from {', '.join(repr(a) for a in allowed)}"
    return tuple(dict.fromkeys(value)), None


def _check_flag(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, bool):
        return None, f"must be true or false, not {_shown(value)}"
    return value, None


def _check_time(value: Any) -> tuple[Any, str | None]:
    text = value.isoformat() if isinstance(value, datetime) else value
    if isinstance(text, str) and parse_instant(text) is None and _instant(text) is not None:
        return None, f'"{text}" is outside the years {FIRST_YEAR} to {LAST_YEAR}'
    if not isinstance(text, str) or parse_instant(text) is None:
        return (
            None,
            f'{_shown(value)} is not an ISO 8601 date-time with an offset, e.g. "2017-09-25T12:00:00+00:00"',
        )
    return text, None


def parse_instant(text: str) -> datetime | None:
    """An aware datetime from ISO 8601 text with an offset (``--now``, ``now``), or None;
    None too outside the years FIRST_YEAR to LAST_YEAR."""
    when = _instant(text)
    return when if when is not None and in_year_range(when) else None


def _instant(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def in_year_range(when: datetime) -> bool:
    """True when ``when`` lies in the years FIRST_YEAR to LAST_YEAR."""
    return FIRST_YEAR <= when.year <= LAST_YEAR


def _check_folder(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, "must be a folder name relative to the site"
    if CONTROL.search(value):
        return None, "must not contain control characters"
    return value, None


def _check_descriptions(value: Any) -> tuple[Any, str | None]:
    example = '[tool.masthead.categories] with lines such as Business = "Markets and companies"'
    if not isinstance(value, dict):
        return None, f"must be a table, not {_type_name(value)}: write {example}"
    found = []
    for name, text in value.items():
        if not name.strip():
            return None, f"a category name must not be empty: write {example}"
        if not isinstance(text, str) or not text.strip():
            shown = "empty text" if isinstance(text, str) else _shown(text)
            return None, f'"{name}" must be described in text, not {shown}: write {example}'
        text = " ".join(without_forbidden(text).split())
        if len(text) > MAX_DESCRIPTION:
            return (
                None,
                f'"{name}" has a description of {len(text):,} characters; at most {MAX_DESCRIPTION:,}',
            )
        found.append((" ".join(name.split()), text))
    return tuple(sorted(found)), None


def _check_nav_categories(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value, None
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(dict.fromkeys(" ".join(v.split()) for v in value)), None
    return (
        None,
        f"must be a whole number of at least 0 (the categories with most articles) or a list of category names, not {_shown(value)}",
    )


_CHECKERS = {
    "per_page": _check_positive_int,
    "summary_length": _check_positive_int,
    "related_count": _check_count,
    "base_url": _check_base_url,
    "timezone": _check_timezone,
    "language": _check_language,
    "permalink": _check_permalink,
    "markdown_extensions": _check_extensions,
    "markdown_engine": _check_engine,
    "feed_items": _check_positive_int,
    "news_window_days": _check_int_up_to(MAX_NEWS_WINDOW_DAYS),
    "slug_length": _check_int_up_to(urls.MAX_SLUG_BYTES),
    "max_article_bytes": _check_int_up_to(1_000_000_000),
    "markdown_seconds": _check_int_up_to(3600),
    "feed_taxonomies": lambda value: _check_choices(value, KINDS),
    "now": lambda value: _check_time(value),
    "canonical_to_source": lambda value: _check_flag(value),
    "redirects_file": lambda value: _check_flag(value),
    "url_ledger": lambda value: _check_flag(value),
    "categories": _check_descriptions,
    "nav_categories": _check_nav_categories,
    "search": _check_flag,
    "content_dir": _check_folder,
    "templates_dir": _check_folder,
    "output_dir": _check_folder,
}


def _shown(value: Any) -> str:
    """A value as written in a message: short text and numbers as themselves, else its kind."""
    if isinstance(value, str | int | float) and len(repr(value)) <= 40:
        return repr(value)
    return _type_name(value)


def _type_name(value: Any) -> str:
    return describe(value, mapping="a table")
