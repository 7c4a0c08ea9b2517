"""Readers: what turns a source file's text into its fields and its body HTML.

Readers are registered by file suffix, as Pelican's are: a new source format, or another
Markdown engine, is one more class here, and no stage changes. A reader is made once per
process (``make_reader``) and reused for every source it reads, so that an engine can keep
its compiled state. ``read`` splits a file into front matter and body (a ``Document``);
``to_html`` turns a body into HTML. Both are pure: text in, values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from . import markup
from .config import SiteConfig


@dataclass(frozen=True)
class Document:
    """A source split into its front matter (parsed, not yet checked) and its body."""

    data: Any
    raw: str
    """The front matter as written."""
    first_line: int
    """The file line of the opening ``---``."""
    body: str
    body_line: int = 0
    """The file line on which the body's first character is (often the newline ending the
    closing delimiter's line)."""

    @property
    def first_body_line(self) -> int:
        """The file line of the body's first text (its first line when it has none)."""
        text = self.body.lstrip()
        return self.body_line + self.body.count("\n", 0, len(self.body) - len(text))

    key_lines: dict[str, int] = field(default_factory=dict)
    """The file line of each top-level key."""


class Unreadable(Exception):
    """A source whose front matter cannot be read: a one-line message and its file line."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


class Reader(Protocol):
    """Reads sources of some suffixes (see the module docstring)."""

    suffixes: tuple[str, ...]

    def read(self, text: str) -> Document:
        """Split and parse the front matter; raise Unreadable."""
        ...

    def to_html(self, body: str) -> str:
        """The body as HTML (RecursionError when it nests too deeply)."""
        ...


@lru_cache(maxsize=1)
def _handlers() -> tuple:
    """python-frontmatter's handlers for YAML (``---``, read with masthead's one YAML loader)
    and TOML (``+++``, read with the standard library's tomllib). Made when the first source
    is read: a build with nothing changed never loads python-frontmatter or PyYAML."""
    from frontmatter.default_handlers import BaseHandler, YAMLHandler

    from . import matter

    class YamlHandler(YAMLHandler):
        def load(self, fm: str, **kwargs: object) -> Any:
            return matter.load_yaml(fm)

    class TomlHandler(BaseHandler):
        FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
        START_DELIMITER = END_DELIMITER = "+++"

        def load(self, fm: str, **kwargs: object) -> Any:
            return matter.load_toml(fm)

    return (YamlHandler(), TomlHandler())


class MarkdownReader:
    """Markdown with YAML (``---``) or TOML (``+++``) front matter, converted by the engine
    the site chose (``markdown_engine``)."""

    suffixes = (".md", ".markdown")

    def __init__(self, config: SiteConfig):
        self.converter = markup.make_converter(config)

    def read(self, text: str) -> Document:
        """Split and parse the front matter; raise Unreadable with the line to blame."""
        return read_front_matter(text)

    def to_html(self, body: str) -> str:
        return self.converter.convert(body)


def read_front_matter(text: str) -> Document:
    """Split a file into front matter and body, and parse the front matter (the format is
    decided once, by its opening line: ``---`` YAML, ``+++`` TOML). Raises Unreadable."""
    if "\r" in text and "\n" not in text:  # classic Mac OS line endings: one CR per line
        text = text.replace("\r", "\n")
    import frontmatter

    from . import matter

    handler = frontmatter.detect_format(text, _handlers())
    if handler is None:
        raise Unreadable(
            "no front matter: start the file with a line '---', then 'title: ...' and the "
            "other fields, then '---'",
            1,
        )
    try:
        raw, body = handler.split(text)
    except ValueError:
        message = (
            f"front matter is not closed: add a line '{handler.END_DELIMITER}' after the last field"
        )
        raise Unreadable(message, 1) from None
    opening = handler.FM_BOUNDARY.match(text)
    assert opening is not None  # detect_format matched it
    first_line = text.count("\n", 0, opening.end()) + 1
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    try:
        data, key_lines = handler.load(raw)
    except matter.Refused as exc:
        raise Unreadable(exc.message, first_line + exc.line) from None
    lines = {key: first_line + line for key, line in key_lines.items()}
    document = Document({} if data is None else data, raw, first_line, body, body_line)
    return replace(document, key_lines=lines)


READERS: dict[str, type] = {suffix: MarkdownReader for suffix in MarkdownReader.suffixes}
"""Reader classes by file suffix; each is made with the site's settings."""
SOURCE_SUFFIXES = tuple(READERS)


def reader_for(rel: str, readers: dict[str, Reader]) -> Reader:
    """The reader of a source by its suffix, from ``readers`` made by ``make_readers``."""
    return readers[next(s for s in SOURCE_SUFFIXES if rel.endswith(s))]


def make_readers(config: SiteConfig) -> dict[str, Reader]:
    """One reader of each registered kind, by suffix, for this process."""
    made: dict[type, Reader] = {}
    for kind in READERS.values():
        if kind not in made:
            made[kind] = kind(config)
    return {suffix: made[kind] for suffix, kind in READERS.items()}
