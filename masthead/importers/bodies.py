"""Bodies of another generator's posts -> masthead Markdown: markers, links, code.

A body is converted in two passes. The generator's own pass (Liquid tags, Hugo shortcodes)
replaces what it understands and turns what it does not into a placeholder, with a note on
the tag's line in the original. Then ``rewrite_links`` sends every link and image target
outside code to a resolver, which gives the new URL, leaves it as it is, or says why it
cannot be followed. ``Body.finish`` puts the placeholders back: text kept verbatim as
written, and every unconverted tag as visible inline code ``[unconverted: ...]``, so that no
tag vanishes, becomes a broken link or swallows the text around it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..model import WARNING, Problem

_PLACEHOLDER = re.compile("\ue000([KU])(\\d+)\ue001")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[ \t]*$|\Z)", re.M | re.S)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_INLINE_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
    r"\(\s*(?P<dest><[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?P<title>\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
_REFERENCE = re.compile(r"^(?P<lead> {0,3}\[(?P<label>[^\]\n]+)\]:[ \t]*)(?P<dest>\S+)", re.M)
_ATTRIBUTE = re.compile(
    r"(?P<lead>\b(?P<name>href|src)\s*=\s*)(?P<q>[\"'])(?P<dest>.*?)(?P=q)", re.I
)
_AUTOLINK = re.compile(r"<(?P<dest>https?://[^\s<>]+)>")


@dataclass(frozen=True)
class Target:
    """What a link target becomes: ``url`` (the new target, or the old one kept), or
    ``lost``, why it cannot be followed in the new site."""

    url: str | None = None
    lost: str | None = None
    note: str | None = None
    """Something to say about a target that is kept or rewritten (a warning)."""


Resolver = Callable[[str], Target]


class Body:
    """One body under conversion: placeholders for kept text and unconverted tags, notes."""

    def __init__(self, shown: str, first_line: int, original: str):
        self.shown = shown
        self.first_line = first_line
        self.original = original
        self.kept: list[str] = []
        self.unconverted: list[str] = []
        self.notes: list[Problem] = []

    def line_at(self, offset: int) -> int:
        """The file line of an offset in the original body."""
        return self.first_line + self.original.count("\n", 0, max(offset, 0))

    def line_of(self, text: str) -> int:
        """The file line where ``text`` first appears in the original (else the first);
        a link a tag made is looked for by its last segments (``/blog/about/``: ``about/``)."""
        segments = text.split("/")
        for start in range(len(segments)):
            part = "/".join(segments[start:])
            found = self.original.find(part) if part.strip("/") else -1
            if found >= 0:
                return self.line_at(found)
        return self.first_line

    def note(self, line: int, message: str) -> None:
        self.notes.append(Problem(self.shown, line, message, WARNING))

    def keep(self, text: str) -> str:
        """A placeholder for text that must come out exactly as it is (code, raw blocks)."""
        self.kept.append(text)
        return f"\ue000K{len(self.kept) - 1}\ue001"

    def unconverted_tag(self, tag: str, offset: int, why: str = "") -> str:
        """A placeholder for a tag masthead cannot convert, and a note on its line."""
        shown = " ".join(tag.split())
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        reason = f" ({why})" if why else ""
        self.note(self.line_at(offset), f"template tag not converted{reason}: {shown}")
        self.unconverted.append(tag)
        return f"\ue000U{len(self.unconverted) - 1}\ue001"

    def lost_marker(self, what: str) -> str:
        """A placeholder shown as ``[unconverted: what]`` (no extra note)."""
        self.unconverted.append(what)
        return f"\ue000U{len(self.unconverted) - 1}\ue001"

    def finish(self, text: str) -> str:
        """The final Markdown: kept text restored, unconverted tags as visible inline code
        (inside code blocks: as they were written)."""
        text = _restore(text, self.kept)
        fences = [m.span() for m in _FENCE.finditer(text)]

        def put(match: re.Match[str]) -> str:
            original = _PLACEHOLDER.sub(plain, self.unconverted[int(match.group(2))])
            if any(start <= match.start() < end for start, end in fences):
                return original
            return inline_code(f"[unconverted: {' '.join(original.split())}]")

        def plain(match: re.Match[str]) -> str:
            return self.unconverted[int(match.group(2))]

        return _tidy(_PLACEHOLDER.sub(put, text))


def _tidy(text: str) -> str:
    """No runs of more than one blank line outside fenced code (conversions add some)."""
    pieces, last = [], 0
    for match in _FENCE.finditer(text):
        pieces.append(re.sub(r"\n{3,}", "\n\n", text[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(re.sub(r"\n{3,}", "\n\n", text[last:]))
    return "".join(pieces)


def _restore(text: str, kept: list[str]) -> str:
    for _round in range(3):  # kept text may hold placeholders of its own (code in a raw block)
        new = re.sub("\ue000K(\\d+)\ue001", lambda m: kept[int(m.group(1))], text)
        if new == text:
            break
        text = new
    return text


def inline_code(text: str) -> str:
    """``text`` as a Markdown code span, with enough backticks around it."""
    runs = [len(r) for r in re.findall("`+", text)]
    ticks = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fenced(code: str, language: str = "") -> str:
    """A fenced code block holding ``code`` exactly (fence longer than any run inside)."""
    runs = [len(r) for r in re.findall("`{3,}", code)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    code = code.strip("\n")
    return f"\n\n{fence}{language}\n{code}\n{fence}\n\n"


def figure(src: str, alt: str = "", caption: str = "", title: str = "", link: str = "") -> str:
    """An image with its caption, as an HTML figure block (links in it are rewritten later)."""
    attrs = f' src="{html.escape(src)}" alt="{html.escape(alt or caption)}"'
    if title:
        attrs += f' title="{html.escape(title)}"'
    image = f"<img{attrs}>"
    if link:
        image = f'<a href="{html.escape(link)}">{image}</a>'
    caption_html = f"\n<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"\n\n<figure>\n{image}{caption_html}\n</figure>\n\n"


def rewrite_links(text: str, body: Body, resolve: Resolver) -> str:
    """Every link and image target outside code, sent through ``resolve``."""
    pieces = []
    last = 0
    for start, end in _code_spans(text):
        pieces.append(_rewrite_prose(text[last:start], body, resolve))
        pieces.append(text[start:end])
        last = end
    pieces.append(_rewrite_prose(text[last:], body, resolve))
    return "".join(pieces)


def _code_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _FENCE.finditer(text)]
    for match in _CODE_SPAN.finditer(text):
        if not any(s <= match.start() < e for s, e in spans):
            spans.append(match.span())
    return sorted(spans)


def _rewrite_prose(text: str, body: Body, resolve: Resolver) -> str:
    def target(dest: str) -> Target:
        found = resolve(dest)
        if placeholder_in(dest):  # the tag in it has its note already
            return found
        if found.note:
            body.note(body.line_of(dest), found.note)
        if found.lost:
            body.note(body.line_of(dest), f"link to {dest} not converted: {found.lost}")
        return found

    def inline(match: re.Match[str]) -> str:
        dest = match.group("dest")
        bare = dest[1:-1] if dest.startswith("<") else dest
        found = target(_unescape(bare))
        if found.lost:
            marker = bare if placeholder_in(bare) else body.lost_marker(f"link: {bare}")
            shown = _rewrite_prose(match.group("text"), body, resolve)
            return f"{shown} {marker}" if not match.group("bang") else marker
        title = match.group("title") or ""
        shown = _rewrite_prose(match.group("text"), body, resolve)
        return f"{match.group('bang')}[{shown}]({_markdown_dest(found.url)}{title})"

    def reference(match: re.Match[str]) -> str:
        found = target(match.group("dest"))
        if found.lost:
            dest = match.group("dest")
            return (
                dest
                if placeholder_in(dest)
                else body.lost_marker(f"[{match.group('label')}]: {dest}")
            )
        return match.group("lead") + _markdown_dest(found.url)

    def attribute(match: re.Match[str]) -> str:
        found = target(html.unescape(match.group("dest")))
        if found.lost:
            return f"data-unconverted-{match.group('name').lower()}={match.group('q')}{match.group('dest')}{match.group('q')}"
        return f"{match.group('lead')}{match.group('q')}{html.escape(found.url or '')}{match.group('q')}"

    def autolink(match: re.Match[str]) -> str:
        found = target(match.group("dest"))
        return f"<{found.url}>" if not found.lost and found.url else match.group(0)

    text = _INLINE_LINK.sub(inline, text)
    text = _REFERENCE.sub(reference, text)
    text = _ATTRIBUTE.sub(attribute, text)
    return _AUTOLINK.sub(autolink, text)


def _unescape(dest: str) -> str:
    return re.sub(r"\\([()<>\\ ])", r"\1", dest)


def _markdown_dest(url: str | None) -> str:
    url = url or ""
    return f"<{url}>" if any(c in url for c in " ()") else url


def html_to_markdown(text: str) -> str:
    """An HTML body as Markdown, by html-to-markdown (import on first use)."""
    import html_to_markdown as converter

    result = converter.convert(text)
    return result if isinstance(result, str) else result.content


def placeholder_in(text: str) -> bool:
    """True when ``text`` holds an unconverted tag's placeholder."""
    return "\ue000U" in text
