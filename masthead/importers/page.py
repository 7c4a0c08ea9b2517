"""``masthead import page FILE...``: saved news pages, HTML or plain text.

HTML: the facts come from the page's JSON-LD, its ``<meta>`` tags, its markup and
trafilatura, each field from the first place in ``PRECEDENCE`` that gives it; htmldate
reads the date when none of them does. The body is trafilatura's extraction (furniture
marked beforehand by ``tomarkdown.mark_furniture`` is pruned), back to HTML and on to
Markdown with html-to-markdown; a page trafilatura finds nothing in falls back to its
article element. Plain text: ``textpage.read_text_page``.

The original is remembered by its canonical URL, or else by its absolute path.
"""

from __future__ import annotations

import argparse
import codecs
import re
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urljoin

from ..config import SiteConfig
from ..model import WARNING, Problem
from . import Draft, Failed, clues, drafting
from .command import MissingLibrary
from .textpage import plain_markdown, read_text_page

HELP = "import saved news pages (HTML or plain text files, or folders of them)"
HTML_SUFFIXES = frozenset([".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp"])
TEXT_SUFFIXES = frozenset((".txt", ".text"))
MAX_PAGE_BYTES = 20 * 1024 * 1024
HTML_LOOKED_FOR = ("authors", "tags", "source_url")
TEXT_LOOKED_FOR = ("authors", "tags")
"""Optional fields reported as missing when the page does not give them."""
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "title": ("jsonld", "meta", "markup", "trafilatura"),
    "date": ("jsonld", "meta", "markup", "trafilatura", "htmldate", "body"),
    "updated": ("jsonld", "meta", "markup", "body"),
    "authors": ("jsonld", "meta", "markup", "trafilatura", "body"),
    "category": ("jsonld", "meta", "crumbs", "trafilatura"),
    "tags": ("jsonld", "meta", "trafilatura"),
    "summary": ("jsonld", "meta", "trafilatura"),
    "image": ("jsonld", "meta", "trafilatura"),
    "source": ("jsonld", "meta", "trafilatura"),
    "source_url": ("markup", "meta", "jsonld", "trafilatura"),
    "location": ("body", "jsonld"),
    "lang": ("jsonld", "markup", "meta"),
}
"""For each field, the places tried in order: ``jsonld`` (the article node), ``meta``
(OpenGraph, ``article:``, ``<meta name>``), ``markup`` (``<html lang>``, canonical link,
``<time>`` marked published or updated, byline, ``<h1>``), ``crumbs`` (the breadcrumb, JSON-LD's or the page's), ``trafilatura``,
``htmldate``, ``body`` (a dateline, byline or date line opening the body)."""
DATE_PARAMS = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
"""htmldate's settings: the original publication date, from the markup and the URL only
(its search of the whole text takes a year from a copyright line or a date the story
mentions, which would be inventing one)."""
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_LOOKS_HTML = re.compile(r"<(?:!doctype\s+html|html|head|body|article|p|div)\b", re.IGNORECASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The page importer's own arguments."""
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="saved pages (.html, .htm, .txt) or folders of them",
    )


def drafts(
    args: argparse.Namespace, site_path: Path, config: SiteConfig
) -> tuple[Iterator[Draft | Failed], int]:
    """The drafts of every page named, and how many inputs there are."""
    inputs = list(_inputs(args.files))
    kinds = [(shown, path, _kind(path)) for shown, path in inputs if path is not None]
    libraries = _libraries() if any(kind == "html" for _, _, kind in kinds) else None
    defaults = drafting.Defaults.from_args(args, config)

    def items() -> Iterator[Draft | Failed]:
        for shown, path in inputs:
            if path is None:
                yield Failed(shown, "no such file or folder")
            else:
                yield _draft(shown, path, defaults, libraries)

    return items(), len(inputs)


def _inputs(names: list[str]) -> Iterator[tuple[str, Path | None]]:
    """(as shown, the file) for every file named or found in a folder named."""
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in HTML_SUFFIXES | TEXT_SUFFIXES
            )  # fmt: skip
            for file in found:
                yield str(file), file
        elif path.is_file():
            yield name, path
        else:
            yield name, None


def _kind(path: Path) -> str:
    """``html`` or ``text``: by the file's suffix, else by a look at its start."""
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    try:
        with path.open("rb") as handle:
            start = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return "text"
    return "html" if _LOOKS_HTML.search(start) else "text"


def _libraries() -> SimpleNamespace:
    try:
        import htmldate
        import lxml.html
        import trafilatura
        from lxml import etree

        from . import pagemeta, tomarkdown
    except ImportError as exc:
        raise MissingLibrary(exc.name or "trafilatura") from exc
    return SimpleNamespace(
        htmldate=htmldate, lxml_html=lxml.html, etree=etree, trafilatura=trafilatura,
        pagemeta=pagemeta, tomarkdown=tomarkdown,
    )  # fmt: skip


def _draft(
    shown: str, path: Path, defaults: drafting.Defaults, libraries: SimpleNamespace | None
) -> Draft | Failed:
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            return Failed(shown, f"larger than {MAX_PAGE_BYTES // 2**20} MB; not a saved page")
        data = path.read_bytes()
    except OSError as exc:
        return Failed(shown, f"cannot read: {exc.strerror or exc}")
    origin = str(path.resolve())
    if _kind(path) == "text":
        text = _decode_text(data)
        if text is None:
            return Failed(shown, "not UTF-8 text; save the page as UTF-8")
        return _text_draft(shown, origin, text, defaults)
    assert libraries is not None
    text = _decode_html(data)
    if text is None:
        return Failed(shown, "not UTF-8, and no charset declared that decodes it")
    return _html_draft(shown, origin, text, defaults, libraries)


def _decode_text(data: bytes) -> str | None:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _decode_html(data: bytes) -> str | None:
    text = _decode_text(data)
    if text is not None:
        return text
    declared = _CHARSET.search(data[:8192])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            return None
    return None


def _text_draft(shown: str, origin: str, text: str, defaults: drafting.Defaults) -> Draft:
    page = read_text_page(text)
    facts = {
        name: getattr(page, name) for name in page.__dataclass_fields__ if name != "paragraphs"
    }
    body = plain_markdown(page.paragraphs)
    return drafting.make_draft(origin, shown, facts, body, defaults, TEXT_LOOKED_FOR)


def _html_draft(
    shown: str, origin: str, text: str, defaults: drafting.Defaults, lib: SimpleNamespace
) -> Draft | Failed:
    text = _XML_DECLARATION.sub("", clues.clean(text), count=1)
    try:
        root = lib.lxml_html.document_fromstring(text)
    except (ValueError, lib.etree.ParserError) as exc:
        return Failed(shown, f"not an HTML page ({exc})")
    places = {
        "jsonld": lib.pagemeta.jsonld_facts(root),
        "meta": lib.pagemeta.meta_facts(root),
        "markup": lib.pagemeta.markup_facts(root),
    }
    base = _base_url(places)
    marked = deepcopy(root)
    lib.tomarkdown.mark_furniture(marked)
    notes: list[Problem] = []
    document = _extract(lib, marked, base, shown, notes)
    places["trafilatura"] = lib.pagemeta.trafilatura_facts(document)
    if not any(drafting.any_when(places[p].get("date")) for p in places):
        places["htmldate"] = {"date": _find_date(lib, marked, base, shown, notes)}
    places["crumbs"] = {"category": _crumb_category(places)}
    container = _body_element(lib, document, root, marked, base)
    title = _merged(places, "title", base)
    places["body"] = _leading_facts(lib, container, title)
    markdown, relative = lib.tomarkdown.to_markdown(container, base)
    markdown, location = lib.tomarkdown.split_dateline(markdown)
    places["body"]["location"] = location
    if not markdown.strip():
        return Failed(shown, "no article text found in the page")
    if relative:
        notes.append(
            Problem(
                shown,
                None,
                f"{relative} relative links or images left relative: the page gives no URL of its own",
                WARNING,
            )
        )
    facts = {name: _merged(places, name, base) for name in PRECEDENCE}
    origin = facts.get("source_url") or origin
    return drafting.make_draft(
        origin, shown, facts, markdown, defaults, HTML_LOOKED_FOR, tuple(notes)
    )


def _base_url(places: dict[str, dict[str, Any]]) -> str | None:
    """The page's own URL: canonical link, og:url, JSON-LD url, the first absolute one
    (a relative canonical link resolved against the others)."""
    found = [places[p].get("source_url") for p in ("markup", "meta", "jsonld")]
    absolute = next((u for u in found if u and re.match(r"https?://", u, re.I)), None)
    first = next((u for u in found if u), None)
    if first and absolute and first != absolute:
        resolved = urljoin(absolute, first)
        if re.match(r"https?://", resolved, re.I):
            return resolved
    return absolute


def _extract(
    lib: SimpleNamespace, marked: Any, base: str | None, shown: str, notes: list[Problem]
) -> Any:
    try:
        return lib.trafilatura.bare_extraction(
            deepcopy(marked),
            url=base,
            with_metadata=True,
            include_comments=False,
            include_links=True,
            include_images=True,
            include_formatting=True,
            include_tables=True,
            prune_xpath=lib.tomarkdown.PRUNE_XPATH,
            date_extraction_params=DATE_PARAMS,
        )
    except Exception as exc:  # a third-party extractor's failure on one page: say so, go on
        notes.append(
            Problem(
                shown,
                None,
                f"trafilatura could not read the page ({exc}); used its article element",
                WARNING,
            )
        )
        return None


def _find_date(
    lib: SimpleNamespace, marked: Any, base: str | None, shown: str, notes: list[Problem]
) -> str | None:
    try:
        return lib.htmldate.find_date(deepcopy(marked), url=base, **DATE_PARAMS)
    except Exception as exc:  # as above: report, and leave the date to the rest
        notes.append(Problem(shown, None, f"htmldate could not read the page ({exc})", WARNING))
        return None


def _crumb_category(places: dict[str, dict[str, Any]]) -> str | None:
    title = _merged(places, "title", None)
    for place in ("jsonld", "markup"):
        crumbs = places[place].get("crumbs")
        if crumbs:
            category = clues.crumb_category(crumbs, title)
            if category:
                return category
    return None


def _merged(places: dict[str, dict[str, Any]], name: str, base: str | None) -> Any:
    """The field's value from the first place in PRECEDENCE that gives a usable one."""
    values = [places.get(place, {}).get(name) for place in PRECEDENCE[name]]
    if name in ("date", "updated"):
        values = [drafting.any_when(value) if isinstance(value, str) else None for value in values]
    if name in ("image", "source_url") and base:
        values = [urljoin(base, value) if isinstance(value, str) else None for value in values]
    values = [value for value in values if value]
    if name == "title":
        whole = [value for value in values if not str(value).endswith(("…", "..."))]
        values = whole or values
    return values[0] if values else None


def _body_element(
    lib: SimpleNamespace, document: Any, root: Any, marked: Any, base: str | None
) -> Any:
    """The article's content as an HTML element: trafilatura's extraction with the figure
    captions put back, or else the page's article element without its furniture."""
    md = lib.tomarkdown
    body = getattr(document, "body", None)
    if body is not None and "".join(body.itertext()).strip():
        element = md.tei_to_html(body)
        md.restore_captions(element, md.captions(root, base), base)
        return element
    pruned = deepcopy(marked)
    md.prune(pruned)
    for query in (
        "//*[@itemprop='articleBody']",
        "//article",
        "//main",
        "//*[@role='main']",
        "//body",
    ):
        found = pruned.xpath(query)
        if found:
            return max(found, key=lambda el: len(el.text_content()))
    return pruned


def _leading_facts(lib: SimpleNamespace, container: Any, title: str | None) -> dict[str, Any]:
    """Remove what opens the body but is no part of it (the headline again, a byline, a date
    line) and return what those said."""
    facts: dict[str, Any] = {}
    for _ in range(8):
        first = _first_block(container)
        if first is None:
            break
        text = clues.one_line(first.text_content())
        when = clues.parse_date_line(text)
        names = clues.byline_names(text)
        if first.tag in ("h1", "h2", "h3") and clues.same_text(text, title):
            pass
        elif when:
            facts.setdefault("updated" if when[0] == "updated" else "date", when[1])
        elif names:
            facts.setdefault("authors", names)
        elif not text and first.find(".//img") is None:
            pass
        else:
            break
        lib.tomarkdown.remove(first)
    return facts


def _first_block(container: Any) -> Any:
    for element in container.iter("h1", "h2", "h3", "p", "time", "div", "span"):
        if element is container:
            continue
        if element.tag in ("div", "span") and len(element):
            continue  # a wrapper: look inside it
        return element
    return None
