"""``masthead import feed FILE_OR_URL...``: the entries of RSS 0.9x, 1.0 and 2.0 and Atom
feeds, read by feedparser (which sanitizes their HTML).

A URL is fetched here (``fetch.py``: timeout, size cap, User-Agent) and only its bytes go to
feedparser. Each entry is remembered by its guid or id (a guid that is no URI is qualified
with the feed's own link, since "42" is unique only inside one feed), else by its link. Its
body is its HTML content (``content:encoded``, Atom ``content``), else its summary, turned
into Markdown by the page importer's converter, with relative links resolved against
xml:base, else the entry's link, else the feed's URL. The feed's title is the source unless
``--source`` names one. The first ``<category>`` is the category and the rest are tags.
Enclosures and Media RSS content are kept as links at the end of the body; the first image
among them (else a thumbnail) becomes the article's image.

Dates: ``published``, else dc:date or Atom ``updated``; an entry with none is imported only
when its link carries the day (``/2019/05/06/``), which is the publisher's own statement,
and says so; any other undated entry fails: a date is never invented.
"""

from __future__ import annotations

import argparse
import calendar
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..config import SiteConfig
from ..model import WARNING, Problem
from . import Draft, Failed, clues, drafting
from . import fetch as fetching
from .command import MissingLibrary
from .fetch import DEFAULT_TIMEOUT, FetchError, fetch, is_url, size_text
from .textpage import plain_markdown

HELP = "import the entries of RSS or Atom feeds (files or http(s) URLs)"
LOOKED_FOR = ("authors", "tags")
"""Optional fields reported as missing when an entry does not give them."""
HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_LINK_DATE = re.compile(
    r"/((?:1[0-9]|2[0-9])\d{2})/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])(?:/|$|[-_])"
)
_URI = re.compile(r"^[a-z][a-z0-9+.-]*:\S", re.IGNORECASE)
_SUMMARY_TAIL = re.compile(r"\s*(?:\[(?:…|\.\.\.)\]|continue reading\b.*|read more\b.*)$", re.I)


@dataclass(frozen=True)
class _Feed:
    """One parsed feed and where it came from."""

    shown: str
    parsed: Any
    key: str
    """What qualifies a guid that is no URI: the feed's link, URL or path."""
    base: str | None
    """The URL relative links fall back on: the feed's own URL when fetched, else its link."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The feed importer's own arguments."""
    parser.add_argument(
        "feeds", nargs="+", metavar="FILE_OR_URL", help="feed files, or http(s) URLs to fetch"
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds to wait for a server to answer (default: {DEFAULT_TIMEOUT:g})",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds up to 3600, not {text!r}")
    return value


def drafts(
    args: argparse.Namespace, site_path: Path, config: SiteConfig
) -> tuple[Iterator[Draft | Failed], int]:
    """The drafts of every entry of every feed named (fetched or read first), and their
    number."""
    lib = _libraries()
    defaults = drafting.Defaults.from_args(args, config)
    loaded = [_load(name, args.timeout, lib) for name in args.feeds]
    feeds = [feed for feed in loaded if isinstance(feed, _Feed)]
    failures = [feed for feed in loaded if isinstance(feed, Failed)]
    total = len(failures) + sum(len(feed.parsed.entries) for feed in feeds)

    def items() -> Iterator[Draft | Failed]:
        yield from failures
        for feed in feeds:
            notes = _feed_notes(feed)
            for number, entry in enumerate(feed.parsed.entries, start=1):
                yield _entry_draft(feed, number, entry, defaults, lib, notes if number == 1 else ())

    return items(), total


def _libraries() -> SimpleNamespace:
    try:
        import feedparser
        import lxml.html

        from . import tomarkdown
    except ImportError as exc:
        raise MissingLibrary(exc.name or "feedparser") from exc
    return SimpleNamespace(feedparser=feedparser, lxml_html=lxml.html, tomarkdown=tomarkdown)


def _load(name: str, timeout: float, lib: SimpleNamespace) -> _Feed | Failed:
    """Fetch or read one feed and parse it."""
    headers = {}
    if is_url(name):
        try:
            fetched = fetch(name, timeout)
        except FetchError as exc:
            return Failed(name, str(exc))
        body, base, key = fetched.body, fetched.url, fetched.url
        if fetched.content_type:
            headers["content-type"] = fetched.content_type
    else:
        path = Path(name)
        try:
            if path.stat().st_size > fetching.MAX_FEED_BYTES:
                return Failed(name, f"larger than {size_text(fetching.MAX_FEED_BYTES)}")
            body = path.read_bytes()
        except OSError as exc:
            return Failed(name, f"cannot read: {exc.strerror or exc}")
        base, key = None, str(path.resolve())
    # A stream, never bytes or text: feedparser opens a string that looks like a path.
    parsed = lib.feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no RSS or Atom elements"
        return Failed(name, f"not an RSS or Atom feed ({reason})")
    own_link = _http(parsed.feed.get("link"))
    return _Feed(name, parsed, own_link or key, base or own_link)


def _feed_notes(feed: _Feed) -> tuple[Problem, ...]:
    if not feed.parsed.get("bozo"):
        return ()
    reason = feed.parsed.get("bozo_exception")
    return (
        Problem(feed.shown, None, f"not well-formed ({reason}); read what could be read", WARNING),
    )


def _entry_draft(
    feed: _Feed,
    number: int,
    entry: Any,
    defaults: drafting.Defaults,
    lib: SimpleNamespace,
    notes: tuple[Problem, ...],
) -> Draft | Failed:
    shown = f"{feed.shown}: entry {number}"
    link = _http(entry.get("link"))
    origin = _origin(entry, link, feed.key)
    if origin is None:
        return Failed(shown, "no guid, id or link to remember it by")
    published, updated, how = _dates(entry, link)
    if published is None:
        return Failed(
            shown,
            "no date (published, dc:date or updated), and none in its link; nothing is invented",
        )
    if how:
        notes = (*notes, Problem(shown, None, how, WARNING))
    content, kind, content_base = _content(entry)
    base = _http(content_base) or link or feed.base
    if kind == "html":
        body, relative = lib.tomarkdown.fragment_to_markdown(content, base)
    else:
        body, relative = plain_markdown(_plain_paragraphs(content)), 0
    body, location = lib.tomarkdown.split_dateline(body)
    image, attachments = _media(entry, base, body)
    if attachments:
        body = f"{body}\n\n" + "\n\n".join(attachments) if body else "\n\n".join(attachments)
    if relative:
        notes = (
            *notes,
            Problem(
                shown,
                None,
                f"{relative} relative links or images left relative: no base URL",
                WARNING,
            ),
        )
    terms = _terms(entry)
    facts = {
        "title": _title(entry, lib),
        "date": published,
        "updated": updated,
        "category": terms[0] if terms else None,
        "tags": terms[1:],
        "source": defaults.source or clues.one_line(feed.parsed.feed.get("title")),
        "authors": _authors(entry),
        "summary": _summary(entry, content, lib),
        "image": image,
        "source_url": link,
        "location": location,
        "lang": _lang(entry, feed),
    }
    return drafting.make_draft(origin, shown, facts, body, defaults, LOOKED_FOR, notes)


def _http(value: Any) -> str | None:
    text = clues.one_line(value if isinstance(value, str) else None)
    return text if re.match(r"https?://[^/\s]", text, re.IGNORECASE) else None


def _origin(entry: Any, link: str | None, key: str) -> str | None:
    """The entry's identity: its guid or id (qualified with the feed's key when it is no
    URI), else its link."""
    ident = clues.one_line(entry.get("id"))
    if ident:
        return ident if _URI.match(ident) else f"{key}#{ident}"
    return link


def _dates(entry: Any, link: str | None) -> tuple[str | None, str | None, str | None]:
    """(date, updated, how the date was found when not from a date element)."""
    published = _when(entry, "published") or _when(entry, "created")
    updated = _when(entry, "updated")
    if published:
        return published, updated if updated != published else None, None
    if updated:
        return updated, None, None
    found = _LINK_DATE.search(urlsplit(link).path) if link else None
    if found:
        try:
            day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        except ValueError:
            return None, None, None
        return day.isoformat(), None, f"no date in the entry: {day.isoformat()} is from its link"
    return None, None, None


def _when(entry: Any, key: str) -> str | None:
    """The entry's date as written (offset kept); else feedparser's reading of it, in UTC."""
    if key not in entry:
        return None
    written = drafting.any_when(entry[key])
    if written:
        return written
    parsed = entry.get(f"{key}_parsed")
    if parsed:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
    return None


def _content(entry: Any) -> tuple[str, str, str | None]:
    """(text, ``html`` or ``text``, its xml:base): the HTML content, else any content,
    else the summary."""
    contents = list(entry.get("content") or ())
    chosen = next((c for c in contents if (c.get("type") or "").lower() in HTML_TYPES), None)
    chosen = chosen or (contents[0] if contents else entry.get("summary_detail"))
    if not chosen:
        return "", "text", None
    kind = "html" if (chosen.get("type") or "text/html").lower() in HTML_TYPES else "text"
    return chosen.get("value") or "", kind, chosen.get("base")


def _plain_paragraphs(text: str) -> list[str]:
    blocks = re.split(r"\n\s*\n", clues.clean(text))
    return [clues.one_line(block) for block in blocks if block.strip()]


def _title(entry: Any, lib: SimpleNamespace) -> str | None:
    title = entry.get("title")
    if not title:
        return None
    kind = (entry.get("title_detail") or {}).get("type") or ""
    if kind.lower() in HTML_TYPES and "<" in title:
        title = lib.lxml_html.fragment_fromstring(title, create_parent="div").text_content()
    return clues.one_line(title) or None


def _summary(entry: Any, content: str, lib: SimpleNamespace) -> str | None:
    """The entry's summary as plain text, when it is not the body itself; the feed
    software's "The post ... appeared first on ..." and "[…]" left out."""
    detail = entry.get("summary_detail") or {}
    text = entry.get("summary") or ""
    if not text or text == content:
        return None
    if (detail.get("type") or "text/html").lower() in HTML_TYPES:
        root = lib.lxml_html.fragment_fromstring(clues.clean(text), create_parent="div")
        blocks = [clues.one_line(p.text_content()) for p in root.iter("p")] or [root.text_content()]
        pattern = lib.tomarkdown.FEED_FOOTER
        text = " ".join(b for b in map(clues.one_line, blocks) if b and not pattern.match(b))
    return _SUMMARY_TAIL.sub("", clues.one_line(text)) or None


def _terms(entry: Any) -> list[str]:
    names = (clues.one_line(tag.get("label") or tag.get("term")) for tag in entry.get("tags") or ())
    return list(dict.fromkeys(name for name in names if name))


def _authors(entry: Any) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors") or ():
        names.extend(clues.split_names(author.get("name") or ""))
    if not names:
        detail = entry.get("author_detail") or {}
        names.extend(clues.split_names(detail.get("name") or entry.get("author") or ""))
    return tuple(dict.fromkeys(names))


def _lang(entry: Any, feed: _Feed) -> str | None:
    for detail in (*(entry.get("content") or ()), entry.get("title_detail") or {}):
        if detail.get("language"):
            return detail["language"]
    return feed.parsed.feed.get("language")


def _media(entry: Any, base: str | None, body: str) -> tuple[str | None, list[str]]:
    """The article's image (the first image enclosure or media:content, else a thumbnail)
    and a link line for every other enclosure and media item not already in the body."""
    items = []
    for enclosure in entry.get("enclosures") or ():
        items.append((enclosure.get("href"), enclosure.get("type"), enclosure.get("length"), None))
    for media in entry.get("media_content") or ():
        items.append(
            (media.get("url"), media.get("type"), media.get("fileSize"), media.get("medium"))
        )
    resolved = []
    for url, kind, length, medium in items:
        absolute = _http(urljoin(base, url) if base and url else url)
        if absolute and absolute not in (r[0] for r in resolved):
            resolved.append((absolute, (kind or "").lower(), length, (medium or "").lower()))
    images = [r for r in resolved if r[3] == "image" or r[1].startswith("image/")]
    thumbs = [_http(t.get("url")) for t in entry.get("media_thumbnail") or ()]
    image = images[0][0] if images else next((t for t in thumbs if t), None)
    lines = [_attachment(*r) for r in resolved if r[0] != image and r[0] not in body]
    return image, lines


def _attachment(url: str, kind: str, length: Any, medium: str) -> str:
    """One enclosure as a Markdown link: ``[Audio: episode.mp3, 12.3 MB](url)``."""
    label = (medium or kind.split("/")[0] or "file").capitalize()
    label = label if label in ("Audio", "Video", "Image") else "File"
    name = Path(urlsplit(url).path).name or urlsplit(url).hostname or url
    try:
        size = int(length)
    except (TypeError, ValueError):
        size = 0
    shown = (
        f"{name}, {size / 2**20:.1f} MB"
        if size >= 2**20
        else f"{name}, {size // 1024} KB"
        if size >= 1024
        else name
    )
    shown = shown.replace("[", "\\[").replace("]", "\\]")
    return f"[{label}: {shown}]({url})"
