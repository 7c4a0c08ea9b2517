"""Links in article bodies made absolute, for feeds.

A page resolves ``href="/2017/09/"`` or ``src="photo.jpg"`` against its own address; a feed
reader shows the body somewhere else and cannot. ``absolute_links(html, base)`` rewrites
every URL attribute of a body (``href``, ``src``, ``srcset``, ``poster``, ``cite``,
``action``, ``data`` of ``<object>``...) to the absolute URL a browser would resolve it to
on the article's own page, and leaves every other byte as it was.

The standard library's ``html.parser`` finds the start tags (so that comments, ``<script>``
and ``<style>`` contents are left alone, as a browser would); the attributes of a tag that
needs a change are then read from its source text, so that only their values are replaced.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.entities import html5 as _ENTITIES
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Attributes that hold one URL, on any element (SVG's <a>, <image> and <use> included).
URL_ATTRIBUTES = frozenset(
    {"href", "src", "poster", "cite", "action", "formaction", "background", "longdesc",
     "codebase", "xlink:href", "itemid"}
)  # fmt: skip
SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
"""Comma-separated image candidates: a URL, then optional width or density descriptors."""
LIST_ATTRIBUTES = frozenset({"ping", "archive"})
"""Space-separated lists of URLs."""
TAG_URL_ATTRIBUTES = {"object": frozenset({"data"})}

_ANY_URL_ATTRIBUTE = re.compile(
    r"\b(?:href|src|srcset|imagesrcset|poster|cite|action|formaction|background|longdesc|"
    r"codebase|itemid|ping|archive|data)\s*=",
    re.IGNORECASE,
)
_TAG_NAME = re.compile(r"<[^\s/>]+")
_ATTRIBUTE = re.compile(r"""[\s/]*([^\s/>][^\s/=>]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
_SPECIAL_SCHEMES = ("http", "https", "ws", "wss", "ftp", "file")
_STRIPPED = "".join(map(chr, range(0x21)))  # C0 controls and space, as the URL standard strips
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")


def absolute_links(body: str, base: str) -> str:
    """``body`` (an HTML fragment) with every URL attribute resolved against ``base``, the
    absolute URL of the page it belongs to; always plain text (``str``), to be escaped."""
    return _absolute_links(str(body), base)


@lru_cache(maxsize=512)  # one article sits in several feeds: the site's, its category's...
def _absolute_links(body: str, base: str) -> str:
    if "=" not in body or not _ANY_URL_ATTRIBUTE.search(body):
        return body  # most bodies: nothing to do, and no parsing
    finder = _StartTags()
    finder.feed(body)
    finder.close()
    line_starts = [0, *(m.end() for m in re.finditer("\n", body))]
    pieces, done = [], 0
    for (line, column), text in finder.tags:
        start = line_starts[line - 1] + column
        if body.startswith(text, start):  # always, unless the parser's positions disagree
            new = rewrite_tag(text, base)
            if new != text:
                pieces += [body[done:start], new]
                done = start + len(text)
    return "".join(pieces) + body[done:] if pieces else body


class _StartTags(HTMLParser):
    """Records the position and source text of every start tag with a URL attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: list[tuple[tuple[int, int], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = self.get_starttag_text()
        if text and _ANY_URL_ATTRIBUTE.search(text):
            self.tags.append((self.getpos(), text))

    handle_startendtag = handle_starttag


def rewrite_tag(text: str, base: str) -> str:
    """One start tag's source with its URL attributes resolved against ``base``."""
    name = _TAG_NAME.match(text)
    if not name:
        return text
    tag = name.group()[1:].lower()
    extra = TAG_URL_ATTRIBUTES.get(tag, frozenset())
    pieces, done, at = [], 0, name.end()
    while (match := _ATTRIBUTE.match(text, at)) and match.end() > at:
        at = match.end()
        attribute, raw = match.group(1).lower(), match.group(2)
        if raw is None or not (
            attribute in URL_ATTRIBUTES
            or attribute in SRCSET_ATTRIBUTES
            or attribute in LIST_ATTRIBUTES
            or attribute in extra
        ):
            continue
        quoted = raw[:1] in "\"'" and len(raw) >= 2 and raw[-1] == raw[0]
        value = attribute_value(raw[1:-1] if quoted else raw)
        if attribute in SRCSET_ATTRIBUTES:
            new = resolve_srcset(value, base)
        elif attribute in LIST_ATTRIBUTES:
            new = " ".join(resolve(base, part) for part in value.split())
        else:
            new = resolve(base, value)
        if new != value:
            pieces += [text[done : match.start(2)], '"' + html.escape(new, quote=True) + '"']
            done = match.end(2)
    return "".join(pieces) + text[done:] if pieces else text


def resolve(base: str, reference: str) -> str:
    """The absolute URL a browser makes of ``reference`` on the page at ``base``: surrounding
    spaces and controls dropped, tabs and newlines removed, ``\\`` read as ``/`` in the path
    of a web URL; references with another scheme (``mailto:``, ``data:``) stay as they are."""
    reference = _TAB_OR_NEWLINE.sub("", reference.strip(_STRIPPED))
    scheme = _scheme(reference)
    if scheme and scheme not in _SPECIAL_SCHEMES:
        return reference
    path_end = min((i for i in (reference.find("?"), reference.find("#")) if i >= 0), default=None)
    reference = reference[:path_end].replace("\\", "/") + (
        reference[path_end:] if path_end is not None else ""
    )
    try:
        return urljoin(base, reference)
    except ValueError:  # an invalid IPv6 host ("//[::") : a browser fails too; keep it
        return reference


def resolve_srcset(value: str, base: str) -> str:
    """A ``srcset`` with each candidate's URL resolved (descriptors kept)."""
    candidates, at, end = [], 0, len(value)
    while at < end:
        while at < end and (value[at].isspace() or value[at] == ","):
            at += 1
        start = at
        while at < end and not value[at].isspace():
            at += 1
        url = value[start:at]
        if not url:
            break
        descriptors = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start, depth = at, 0
            while at < end and (value[at] != "," or depth):
                depth += {"(": 1, ")": -1 if depth else 0}.get(value[at], 0)
                at += 1
            descriptors = value[start:at].strip()
            at += 1
        candidates.append(resolve(base, url) + (" " + descriptors if descriptors else ""))
    return ", ".join(candidates)


def attribute_value(raw: str) -> str:
    """An attribute's text with character references decoded as a browser decodes them in
    attributes: a named reference without ``;`` followed by a letter, a digit or ``=``
    (``?a=1&copy=2``) is left as written."""

    def decode(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#"):
            return html.unescape(match.group())
        if ref.endswith(";"):
            return _ENTITIES.get(ref, match.group())
        for length in range(len(ref), 1, -1):  # the longest legacy name without ";"
            if ref[:length] in _ENTITIES:
                following = raw[match.start() + 1 + length : match.start() + 2 + length]
                if following.isalnum() or following == "=":
                    return match.group()
                return _ENTITIES[ref[:length]] + ref[length:]
        return match.group()

    return _CHARACTER_REFERENCE.sub(decode, raw) if "&" in raw else raw


def _scheme(reference: str) -> str | None:
    try:
        scheme = urlsplit(reference).scheme
    except ValueError:
        return None
    return scheme.lower() or None
