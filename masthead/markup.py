"""Markdown -> HTML with one configured converter per process; summaries and word counts."""

from __future__ import annotations

import html
import re

import markdown

_TAG = re.compile(r"<[^>]+>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_SPACE = re.compile(r"\s+")


def make_converter(extensions: tuple[str, ...]) -> markdown.Markdown:
    """A reusable converter with the site's extensions (raises on an unknown extension)."""
    return markdown.Markdown(extensions=list(extensions), output_format="html")


def to_html(converter: markdown.Markdown, text: str) -> str:
    """Convert one Markdown body; the converter is reset so it can be reused."""
    converter.reset()
    return converter.convert(text)


def plain_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()


def first_paragraph(body_html: str) -> str:
    """Plain text of the first paragraph of a rendered body ('' when there is none)."""
    match = _FIRST_PARAGRAPH.search(body_html)
    return plain_text(match.group(1)) if match else ""


def truncate_words(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, adding an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return (cut or text[:limit]) + "…"


def word_count(body_html: str) -> int:
    """Number of words in the visible text."""
    return len(plain_text(body_html).split())
