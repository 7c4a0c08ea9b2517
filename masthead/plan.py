"""Page planning: every page the site has, its URL, template and inputs.

Planning is cheap and runs on every build. A Page names the articles it shows by position
in the archive, so its inputs can be fingerprinted without rendering it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

from . import datemaps, urls
from .article import rtl_direction
from .config import SiteConfig
from .descriptions import Description, category_url, from_config
from .i18n import ENGLISH_WORDS, Words
from .model import (
    DIRECT,
    Archive,
    Article,
    Link,
    Memoizer,
    Page,
    PageLink,
    Pagination,
    Period,
    PeriodNav,
    TermEntry,
    YearEntry,
)
from .related import related_positions
from .taxonomy import BY_KIND, TAXONOMIES

PAGINATION_WINDOW = 2
ON_THIS_DAY_SHOWN = 5
"""Articles the home page's "on this day" box shows (its page lists them all)."""
LEAP_YEAR = 2000
"""The year whose days "on this day" pages are made for: all 366, 29 February too."""


def plan_pages(
    archive: Archive,
    config: SiteConfig,
    memo: Memoizer = DIRECT,
    words: Words = ENGLISH_WORDS,
    today: tuple[int, int] | None = None,
    descriptions: tuple[Description, ...] | None = None,
) -> tuple[Page, ...]:
    """Every page of the site, in a deterministic order; headings in the site's language
    (``words``); ``today`` is the build's reference day (month, day) for the home page's
    "on this day" box (None: no box); ``descriptions`` of categories (from the config and
    ``_category.md`` files, see descriptions.py; None: the config's) for their pages.

    With a reusing ``memo``, an article's pages are planned again only when the article, its
    place or its neighbours changed, and the index pages only when the index did."""
    per_article = _per_article_pages(archive, config, memo, words)
    listings = memo.call(
        index_pages,
        archive.terms,
        archive.years,
        archive.months,
        archive.days,
        len(archive.articles),
        config,
        words,
        today,
        lead_position(archive.articles),
        from_config(config) if descriptions is None else descriptions,
    )
    pages = [article_page for article_page, _ in per_article]
    pages.extend(listings)
    pages.extend(memo.call(corrections_pages, corrected_positions(archive), config, words))
    for _, aliases in per_article:
        pages.extend(aliases)
    return tuple(pages)


def index_pages(
    terms: dict[str, tuple[TermEntry, ...]],
    years: tuple[Period, ...],
    months: tuple[Period, ...],
    days: tuple[Period, ...],
    count: int,
    config: SiteConfig,
    words: Words = ENGLISH_WORDS,
    today: tuple[int, int] | None = None,
    lead: int | None = None,
    descriptions: tuple[Description, ...] = (),
) -> tuple[Page, ...]:
    """The home page (led by the article at position ``lead``), term and period listings,
    the archive overview, the "on this day" pages and the 404 page."""
    pages: list[Page] = []
    everything = tuple(range(count))
    home = (_home(words),)
    feed = urls.feed_url("")
    by_day_of_year = _by_day_of_year(days)
    home_pages = _listing(config, words, "", "home", config.title, everything, home, feed=feed)
    if today is not None:
        home_pages[0] = _with_today_box(home_pages[0], today, by_day_of_year, words)
    pages.extend(_with_lead(home_pages, lead))
    for taxonomy in TAXONOMIES:
        about = descriptions if taxonomy.kind == "category" else ()
        pages.extend(_term_pages(terms[taxonomy.kind], config, taxonomy.kind, words, about))
    pages.extend(_period_pages(years, months, days, config, words))
    pages.append(_archive_overview(years, months, config, words))
    pages.extend(_on_this_day_pages(by_day_of_year, config, words))
    pages.append(_page(config, urls.NOT_FOUND_FILE, "404.html", "404", words("Page not found")))
    return tuple(pages)


def corrected_positions(archive: Archive) -> tuple[int, ...]:
    """Positions of the articles with corrections, the newest correction first (ties: the
    newer article first)."""
    corrected = (p for p, article in enumerate(archive.articles) if article.corrections)
    return tuple(
        sorted(corrected, key=lambda p: archive.articles[p].corrections[0].date, reverse=True)
    )


def corrections_pages(
    corrected: tuple[int, ...], config: SiteConfig, words: Words = ENGLISH_WORDS
) -> tuple[Page, ...]:
    """``/corrections/``: every corrected article with its corrections, the newest
    correction first, paginated like any listing (written even when there is none)."""
    heading = words("Corrections")
    trail = (_home(words), Link(heading, urls.CORRECTIONS_URL))
    pages = _listing(config, words, urls.CORRECTIONS_URL, "corrections", heading, corrected, trail)
    return tuple(replace(page, template="corrections.html") for page in pages)


def lead_position(articles: tuple[Article, ...]) -> int | None:
    """The home page's lead story: the newest article marked ``featured``, else the newest
    (None in an empty archive)."""
    featured = next((p for p, article in enumerate(articles) if article.featured), None)
    return featured if featured is not None else (0 if articles else None)


def _with_lead(pages: list[Page], lead: int | None) -> list[Page]:
    """The home pages with ``lead`` as the first page's lead story, and the rest of its
    newest articles below it (every later page keeps its place)."""
    if not pages:
        return pages
    first = pages[0]
    newest = tuple(p for p in first.refs["articles"] if p != lead)
    refs = {**first.refs, "lead": lead, "articles": newest}
    return [
        replace(first, refs=refs),
        *(replace(p, refs={**p.refs, "lead": None}) for p in pages[1:]),
    ]


def _home(words: Words) -> Link:
    return Link(words("Home"), "")


def retraction_pages(
    articles: tuple[Article, ...], config: SiteConfig, words: Words = ENGLISH_WORDS
) -> tuple[Page, ...]:
    """For each retracted article, a notice at its URL (headline, date, the reason; no
    body), and its aliases redirecting there. None of them is listed anywhere."""
    pages: list[Page] = []
    for article in sorted(articles, key=lambda a: a.url):
        pages.append(
            Page(
                url=article.url,
                template="retracted.html",
                kind="retracted",
                title=words("Retracted: {title}", title=article.title),
                lang=config.language,
                dir=rtl_direction(config.language),
                description=words("This article was retracted: {reason}", reason=article.retracted),
                values={"article": article},
                sources=(article.rel,),
            )
        )
        pages.extend(
            _page(
                config,
                alias,
                "alias.html",
                "alias",
                words("Moved: {title}", title=article.title),
                values={"target": article.url, "article": article},
                sources=(article.rel,),
            )
            for alias in article.aliases
        )
    return tuple(pages)


def redirects_page(pages: tuple[Page, ...], config: SiteConfig) -> Page:
    """``_redirects`` (Netlify and Cloudflare Pages syntax): every alias, moved for good
    (301) to its article, as paths under the site's base path."""
    moves = tuple(
        (urls.href(config.base_path, page.url), urls.href(config.base_path, page.values["target"]))
        for page in pages
        if page.kind == "alias"
    )
    return Page(
        url=urls.REDIRECTS_FILE,
        template="redirects.txt",
        kind="redirects",
        title=urls.REDIRECTS_FILE,
        lang=config.language,
        values={"moves": tuple(sorted(moves))},
    )


def navigation(
    archive: Archive, config: SiteConfig | None = None, words: Words = ENGLISH_WORDS
) -> tuple[Link, ...]:
    """Categories for the site header: ``nav_categories`` names them in order, or gives how
    many, the ones with most articles (ties by name), shown by name. When some are left out,
    a last link, "More", leads to the categories page. Without counts: adding an article
    changes every page only when it changes which categories are shown."""
    config = config or SiteConfig()
    entries = archive.terms["category"]
    chosen = config.nav_categories
    if isinstance(chosen, int):
        most = sorted(entries, key=lambda e: -e.link.count)[:chosen]  # stable: ties by name
        urls_shown = {e.link.url for e in most}
        shown = [e for e in entries if e.link.url in urls_shown]
    else:
        by_name = {_normal_name(e.link.name): e for e in entries}
        by_url = {e.link.url: e for e in entries}
        found = (
            by_name.get(_normal_name(name))
            or by_url.get(urls.term_url("category", urls.slugify(name, config.slug_length)))
            for name in chosen
        )
        shown = list(dict.fromkeys(e for e in found if e is not None))
    links = tuple(Link(e.link.name, e.link.url) for e in shown)
    if len(shown) < len(entries) and shown:
        links += (Link(words("More"), urls.listing_url("category")),)
    return links


def _normal_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def sections(words: Words = ENGLISH_WORDS) -> tuple[Link, ...]:
    """Links to the listing pages and the archive overview."""
    listing = tuple(Link(words(t.plural), urls.listing_url(t.kind)) for t in TAXONOMIES)
    return (*listing, Link(words("Archive"), urls.ARCHIVE_URL))


def _page(config: SiteConfig, url: str, template: str, kind: str, title: str, **fields) -> Page:
    direction = rtl_direction(config.language)
    return Page(
        url=url,
        template=template,
        kind=kind,
        title=title,
        lang=config.language,
        dir=direction,
        **fields,
    )


def _per_article_pages(
    archive: Archive, config: SiteConfig, memo: Memoizer, words: Words
) -> list[tuple[Page, tuple[Page, ...]]]:
    """Each article's page and its alias pages, newest article first."""
    stamps = tuple(int(article.date.timestamp()) for article in archive.articles)
    related = memo.call(related_positions, archive.terms, stamps, config.related_count)
    last = len(archive.articles) - 1
    return [
        memo.each(
            article_pages, article.rel, article, position, last, related[position], config, words
        )
        for position, article in enumerate(archive.articles)
    ]


def article_pages(
    article: Article,
    position: int,
    last: int,
    related: tuple[int, ...],
    config: SiteConfig,
    words: Words = ENGLISH_WORDS,
) -> tuple[Page, tuple[Page, ...]]:
    """One article's page and the pages that redirect its aliases to it."""
    refs = {
        "article": position,
        "newer": position - 1 if position > 0 else None,
        "older": position + 1 if position < last else None,
        "related": related,
    }
    trail = (_home(words), _plain(article.category), Link(article.title, article.url))
    page = Page(
        url=article.url,
        template="article.html",
        kind="article",
        title=article.title,
        lang=config.language,
        dir=rtl_direction(config.language),
        description=article.summary,
        values={"trail": trail, "content_lang": article.lang or config.language},
        refs=refs,
        sources=(article.rel,),
    )
    aliases = tuple(
        _page(
            config,
            alias,
            "alias.html",
            "alias",
            words("Moved: {title}", title=article.title),
            values={"target": article.url},
            refs={"article": position},
            sources=(article.rel,),
        )
        for alias in article.aliases
    )
    return page, aliases


def _listing(
    config: SiteConfig,
    words: Words,
    base: str,
    kind: str,
    heading: str,
    positions: tuple[int, ...],
    trail: tuple[Link, ...],
    period_nav: PeriodNav | None = None,
    feed: str | None = None,
    extra: dict | None = None,
) -> list[Page]:
    """The paginated list pages of one index (home, a term or a period).

    ``trail`` is the breadcrumb trail from the home page to this index; ``extra`` values
    are given to every page of it."""
    per_page = config.per_page
    total = max(1, -(-len(positions) // per_page))
    pages = []
    for number in range(1, total + 1):
        url = urls.paginated_url(base, number)
        title = (
            heading
            if number == 1
            else words(
                "{heading} (page {number} of {total})", heading=heading, number=number, total=total
            )
        )
        values = {
            "heading": heading,
            "pagination": _pagination(base, number, total),
            "period_nav": period_nav,
            "feed_url": feed,
            "trail": trail,
            **(extra or {}),
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


def _term_pages(
    entries: tuple[TermEntry, ...],
    config: SiteConfig,
    kind: str,
    words: Words,
    descriptions: tuple[Description, ...] = (),
) -> list[Page]:
    taxonomy = BY_KIND[kind]
    listing = Link(words(taxonomy.plural), urls.listing_url(kind))
    home = _home(words)
    described = {category_url(d.name, config): d for d in descriptions}
    pages = []
    for entry in entries:
        heading = words(f"{taxonomy.singular}: {{name}}", name=entry.link.name)
        trail = (home, listing, _plain(entry.link))
        feed = urls.feed_url(entry.link.url) if kind in config.feed_taxonomies else None
        about = described.get(entry.link.url)
        for page in _listing(
            config, words, entry.link.url, kind, heading, entry.articles, trail, feed=feed
        ):
            values = {
                **page.values,
                "term": entry.link,
                "term_description": about.html if about else "",
            }
            pages.append(replace(page, values=values, description=about.text if about else ""))
    values = {
        "heading": listing.name,
        "terms": tuple(e.link for e in entries),
        "trail": (home, listing),
    }
    pages.append(_page(config, listing.url, "terms.html", "terms", listing.name, values=values))
    return pages


def _period_pages(
    years: tuple[Period, ...],
    months: tuple[Period, ...],
    days: tuple[Period, ...],
    config: SiteConfig,
    words: Words,
) -> list[Page]:
    overview = Link(words("Archive"), urls.ARCHIVE_URL)
    year_links = {p.key: _named(p, words) for p in years}
    month_links = {p.key: _named(p, words) for p in months}
    extras = _period_extras(years, months, days, words)
    pages = []
    for kind, periods, parent in (
        ("year", years, lambda key: overview),
        ("month", months, lambda key: year_links[key[:1]]),
        ("day", days, lambda key: month_links[key[:2]]),
    ):
        for index, period in enumerate(periods):
            nav = PeriodNav(
                up=_plain(parent(period.key)),
                prev=_plain(_named(periods[index + 1], words))
                if index + 1 < len(periods)
                else None,
                next=_plain(_named(periods[index - 1], words)) if index > 0 else None,
            )
            pages.extend(
                _listing(
                    config,
                    words,
                    period.link.url,
                    kind,
                    words.period(period.key),
                    period.articles,
                    _period_trail(period.key, words),
                    nav,
                    extra=extras.get(period.key),
                )
            )
    return pages


def _period_extras(
    years: tuple[Period, ...],
    months: tuple[Period, ...],
    days: tuple[Period, ...],
    words: Words,
) -> dict[tuple[int, ...], dict]:
    """What a period's pages show besides its articles: a year its twelve months (with
    counts), a month its calendar, a day a link to the same day in every year."""
    months_of: dict[int, dict[int, Period]] = defaultdict(dict)
    for month in months:
        months_of[month.key[0]][month.key[1]] = month
    days_of: dict[tuple[int, int], dict[int, tuple[int, str, str]]] = defaultdict(dict)
    for day in days:
        days_of[day.key[:2]][day.key[2]] = (day.link.count, day.link.url, _labelled(day, words))
    extras: dict[tuple[int, ...], dict] = {}
    for year in years:
        extras[year.key] = {"months": _month_cells(months_of[year.key[0]], words)}
    weekdays = tuple(datemaps.Weekday(short, name) for short, name in words.weekdays())
    for month in months:
        extras[month.key] = {
            "calendar": datemaps.month_calendar(
                month.key,  # type: ignore[arg-type]
                days_of[month.key],
                words.first_weekday,
                weekdays,
                words.period(month.key),
            )
        }
    for day in days:
        month_day = day.key[1:]
        extras[day.key] = {
            "on_this_day": Link(
                words("{day} in every year", day=words.day_of_year(*month_day)),
                urls.on_this_day_url(*month_day),
            )
        }
    return extras


def _labelled(period: Period, words: Words) -> str:
    """``September 2017: 12 articles``: how a chart bar or a calendar day is announced."""
    count = period.link.count
    return words(
        "{name}: {articles}", name=words.period(period.key), articles=words("{n} articles", n=count)
    )


def _month_cells(found: dict[int, Period], words: Words) -> tuple[datemaps.MonthCell, ...]:
    """All twelve months of a year; those without articles have no URL and no count."""
    return tuple(
        datemaps.MonthCell(
            number,
            words.month(number),
            found[number].link.url if number in found else None,
            found[number].link.count if number in found else 0,
        )
        for number in range(1, 13)
    )


def _by_day_of_year(days: tuple[Period, ...]) -> dict[tuple[int, int], tuple[int, ...]]:
    """The articles of each (month, day) in every year, newest first."""
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for day in days:
        found[(day.key[1], day.key[2])].extend(day.articles)
    return {key: tuple(sorted(positions)) for key, positions in found.items()}


def _days_of_year() -> tuple[tuple[int, int], ...]:
    """Every (month, day) a year can have, 29 February included."""
    first = date(LEAP_YEAR, 1, 1).toordinal()
    return tuple(
        (when.month, when.day)
        for when in map(date.fromordinal, range(first, date(LEAP_YEAR, 12, 31).toordinal() + 1))
    )


def _on_this_day_pages(
    by_day_of_year: dict[tuple[int, int], tuple[int, ...]], config: SiteConfig, words: Words
) -> list[Page]:
    """``on-this-day/MM-DD/`` for all 366 days: that day's articles of every year, newest
    first; a day without any says so."""
    every = _days_of_year()
    home = _home(words)
    overview = Link(words("Archive"), urls.ARCHIVE_URL)
    pages = []
    for index, (month, day) in enumerate(every):
        name = words.day_of_year(month, day)
        heading = words("On this day: {day}", day=name)
        earlier, later = every[index - 1], every[(index + 1) % len(every)]
        nav = PeriodNav(
            up=overview,
            prev=Link(words.day_of_year(*earlier), urls.on_this_day_url(*earlier)),
            next=Link(words.day_of_year(*later), urls.on_this_day_url(*later)),
        )
        url = urls.on_this_day_url(month, day)
        trail = (home, overview, Link(heading, url))
        empty = words("Nothing was published on {day} in any year.", day=name)
        positions = by_day_of_year.get((month, day), ())
        extra = {"empty_note": empty}
        pages.extend(
            _listing(config, words, url, "on-this-day", heading, positions, trail, nav, extra=extra)
        )
    return pages


def _with_today_box(
    page: Page,
    today: tuple[int, int],
    by_day_of_year: dict[tuple[int, int], tuple[int, ...]],
    words: Words,
) -> Page:
    """The home page with a box of the reference day's articles in every year."""
    found = by_day_of_year.get(today, ())
    name = words.day_of_year(*today)
    box = {
        "heading": words("On this day: {day}", day=name),
        "link": Link(words("{day} in every year", day=name), urls.on_this_day_url(*today)),
        "count": len(found),
        "empty": words("Nothing was published on {day} in any year.", day=name),
    }
    return replace(
        page,
        values={**page.values, "today_box": box},
        refs={**page.refs, "today_articles": found[:ON_THIS_DAY_SHOWN]},
    )


def _named(period: Period, words: Words) -> Link:
    """A period's link, named in the site's language."""
    return period.link._replace(name=words.period(period.key))


def _period_trail(key: tuple[int, ...], words: Words) -> tuple[Link, ...]:
    """Home > 2017 > September 2017 > 23 September 2017."""
    return (
        _home(words),
        *(Link(words.period(key[:n]), urls.period_url(key[:n])) for n in range(1, len(key) + 1)),
    )


def _plain(link: Link) -> Link:
    """A link without its count, so that a page does not change when a neighbour grows."""
    return Link(link.name, link.url)


def _archive_overview(
    years: tuple[Period, ...], months: tuple[Period, ...], config: SiteConfig, words: Words
) -> Page:
    months_of: dict[int, list[Period]] = defaultdict(list)
    for month in months:
        months_of[month.key[0]].append(month)
    entries = tuple(
        YearEntry(
            link=_named(year, words),
            months=tuple(
                Link(words.month(m.key[1]), m.link.url, m.link.count)
                for m in sorted(months_of[year.key[0]], key=lambda m: m.key)
            ),
        )
        for year in years
    )
    by_key = {m.key: m for m in months}
    chart = datemaps.chart(
        tuple((m.key, m.link.count, m.link.url, _labelled(m, words)) for m in months)  # type: ignore[misc]
    )
    grid = tuple(
        datemaps.YearRow(
            _named(year, words),
            _month_cells(
                {n: by_key[(year.key[0], n)] for n in range(1, 13) if (year.key[0], n) in by_key},
                words,
            ),
        )
        for year in years
    )
    return _page(
        config,
        urls.ARCHIVE_URL,
        "archive.html",
        "archive",
        words("Archive"),
        values={
            "heading": words("Archive"),
            "years": entries,
            "chart": chart,
            "chart_text": _chart_text(chart, years, words),
            "grid": grid,
            "month_names": tuple(
                datemaps.Weekday(words.month_short(n), words.month(n)) for n in range(1, 13)
            ),
            "trail": (_home(words), Link(words("Archive"), urls.ARCHIVE_URL)),
        },
    )


def _chart_text(chart: datemaps.Chart | None, years: tuple[Period, ...], words: Words) -> dict:
    """The chart's title and description, its text alternative (the grid below it gives
    every month's count)."""
    if chart is None:
        return {"title": words("Articles per month"), "desc": ""}
    span = f"{years[-1].key[0]}" if len(years) == 1 else f"{years[-1].key[0]}–{years[0].key[0]}"
    desc = words(
        "{articles} from {span}, at most {most} in a month; the table below gives the count "
        "of every month.",
        articles=words("{n} articles", n=chart.total),
        span=span,
        most=chart.most,
    )
    return {"title": words("Articles per month"), "desc": desc}
