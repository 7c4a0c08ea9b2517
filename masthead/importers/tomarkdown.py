"""HTML -> Markdown for imported bodies, one converter for pages and feeds.

html-to-markdown (the cleanest output on news articles) does the conversion; around it:

- ``mark_furniture`` finds page furniture by tag, role and class or id words (share bars,
  related links, comments, ads, cookie banners, newsletters, navigation, bylines), never the
  article itself; ``prune`` removes what it marked.
- ``tei_to_html`` turns trafilatura's extracted body (its TEI-like XML) back into HTML,
  keeping ordered lists and quotes, which trafilatura's own Markdown loses; figure captions,
  which trafilatura drops, are put back from the original page by their image.
- ``to_markdown`` makes links and images absolute against the original's URL, drops
  tracking pixels and inline ``data:`` images, and escapes text that Markdown would read as
  markup (a literal ``<b>`` or ``[x](y)`` in the text stays text).

lxml and html_to_markdown are imported here, so import this module only where the
importer's libraries are known to be installed.
"""

from __future__ import annotations

import re
from copy import deepcopy
from urllib.parse import urljoin, urlsplit

import lxml.html
from html_to_markdown import ConversionOptions, convert
from lxml import etree

from . import clues

FURNITURE_TAGS = frozenset((
    "nav", "aside", "footer", "form", "button", "input", "select", "textarea", "label",
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "dialog", "menu", "link", "meta",
))  # fmt: skip
FURNITURE_ROLES = frozenset(
    ["navigation", "banner", "contentinfo", "complementary", "search", "dialog"]
)
FURNITURE_WORDS = frozenset((
    "share", "shares", "sharing", "sharebar", "sharetools", "social", "socials", "related",
    "relatedposts", "comments", "comment", "disqus", "cookie", "cookies", "consent", "gdpr",
    "advert", "advertisement", "adverts", "advertising", "ad", "ads", "adslot", "adunit",
    "adsense", "dfp", "sponsored", "sponsor", "promo", "promoted", "newsletter", "subscribe",
    "subscription", "signup", "breadcrumb", "breadcrumbs", "byline", "bylines", "author",
    "authors", "outbrain", "taboola", "recommended", "recommendations", "trending", "popular",
    "mostread", "popup", "modal", "paywall", "nav", "navbar", "navigation", "menu", "sidebar",
    "widget", "widgets", "toolbar", "tags", "taglist", "keywords", "meta", "skip", "reactions",
    "pagination", "pager", "follow", "login", "feedflare",
))  # fmt: skip
"""Words of a class or id (split at spaces, ``-`` and ``_``) that mark page furniture:
``share-bar``, ``story__related``, ``ad-slot``, ``cookie-banner``."""
FURNITURE_CLASSES = frozenset((
    "sr-only", "visually-hidden", "screen-reader-text", "hidden", "d-none", "read-more",
    "readmore", "read-also", "also-read", "more-stories", "more-news", "see-also",
))  # fmt: skip
"""Whole class names that are furniture though no word of them is."""
FURNITURE_PREFIXES = (
    "share", "social", "advert", "sponsor", "related", "cookie", "newsletter", "breadcrumb",
    "outbrain", "taboola", "disqus", "byline",
)  # fmt: skip
"""Beginnings of class or id words that mark furniture (``sharedaddy``, ``relatedposts``)."""
_TEXT_BLOCKS = frozenset(["p", "h2", "h3", "h4", "h5", "h6", "div", "section"])
"""Blocks dropped when all their text is furniture ("Share this:", "Advertisement")."""
_KEEP_TAGS = frozenset(("html", "body", "main", "article"))
_WORD_SPLIT = re.compile(r"[\s_-]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
MARK = "data-masthead-furniture"
PRUNE_XPATH = f"//*[@{MARK}]"
"""What trafilatura is asked to leave out (``prune_xpath``): the marked furniture."""
_LAZY_SOURCES = ("data-src", "data-lazy-src", "data-original", "data-url", "src")
_PROTECT = str.maketrans(
    {"&": "\ufdd0", "<": "\ufdd1", "`": "\ufdd2", "[": "\ufdd3", "]": "\ufdd4"}
)
_UNPROTECT = {
    "\ufdd0": "&amp;",
    "\ufdd1": "&lt;",
    "\ufdd2": "\\`",
    "\ufdd3": "\\[",
    "\ufdd4": "\\]",
}
_OPTIONS = ConversionOptions(
    extract_metadata=False,
    expand_abbreviations=False,
    escape_asterisks=True,
    escape_underscores=True,
    list_indent_width=4,  # Python-Markdown nests lists at four spaces
    highlight_style="none",
    preserve_tags=["sup", "sub", "del"],
)
_BLOCK_START = re.compile(r"^(?:#|!\[|>|[-*+] |\d+\. |\||```)")
FEED_FOOTER = re.compile(
    r"^(?:the post .+ appeared first on .+|this (?:entry|article) was posted in .+|"
    r"continue reading.*|read more(?:\s*[:»›→…-].*)?|\[(?:…|\.\.\.)\])$",
    re.IGNORECASE,
)
"""Paragraphs feed software adds to every entry ("The post X appeared first on Y.")."""
RELATED_LINE = re.compile(
    r"^(?:related|also read|read also|see also|read more|more on this|more|watch|listen|"
    r"مزید پڑھیں|یہ بھی پڑھیں)\s*[:：\-–—]\s*\S",
    re.IGNORECASE,
)
"""A paragraph of links to other stories: "Related: <a>...</a>", "Also read: ..."."""
_HI_TAGS = {"#b": "strong", "#i": "em", "#u": "u", "#t": "code", "#sup": "sup", "#sub": "sub"}


def mark_furniture(root: etree._Element) -> None:
    """Mark every furniture element (``MARK``), except the article and its ancestors."""
    keep = _protected(root)
    for element in root.iter():
        if not isinstance(element.tag, str) or element in keep:
            continue
        if _is_furniture(element):
            element.set(MARK, "1")


def prune(root: etree._Element) -> None:
    """Remove the marked furniture, and comments and processing instructions."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) and element.getparent() is not None:
            remove(element)
    for element in root.xpath(PRUNE_XPATH):
        remove(element)


def _protected(root: etree._Element) -> set[etree._Element]:
    """The elements never furniture: html, body, main, article, the article body, and every
    ancestor of the headline or the article body."""
    keep = {el for el in root.iter() if isinstance(el.tag, str) and el.tag in _KEEP_TAGS}
    anchors = root.xpath("//*[@itemprop='articleBody'] | //h1")
    for anchor in anchors:
        keep.update(anchor.iterancestors())
        if anchor.get("itemprop") == "articleBody":
            keep.add(anchor)
    return keep


def _is_furniture(element: etree._Element) -> bool:
    if element.tag == "p":
        text = clues.one_line(element.text_content())
        if FEED_FOOTER.match(text):
            return True
        linked = sum(len(clues.one_line(a.text_content())) for a in element.iter("a"))
        if RELATED_LINE.match(text) and linked * 2 >= len(text.split(":", 1)[-1]):
            return True
    if element.tag in FURNITURE_TAGS or element.get("role") in FURNITURE_ROLES:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    if any(name in FURNITURE_CLASSES for name in names.split()):
        return True
    words = [word for word in _WORD_SPLIT.split(names) if word]
    if any(word in FURNITURE_WORDS or word.startswith(FURNITURE_PREFIXES) for word in words):
        return True
    return element.tag in _TEXT_BLOCKS and clues.is_furniture(element.text_content())


def remove(element: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def tei_to_html(body: etree._Element) -> etree._Element:
    """trafilatura's extracted body as an HTML ``div``."""
    root = deepcopy(body)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        rend = element.get("rend") or ""
        tag = element.tag
        if tag == "head":
            level = rend[1:] if re.fullmatch(r"h[1-6]", rend) else "3"
            element.tag = f"h{level}"
        elif tag == "list":
            element.tag = "ol" if rend == "ol" else "ul"
        elif tag == "hi":
            element.tag = _HI_TAGS.get(rend, "em")
        elif tag == "code":
            element.tag = "pre" if "\n" in (element.text or "") else "code"
        elif tag == "cell":
            element.tag = "th" if element.get("role") == "head" else "td"
        else:
            element.tag = {
                "item": "li", "quote": "blockquote", "graphic": "img", "ref": "a",
                "lb": "br", "row": "tr", "ab": "p", "body": "div", "doc": "div",
            }.get(tag, tag)  # fmt: skip
        kept = {"href": element.get("target")} if element.tag == "a" else {}
        if element.tag == "img":
            kept = {name: element.get(name) for name in ("src", "alt", "title")}
        element.attrib.clear()
        for name, value in kept.items():
            if value:
                element.set(name, value)
    root.tag = "div"
    return lxml.html.fragment_fromstring(etree.tostring(root, encoding="unicode"))


def captions(root: etree._Element, base_url: str | None) -> dict[str, str]:
    """Figure captions of the original page by the absolute URL of their image."""
    found = {}
    for figure in root.iter("figure"):
        caption = figure.find(".//figcaption")
        if caption is None:
            continue
        text = clues.one_line(caption.text_content())
        for image in figure.iter("img"):
            for source in _sources(image):
                found[_absolute(source, base_url)] = text
    return found


def restore_captions(root: etree._Element, found: dict[str, str], base_url: str | None) -> None:
    """Put each image that had a caption back into a figure with it."""
    kept = {clues.one_line(el.text_content()) for el in root.iter("p", "li", "blockquote")}
    for image in list(root.iter("img")):
        text = found.get(_absolute(image.get("src") or "", base_url))
        parent = image.getparent()
        if not text or text in kept or parent is None or parent.tag == "figure":
            continue
        figure = parent.makeelement("figure", {})
        parent.replace(image, figure)
        figure.tail, image.tail = image.tail, None
        figure.append(image)
        caption = figure.makeelement("figcaption", {})
        caption.text = text
        figure.append(caption)


def to_markdown(root: etree._Element, base_url: str | None) -> tuple[str, int]:
    """The element's content as Markdown, and how many relative links and images stayed
    relative for want of a base URL."""
    root = deepcopy(root)
    prune(root)
    relative = _links(root, base_url)
    _protect(root)
    markup = lxml.html.tostring(root, encoding="unicode", method="html")
    text = convert(markup, _OPTIONS).content
    for placeholder, written in _UNPROTECT.items():
        text = text.replace(placeholder, written)
    return _tidy(text), relative


def fragment_to_markdown(fragment: str, base_url: str | None) -> tuple[str, int]:
    """An HTML fragment (a feed entry's content) as Markdown, furniture left out."""
    root = lxml.html.fragment_fromstring(clues.clean(fragment) or "<p></p>", create_parent="div")
    mark_furniture(root)
    return to_markdown(root, base_url)


def _links(root: etree._Element, base_url: str | None) -> int:
    for element in root.iter(*_OPTIONS.preserve_tags):
        element.attrib.clear()  # kept as HTML in the Markdown: nothing but the tag itself
    relative = 0
    for link in list(root.iter("a")):
        href = (link.get("href") or "").strip()
        scheme = urlsplit(href).scheme.lower()
        if not href or scheme in ("javascript", "data", "vbscript"):
            link.drop_tag()
            continue
        link.attrib.clear()
        link.set("href", _absolute(href, base_url))
        relative += not scheme and not base_url and not href.startswith("#")
    for image in list(root.iter("img")):
        source = next((s for s in _sources(image) if not s.startswith("data:")), None)
        if source is None or _is_pixel(image):
            remove(image)
            continue
        alt, title = image.get("alt"), image.get("title")
        image.attrib.clear()
        image.set("src", _absolute(source, base_url))
        for name, value in (("alt", alt), ("title", title)):
            if value:
                image.set(name, clues.one_line(value))
        relative += not urlsplit(source).scheme and not base_url
    return relative


def _sources(image: etree._Element) -> list[str]:
    """Where an image is: lazy-loading attributes first, then src, then srcset's first."""
    found = [image.get(name, "").strip() for name in _LAZY_SOURCES]
    srcset = (image.get("srcset") or image.get("data-srcset") or "").strip()
    if srcset:
        found.append(srcset.split(",")[0].split()[0])
    return [source for source in found if source and not source.endswith("blank.gif")]


def _is_pixel(image: etree._Element) -> bool:
    return image.get("width") in ("0", "1") and image.get("height") in ("0", "1")


def _absolute(url: str, base_url: str | None) -> str:
    if not base_url:
        return url
    try:
        return urljoin(base_url, url)
    except ValueError:
        return url


def _protect(root: etree._Element) -> None:
    """Swap characters Markdown reads as markup for placeholders in text (not in code)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        in_code = element.tag in ("pre", "code") or any(
            a.tag in ("pre", "code") for a in element.iterancestors()
        )
        if element.text and not in_code:
            element.text = element.text.translate(_PROTECT)
        parent_code = any(a.tag in ("pre", "code") for a in element.iterancestors())
        if element.tail and not parent_code:
            element.tail = element.tail.translate(_PROTECT)


def _tidy(text: str) -> str:
    lines = [line.rstrip() if not line.endswith("  ") else line for line in text.split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def split_dateline(markdown: str) -> tuple[str, str | None]:
    """The body without the dateline opening its first paragraph, and the place
    (``clues.dateline``); headings, images, quotes and lists before it are passed over."""
    blocks = markdown.split("\n\n")
    for index, block in enumerate(blocks):
        if _BLOCK_START.match(block):
            continue
        # "**KARACHI:** Record rainfall ...": a dateline in bold reads the same
        found = clues.dateline(re.sub(r"^(\*\*|\*)([^*\n]{1,60}?)\1", r"\2", block, count=1))
        if found is None:
            return markdown, None
        place, rest = found
        blocks[index] = rest
        return "\n\n".join(blocks), place
    return markdown, None
