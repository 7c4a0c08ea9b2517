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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import frontmatter
import markdown
import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from . import markup, urls
from .config import SiteConfig
from .fields import FieldChecker, describe, without_control_characters
from .model import Article, Problem

SOURCE_SUFFIXES = (".md", ".markdown")
KNOWN_FIELDS = (
    "title", "date", "category", "source", "authors", "tags", "summary", "slug", "updated",
    "draft", "lang", "location", "source_url", "image", "aliases",
)  # fmt: skip
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"}
)
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"})
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
    """Parse one source into an Article and its warnings, or None and every problem that
    stops it (with the warnings)."""
    shown_as = shown_as or rel
    front, problem = load_front_matter(text, shown_as)
    if problem:
        return None, [problem]
    assert front is not None
    if not isinstance(front.data, dict):
        kind = "text" if isinstance(front.data, str) else describe(front.data)
        message = f"front matter must be a mapping of fields (title: ..., date: ...), not {kind}"
        return None, [Problem(shown_as, front.first_line, message)]
    checker = FieldChecker(front, config.tz)
    fields = checker.check_all()
    warnings = checker.misspelt(KNOWN_FIELDS, shown_as)
    if checker.errors:
        return None, checker.problems(shown_as) + warnings
    converter = converter or markup.make_converter(config.markdown_extensions)
    article = _make_article(rel, fields, front, config, converter, digest)
    return replace(article, field_lines=checker.field_lines(KNOWN_FIELDS)), warnings


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
    url = urls.article_url(config.permalink, fields["date"], slug, category.url.split("/")[1])
    own_file = urls.output_rel(url)
    return Article(
        rel=rel,
        title=fields["title"],
        slug=slug,
        url=url,
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
        # An old URL equal to the new one (an archive whose URL scheme matches ours) needs
        # no redirect.
        aliases=tuple(a for a in fields["aliases"] if urls.output_rel(a) != own_file),
        extra={k: v for k, v in front.data.items() if k not in KNOWN_FIELDS},
        digest=digest,
    )
