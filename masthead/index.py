"""The archive: ordering, canonical term names, taxonomies and date periods.

Every step is a single pass over the articles (bucketing into dicts), so the index is linear
in the size of the archive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from . import urls
from .model import DIRECT, WARNING, Archive, Article, Link, Memoizer, Period, Problem, TermEntry
from .taxonomy import BY_KIND, TAXONOMIES

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def published(
    articles: Iterable[Article], drafts: bool, future: bool, now: datetime
) -> tuple[list[Article], int, int]:
    """The articles a build shows: drafts and future-dated ones left out unless asked for;
    with how many of each were left out (a future draft counts as a draft). Each article
    is its own source (``rel`` is unique)."""
    kept: list[Article] = []
    left_drafts = left_future = 0
    for article in articles:
        if article.draft and not drafts:
            left_drafts += 1
        elif not future and article.date > now:
            left_future += 1
        else:
            kept.append(article)
    return kept, left_drafts, left_future


def split_retracted(articles: list[Article]) -> tuple[list[Article], tuple[Article, ...]]:
    """The articles to index, and the retracted ones (kept at their URL as a notice, listed
    nowhere)."""
    live = [a for a in articles if not a.retracted]
    return live, tuple(a for a in articles if a.retracted)


def without_sources(
    articles: list[Article], problems: list[Problem], content_prefix: str
) -> list[Article]:
    """The articles whose source no problem names."""
    if not problems:
        return list(articles)
    bad = {p.path for p in problems}
    return [a for a in articles if content_prefix + a.rel not in bad]


def order_articles(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Newest first; ties broken by URL, then source path, so the order is total."""
    # Sorting is stable, so each sort keeps the order of the one before among its ties.
    # Three sorts on one attribute each beat sorting on tuples of them by a third.
    ordered = sorted(articles, key=attrgetter("rel"))
    ordered.sort(key=attrgetter("url"))
    ordered.sort(key=attrgetter("date"), reverse=True)
    return tuple(ordered)


def url_collisions(articles: Iterable[Article], content_prefix: str) -> list[Problem]:
    """Problems for articles (or aliases) that map to one output file, naming every file
    involved with the line of the field that made the URL."""
    articles = list(articles)
    files = [urls.output_rel(article.url) for article in articles]
    files += [urls.output_rel(alias) for article in articles for alias in article.aliases]
    if len(set(files)) == len(files):  # the usual case, told without a list per file
        return []
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
class IndexShape:
    """The index computed from the outlines of the ordered articles."""

    canonical: dict[tuple[str, str], str]
    renamed: frozenset[tuple[str, str]]
    """The (kind, url) of the terms written more than one way: only an article that links
    one of them can need renaming."""
    problems: tuple[Problem, ...]
    terms: dict[str, tuple[TermEntry, ...]]
    years: tuple[Period, ...]
    months: tuple[Period, ...]
    days: tuple[Period, ...]


def build_archive(
    articles: Iterable[Article], content_prefix: str = "", memo: Memoizer = DIRECT
) -> tuple[Archive, list[Problem]]:
    """Index valid articles; problems are term-name warnings and term URL clashes.

    The index depends only on the articles' outlines, so when an edit leaves every outline
    as it was, a reusing ``memo`` gives back the last build's index."""
    archive, shape = index_articles(articles, content_prefix, memo)
    return archive, list(shape.problems)


def index_articles(
    articles: Iterable[Article],
    content_prefix: str = "",
    memo: Memoizer = DIRECT,
    known: IndexShape | None = None,
) -> tuple[Archive, IndexShape]:
    """``build_archive``, with the index shape it used: ``known`` when given (the caller
    vouches that it was computed from these very outlines: see ``outline_of``), else
    ``index_shape`` of the ordered articles' outlines."""
    ordered = order_articles(articles)
    if known is None:
        known = memo.call(index_shape, tuple(outline_of(a) for a in ordered), content_prefix)
    renamed = known.renamed
    canonical = tuple(
        memo.each(with_canonical_names, article.rel, article, known.canonical)
        if renamed and _links_any(article, renamed)
        else article
        for article in ordered
    )
    archive = Archive(
        articles=canonical,
        terms=known.terms,
        years=known.years,
        months=known.months,
        days=known.days,
    )
    return archive, known


def outline_of(article: Article) -> Outline:
    """What the index reads of an article."""
    a = article
    return Outline(a.rel, a.url, a.date, a.category, a.source, a.authors, a.tags, a.field_lines)


def index_shape(outline: tuple[Outline, ...], content_prefix: str) -> IndexShape:
    """The index of the articles, in order, from their outlines alone."""
    canonical, renamed, problems = _canonical_names(outline, content_prefix)
    return IndexShape(
        canonical=canonical,
        renamed=renamed,
        problems=tuple(problems),
        terms={t.kind: _term_entries(outline, t.kind, canonical) for t in TAXONOMIES},
        **_periods(outline),
    )


def article_links(article: Article | Outline, kind: str) -> tuple[Link, ...]:
    """The article's links of one taxonomy."""
    return BY_KIND[kind].links(article)


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
) -> tuple[dict[tuple[str, str], str], frozenset[tuple[str, str]], list[Problem]]:
    """Map (kind, url) to the name to show, and the (kind, url) written more than one way;
    warn on variants, report different names sharing a URL."""
    variants: dict[tuple[str, str], dict[str, int]] = {}
    for article in reversed(articles):  # oldest first, so "first use" reads naturally
        for taxonomy in TAXONOMIES:
            kind = taxonomy.kind
            for link in taxonomy.links(article):
                names = variants.get((kind, link.url))
                if names is None:
                    variants[(kind, link.url)] = {link.name: 1}
                else:
                    names[link.name] = names.get(link.name, 0) + 1
    canonical: dict[tuple[str, str], str] = {}
    contested: dict[tuple[str, str], dict[str, int]] = {}
    for key, names in variants.items():
        if len(names) == 1:
            canonical[key] = next(iter(names))
        else:
            canonical[key] = min(names, key=lambda n: (-names[n], n))
            contested[key] = names
    if not contested:
        return canonical, frozenset(), []
    problems = _name_problems(articles, contested, canonical, content_prefix)
    return canonical, frozenset(contested), problems


def _name_problems(
    articles: tuple[Outline, ...],
    contested: dict[tuple[str, str], dict[str, int]],
    canonical: dict[tuple[str, str], str],
    content_prefix: str,
) -> list[Problem]:
    """The warnings and errors of the terms written more than one way (``contested``), each
    naming the first article (oldest first) to write the name it is about."""
    first_use: dict[tuple[str, str, str], tuple[str, int | None]] = {}
    for article in reversed(articles):
        lines = dict(article.field_lines)
        for taxonomy in TAXONOMIES:
            kind, line = taxonomy.kind, lines.get(taxonomy.field)
            for link in taxonomy.links(article):
                if (kind, link.url) in contested:
                    first_use.setdefault((kind, link.url, link.name), (article.rel, line))
    problems: list[Problem] = []
    for (kind, url), names in contested.items():
        chosen = canonical[(kind, url)]
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
    return problems


def with_canonical_names(article: Article, canonical: dict[tuple[str, str], str]) -> Article:
    """The article with every term link named canonically (the same object if none differ)."""

    def fix(kind: str, link: Link) -> Link:
        name = canonical[(kind, link.url)]
        return link if name == link.name else link._replace(name=name)

    if all(
        canonical[(t.kind, link.url)] == link.name for t in TAXONOMIES for link in t.links(article)
    ):
        return article
    changes = {}
    for taxonomy in TAXONOMIES:
        fixed = tuple(fix(taxonomy.kind, link) for link in taxonomy.links(article))
        changes[taxonomy.field] = fixed if taxonomy.many else fixed[0]
    return replace(article, **changes)


def _links_any(article: Article, keys: frozenset[tuple[str, str]]) -> bool:
    """True when the article links a term whose (kind, url) is one of ``keys``."""
    for taxonomy in TAXONOMIES:
        kind = taxonomy.kind
        for link in taxonomy.links(article):
            if (kind, link.url) in keys:
                return True
    return False


def _term_entries(
    articles: tuple[Outline, ...], kind: str, canonical: dict[tuple[str, str], str]
) -> tuple[TermEntry, ...]:
    positions: dict[str, list[int]] = defaultdict(list)
    links = BY_KIND[kind].links
    for position, article in enumerate(articles):
        for link in links(article):
            positions[link.url].append(position)
    entries = (
        TermEntry(kind, Link(canonical[(kind, url)], url, len(found)), tuple(found))
        for url, found in positions.items()
    )
    return tuple(sorted(entries, key=lambda e: (e.link.name.casefold(), e.link.url)))


def _periods(articles: tuple[Outline, ...]) -> dict[str, tuple[Period, ...]]:
    """The years, months and days that have articles, each newest first (one pass over the
    articles, by day; a month's articles are its days', a year's its months')."""
    days: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for position, article in enumerate(articles):
        date = article.date
        days[(date.year, date.month, date.day)].append(position)
    months: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for key, found in days.items():
        months[key[:2]] += found
    years: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for key, found in months.items():
        years[key[:1]] += found
    return {"years": _periods_of(years), "months": _periods_of(months), "days": _periods_of(days)}


def _periods_of(buckets: dict[tuple[int, ...], list[int]]) -> tuple[Period, ...]:
    """The periods of these buckets of article positions, newest first; each period's
    positions in archive order."""
    periods = (
        Period(key, Link(period_name(key), urls.period_url(key), len(found)), tuple(sorted(found)))
        for key, found in buckets.items()
    )
    return tuple(sorted(periods, key=lambda p: p.key, reverse=True))
