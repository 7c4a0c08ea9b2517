"""A news page saved as plain text -> what it says: headline, dates, section, byline,
dateline, paragraphs and attribution, with the page furniture dropped.

The shape is the one a browser gives when a news page is copied or saved as text::

    Saturday , 23 September 2017                        <- date line (any order
    Home / International News / <headline>              <- breadcrumb   in the header)
    <headline>
    By Amina Rao                                        <- byline (optional)
    MOSCOW: <first paragraph>                           <- dateline gives the location
    <paragraphs, sub-heads such as "Missile salvo: ..." kept as written>
    Courtesy : Dawn News                                <- attribution gives the source
    Show Buttons / Share / Advertisement                <- furniture, dropped anywhere

Pure: text in, ``TextPage`` out; nothing is guessed that the text does not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import clues

MAX_TITLE = 300
"""A longer first line is a paragraph, not a headline."""
_TAGS_LINE = re.compile(r"^(?:tags|keywords|topics|ٹیگز)\s*[:：]\s*(?P<tags>\S.*)$", re.I)
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright\b)", re.I)
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]])")
_MARKDOWN_START = re.compile(r"^(#|>|[-+]|\d+[.)])")


@dataclass(frozen=True)
class TextPage:
    """What a plain-text page says; None or () where it says nothing."""

    title: str | None
    date: str | None
    updated: str | None
    category: str | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    source: str | None
    location: str | None
    paragraphs: tuple[str, ...]


@dataclass
class _Header:
    title: str | None = None
    date: str | None = None
    updated: str | None = None
    crumbs: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()


def read_text_page(text: str) -> TextPage:
    """The fields and paragraphs of one saved plain-text page."""
    lines = [clues.one_line(line) for line in clues.clean(text).split("\n")]
    lines = ["" if clues.is_furniture(line) else line for line in lines]
    header, start = _header(lines)
    body = lines[start:]
    body, source, tags, updated = _footer(body)
    paragraphs = _paragraphs(body)
    location = None
    if paragraphs:
        found = clues.dateline(paragraphs[0])
        if found:
            location, paragraphs[0] = found
    title = header.title
    if title is None and header.crumbs:
        title = header.crumbs[-1]
    category = clues.crumb_category(header.crumbs, title) if header.crumbs else None
    return TextPage(
        title=title,
        date=header.date,
        updated=header.updated or updated,
        category=category,
        authors=header.authors,
        tags=tags,
        source=source,
        location=location,
        paragraphs=tuple(paragraphs),
    )


def _header(lines: list[str]) -> tuple[_Header, int]:
    """Read the date, breadcrumb, headline and byline lines at the top, in any order; the
    body starts at the first line after the headline that is none of them."""
    header = _Header()
    for index, line in enumerate(lines):
        if not line or _header_line(header, line):
            continue
        if header.title is None and len(line) <= MAX_TITLE:
            header.title = line
            continue
        return header, index
    return header, len(lines)


def _header_line(header: _Header, line: str) -> bool:
    """Take a date, breadcrumb or byline line into the header; False for any other line."""
    when = clues.parse_date_line(line)
    if when:
        kind, value = when
        if kind == "updated":
            header.updated = header.updated or value
        else:
            header.date = header.date or value
        return True
    crumbs = clues.breadcrumb(line)
    if crumbs and not header.crumbs:
        header.crumbs = crumbs
        return True
    names = clues.byline_names(line)
    if names and not header.authors:
        header.authors = names
        return True
    return False


def _footer(
    lines: list[str],
) -> tuple[list[str], str | None, tuple[str, ...], str | None]:
    """Strip the attribution, tag, update and copyright lines at the end of the body."""
    source, tags, updated = None, (), None
    end = len(lines)
    while end:
        line = lines[end - 1]
        if not line:
            end -= 1
            continue
        named = clues.attribution(line)
        tagged = _TAGS_LINE.match(line)
        when = clues.parse_date_line(line)
        if named:
            source = source or named
        elif tagged:
            tags = tuple(t.strip() for t in re.split(r"[,،;]", tagged.group("tags")) if t.strip())
        elif when and when[0] == "updated":
            updated = when[1]
        elif not _COPYRIGHT.match(line):
            break
        end -= 1
    return lines[:end], source, tags, updated


def _paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs: one a line, as browsers copy pages; or, in a hard-wrapped file (no line
    longer than 100 characters), each block of lines between blank lines joined."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [block for block in blocks if block]
    wrapped = any(len(block) > 1 for block in blocks) and all(
        len(line) <= 100 for block in blocks for line in block
    )
    if wrapped:
        return [" ".join(block) for block in blocks]
    return [line for block in blocks for line in block]


def plain_markdown(paragraphs: tuple[str, ...] | list[str]) -> str:
    """Paragraphs of plain text as Markdown that renders exactly that text: characters
    Markdown would read as markup are escaped, ``<`` and ``&`` written as entities."""
    return "\n\n".join(_escaped(paragraph) for paragraph in paragraphs if paragraph)


def _escaped(paragraph: str) -> str:
    text = paragraph.replace("&", "&amp;").replace("<", "&lt;")
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    if text.startswith(":"):
        text = "&#58;" + text[1:]  # not a definition (Python-Markdown cannot escape ":")
    start = _MARKDOWN_START.match(text)
    if start:
        marker = start.group(1)
        text = (f"{marker[:-1]}\\{marker[-1]}" if marker[0].isdigit() else "\\" + marker) + text[
            len(marker) :
        ]
    return text
