"""Every URL and output-path rule of the site, and nowhere else.

Internal URLs are site-relative POSIX strings without a leading slash: ``""`` is the home
page, ``"2017/09/"`` a month archive. ``href`` turns one into a link that honours a sub-path
``base_url``; ``output_rel`` into the file that serves it.
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import datetime
from urllib.parse import quote, unquote, urlsplit

from .taxonomy import BY_KIND
from .text import CONTROL, SPACE_OR_CONTROL

ARCHIVE_URL = "archive/"
CORRECTIONS_URL = "corrections/"
NOT_FOUND_FILE = "404.html"
STATIC_PREFIX = "static/"
ATOM_FILE = "feed.xml"
REDIRECTS_FILE = "_redirects"
RESERVED_PREFIX = ".masthead"
SEARCH_URL = "search/"
"""The search page in the site's language; another language's is ``search/<lang>/``."""
SEARCH_BUNDLE = "pagefind/"
"""The folder the search index (Pagefind's bundle) is written to."""
"""Names in the output folder that belong to masthead itself (its manifest, its staging)."""
MAX_SEGMENT_BYTES = 255
"""The longest file or folder name, in UTF-8 bytes, that an output path may have."""
MAX_SLUG_BYTES = MAX_SEGMENT_BYTES - len(".html")
"""The longest slug, in UTF-8 bytes: it must fit one segment with an ``.html`` suffix."""
DEFAULT_SLUG_LENGTH = 80
PERMALINK_FIELDS = ("year", "month", "day", "slug", "category")
_SLUG_PUNCTUATION = frozenset("-_.~")
_HYPHENS = re.compile(r"-{2,}")


def _is_word_character(char: str) -> bool:
    """Letters, digits and combining marks (vowel signs, accents, harakat) of any script."""
    return unicodedata.category(char)[0] in "LMN"


def slugify(text: str, max_length: int = DEFAULT_SLUG_LENGTH) -> str:
    """Lower-case URL slug: words joined by hyphens; non-Latin letters are kept as they are.

    A slug longer than ``max_length`` characters, or than ``MAX_SLUG_BYTES`` in UTF-8, is cut
    at the last hyphen that fits (within one long word, between two characters)."""
    return cut_slug(slug_words(text), max_length)


def slug_words(text: str) -> str:
    """The slug of ``text`` before any cut: every word, lower-case, joined by hyphens."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    chars = "".join(c if _is_word_character(c) else "-" for c in normal)
    slug = _HYPHENS.sub("-", chars).strip("-")
    # A slug starts with a letter or digit (slug_problem): not with a mark left alone.
    while slug and unicodedata.category(slug[0])[0] == "M":
        slug = slug[1:].lstrip("-")
    return slug


def cut_slug(slug: str, max_length: int) -> str:
    """``slug`` cut to ``max_length`` characters and ``MAX_SLUG_BYTES`` bytes at a word
    boundary; never between a letter and its combining marks."""
    if len(slug) <= max_length and len(slug.encode("utf-8", "surrogatepass")) <= MAX_SLUG_BYTES:
        return slug
    end, size = 0, 0
    while end < min(len(slug), max_length):
        size += len(slug[end].encode("utf-8", "surrogatepass"))
        if size > MAX_SLUG_BYTES:
            break
        end += 1
    if slug[end] != "-":
        boundary = slug.rfind("-", 0, end)
        if boundary > 0:
            end = boundary
        else:
            while end > 1 and unicodedata.category(slug[end])[0] == "M":
                end -= 1
    return slug[:end].strip("-")


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` is not safe as one URL segment, or None when it is."""
    if "\x00" in slug:
        return "must not contain a NUL character"
    if "/" in slug or "\\" in slug:
        return "must not contain '/' or '\\' (a slug is one URL segment)"
    if ".." in slug:
        return "must not contain '..'"
    first_is_word = bool(slug) and unicodedata.category(slug[0])[0] in "LN"
    if not first_is_word or not all(_is_word_character(c) or c in _SLUG_PUNCTUATION for c in slug):
        return (
            "may hold only letters, digits, '-', '_', '.' and '~', starting with a letter or digit"
        )
    size = len(slug.encode("utf-8", "surrogatepass"))
    if size > MAX_SLUG_BYTES:
        return (
            f"is {size} bytes long in UTF-8; a slug may have at most {MAX_SLUG_BYTES} bytes, "
            f"so that it fits in a file name: shorten it"
        )
    return None


def decode_alias(alias: str) -> str | None:
    """An old URL as the file that serves it is named: percent-escapes decoded (old URLs are
    copied from logs and address bars, encoded); None when they are not valid UTF-8."""
    if "%" not in alias:
        return alias
    try:
        return unquote(alias, errors="strict")
    except UnicodeDecodeError:
        return None


def alias_problem(alias: str) -> str | None:
    """Why an old URL (decoded) cannot be redirected safely inside the output, or None."""
    if "\x00" in alias:
        return "must not contain a NUL character"
    if CONTROL.search(alias):
        return "must not contain control characters (tabs, line breaks...)"
    if "?" in alias or "#" in alias:
        return "must be a path without '?' or '#': a static host serves files, not queries"
    if "\\" in alias or "://" in alias or alias.startswith("//"):
        return "must be a path on this site such as /old/2017/story.html"
    segments = alias.strip("/").split("/")
    if any(s in ("", ".", "..") for s in segments):
        return "must not contain empty, '.' or '..' segments"
    if any(s.startswith(".") for s in segments):
        return "must not have a segment starting with '.' (hidden files belong to masthead and the host)"
    longest = max(len(s.encode("utf-8", "surrogatepass")) for s in segments)
    if longest > MAX_SEGMENT_BYTES:
        return (
            f"has a segment of {longest} bytes in UTF-8; a file or folder name may have at most "
            f"{MAX_SEGMENT_BYTES} bytes: shorten it"
        )
    return None


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) URL that every tool can parse, or None."""
    if SPACE_OR_CONTROL.search(url):
        return "must not contain spaces or control characters (write a space as %20)"
    try:
        parts = urlsplit(url)
        port = parts.port  # parsed on demand; raises for a port that is not a number 0-65535
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an absolute http(s) URL"
    if port == 0:
        return "has port 0, which no server listens on"
    return None


def permalink_problem(pattern: str) -> str | None:
    """Why a permalink pattern cannot make safe article URLs, or None when it can.

    Only the plain placeholders of ``PERMALINK_FIELDS`` are accepted: no format specs,
    conversions, attribute or index access, and no braces outside placeholders."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError:
        return "has an unmatched '{' or '}'; placeholders are written {year}, {slug}..."
    known = ", ".join("{" + name + "}" for name in PERMALINK_FIELDS)
    names = []
    for literal, name, spec, conversion in parsed:
        if "{" in literal or "}" in literal:
            return "must not contain '{{' or '}}'; braces are only for placeholders"
        if name is None:
            continue
        if name not in PERMALINK_FIELDS:
            return f"has an unknown placeholder {{{name}}}; use only {known}"
        if spec or conversion:
            written = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            return f"has the placeholder {written}; write placeholders plainly: {known}"
        names.append(name)
    if "slug" not in names:
        return "must contain {slug} so that every article gets its own URL"
    if not pattern.endswith(("/", ".html")):
        return 'must end with "/" (pretty URLs) or ".html"'
    segments = pattern.split("/")[:-1] if pattern.endswith("/") else pattern.split("/")
    if any(s in ("", ".", "..") or s.startswith(".") for s in segments):
        return "must not have empty segments, '.' or '..', or segments starting with '.'"
    if CONTROL.search(pattern) or any(c in pattern for c in "\\?#%"):
        return "must not contain control characters, backslashes, '?', '#' or '%'"
    return None


FILE_SUFFIXES = (".html", ".htm")
"""URLs ending so are served by a file of that name; every other URL is a folder."""


def normalise_alias(alias: str) -> str:
    """Site-relative form of a valid alias, made like an article URL: a page ending in
    ``.html`` or ``.htm`` is that file, any other path a folder (``index.html`` inside), so
    that static hosts serve the redirect as a page: ``/old/story.html`` -> ``old/story.html``,
    ``/en/release/v8.1.2`` -> ``en/release/v8.1.2/``."""
    rel = alias.strip("/")
    if rel.endswith("/index.html"):
        rel = rel.removesuffix("index.html").rstrip("/")
        return rel + "/"
    return rel if rel.lower().endswith(FILE_SUFFIXES) else rel + "/"


def article_url(pattern: str, date: datetime, slug: str, category_slug: str) -> str:
    """The article's site-relative URL from the permalink pattern."""
    return pattern.format(
        year=f"{date.year:04d}",
        month=f"{date.month:02d}",
        day=f"{date.day:02d}",
        slug=slug,
        category=category_slug,
    )


def term_url(kind: str, slug: str) -> str:
    """URL of one category, tag, source or author: ``category/<slug>/``."""
    return f"{kind}/{slug}/"


def listing_url(kind: str) -> str:
    """URL of the page listing every term of one taxonomy: ``categories/``."""
    return f"{BY_KIND[kind].plural.lower()}/"


def feed_url(base: str) -> str:
    """The Atom feed of a listing at ``base`` ("" for the whole site)."""
    return base + ATOM_FILE


def is_reserved(rel: str) -> bool:
    """True for paths in the output folder that belong to masthead itself."""
    return any(part.startswith(RESERVED_PREFIX) for part in rel.split("/"))


def period_url(key: tuple[int, ...]) -> str:
    """URL of a year (2017,), month (2017, 9) or day (2017, 9, 23) archive."""
    first, *rest = key
    return "/".join([f"{first:04d}", *(f"{part:02d}" for part in rest)]) + "/"


ON_THIS_DAY_PREFIX = "on-this-day/"


def on_this_day_url(month: int, day: int) -> str:
    """URL of the page listing a day of the year's articles from every year:
    ``on-this-day/09-23/`` (``on-this-day/02-29/`` too, whatever the years)."""
    return f"{ON_THIS_DAY_PREFIX}{month:02d}-{day:02d}/"


def paginated_url(base: str, number: int) -> str:
    """URL of page ``number`` (1-based) of a listing at ``base``."""
    return base if number == 1 else f"{base}page/{number}/"


def output_rel(url: str) -> str:
    """The output file (relative to the output folder) that serves a site-relative URL."""
    if url == "" or url.endswith("/"):
        return url + "index.html"
    return url


MAX_PATH_BYTES = 3800
"""Longest output path we write, relative to the output folder: PATH_MAX (4096 bytes on
Linux) less room for the output folder's own location."""


def output_path_problem(rel: str) -> str | None:
    """Why no file system could hold the output file ``rel``, or None."""
    parts = rel.split("/")
    if (
        rel.startswith("/")
        or "\\" in rel
        or "\x00" in rel
        or any(p in ("", ".", "..") for p in parts)
    ):
        return "is not a path inside the output folder"
    too_long = [
        s for s in rel.split("/") if len(s.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES
    ]
    if too_long:
        size = len(too_long[0].encode("utf-8", "surrogatepass"))
        return f"has a name of {size} bytes, over the {MAX_SEGMENT_BYTES} a file system allows"
    if len(rel.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"is longer than the {MAX_PATH_BYTES} bytes a file path may have"
    if is_reserved(rel):
        return "would overwrite one of masthead's own files"
    return None


def search_url(lang: str, site_language: str) -> str:
    """The search page for readers of ``lang``: it loads the index of that language."""
    tag = lang.lower()
    return SEARCH_URL if tag == site_language.lower() else f"{SEARCH_URL}{tag}/"


def href(base_path: str, url: str) -> str:
    """Link to a site-relative URL under the site's base path, percent-encoded."""
    return base_path + quote(url, safe="/~.-_")


def absolute(base_url: str, url: str) -> str:
    """Absolute URL of a site-relative URL."""
    return base_url + quote(url, safe="/~.-_")
