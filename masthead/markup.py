"""Markdown -> HTML with one configured converter per process; summaries and word counts."""

from __future__ import annotations

import html
import re

import markdown

_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|thead|tbody|tr|td|th|"
    r"figure|figcaption|section|article|aside|header|footer|nav)\b[^>]*>",
    re.IGNORECASE,
)
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
    """Visible text of an HTML fragment, whitespace collapsed: block elements separate
    words, inline elements (emphasis, links, code) do not."""
    spaced = _BLOCK_TAG.sub(" ", fragment)
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", spaced))).strip()


def first_paragraph(body_html: str) -> str:
    """Plain text of the first paragraph of a rendered body ('' when there is none)."""
    match = _FIRST_PARAGRAPH.search(body_html)
    return plain_text(match.group(1)) if match else ""


def truncate_words(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, adding an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = head.rsplit(" ", 1)[0].rstrip(" ,;:.-–—") if " " in head else ""
    return (cut or text[:limit]) + "…"


def word_count(body_html: str) -> int:
    """Number of words in the visible text."""
    return len(plain_text(body_html).split())
