"""The archive: ordering, canonical term names, taxonomies and date periods.

Every step is a single pass over the articles (bucketing into dicts), so the index is linear
in the size of the archive.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace

from . import urls
from .model import WARNING, Archive, Article, Link, Period, Problem, TermEntry

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def order_articles(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Newest first; ties broken by URL, then source path, so the order is total."""
    by_url = sorted(articles, key=lambda a: (a.url, a.rel))
    return tuple(sorted(by_url, key=lambda a: a.date, reverse=True))  # stable: ties keep URL order


def url_collisions(articles: Iterable[Article], content_prefix: str) -> list[Problem]:
    """Problems for articles (or aliases) that map to one URL, naming every file involved."""
    claims: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for article in articles:
        claims[article.url].append((article.rel, "its URL"))
        for alias in article.aliases:
            claims[alias].append((article.rel, "an alias"))
    problems = []
    for url, owners in claims.items():
        if len(owners) < 2:
            continue
        names = " and ".join(f"{content_prefix}{rel} ({what})" for rel, what in owners)
        for rel, _ in owners:
            message = f"URL /{url} is claimed by {names}; give one of them another slug or date"
            problems.append(Problem(content_prefix + rel, None, message))
    return problems


def build_archive(
    articles: Iterable[Article], content_prefix: str = ""
) -> tuple[Archive, list[Problem]]:
    """Index valid articles; problems are term-name warnings and term URL clashes."""
    ordered = order_articles(articles)
    canonical, problems = _canonical_names(ordered, content_prefix)
    ordered = tuple(_with_canonical_names(a, canonical) for a in ordered)
    archive = Archive(
        articles=ordered,
        terms={kind: _term_entries(ordered, kind) for kind in urls.TAXONOMIES},
        years=_periods(ordered, 1),
        months=_periods(ordered, 2),
        days=_periods(ordered, 3),
    )
    return archive, problems


def article_links(article: Article, kind: str) -> tuple[Link, ...]:
    """The article's links of one taxonomy."""
    if kind == "category":
        return (article.category,)
    if kind == "source":
        return (article.source,)
    return article.authors if kind == "author" else article.tags


def period_name(key: tuple[int, ...]) -> str:
    """``2017``, ``September 2017`` or ``23 September 2017``."""
    if len(key) == 1:
        return f"{key[0]}"
    if len(key) == 2:
        return f"{MONTH_NAMES[key[1] - 1]} {key[0]}"
    return f"{key[2]} {MONTH_NAMES[key[1] - 1]} {key[0]}"


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _canonical_names(
    articles: tuple[Article, ...], content_prefix: str
) -> tuple[dict[tuple[str, str], str], list[Problem]]:
    """Map (kind, url) to the name to show; warn on variants, report different names sharing a URL."""
    variants: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    first_use: dict[tuple[str, str, str], str] = {}
    for article in reversed(articles):  # oldest first, so "first use" reads naturally
        for kind in urls.TAXONOMIES:
            for link in article_links(article, kind):
                variants[(kind, link.url)][link.name] += 1
                first_use.setdefault((kind, link.url, link.name), article.rel)
    canonical: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for (kind, url), names in variants.items():
        chosen = min(names, key=lambda n: (-names[n], n))
        canonical[(kind, url)] = chosen
        for name in sorted(names):
            if name == chosen:
                continue
            where = content_prefix + first_use[(kind, url, name)]
            if _normal(name) == _normal(chosen):
                message = f'{kind} "{name}" is written "{chosen}" elsewhere; they are one {kind}, shown as "{chosen}"'
                problems.append(Problem(where, None, message, WARNING))
            else:
                other = content_prefix + first_use[(kind, url, chosen)]
                message = (
                    f'{kind} "{name}" and {kind} "{chosen}" (in {other}) both map to /{url}; '
                    f"rename one of them so that they differ in letters or digits"
                )
                problems.append(Problem(where, None, message))
    return canonical, problems


def _with_canonical_names(article: Article, canonical: dict[tuple[str, str], str]) -> Article:
    """The article with every term link named canonically (the same object if none differ)."""

    def fix(kind: str, link: Link) -> Link:
        name = canonical[(kind, link.url)]
        return link if name == link.name else link._replace(name=name)

    links = (
        ("category", (article.category,)),
        ("source", (article.source,)),
        ("author", article.authors),
        ("tag", article.tags),
    )
    if all(canonical[(kind, link.url)] == link.name for kind, group in links for link in group):
        return article
    return replace(
        article,
        category=fix("category", article.category),
        source=fix("source", article.source),
        authors=tuple(fix("author", link) for link in article.authors),
        tags=tuple(fix("tag", link) for link in article.tags),
    )


def _term_entries(articles: tuple[Article, ...], kind: str) -> tuple[TermEntry, ...]:
    positions: dict[str, list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    for position, article in enumerate(articles):
        for link in article_links(article, kind):
            positions[link.url].append(position)
            names[link.url] = link.name
    entries = (
        TermEntry(kind, Link(names[url], url, len(found)), tuple(found))
        for url, found in positions.items()
    )
    return tuple(sorted(entries, key=lambda e: (e.link.name.casefold(), e.link.url)))


def _periods(articles: tuple[Article, ...], depth: int) -> tuple[Period, ...]:
    """Years (depth 1), months (2) or days (3) that have articles, newest first."""
    buckets: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for position, article in enumerate(articles):
        key = (article.date.year, article.date.month, article.date.day)[:depth]
        buckets[key].append(position)
    periods = (
        Period(key, Link(period_name(key), urls.period_url(key), len(found)), tuple(found))
        for key, found in buckets.items()
    )
    return tuple(sorted(periods, key=lambda p: p.key, reverse=True))
