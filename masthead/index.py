"""The archive: ordering, canonical term names, taxonomies and date periods.

Every step is a single pass over the articles (bucketing into dicts), so the index is linear
in the size of the archive.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from . import urls
from .model import WARNING, Archive, Article, Link, Period, Problem, TermEntry
from .session import Session

TERM_FIELDS = {"category": "category", "tag": "tags", "source": "source", "author": "authors"}
"""The front-matter field each taxonomy's names come from."""
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def order_articles(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Newest first; ties broken by URL, then source path, so the order is total."""
    by_url = sorted(articles, key=lambda a: (a.url, a.rel))
    return tuple(sorted(by_url, key=lambda a: a.date, reverse=True))  # stable: ties keep URL order


def url_collisions(articles: Iterable[Article], content_prefix: str) -> list[Problem]:
    """Problems for articles (or aliases) that map to one output file, naming every file
    involved with the line of the field that made the URL."""
    claims: dict[str, list[tuple[Article, str]]] = defaultdict(list)
    for article in articles:
        claims[urls.output_rel(article.url)].append((article, "url"))
        for alias in article.aliases:
            claims[urls.output_rel(alias)].append((article, "alias"))
    problems = []
    for rel, owners in claims.items():
        if len(owners) < 2:
            continue
        names = " and ".join(_claimant(article, what, content_prefix) for article, what in owners)
        url = owners[0][0].url if owners[0][1] == "url" else rel
        hint = (
            "remove the alias, or give one of them another slug or date"
            if any(what == "alias" for _, what in owners)
            else "give one of them another slug or date"
        )
        for article, what in owners:
            message = f"URL /{url} is claimed by {names}; {hint}"
            line = article.line_of("aliases" if what == "alias" else _url_field(article))
            problems.append(Problem(content_prefix + article.rel, line, message))
    return problems


def _url_field(article: Article) -> str:
    """The front-matter field that made the article's URL: its slug, else its title."""
    return "slug" if article.line_of("slug") else "title"


def _claimant(article: Article, what: str, content_prefix: str) -> str:
    field = "aliases" if what == "alias" else _url_field(article)
    line = article.line_of(field)
    where = f"{content_prefix}{article.rel}:{line}" if line else content_prefix + article.rel
    return f"{where} ({'an alias' if what == 'alias' else 'its URL'})"


class Outline(NamedTuple):
    """What the index of an article depends on: everything but its text."""

    rel: str
    url: str
    date: datetime
    category: Link
    source: Link
    authors: tuple[Link, ...]
    tags: tuple[Link, ...]
    field_lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Shape:
    """The index computed from the outlines of the ordered articles."""

    canonical: dict[tuple[str, str], str]
    problems: tuple[Problem, ...]
    terms: dict[str, tuple[TermEntry, ...]]
    years: tuple[Period, ...]
    months: tuple[Period, ...]
    days: tuple[Period, ...]


def build_archive(
    articles: Iterable[Article], content_prefix: str = "", session: Session | None = None
) -> tuple[Archive, list[Problem]]:
    """Index valid articles; problems are term-name warnings and term URL clashes.

    The index depends only on the articles' outlines, so when an edit leaves every outline
    as it was, a ``session`` gives back the last build's index."""
    session = session or Session()
    ordered = order_articles(articles)
    outline = tuple(
        Outline(a.rel, a.url, a.date, a.category, a.source, a.authors, a.tags, a.field_lines)
        for a in ordered
    )
    shape = session.value(
        "archive", (outline, content_prefix), lambda: _shape(outline, content_prefix)
    )
    named = session.table("canonical names")
    canonical = []
    for article in ordered:
        canonical.append(
            named.get(
                article.rel,
                (article, shape.canonical),
                lambda article=article: _with_canonical_names(article, shape.canonical),
            )
        )
    archive = Archive(
        articles=tuple(canonical),
        terms=shape.terms,
        years=shape.years,
        months=shape.months,
        days=shape.days,
    )
    return archive, list(shape.problems)


def _shape(outline: tuple[Outline, ...], content_prefix: str) -> _Shape:
    canonical, problems = _canonical_names(outline, content_prefix)
    return _Shape(
        canonical=canonical,
        problems=tuple(problems),
        terms={kind: _term_entries(outline, kind, canonical) for kind in urls.TAXONOMIES},
        years=_periods(outline, 1),
        months=_periods(outline, 2),
        days=_periods(outline, 3),
    )


def article_links(article: Article | Outline, kind: str) -> tuple[Link, ...]:
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
    articles: tuple[Outline, ...], content_prefix: str
) -> tuple[dict[tuple[str, str], str], list[Problem]]:
    """Map (kind, url) to the name to show; warn on variants, report different names sharing a URL."""
    variants: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    first_use: dict[tuple[str, str, str], tuple[str, int | None]] = {}
    for article in reversed(articles):  # oldest first, so "first use" reads naturally
        lines = dict(article.field_lines)
        for kind in urls.TAXONOMIES:
            line = lines.get(TERM_FIELDS[kind])
            for link in article_links(article, kind):
                variants[(kind, link.url)][link.name] += 1
                first_use.setdefault((kind, link.url, link.name), (article.rel, line))
    canonical: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for (kind, url), names in variants.items():
        chosen = min(names, key=lambda n: (-names[n], n))
        canonical[(kind, url)] = chosen
        for name in sorted(names):
            if name == chosen:
                continue
            rel, line = first_use[(kind, url, name)]
            where = content_prefix + rel
            if _normal(name) == _normal(chosen):
                message = f'{kind} "{name}" is written "{chosen}" elsewhere; they are one {kind}, shown as "{chosen}"'
                problems.append(Problem(where, line, message, WARNING))
            else:
                other_rel, other_line = first_use[(kind, url, chosen)]
                other = content_prefix + other_rel + (f":{other_line}" if other_line else "")
                message = (
                    f'{kind} "{name}" and {kind} "{chosen}" (in {other}) both map to /{url}; '
                    f"rename one of them so that they differ in letters or digits"
                )
                if urls.slug_words(name) != urls.slug_words(chosen):  # they differ past the cut
                    message = message.replace(
                        "rename one of them so that they differ in letters or digits",
                        "a URL keeps only the first slug_length characters of a name: rename "
                        "one of them so that they differ there",
                    )
                problems.append(Problem(where, line, message))
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


def _term_entries(
    articles: tuple[Outline, ...], kind: str, canonical: dict[tuple[str, str], str]
) -> tuple[TermEntry, ...]:
    positions: dict[str, list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    for position, article in enumerate(articles):
        for link in article_links(article, kind):
            positions[link.url].append(position)
            names[link.url] = canonical[(kind, link.url)]
    entries = (
        TermEntry(kind, Link(names[url], url, len(found)), tuple(found))
        for url, found in positions.items()
    )
    return tuple(sorted(entries, key=lambda e: (e.link.name.casefold(), e.link.url)))


def _periods(articles: tuple[Outline, ...], depth: int) -> tuple[Period, ...]:
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
