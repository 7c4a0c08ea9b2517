"""Machine-readable metadata for pages and feeds: JSON-LD, feed entry ids, and the one home
of machine-readable dates.

Pure functions of records and settings, registered as template globals and filters. Every
date a machine reads (``<time datetime>``, ``article:published_time``, JSON-LD, Atom, RSS,
sitemaps, the news sitemap) goes through ``isodate`` or ``rfc822``, which both start from
``expressible``: what HTML, RFC 3339, RFC 822 and W3C-DTF can all say exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from . import urls
from .config import SiteConfig
from .model import Article, Link

_MINUTE = timedelta(minutes=1)
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')


def entry_id(config: SiteConfig, article: Article) -> str:
    """A feed entry id that survives a re-title (RFC 4151 tag URI from host, date, source file)."""
    host = urlsplit(config.base_url).hostname or "localhost"
    stem = _IRI_FORBIDDEN.sub(lambda m: quote(m.group()), article.rel.rsplit(".", 1)[0])
    return f"tag:{host},{article.date:%Y-%m-%d}:/{stem}"


def expressible(when: datetime) -> datetime:
    """The same instant as every machine-readable format can write it: an offset in whole
    minutes, and fractions cut to milliseconds.

    Zones before standard time have offsets with seconds (Asia/Karachi's local mean time in
    1850 is +04:28:12), which Atom, RSS, sitemaps and HTML all refuse: such an instant is
    expressed in UTC instead, or, at the very edge of the calendar where UTC would leave
    it, with the offset rounded to a minute and the local time moved by the same seconds."""
    offset = when.utcoffset()
    if offset is not None and offset % _MINUTE:
        when = _in_whole_minutes(when, offset)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def _in_whole_minutes(when: datetime, offset: timedelta) -> datetime:
    try:
        return when.astimezone(UTC)
    except OverflowError:  # in year 1 or 9999: keep the instant, stay in the calendar
        pass
    floor = offset // _MINUTE
    for minutes in (floor + 1, floor):
        try:
            local = when.replace(tzinfo=None) + (minutes * _MINUTE - offset)
            return local.replace(tzinfo=timezone(minutes * _MINUTE))
        except (OverflowError, ValueError):  # ValueError: an offset of 24 hours
            continue
    # Only an offset within a minute of +-24 h on the calendar's first or last day gets
    # here (no zone has one): the offset is cut to the minute, the instant moves by less.
    return when.replace(tzinfo=timezone(timedelta(minutes=int(offset / _MINUTE))))


def isodate(when: datetime | date) -> str:
    """ISO 8601 / RFC 3339 for every machine-readable date: ``2017-09-23T10:30:00+05:00``,
    ``...T10:30:00.250+05:00`` with a fraction (never more than 3 digits). A plain date
    (from a template's own front-matter field) stays ``2017-09-23``."""
    if not isinstance(when, datetime):
        return when.isoformat()
    when = expressible(when)
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds")


def rfc822(when: datetime) -> str:
    """RFC 822 date for RSS ``pubDate``, with the article's offset in whole minutes."""
    return format_datetime(expressible(when))


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
        "datePublished": isodate(article.date),
        "dateModified": isodate(article.last_modified),
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
    if article.corrections:
        data["correction"] = [
            {"@type": "CorrectionComment", "datePublished": isodate(c.date), "text": c.text}
            for c in article.corrections
        ]
    if article.retracted:  # the notice shows no body: say so, and why
        data["creativeWorkStatus"] = "Retracted"
        data["description"] = f"Retracted: {article.retracted}"
    elif article.word_count:
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
