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

# The engines' libraries are imported when an engine is made, not with this module: a build
# with nothing to convert (nothing changed) never loads them.

if TYPE_CHECKING:
    from .config import SiteConfig

_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|thead|tbody|tr|td|th|"
    r"figure|figcaption|section|article|aside|header|footer|nav)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]+>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


class PythonMarkdown:
    """Python-Markdown with the site's ``markdown_extensions``."""

    def __init__(self, extensions: tuple[str, ...]):
        """Raises ImportError, AttributeError, TypeError or ValueError for an extension that
        cannot be loaded."""
        import markdown

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


_FOOTNOTE_REF = re.compile(r'<sup class="footnote-reference"><a href="#([^"]*)">(\d+)</a></sup>')
_FOOTNOTE_DEF = re.compile(
    r'<div class="footnote-definition" id="([^"]*)"><sup class="footnote-definition-label">'
    r"(\d+)</sup>\n"
)
_XHTML_VOID = re.compile(r'(<img src="[^"<>]*" alt="[^"<>]*"(?: title="[^"<>]*")?) />')
"""An image as pulldown-cmark writes it (XHTML style)."""
_DIV = re.compile(r"<div\b|</div>", re.IGNORECASE)
_LAST_PARAGRAPH_END = re.compile(r"</p>\s*\Z")


class Pyromark:
    """CommonMark with GitHub's tables, footnotes and strikethrough, definition lists and
    heading attributes: pulldown-cmark (Rust) through pyromark, hundreds of times faster
    than Python-Markdown. Raw HTML passes through as written, as with Python-Markdown;
    footnotes are rewritten into Python-Markdown's markup (``fnref:``/``fn:`` ids, one
    list at the end with back links), so that themes style both engines alike.
    ``markdown_extensions`` does not apply (docs/content.md lists the differences)."""

    def __init__(self, extensions: tuple[str, ...] = ()):
        """Raises ImportError when pyromark is not installed."""
        pyromark = _pyromark()
        if pyromark is None:
            raise ImportError(ENGINE_MISSING)
        options = pyromark.Options
        self.markdown = pyromark.Markdown(
            options=options.ENABLE_TABLES
            | options.ENABLE_FOOTNOTES
            | options.ENABLE_STRIKETHROUGH
            | options.ENABLE_DEFINITION_LIST
            | options.ENABLE_HEADING_ATTRIBUTES
        )

    def convert(self, text: str) -> str:
        """One body as HTML, without the final newline (as Python-Markdown gives it), its
        void elements written as HTML (``<br>``, not ``<br />``) like the rest of a page."""
        body = self.markdown.html(text)
        if 'class="footnote-definition"' in body:
            body = python_markdown_footnotes(body)
        if " />" in body:
            body = _XHTML_VOID.sub(r"\1>", body.replace("<br />", "<br>").replace("<hr />", "<hr>"))
        return body.rstrip("\n")


def python_markdown_footnotes(body: str) -> str:
    """pulldown-cmark's footnotes (each definition where it was written, numbered in the
    order of first reference, ids that are the bare labels) as Python-Markdown's:
    references ``<sup id="fnref:L">`` numbered in the order the notes are defined, and
    every definition, in that order, in one ``<div class="footnote">`` list at the end,
    with a link back to each reference (none for a note nothing refers to)."""
    notes: list[tuple[str, str]] = []  # (label, inner HTML)
    kept: list[str] = []
    position = 0
    for start in _FOOTNOTE_DEF.finditer(body):
        if start.start() < position:  # a definition inside a definition: left where it is
            continue
        end = _matching_div_end(body, start.end())
        kept.append(body[position : start.start()])
        notes.append((start.group(1), body[start.end() : end].rstrip("\n")))
        position = end + len("</div>\n") if body.startswith("</div>\n", end) else end
    kept.append(body[position:])
    numbers: dict[str, int] = {}
    for label, _ in notes:
        numbers.setdefault(label, len(numbers) + 1)
    seen: dict[str, int] = {}

    def reference(match: re.Match[str]) -> str:
        label = match.group(1)
        number = numbers.get(label, match.group(2))
        seen[label] = seen.get(label, 0) + 1
        ref_id = f"fnref:{label}" if seen[label] == 1 else f"fnref{seen[label]}:{label}"
        return f'<sup id="{ref_id}"><a class="footnote-ref" href="#fn:{label}">{number}</a></sup>'

    text = _FOOTNOTE_REF.sub(reference, "".join(kept)).rstrip("\n")
    inners = [_FOOTNOTE_REF.sub(reference, inner) for _, inner in notes]
    items = []
    for (label, _), inner in zip(notes, inners, strict=True):
        back = "".join(
            f'<a class="footnote-backref" href="#fnref{n if n > 1 else ""}:{label}" '
            f'title="Jump back to footnote {numbers[label]} in the text">&#8617;</a>'
            for n in range(1, seen.get(label, 0) + 1)
        )
        last = _LAST_PARAGRAPH_END.search(inner)
        if back and last:
            inner = f"{inner[: last.start()]}&#160;{back}</p>"
        elif back:
            inner = f"{inner}\n<p>{back}</p>" if inner else f"<p>{back}</p>"
        items.append(f'<li id="fn:{label}">\n{inner}\n</li>')
    return f'{text}\n<div class="footnote">\n<hr>\n<ol>\n' + "\n".join(items) + "\n</ol>\n</div>\n"


def _matching_div_end(body: str, start: int) -> int:
    """Where the ``</div>`` closing the div opened just before ``start`` begins (the end
    of the body when raw HTML inside leaves it unclosed)."""
    depth = 1
    for tag in _DIV.finditer(body, start):
        depth += -1 if tag.group().startswith("</") else 1
        if depth == 0:
            return tag.start()
    return len(body)


ENGINES = {"markdown": PythonMarkdown, "pyromark": Pyromark}
"""Markdown engines by the name ``markdown_engine`` gives them."""
DEFAULT_ENGINE = "markdown"
ENGINE_MISSING = (
    'markdown_engine = "pyromark" needs the pyromark package: '
    "pip install 'masthead[fast]' (or pip install 'pyromark>=0.10,<0.11')"
)


def _pyromark():
    """The pyromark module, or None when it is not installed (``masthead[fast]``)."""
    try:
        import pyromark
    except ImportError:
        return None
    return pyromark


def engine_version(name: str) -> str:
    """The engine and the version of the library behind it (part of the parse print)."""
    if name == "pyromark":
        pyromark = _pyromark()
        return f"pyromark {pyromark.__version__ if pyromark else 'missing'}"
    import markdown

    return f"markdown {markdown.__version__}"


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
    """The site's Markdown engine (raises as PythonMarkdown does on a bad extension, and
    ImportError when the engine's library is not installed)."""
    return ENGINES[config.markdown_engine](config.markdown_extensions)


def plain_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed: block elements separate
    words, inline elements (emphasis, links, code) do not."""
    # str.split() knows the same white space as the regex \s, at a tenth of the cost of
    # replacing each of a body's hundreds of runs with a regex.
    return " ".join(_visible_words(fragment))


def _visible_words(fragment: str) -> list[str]:
    spaced = _BLOCK_TAG.sub(" ", fragment)
    return html.unescape(_TAG.sub("", spaced)).split()


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
    return len(_visible_words(body_html))
