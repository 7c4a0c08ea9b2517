"""Sources: discover them, read them, split front matter, parse and validate one article.

``parse_article`` is pure: it takes the file's path and text and returns an Article or the
problems that stop it, each naming the line where it is known. Only ``discover_sources``
and ``read_source`` touch the disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import frontmatter
import markdown
import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from . import markup, urls
from .config import LANG_PATTERN, SiteConfig
from .model import Article, Link, Problem

SOURCE_SUFFIXES = (".md", ".markdown")
KNOWN_FIELDS = (
    "title", "date", "category", "source", "authors", "tags", "summary", "slug", "updated",
    "draft", "lang", "location", "source_url", "image", "aliases",
)  # fmt: skip
REQUIRED_TEXT_FIELDS = ("title", "category", "source")
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"}
)
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"})
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_CONTROL_OR_NUL = re.compile("[\x00-\x1f\x7f]")
_EDITOR_TEMP = re.compile(r"(^\.|~$|\.sw[a-p]$|^4913$|___jb_(tmp|old)___$|^#.*#$)")


class _TextDatesLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):
    """Safe YAML loader that leaves dates as text, so that masthead parses and reports them."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    """Build a mapping, refusing a key written twice (YAML would silently keep the last)."""
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, str) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"'{key}' is written twice; keep one", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_TextDatesLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: _construct_unique_mapping(loader, node, deep=True),
)
_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _TomlHandler(BaseHandler):
    """TOML front matter between ``+++`` lines, read with the standard library's tomllib."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_HANDLERS = (YAMLHandler(), _TomlHandler())


@dataclass(frozen=True)
class SourceText:
    """A source file's decoded text and content hash, or the problem that stopped reading it."""

    rel: str
    text: str | None
    digest: str
    problem: Problem | None = None


@dataclass(frozen=True)
class FrontMatter:
    """Front matter split from a file: the mapping, the raw text, and where each part starts."""

    data: Any
    raw: str
    first_line: int
    body: str


def is_source_name(name: str) -> bool:
    """True for Markdown files that are not editor temporaries or hidden files."""
    return name.endswith(SOURCE_SUFFIXES) and not _EDITOR_TEMP.search(name)


def discover_sources(content_path: Path) -> tuple[str, ...]:
    """Every Markdown source below the content folder, as sorted POSIX relative paths."""
    found: list[str] = []
    for folder, dirs, files in os.walk(content_path):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        rel_folder = Path(folder).relative_to(content_path).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        found.extend(prefix + name for name in files if is_source_name(name))
    return tuple(sorted(found))


def read_source(content_path: Path, rel: str, shown_as: str) -> SourceText:
    """Read and decode one source; ``shown_as`` is the path used in messages."""
    try:
        data = (content_path / rel).read_bytes()
    except OSError as exc:
        return SourceText(
            rel, None, "", Problem(shown_as, None, f"cannot read file: {exc.strerror}")
        )
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        return SourceText(rel, None, digest, Problem(shown_as, line, message))
    return SourceText(rel, text.removeprefix("\ufeff"), digest)


def split_front_matter(text: str) -> FrontMatter | str:
    """Split a file into front matter and body; return a message when there is none."""
    handler = frontmatter.detect_format(text, _HANDLERS)
    if handler is None:
        return "no front matter: start the file with a line '---', then 'title: ...' and the other fields, then '---'"
    try:
        raw, body = handler.split(text)
    except ValueError:
        return (
            f"front matter is not closed: add a line '{handler.END_DELIMITER}' after the last field"
        )
    opening = handler.FM_BOUNDARY.match(text)
    assert opening is not None  # detect_format matched it
    return FrontMatter(None, raw, text[: opening.end()].count("\n") + 1, body)


def load_front_matter(text: str, shown_as: str) -> tuple[FrontMatter | None, Problem | None]:
    """Split and parse front matter, turning syntax errors into a Problem on the right line."""
    split = split_front_matter(text)
    if isinstance(split, str):
        return None, Problem(shown_as, 1, split)
    try:
        if text.startswith("+"):
            data = tomllib.loads(split.raw)
        else:
            data = yaml.load(split.raw, Loader=_TextDatesLoader)
    except yaml.YAMLError as exc:
        # An unclosed bracket or quote is noticed lines later; point at where it opened.
        context = getattr(exc, "context_mark", None)
        opened = (
            context
            if context and getattr(exc, "context", "").startswith("while parsing a flow")
            else None
        )
        mark = opened or getattr(exc, "problem_mark", None)
        line = split.first_line + mark.line if mark else split.first_line
        reason = getattr(exc, "problem", None) or str(exc)
        return None, Problem(shown_as, line, f"front matter is not valid YAML: {reason}")
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = split.first_line + int(match.group(1)) - 1 if match else split.first_line
        return None, Problem(shown_as, line, f"front matter is not valid TOML: {exc}")
    if data is None:
        data = {}
    return FrontMatter(data, split.raw, split.first_line, split.body), None


def parse_article(
    rel: str,
    text: str,
    config: SiteConfig,
    converter: markdown.Markdown | None = None,
    digest: str = "",
    shown_as: str | None = None,
) -> tuple[Article | None, list[Problem]]:
    """Parse one source into an Article, or return every problem that stops it."""
    shown_as = shown_as or rel
    front, problem = load_front_matter(text, shown_as)
    if problem:
        return None, [problem]
    assert front is not None
    if not isinstance(front.data, dict):
        kind = "text" if isinstance(front.data, str) else _describe(front.data)
        message = f"front matter must be a mapping of fields (title: ..., date: ...), not {kind}"
        return None, [Problem(shown_as, front.first_line, message)]
    checker = _FieldChecker(front, config.tz)
    fields = checker.check_all()
    if checker.errors:
        return None, checker.problems(shown_as)
    converter = converter or markup.make_converter(config.markdown_extensions)
    return _make_article(rel, fields, front, config, converter, digest), []


def rtl_direction(lang: str | None) -> str:
    """``rtl`` for languages written right to left (by language or script subtag), else ``ltr``."""
    if not lang:
        return "ltr"
    parts = lang.lower().split("-")
    if parts[0] in RTL_LANGUAGES or any(p in RTL_SCRIPTS for p in parts[1:]):
        return "rtl"
    return "ltr"


def _make_article(
    rel: str,
    fields: dict[str, Any],
    front: FrontMatter,
    config: SiteConfig,
    converter: markdown.Markdown,
    digest: str,
) -> Article:
    body_html = markup.to_html(converter, without_control_characters(front.body))
    summary = fields["summary"] or markup.truncate_words(
        markup.first_paragraph(body_html), config.summary_length
    )
    slug = fields["slug"]
    category = fields["category"]
    return Article(
        rel=rel,
        title=fields["title"],
        slug=slug,
        url=urls.article_url(config.permalink, fields["date"], slug, category.url.split("/")[1]),
        date=fields["date"],
        updated=fields["updated"],
        category=category,
        source=fields["source"],
        authors=fields["authors"],
        tags=fields["tags"],
        summary=summary,
        body_html=body_html,
        word_count=markup.word_count(body_html),
        draft=fields["draft"],
        lang=fields["lang"],
        dir=rtl_direction(fields["lang"] or config.language),
        location=fields["location"],
        source_url=fields["source_url"],
        image=fields["image"],
        aliases=fields["aliases"],
        extra={k: v for k, v in front.data.items() if k not in KNOWN_FIELDS},
        digest=digest,
    )


class _FieldChecker:
    """Checks every field of one front matter mapping, collecting (field, message) errors."""

    def __init__(self, front: FrontMatter, tz: ZoneInfo):
        self.front = front
        self.data: dict[Any, Any] = front.data
        self.tz = tz
        self.errors: list[tuple[str, str]] = []

    def check_all(self) -> dict[str, Any]:
        """Return the validated, normalised fields (missing optional ones as defaults)."""
        fields: dict[str, Any] = {
            name: self._text(name, required=True) for name in REQUIRED_TEXT_FIELDS
        }
        fields["date"] = self._when("date", required=True)
        fields["updated"] = self._when("updated", required=False)
        if fields["date"] and fields["updated"] and fields["updated"] < fields["date"]:
            self.errors.append(
                (
                    "updated",
                    f"{fields['updated'].isoformat()} is before date {fields['date'].isoformat()}; a correction comes after publication",
                )
            )
        for name in ("summary", "location", "image"):
            fields[name] = self._text(name, required=False)
        fields["source_url"] = self._url("source_url")
        fields["lang"] = self._lang()
        fields["draft"] = self._flag("draft")
        fields["authors"] = self._links("authors", "author")
        fields["tags"] = self._links("tags", "tag")
        fields["aliases"] = self._aliases()
        fields["category"] = self._link(fields["category"], "category")
        fields["source"] = self._link(fields["source"], "source")
        fields["slug"] = self._slug(fields["title"])
        return fields

    def problems(self, shown_as: str) -> list[Problem]:
        """The collected errors as Problems, each on the line of its field."""
        return [
            Problem(shown_as, self._line_of(name), f"{name}: {msg}") for name, msg in self.errors
        ]

    def _line_of(self, name: str) -> int:
        match = re.search(rf"^[\"']?{re.escape(name)}[\"']?\s*[:=]", self.front.raw, re.MULTILINE)
        if not match:
            return self.front.first_line
        return self.front.first_line + self.front.raw[: match.start()].count("\n")

    def _text(self, name: str, required: bool) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.errors.append(
                    (name, f"is required; add a line '{name}: ...' to the front matter")
                )
            return None
        if not isinstance(value, str):
            self.errors.append((name, f"must be text, not {_describe(value)}; put it in quotes"))
            return None
        if required and not value.strip():
            self.errors.append((name, "must not be empty"))
            return None
        value = without_control_characters(value)
        return " ".join(value.split()) if name != "summary" else value.strip()

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
            shown = f'"{value}"' if isinstance(value, str) else _describe(value)
            self.errors.append((name, f"{shown} is not a date (use YYYY-MM-DD or ISO 8601)"))
        return when

    def _url(self, name: str) -> str | None:
        value = self._text(name, required=False)
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                self.errors.append((name, f'"{value}" is not an absolute http(s) URL'))
                return None
        return value

    def _lang(self) -> str | None:
        value = self.data.get("lang")
        if value is None:
            return None
        if not isinstance(value, str) or not LANG_PATTERN.match(value):
            self.errors.append(
                ("lang", f"{value!r} is not a BCP 47 language tag (e.g. en, ur, ar)")
            )
            return None
        return value

    def _flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            self.errors.append((name, f"must be true or false, not {_describe(value)}"))
            return False
        return value

    def _names(self, name: str, clean: bool = True) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            self.errors.append((name, f"must be a name or a list of names, not {_describe(value)}"))
            return ()
        bad = [v for v in items if not isinstance(v, str) or not v.strip()]
        if bad:
            shown = _describe(bad[0]) if not isinstance(bad[0], str) else "an empty name"
            self.errors.append(
                (name, f"every item must be a name; found {shown} (put it in quotes)")
            )
            return ()
        tidy = without_control_characters if clean else str
        return tuple(dict.fromkeys(" ".join(tidy(v).split()) for v in items))

    def _links(self, name: str, kind: str) -> tuple[Link, ...]:
        links = (self._link(n, kind, name) for n in self._names(name))
        return tuple(link for link in links if link is not None)

    def _link(self, name: str | None, kind: str, field: str | None = None) -> Link | None:
        if name is None:
            return None
        slug = urls.slugify(name)
        if not slug:
            self.errors.append(
                (field or kind, f'"{name}" has no letters or digits to make a URL from')
            )
            return None
        return Link(name, urls.term_url(kind, slug))

    def _aliases(self) -> tuple[str, ...]:
        aliases = []
        for alias in self._names("aliases", clean=False):
            problem = urls.alias_problem(alias)
            if problem:
                self.errors.append(("aliases", f"{_quoted(alias)} {problem}"))
            else:
                aliases.append(urls.normalise_alias(alias))
        return tuple(aliases)

    def _slug(self, title: str | None) -> str:
        value = self.data.get("slug")
        if value is None:
            return urls.slugify(title or "") or "untitled"
        if not isinstance(value, str):
            self.errors.append(("slug", f"must be text, not {_describe(value)}"))
            return ""
        problem = urls.slug_problem(value)
        if problem:
            self.errors.append(("slug", f"{_quoted(value)} {problem}"))
        return value


def without_control_characters(text: str) -> str:
    """Text without the control characters that XML 1.0 and HTML forbid (tabs and newlines
    stay), so titles and bodies come out valid in every format."""
    return _CONTROL.sub("", text)


def parse_when(value: Any, tz: ZoneInfo) -> datetime | None:
    """A date or ISO 8601 datetime as an aware datetime in ``tz``; naive values are in ``tz``."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - made aware below
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(tz)


def _quoted(text: str) -> str:
    """Text in double quotes with control characters shown as escapes, safe for a terminal."""
    return '"' + _CONTROL_OR_NUL.sub(lambda m: f"\\x{ord(m.group()):02x}", text) + '"'


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)
