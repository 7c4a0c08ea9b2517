"""Page planning: every page the site has, its URL, template and inputs.

Planning is cheap and runs on every build. A Page names the articles it shows by position
in the archive, so its inputs can be fingerprinted without rendering it.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from . import urls
from .config import SiteConfig
from .feeds import feed_url
from .index import MONTH_NAMES, period_name
from .model import (
    WARNING,
    Archive,
    Article,
    Link,
    Page,
    PageLink,
    Pagination,
    Period,
    PeriodNav,
    Problem,
    YearEntry,
)
from .session import Session

PAGINATION_WINDOW = 2
HOME = Link("Home", "")
KIND_HEADINGS = {"category": "Category", "tag": "Tag", "source": "Source", "author": "Author"}
LISTING_HEADINGS = {
    "category": "Categories",
    "tag": "Tags",
    "source": "Sources",
    "author": "Authors",
}


def plan_pages(
    archive: Archive, config: SiteConfig, session: Session | None = None
) -> tuple[Page, ...]:
    """Every page of the site, in a deterministic order.

    With a ``session``, an article's pages are planned again only when the article, its
    place or its neighbours changed, and the index pages only when the index did."""
    session = session or Session()
    per_article = _per_article_pages(archive, config, session)
    index_inputs = (
        archive.terms, archive.years, archive.months, archive.days, len(archive.articles), config
    )  # fmt: skip
    index_pages = session.value("index pages", index_inputs, lambda: _index_pages(archive, config))
    pages = [article_page for article_page, _ in per_article]
    pages.extend(index_pages)
    for _, aliases in per_article:
        pages.extend(aliases)
    return tuple(pages)


def _index_pages(archive: Archive, config: SiteConfig) -> tuple[Page, ...]:
    """The home page, term and period listings, the archive overview and the 404 page."""
    pages: list[Page] = []
    everything = tuple(range(len(archive.articles)))
    pages.extend(_listing(config, "", "home", config.title, everything, (HOME,), feed=feed_url("")))
    for kind in urls.TAXONOMIES:
        pages.extend(_term_pages(archive, config, kind))
    pages.extend(_period_pages(archive, config))
    pages.append(_archive_overview(archive, config))
    pages.append(_page(config, urls.NOT_FOUND_FILE, "404.html", "404", "Page not found"))
    return tuple(pages)


LineOf = Callable[[str, str], "int | None"]
"""(source rel, front-matter field) -> the field's line, for messages."""


@dataclass(frozen=True)
class OutputCheck:
    """What planning found wrong with the files a build would write, and which to leave
    out so that the rest can still be built (``--keep-going``)."""

    problems: tuple[Problem, ...]
    refused: frozenset[str]


def check_output_paths(
    pages: tuple[Page, ...],
    static: dict[str, str],
    content_prefix: str,
    line_of: LineOf = lambda rel, field: None,
) -> OutputCheck:
    """Every output file the pages and static files (output rel -> source shown) would
    write, checked before anything is written: names too long for a file system, two
    writers of one file, a file where another needs a folder. Files that differ only in
    letter case get a warning (they are one file on macOS and Windows)."""
    claims: dict[str, list[Page | str]] = defaultdict(list)
    for page in pages:
        claims[urls.output_rel(page.url)].append(page)
    for rel, shown in static.items():
        claims[rel].append(shown)
    problems: list[Problem] = []
    refused: set[str] = set()
    describe = partial(_describe_claim, content_prefix=content_prefix, line_of=line_of)
    for rel, owners in claims.items():
        why = urls.output_path_problem(rel)
        if why:
            message = f"the output file {_shortened(rel)} {why}; {_fix(owners)}"
            problems.extend(_blame(owners, message, content_prefix, line_of))
            refused.add(rel)
        elif len(owners) > 1:
            names = " and ".join(map(describe, owners))
            message = f"{names} would all be written to {rel}; change a slug or the permalink"
            problems.extend(_blame(owners, message, content_prefix, line_of))
            refused.add(rel)
    for rel in claims:
        for folder in _parents(rel):
            if folder in claims and folder not in refused:
                message = (
                    f"{describe(claims[folder][0])} writes the file {folder}, where "
                    f"{describe(claims[rel][0])} needs a folder; change a slug or an alias"
                )
                problems.extend(
                    _blame([claims[folder][0], claims[rel][0]], message, content_prefix, line_of)
                )
                refused.update((folder, rel))
    problems.extend(_case_clashes(claims, describe))
    return OutputCheck(tuple(dict.fromkeys(problems)), frozenset(refused))


def _case_clashes(claims: dict[str, list], describe: Callable) -> list[Problem]:
    folded: dict[str, list[str]] = defaultdict(list)
    for rel in claims:
        folded[unicodedata.normalize("NFC", rel).casefold()].append(rel)
    problems = []
    for rels in folded.values():
        if len(rels) > 1:
            rels.sort()
            names = " and ".join(f"{describe(claims[r][0])} ({r})" for r in rels)
            message = f"{names} differ only in letter case: on macOS and Windows they are one file; change a slug"
            problems.append(Problem(_where(claims[rels[0]][0]), None, message, WARNING))
    return problems


def _shortened(rel: str, longest: int = 60) -> str:
    """``rel`` with very long names cut in the middle, for a message that fits a line."""
    return "/".join(
        part if len(part) <= longest else f"{part[:40]}…{part[-12:]}" for part in rel.split("/")
    )


def _parents(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]


def _blame(owners: list, message: str, content_prefix: str, line_of: LineOf) -> list[Problem]:
    """The problem once per source file responsible; an index page is blamed (by its
    output file) only when no source file is."""
    found = []
    responsible = [o for o in owners if isinstance(o, str) or o.sources] or owners
    for owner in responsible:
        if isinstance(owner, str):
            found.append(Problem(owner, None, message))
        elif owner.sources:
            for rel in owner.sources:
                found.append(Problem(content_prefix + rel, line_of(rel, _field(owner)), message))
        else:
            found.append(Problem(urls.output_rel(owner.url), None, message))
    return found


def _where(owner: Page | str) -> str:
    if isinstance(owner, str):
        return owner
    return owner.sources[0] if owner.sources else urls.output_rel(owner.url)


def _field(page: Page) -> str:
    return "aliases" if page.kind == "alias" else "slug"


def _fix(owners: list) -> str:
    if any(isinstance(o, Page) and o.kind == "alias" for o in owners):
        return "shorten the alias"
    if any(isinstance(o, Page) and o.kind == "article" for o in owners):
        return "give the article a shorter slug, or a permalink with fewer names in one segment"
    if any(isinstance(o, str) for o in owners):
        return "rename the file"
    return "shorten the name it is made from"


def _describe_claim(owner: Page | str, content_prefix: str, line_of: LineOf) -> str:
    if isinstance(owner, str):
        return f"the static file {owner}"
    if owner.sources:
        field = _field(owner)
        where = []
        for rel in owner.sources:
            line = line_of(rel, field)
            where.append(f"{content_prefix}{rel}:{line}" if line else content_prefix + rel)
        return f"the {owner.kind} page from {', '.join(where)}"
    return f"the {owner.kind} page /{owner.url}"


def navigation(archive: Archive) -> tuple[Link, ...]:
    """Categories for the site header, by name. Without counts: adding an article must not
    change every page of the site."""
    return tuple(Link(e.link.name, e.link.url) for e in archive.terms["category"])


def sections() -> tuple[Link, ...]:
    """Links to the listing pages and the archive overview."""
    listing = tuple(Link(LISTING_HEADINGS[k], urls.listing_url(k)) for k in urls.TAXONOMIES)
    return (*listing, Link("Archive", urls.ARCHIVE_URL))


def _page(config: SiteConfig, url: str, template: str, kind: str, title: str, **fields) -> Page:
    return Page(url=url, template=template, kind=kind, title=title, lang=config.language, **fields)


def _per_article_pages(
    archive: Archive, config: SiteConfig, session: Session
) -> list[tuple[Page, tuple[Page, ...]]]:
    """Each article's page and its alias pages, newest article first."""
    related = session.value(
        "related",
        (archive.terms["category"], len(archive.articles), config.related_count),
        lambda: _related_positions(archive, config.related_count),
    )
    last = len(archive.articles) - 1
    table = session.table("article pages")
    planned = []
    for position, article in enumerate(archive.articles):
        inputs = (article, position, last, related[position], config)
        planned.append(
            table.get(
                article.rel,
                inputs,
                lambda article=article, position=position: _article_pages(
                    article, position, last, related[position], config
                ),
            )
        )
    return planned


def _article_pages(
    article: Article, position: int, last: int, related: tuple[int, ...], config: SiteConfig
) -> tuple[Page, tuple[Page, ...]]:
    """One article's page and the pages that redirect its aliases to it."""
    refs = {
        "article": position,
        "newer": position - 1 if position > 0 else None,
        "older": position + 1 if position < last else None,
        "related": related,
    }
    trail = (HOME, _plain(article.category), Link(article.title, article.url))
    page = Page(
        url=article.url,
        template="article.html",
        kind="article",
        title=article.title,
        lang=article.lang or config.language,
        dir=article.dir,
        description=article.summary,
        values={"trail": trail},
        refs=refs,
        sources=(article.rel,),
    )
    aliases = tuple(
        _page(
            config,
            alias,
            "alias.html",
            "alias",
            f"Moved: {article.title}",
            values={"target": article.url},
            refs={"article": position},
            sources=(article.rel,),
        )
        for alias in article.aliases
    )
    return page, aliases


def _related_positions(archive: Archive, count: int) -> list[tuple[int, ...]]:
    """For each article, the nearest articles in date of the same category, newest first.

    Nearest rather than newest, so that a new article changes only its neighbours' pages."""
    related: list[tuple[int, ...]] = [()] * len(archive.articles)
    for entry in archive.terms["category"]:
        members = entry.articles
        for index, position in enumerate(members):
            chosen = []
            for step in range(1, len(members)):
                for neighbour in (index - step, index + step):
                    if 0 <= neighbour < len(members) and len(chosen) < count:
                        chosen.append(members[neighbour])
                if len(chosen) >= count or step > count:
                    break
            related[position] = tuple(sorted(chosen))
    return related


def _listing(
    config: SiteConfig,
    base: str,
    kind: str,
    heading: str,
    positions: tuple[int, ...],
    trail: tuple[Link, ...],
    period_nav: PeriodNav | None = None,
    feed: str | None = None,
) -> list[Page]:
    """The paginated list pages of one index (home, a term or a period).

    ``trail`` is the breadcrumb trail from the home page to this index."""
    per_page = config.per_page
    total = max(1, -(-len(positions) // per_page))
    pages = []
    for number in range(1, total + 1):
        url = urls.paginated_url(base, number)
        title = heading if number == 1 else f"{heading} (page {number} of {total})"
        values = {
            "heading": heading,
            "pagination": _pagination(base, number, total),
            "period_nav": period_nav,
            "feed_url": feed,
            "trail": trail,
        }
        chunk = positions[(number - 1) * per_page : number * per_page]
        pages.append(
            _page(config, url, "list.html", kind, title, values=values, refs={"articles": chunk})
        )
    return pages


def _pagination(base: str, number: int, total: int) -> Pagination:
    shown = sorted(
        {
            1,
            total,
            *range(max(1, number - PAGINATION_WINDOW), min(total, number + PAGINATION_WINDOW) + 1),
        }
    )
    links: list[PageLink | None] = []
    for previous, n in zip([0, *shown], shown, strict=False):
        if n - previous > 1:
            links.append(None)
        links.append(PageLink(n, urls.paginated_url(base, n), n == number))
    return Pagination(
        number=number,
        total=total,
        prev_url=urls.paginated_url(base, number - 1) if number > 1 else None,
        next_url=urls.paginated_url(base, number + 1) if number < total else None,
        links=tuple(links),
    )


def _term_pages(archive: Archive, config: SiteConfig, kind: str) -> list[Page]:
    entries = archive.terms[kind]
    pages = []
    for entry in entries:
        heading = f"{KIND_HEADINGS[kind]}: {entry.link.name}"
        trail = (HOME, Link(LISTING_HEADINGS[kind], urls.listing_url(kind)), _plain(entry.link))
        feed = feed_url(entry.link.url) if kind in config.feed_taxonomies else None
        pages.extend(
            _listing(config, entry.link.url, kind, heading, entry.articles, trail, feed=feed)
        )
    listing = Link(LISTING_HEADINGS[kind], urls.listing_url(kind))
    values = {
        "heading": listing.name,
        "terms": tuple(e.link for e in entries),
        "trail": (HOME, listing),
    }
    pages.append(
        _page(
            config,
            urls.listing_url(kind),
            "terms.html",
            "terms",
            LISTING_HEADINGS[kind],
            values=values,
        )
    )
    return pages


def _period_pages(archive: Archive, config: SiteConfig) -> list[Page]:
    overview = Link("Archive", urls.ARCHIVE_URL)
    years = {p.key: p.link for p in archive.years}
    months = {p.key: p.link for p in archive.months}
    pages = []
    for kind, periods, parent in (
        ("year", archive.years, lambda key: overview),
        ("month", archive.months, lambda key: years[key[:1]]),
        ("day", archive.days, lambda key: months[key[:2]]),
    ):
        for index, period in enumerate(periods):
            nav = PeriodNav(
                up=_plain(parent(period.key)),
                prev=_plain(periods[index + 1].link) if index + 1 < len(periods) else None,
                next=_plain(periods[index - 1].link) if index > 0 else None,
            )
            pages.extend(
                _listing(
                    config,
                    period.link.url,
                    kind,
                    period.link.name,
                    period.articles,
                    _period_trail(period.key),
                    nav,
                )
            )
    return pages


def _period_trail(key: tuple[int, ...]) -> tuple[Link, ...]:
    """Home > 2017 > September 2017 > 23 September 2017."""
    return (
        HOME,
        *(Link(period_name(key[:n]), urls.period_url(key[:n])) for n in range(1, len(key) + 1)),
    )


def _plain(link: Link) -> Link:
    """A link without its count, so that a page does not change when a neighbour grows."""
    return Link(link.name, link.url)


def _archive_overview(archive: Archive, config: SiteConfig) -> Page:
    months_of: dict[int, list[Period]] = defaultdict(list)
    for month in archive.months:
        months_of[month.key[0]].append(month)
    years = tuple(
        YearEntry(
            link=year.link,
            months=tuple(
                Link(MONTH_NAMES[m.key[1] - 1], m.link.url, m.link.count)
                for m in sorted(months_of[year.key[0]], key=lambda m: m.key)
            ),
        )
        for year in archive.years
    )
    return _page(
        config,
        urls.ARCHIVE_URL,
        "archive.html",
        "archive",
        "Archive",
        values={
            "heading": "Archive",
            "years": years,
            "trail": (HOME, Link("Archive", urls.ARCHIVE_URL)),
        },
    )
