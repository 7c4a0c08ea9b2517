"""Sources: discover them, read them, split front matter, parse and validate one article.

``parse_article`` is pure: it takes the file's path and text and returns an Article or the
problems that stop it, each naming the line where it is known. Only ``discover_sources``
and ``read_source`` touch the disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import frontmatter
import markdown
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from . import markup, matter, urls
from .config import SiteConfig
from .fields import FieldChecker, describe, without_control_characters
from .model import WARNING, Article, Problem

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
_SURROGATES = re.compile("[\ud800-\udfff]")  # undecodable bytes of a file name
DEFAULT_MAX_BYTES = SiteConfig.max_article_bytes
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


class _TomlHandler(BaseHandler):
    """TOML front matter between ``+++`` lines, read with the standard library's tomllib."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return matter.load_toml(fm)[0]


class _YamlHandler(YAMLHandler):
    """YAML front matter between ``---`` lines, read with masthead's one YAML loader."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return matter.load_yaml(fm)[0]


_HANDLERS = (_YamlHandler(), _TomlHandler())


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
    body_line: int = 0
    """The file line on which the body starts."""
    key_lines: dict[str, int] = field(default_factory=dict)
    """The file line of each top-level key."""


def is_source_name(name: str) -> bool:
    """True for Markdown files that are not editor temporaries or hidden files."""
    return name.endswith(SOURCE_SUFFIXES) and not _EDITOR_TEMP.search(name)


def discover_sources(content_path: Path) -> tuple[str, ...]:
    """Every Markdown source below the content folder, as sorted POSIX relative paths.

    Folders whose name starts with ``.`` or ``_`` are skipped, and links to folders are not
    followed. An entry with a source name is listed whatever it is (a FIFO, a device, a link
    to a folder or to nothing): ``read_source`` says what is wrong with it. A folder that
    cannot be listed is returned as its path with a final ``/`` (``./`` for the content
    folder itself), so that the load stage reports it instead of silently missing articles.
    """
    found: list[str] = []
    pending = [""]
    while pending:
        prefix = pending.pop()
        try:
            with os.scandir(os.path.join(content_path, prefix)) as entries:
                for entry in entries:
                    if _is_folder(entry):
                        if not entry.name.startswith((".", "_")):
                            pending.append(prefix + entry.name + "/")
                    elif is_source_name(entry.name):
                        found.append(prefix + entry.name)
        except OSError:
            found.append(prefix or "./")
    return tuple(sorted(found))


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def is_unlisted_folder(rel: str) -> bool:
    """True for what ``discover_sources`` returns for a folder it could not list."""
    return rel.endswith("/")


def read_source(
    content_path: Path, rel: str, shown_as: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceText:
    """Read and decode one source; ``shown_as`` is the path used in messages.

    Only regular files are read (anything else is skipped with a warning), and never more
    than ``max_bytes`` + 1 bytes: a larger file is an error naming the setting."""
    if _SURROGATES.search(rel):
        message = (
            "file name is not valid UTF-8; rename the file (URLs and messages need UTF-8 names)"
        )
        return SourceText(rel, None, "", Problem(shown_as, None, message))
    path = os.path.join(content_path, rel)
    try:
        info = os.stat(path)
    except OSError as exc:
        return SourceText(rel, None, "", _unreadable(shown_as, exc))
    if not stat.S_ISREG(info.st_mode):
        return SourceText(rel, None, "", not_a_file(shown_as, path))
    if info.st_size > max_bytes:
        return SourceText(rel, None, "", too_large(shown_as, max_bytes, info.st_size))
    try:
        data = _read_regular_file(path, max_bytes)
    except OSError as exc:
        return SourceText(rel, None, "", _unreadable(shown_as, exc))
    if data is None:
        return SourceText(rel, None, "", not_a_file(shown_as, path))
    if len(data) > max_bytes:  # it grew since the stat, or the file system does not know
        return SourceText(rel, None, "", too_large(shown_as, max_bytes))
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        return SourceText(rel, None, digest, Problem(shown_as, line, message))
    return SourceText(rel, text.removeprefix("\ufeff"), digest)


def _read_regular_file(path: str, max_bytes: int) -> bytes | None:
    """At most ``max_bytes`` + 1 bytes of a regular file; None when ``path`` turns out to be
    something else. Opened non-blocking, so that a FIFO put there after the check cannot
    hang the build."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _unreadable(shown_as: str, exc: OSError) -> Problem:
    return Problem(shown_as, None, f"cannot read file: {exc.strerror or exc}")


def not_a_file(shown_as: str, path: str) -> Problem:
    """The warning for a source name that is not a regular file (it is skipped)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    if os.path.islink(path):
        kind = f"a link to {kind.removeprefix('not ')}"
    message = f"is {kind}, not a regular file: skipped (replace it with a file, or move it out of the content folder)"
    return Problem(shown_as, None, message, WARNING)


def too_large(shown_as: str, max_bytes: int, size: int | None = None) -> Problem:
    """The error for a source larger than the max_article_bytes setting."""
    size_text = f"{size:,} bytes, over" if size is not None else "over"
    message = (
        f"is {size_text} max_article_bytes ({max_bytes:,}); split the article, "
        "or raise max_article_bytes in [tool.masthead] of pyproject.toml"
    )
    return Problem(shown_as, None, message)


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
    first_line = text.count("\n", 0, opening.end()) + 1
    return FrontMatter(None, raw, first_line, body, text.count("\n", 0, len(text) - len(body)) + 1)


def load_front_matter(text: str, shown_as: str) -> tuple[FrontMatter | None, Problem | None]:
    """Split and parse front matter, turning every reason it cannot be read into one Problem
    on the right line."""
    split = split_front_matter(text)
    if isinstance(split, str):
        return None, Problem(shown_as, 1, split)
    load = matter.load_toml if text.startswith("+") else matter.load_yaml
    try:
        data, key_lines = load(split.raw)
    except matter.Refused as exc:
        return None, Problem(shown_as, split.first_line + exc.line, exc.message)
    lines = {key: split.first_line + line for key, line in key_lines.items()}
    data = {} if data is None else data
    return replace(split, data=data, key_lines=lines), None


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
    checker = FieldChecker(front, config.tz, config.slug_length)
    fields = checker.check_all()
    warnings = checker.misspelt(KNOWN_FIELDS, shown_as)
    if checker.errors:
        return None, checker.problems(shown_as) + warnings
    converter = converter or markup.make_converter(config.markdown_extensions)
    try:
        body_html = markup.to_html(converter, without_control_characters(front.body))
    except RecursionError:  # Python-Markdown recurses once per level of nested lists
        return None, [_nested_too_deeply(shown_as, front), *warnings]
    article = _make_article(rel, fields, front, config, body_html, digest)
    return replace(article, field_lines=checker.field_lines(KNOWN_FIELDS)), warnings


def _nested_too_deeply(shown_as: str, front: FrontMatter) -> Problem:
    """The error for a body whose lists or quotes nest too deeply for Markdown, on the line
    indented deepest."""
    lines = front.body.split("\n")
    depths = [len(line) - len(line.lstrip(" \t>")) + line[:200].count("\t") * 3 for line in lines]
    message = "the body nests lists or block quotes too deeply for Markdown; flatten them"
    return Problem(shown_as, front.body_line + depths.index(max(depths)), message)


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
    body_html: str,
    digest: str,
) -> Article:
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
