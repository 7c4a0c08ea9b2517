"""Markdown -> HTML with one configured engine per process; summaries and word counts.

Engines are registered by name in ``ENGINES``; each is made once per process and reused,
since building a converter costs more than converting an article."""

from __future__ import annotations

import contextlib
import html
import re
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

import markdown

if TYPE_CHECKING:
    from .config import SiteConfig

_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|thead|tbody|tr|td|th|"
    r"figure|figcaption|section|article|aside|header|footer|nav)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]+>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_SPACE = re.compile(r"\s+")


class PythonMarkdown:
    """Python-Markdown with the site's ``markdown_extensions``."""

    def __init__(self, extensions: tuple[str, ...]):
        """Raises ImportError, AttributeError, TypeError or ValueError for an extension that
        cannot be loaded."""
        self.markdown = markdown.Markdown(extensions=list(extensions), output_format="html")

    def convert(self, text: str) -> str:
        """One body as HTML; the converter is reset, so that nothing leaks between bodies."""
        self.markdown.reset()
        return self.markdown.convert(text)


class Converter(Protocol):
    """A Markdown engine, made once per process."""

    def convert(self, text: str) -> str:
        """One body as HTML."""
        ...


ENGINES = {"markdown": PythonMarkdown}


class TooSlow(Exception):
    """A conversion ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TooSlow in the block once ``seconds`` of wall time have passed. Only in the
    main thread of a process with SIGALRM (workers and the command line are); elsewhere
    the block runs unlimited. Python-Markdown is quadratic on some input (long runs of
    ``[``), so a hostile body could otherwise stall a build for hours."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TooSlow

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def make_converter(config: SiteConfig) -> Converter:
    """The site's Markdown engine (raises as PythonMarkdown does on a bad extension)."""
    return ENGINES["markdown"](config.markdown_extensions)


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
