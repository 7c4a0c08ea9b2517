"""What a saved HTML page says about its article, read from each place a news site writes
it: its JSON-LD, its OpenGraph and other ``<meta>`` tags, and its markup (``<html lang>``,
the canonical link, the breadcrumb, the byline, the headline).

Each reader returns the facts it found under masthead's field names (``title``, ``date``,
``authors``, ``crumbs`` for a breadcrumb's parts ...); ``page.PRECEDENCE`` decides which
place wins for each field. Nothing here guesses: a field a place does not give is absent.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from . import clues

ARTICLE_TYPES = frozenset((
    "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle",
    "SatiricalArticle", "BlogPosting", "LiveBlogPosting", "Report", "ScholarlyArticle",
    "TechArticle",
))  # fmt: skip
"""schema.org types whose node describes the article itself."""
META_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("og:title", "twitter:title"),
    "date": (
        "article:published_time", "datepublished", "og:published_time", "pubdate",
        "publishdate", "publish-date", "dc.date.issued", "dcterms.issued", "dc.date",
        "sailthru.date", "parsely-pub-date", "date",
    ),
    "updated": (
        "article:modified_time", "datemodified", "og:updated_time", "dc.date.modified",
        "dcterms.modified",
    ),
    "authors": ("article:author", "author", "dc.creator", "parsely-author", "sailthru.author", "byl"),
    "category": ("article:section", "parsely-section", "section"),
    "tags": ("article:tag", "news_keywords", "keywords", "parsely-tags"),
    "summary": ("og:description", "description", "twitter:description"),
    "image": ("og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"),
    "source": ("og:site_name", "dc.publisher", "publisher"),
    "source_url": ("og:url",),
    "lang": ("og:locale", "content-language", "dc.language", "language"),
}  # fmt: skip
"""``<meta>`` names (property, name, itemprop or http-equiv, in any case) for each field,
in the order they are tried."""
BYLINE_WORDS = frozenset(
    ["byline", "bylines", "by-line", "author", "authors", "author-name", "writer", "reporter"]
)
_TAG = re.compile(r"<[^>]+>")


def jsonld_facts(root: etree._Element) -> dict[str, Any]:
    """The facts of the page's JSON-LD article node (NewsArticle, Article, ..., also inside
    ``@graph`` and lists, with ``@id`` references followed) and of its BreadcrumbList."""
    nodes = list(_jsonld_nodes(root))
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    facts: dict[str, Any] = {}
    crumbs = next((node for node in nodes if "BreadcrumbList" in _types(node)), None)
    if crumbs:
        facts["crumbs"] = _crumbs(crumbs, by_id)
    article = next((node for node in nodes if _types(node) & ARTICLE_TYPES), None)
    if article is None:
        return facts
    facts["title"] = _text(article.get("headline")) or _text(article.get("name"))
    facts["date"] = _text(article.get("datePublished")) or _text(article.get("dateCreated"))
    facts["updated"] = _text(article.get("dateModified"))
    facts["authors"] = _names(article.get("author"), by_id)
    facts["category"] = _first_text(article.get("articleSection"))
    facts["tags"] = _keywords(article.get("keywords"))
    facts["summary"] = _text(article.get("description"))
    facts["image"] = _image(article.get("image"), by_id)
    facts["source"] = _name(article.get("publisher"), by_id)
    facts["source_url"] = _text(article.get("url")) or _page_id(article.get("mainEntityOfPage"))
    facts["location"] = _name(article.get("locationCreated"), by_id)
    language = article.get("inLanguage")
    if isinstance(language, dict):
        language = language.get("alternateName") or language.get("name")
    facts["lang"] = _text(language)
    return {name: value for name, value in facts.items() if value}


def _jsonld_nodes(root: etree._Element) -> Iterator[dict[str, Any]]:
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        text = re.sub(
            r"^\s*(?://)?\s*<!\[CDATA\[|\]\]>\s*$|^\s*<!--|-->\s*$", "", script.text or ""
        )
        try:
            data = json.loads(text.strip().rstrip(";"), strict=False)
        except ValueError:
            continue
        yield from _flatten(data, 0)


def _flatten(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 10:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"], depth + 1)


def _types(node: dict[str, Any]) -> set[str]:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {kind.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for kind in kinds if isinstance(kind, str)}


def _resolve(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[value["@id"]]
    return value


def _text(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return clues.one_line(_TAG.sub(" ", html.unescape(value))) or None


def _first_text(value: Any) -> str | None:
    if isinstance(value, list):
        return next((text for text in map(_text, value) if text), None)
    return _text(value)


def _name(value: Any, by_id: dict[str, dict[str, Any]]) -> str | None:
    value = _resolve(value, by_id)
    if isinstance(value, list):
        return next((name for name in (_name(v, by_id) for v in value) if name), None)
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def _names(value: Any, by_id: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = _name(item, by_id)
        if name and not name.startswith(("http://", "https://")):
            names.extend(clues.split_names(name))
    return tuple(dict.fromkeys(names))


def _keywords(value: Any) -> tuple[str, ...]:
    items = (
        value
        if isinstance(value, list)
        else re.split(r"[,،]", value or "")
        if isinstance(value, str)
        else []
    )
    words = (clues.one_line(_text(item) or "") for item in items)
    return tuple(dict.fromkeys(word for word in words if word))


def _image(value: Any, by_id: dict[str, dict[str, Any]]) -> str | None:
    value = _resolve(value, by_id)
    if isinstance(value, list):
        return next((url for url in (_image(v, by_id) for v in value) if url), None)
    if isinstance(value, dict):
        return _text(value.get("url")) or _text(value.get("contentUrl"))
    return _text(value)


def _page_id(value: Any) -> str | None:
    if isinstance(value, dict):
        return _text(value.get("@id")) or _text(value.get("url"))
    return _text(value)


def _crumbs(node: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    items = node.get("itemListElement")
    if not isinstance(items, list):
        return ()
    ranked = []
    for index, item in enumerate(items):
        item = _resolve(item, by_id)
        if not isinstance(item, dict):
            continue
        name = _text(item.get("name")) or _name(item.get("item"), by_id)
        position = item.get("position")
        order = position if isinstance(position, int | float) else index
        if name:
            ranked.append((order, index, name))
    return tuple(name for _, _, name in sorted(ranked))


def meta_facts(root: etree._Element) -> dict[str, Any]:
    """The facts of the page's ``<meta>`` tags, by ``META_FIELDS``."""
    values: dict[str, list[str]] = {}
    for meta in root.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        key = key or meta.get("http-equiv")
        content = clues.one_line(meta.get("content"))
        if key and content:
            values.setdefault(key.strip().lower(), []).append(content)
    for element in root.xpath("//*[@itemprop='datePublished' or @itemprop='dateModified']"):
        content = element.get("datetime") or element.get("content")
        if content and element.tag != "meta":
            values.setdefault(element.get("itemprop").lower(), []).append(clues.one_line(content))
    facts: dict[str, Any] = {}
    for field, keys in META_FIELDS.items():
        found = [value for key in keys for value in values.get(key, [])]
        if field == "authors":
            names = [
                n
                for v in found
                if not v.startswith(("http://", "https://"))
                for n in clues.split_names(v)
            ]
            facts[field] = tuple(dict.fromkeys(names))
        elif field == "tags":
            first = next((key for key in keys if values.get(key)), None)
            tags = [t.strip() for v in values.get(first or "", []) for t in re.split(r"[,،]", v)]
            facts[field] = tuple(dict.fromkeys(t for t in tags if t))
        elif found:
            facts[field] = found[0]
    return {name: value for name, value in facts.items() if value}


def markup_facts(root: etree._Element) -> dict[str, Any]:
    """Facts from the page's markup: ``<html lang>``, the canonical link, the breadcrumb,
    the byline and the headline."""
    facts: dict[str, Any] = {}
    facts["lang"] = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            facts["source_url"] = link.get("href").strip()
            break
    facts["date"], facts["updated"] = _times(root)
    facts["crumbs"] = _html_crumbs(root)
    facts["authors"] = _byline(root)
    headline = root.xpath("//article//h1") or root.xpath("//h1")
    if headline:
        facts["title"] = clues.one_line(headline[0].text_content())
    return {name: value for name, value in facts.items() if value}


def _times(root: etree._Element) -> tuple[str | None, str | None]:
    """The ``datetime`` of the first ``<time>`` marked as the publication (class
    ``published``, ``entry-date``, ``posted``, or a ``pubdate`` attribute) and of the first
    marked as an update (``updated``, ``modified``); unmarked times may be any date the
    story mentions."""
    published = updated = None
    for time in root.iter("time"):
        value = clues.one_line(time.get("datetime"))
        if not value:
            continue
        parent = time.getparent()
        names = (
            f"{time.get('class') or ''} {parent.get('class') or '' if parent is not None else ''}"
        )
        words = set(re.split(r"[\s_-]+", names.lower()))
        if words & {"updated", "modified", "update"}:
            updated = updated or value
        elif (
            words & {"published", "entry", "posted", "pubdate", "publish"}
            or time.get("pubdate") is not None
        ):
            published = published or value
    return published, updated


def _html_crumbs(root: etree._Element) -> tuple[str, ...]:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        label = (element.get("aria-label") or "").lower()
        if (
            "breadcrumb" in names
            or label == "breadcrumb"
            or "BreadcrumbList" in (element.get("itemtype") or "")
        ):
            items = element.findall(".//li") or element.findall(".//a")
            parts = [clues.one_line(item.text_content()).strip("/›»>|· ") for item in items]
            parts = [part for part in parts if part]
            if parts:
                return tuple(parts)
    return ()


def _byline(root: etree._Element) -> tuple[str, ...]:
    """The names of the first byline: an element whose class or id says byline or author,
    ``rel="author"`` links or ``itemprop="author"``."""
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("meta", "link", "script"):
            continue
        words = set(
            re.split(r"[\s_-]+", f"{element.get('class') or ''} {element.get('id') or ''}".lower())
        )
        if words & BYLINE_WORDS or element.get("itemprop") == "author":
            text = clues.one_line(element.text_content())
            if 0 < len(text) <= 160:
                return clues.split_names(text)
    links = root.xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]")
    names = [clues.one_line(link.text_content()) for link in links]
    return tuple(dict.fromkeys(name for name in names if name))


def trafilatura_facts(document: Any) -> dict[str, Any]:
    """The metadata trafilatura found (its ``Document``), under masthead's names."""
    if document is None:
        return {}
    authors = clues.split_names((document.author or "").replace(";", ","))
    facts = {
        "title": document.title,
        "date": document.date,
        "authors": authors,
        "category": (document.categories or [None])[0],
        "tags": tuple(document.tags or ()),
        "summary": document.description,
        "image": document.image,
        "source": document.sitename,
        "source_url": document.url,
    }
    return {name: value for name, value in facts.items() if value}
