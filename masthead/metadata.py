"""Machine-readable metadata for pages and feeds: JSON-LD, feed entry ids, dates for feeds.

Pure functions of records and settings, registered as template globals and filters.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from . import urls
from .config import SiteConfig
from .model import Article, Link

_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')


def entry_id(config: SiteConfig, article: Article) -> str:
    """A feed entry id that survives a re-title (RFC 4151 tag URI from host, date, source file)."""
    host = urlsplit(config.base_url).hostname or "localhost"
    stem = _IRI_FORBIDDEN.sub(lambda m: quote(m.group()), article.rel.rsplit(".", 1)[0])
    return f"tag:{host},{article.date:%Y-%m-%d}:/{stem}"


def rfc822(when: datetime) -> str:
    """RFC 822 date for RSS ``pubDate``, with the article's offset."""
    return format_datetime(when)


def news_language(lang: str) -> str:
    """Language as the news sitemap wants it: ISO 639 code, or zh-cn / zh-tw."""
    parts = lang.lower().split("-")
    if parts[0] == "zh":
        return "zh-tw" if any(p in ("tw", "hant", "hk", "mo") for p in parts[1:]) else "zh-cn"
    return parts[0]


def canonical_url(config: SiteConfig, article: Article) -> str:
    """The original's URL for syndicated copies when the site asks for it, else our own."""
    if config.canonical_to_source and article.source_url:
        return article.source_url
    return urls.absolute(config.base_url, article.url)


def image_url(config: SiteConfig, ref: str) -> str:
    """Absolute URL of an image reference that may be absolute or site-relative."""
    if ref.startswith(("http://", "https://")):
        return ref
    if ref.startswith("//"):
        return "https:" + ref
    return urls.absolute(config.base_url, ref.lstrip("/"))


def news_article(config: SiteConfig, article: Article) -> dict[str, Any]:
    """schema.org NewsArticle for an article page (serialise with Jinja's ``tojson``)."""
    own_url = urls.absolute(config.base_url, article.url)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.date.isoformat(),
        "dateModified": article.last_modified.isoformat(),
        "mainEntityOfPage": {"@type": "WebPage", "@id": own_url},
        "url": own_url,
        "articleSection": article.category.name,
        "inLanguage": article.lang or config.language,
        "publisher": _publisher(config),
        "sourceOrganization": {"@type": "Organization", "name": article.source.name},
    }
    if article.authors:
        data["author"] = [
            {"@type": "Person", "name": a.name, "url": urls.absolute(config.base_url, a.url)}
            for a in article.authors
        ]
    if article.tags:
        data["keywords"] = [t.name for t in article.tags]
    if article.summary:
        data["description"] = article.summary
    if article.image:
        data["image"] = [image_url(config, article.image)]
    if article.location:
        data["dateline"] = article.location
    if article.source_url:
        data["isBasedOn"] = article.source_url
    if article.word_count:
        data["wordCount"] = article.word_count
    return data


def collection_page(
    config: SiteConfig, name: str, url: str, trail: tuple[Link, ...]
) -> dict[str, Any]:
    """schema.org CollectionPage with its BreadcrumbList, for index pages."""
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": name,
        "url": urls.absolute(config.base_url, url),
        "inLanguage": config.language,
        "isPartOf": {"@type": "WebSite", "name": config.title, "url": config.base_url},
        "breadcrumb": breadcrumb_list(config, trail),
    }


def breadcrumbs(config: SiteConfig, trail: tuple[Link, ...]) -> dict[str, Any]:
    """A stand-alone BreadcrumbList document (for article pages)."""
    return {"@context": "https://schema.org", **breadcrumb_list(config, trail)}


def breadcrumb_list(config: SiteConfig, trail: tuple[Link, ...]) -> dict[str, Any]:
    """schema.org BreadcrumbList: Home > ... > this page."""
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": n,
                "name": link.name,
                "item": urls.absolute(config.base_url, link.url),
            }
            for n, link in enumerate(trail, start=1)
        ],
    }


def _publisher(config: SiteConfig) -> dict[str, Any]:
    publisher: dict[str, Any] = {
        "@type": "Organization",
        "name": config.title,
        "url": config.base_url,
    }
    if config.publisher_logo:
        publisher["logo"] = {
            "@type": "ImageObject",
            "url": image_url(config, config.publisher_logo),
        }
    return publisher
