"""The archive you can see: the chart of articles per month, the year-by-month grid, the
calendar of a month, "on this day" pages and box, breadcrumbs and the dates of listings.

Geometry and words are unit-tested; built sites are parsed to check that every chart bar,
grid cell and calendar day links to a page that was built, under a sub-path base_url."""

from __future__ import annotations

import itertools
import os
import re
import time
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import update_golden as golden
from sitegen import build_site, write_article, write_site

from masthead import datemaps
from masthead.i18n import ENGLISH_WORDS, Catalogues, Words, load_catalogues
from masthead.pipeline import next_day
from masthead.themefiles import theme_path

# -- calendar geometry -----------------------------------------------------------------------


def test_month_weeks_start_on_the_given_weekday():
    weeks = datemaps.month_weeks(2017, 9, 0)  # 1 September 2017 was a Friday
    assert weeks[0] == (0, 0, 0, 0, 1, 2, 3)
    assert weeks[-1] == (25, 26, 27, 28, 29, 30, 0)
    sunday_first = datemaps.month_weeks(2017, 9, 6)
    assert sunday_first[0] == (0, 0, 0, 0, 0, 1, 2)
    assert all(len(week) == 7 for week in weeks + sunday_first)


def test_month_weeks_of_february():
    assert len(datemaps.month_weeks(2021, 2, 0)) == 4  # 28 days from a Monday: four rows
    leap = datemaps.month_weeks(2016, 2, 0)
    assert max(max(week) for week in leap) == 29
    assert sum(1 for week in leap for day in week if day) == 29


def test_month_calendar_links_only_days_with_articles():
    weekdays = tuple(datemaps.Weekday(s, n) for s, n in ENGLISH_WORDS.weekdays())
    cal = datemaps.month_calendar(
        (2017, 9), {23: (2, "2017/09/23/", "23 September 2017: 2 articles")}, 6, weekdays, "Sep"
    )
    assert [w.name for w in cal.weekdays][:2] == ["Sunday", "Monday"]
    days = [day for week in cal.weeks for day in week if day is not None]
    assert [d.number for d in days] == list(range(1, 31))
    linked = [d for d in days if d.url is not None]
    assert [(d.number, d.url, d.count) for d in linked] == [(23, "2017/09/23/", 2)]
    assert cal.weeks[3][6].number == 23  # Sunday first: 23 September 2017 was a Saturday


# -- chart geometry ---------------------------------------------------------------------------


def _months(*items: tuple[int, int, int]):
    return tuple(((y, m), n, f"{y:04d}/{m:02d}/", f"{y}-{m}: {n}") for y, m, n in items)


def test_chart_of_nothing_is_none():
    assert datemaps.chart(()) is None


def test_chart_bars_stand_on_the_axis_in_month_order():
    chart = datemaps.chart(_months((2017, 9, 4), (2017, 1, 2), (2016, 12, 1)))
    assert chart is not None
    left, top, width, height = chart.plot
    assert [b.url for b in chart.bars] == ["2016/12/", "2017/01/", "2017/09/"]
    step = width / 24  # two years, January 2016 to December 2017
    assert [b.x for b in chart.bars] == [left + 11 * step, left + 12 * step, left + 20 * step]
    for bar in chart.bars:
        assert bar.y + bar.height == pytest.approx(top + height)
        assert bar.x <= bar.bar_x and bar.bar_x + bar.bar_width <= bar.x + bar.width + 0.01
    tallest = chart.bars[-1]
    assert (tallest.y, tallest.height) == (top, height)
    assert chart.bars[0].height == height / 4
    assert (chart.total, chart.most) == (7, 4)
    assert [t.label for t in chart.years] == ["2016", "2017"]
    assert [t.label for t in chart.counts] == ["0", "4"]


def test_chart_keeps_small_months_visible_and_year_labels_apart():
    chart = datemaps.chart(_months((1990, 1, 1000), (2020, 6, 1)))
    assert chart is not None
    assert chart.bars[1].height == 1  # one article among a thousand is still a bar
    assert len(chart.bars) == 2  # months without articles have no bar
    positions = [t.position for t in chart.years]
    assert all(b - a >= datemaps.YEAR_LABEL_WIDTH for a, b in itertools.pairwise(positions))
    assert chart.years[0].label == "1990"
    wide = datemaps.chart(_months((1000, 1, 1), (9998, 12, 1)))  # every year a date may have
    assert wide is not None and len(wide.years) <= datemaps.CHART_WIDTH // 40 + 1
    ticks = [t.position for t in wide.years]
    assert all(b - a >= datemaps.YEAR_LABEL_WIDTH - 0.01 for a, b in itertools.pairwise(ticks))


def test_chart_coordinates_are_rounded():
    chart = datemaps.chart(_months((2017, 1, 3), (2019, 5, 7)))
    assert chart is not None
    for bar in chart.bars:
        for value in (bar.x, bar.width, bar.bar_x, bar.bar_width, bar.y, bar.height):
            assert round(value, 2) == value


# -- words ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def theme_words() -> Catalogues:
    catalogues, problems = load_catalogues((theme_path(),))
    assert not problems
    return catalogues


def _d(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_date_range_in_english(theme_words):
    words = Words(theme_words, "en")
    assert words.date_range(_d("2017-09-14"), _d("2017-09-01")) == "1–14 September 2017"
    assert words.date_range(_d("2017-09-01"), _d("2017-09-01T20:00")) == "1 September 2017"
    assert words.date_range(_d("2017-08-28"), _d("2017-09-03")) == "28 August – 3 September 2017"
    assert (
        words.date_range(_d("2016-12-30"), _d("2017-01-02")) == "30 December 2016 – 2 January 2017"
    )


def test_date_range_weekdays_and_days_in_urdu(theme_words):
    words = Words(theme_words, "ur")
    assert words.date_range(_d("2017-09-01"), _d("2017-09-14")) == "1–14 ستمبر، 2017"
    assert words.day_of_year(2, 29) == "29 فروری"
    assert len(set(words.weekdays())) == 7


# -- built sites ------------------------------------------------------------------------------

BASE = "https://example.org/news/"
ARTICLES = {
    "2016/02/leap.md": {
        "title": "Leap day story",
        "date": "2016-02-29",
        "category": "World",
        "source": "Wire",
    },
    "2016/09/old.md": {
        "title": "Old September",
        "date": "2016-09-23",
        "category": "World",
        "source": "Wire",
    },
    "2017/09/a.md": {
        "title": "Talks resume",
        "date": "2017-09-23T10:00",
        "category": "World",
        "source": "Wire",
    },
    "2017/09/b.md": {
        "title": "Markets rally",
        "date": "2017-09-22",
        "category": "Business",
        "source": "Wire",
    },
    "2017/09/c.md": {
        "title": "Rain in Lahore",
        "date": "2017-09-01",
        "category": "City",
        "source": "Wire",
    },
    "2017/01/d.md": {
        "title": "New year",
        "date": "2017-01-01",
        "category": "City",
        "source": "Wire",
    },
}


class _Links(HTMLParser):
    """Every href, by the innermost element of interest around it."""

    AREAS = ("svg", "table", "nav", "section", "article")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str]] = []
        self.links: list[tuple[tuple[tuple[str, str], ...], str]] = []
        self.current: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in self.AREAS:
            self.open.append((tag, values.get("class") or ""))
        if tag == "a" and values.get("href"):
            self.links.append((tuple(self.open), values["href"]))
        if values.get("aria-current") == "page":
            self.current.append(values.get("href") or "")

    def handle_endtag(self, tag):
        if tag in self.AREAS:
            for index in range(len(self.open) - 1, -1, -1):
                if self.open[index][0] == tag:
                    del self.open[index]
                    break


def _links(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _within(parser: _Links, tag: str, cls: str) -> list[str]:
    return [href for areas, href in parser.links if (tag, cls) in areas]


def _resolves(output: Path, href: str) -> bool:
    assert href.startswith("/news/"), href
    rel = href.removeprefix("/news/")
    return (output / (rel + "index.html" if rel.endswith("/") or not rel else rel)).is_file()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = write_site(
        tmp_path_factory.mktemp("archive-views") / "site",
        {"base_url": BASE, "timezone": "UTC", "per_page": 2},
        ARTICLES,
    )
    return build_site(site, now=datetime(2017, 9, 23, 12, tzinfo=UTC))


def test_every_chart_and_grid_link_resolves(built: Path):
    page = _links(built / "archive/index.html")
    bars = _within(page, "svg", "")
    assert sorted(set(bars)) == [
        "/news/2016/02/",
        "/news/2016/09/",
        "/news/2017/01/",
        "/news/2017/09/",
    ]
    grid = _within(page, "table", "archive-grid")
    assert {"/news/2016/", "/news/2017/"} <= set(grid) and set(bars) <= set(grid)
    assert all(_resolves(built, href) for href in bars + grid)
    text = (built / "archive/index.html").read_text(encoding="utf-8")
    row = text[text.index('href="/news/2016/"') :].split("</tr>")[0]
    assert row.count("<td") == 12 and row.count('class="empty-month"') == 10


def test_every_calendar_link_resolves(built: Path):
    months = sorted(built.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html"))
    months += sorted(built.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/page/*/index.html"))
    assert len(months) >= 4
    seen = set()
    for path in months:
        days = _within(_links(path), "table", "calendar")
        assert days, f"{path} has no calendar links"
        assert all(_resolves(built, href) for href in days), path
        seen.update(days)
    assert {"/news/2017/09/01/", "/news/2017/09/22/", "/news/2017/09/23/"} <= seen
    september = (built / "2017/09/index.html").read_text(encoding="utf-8")
    assert september.count('<th scope="col"><abbr') == 7 and '<table class="calendar">' in september


def test_year_pages_list_all_twelve_months_with_counts(built: Path):
    text = (built / "2017/index.html").read_text(encoding="utf-8")
    months = text[text.index('class="year-months"') :].split("</nav>")[0]
    assert months.count("<li") == 12
    assert '<a href="/news/2017/09/">September</a> <span class="count">3' in months
    assert '<li class="empty-month">March <span class="count">0</span></li>' in months


def test_on_this_day_pages_list_every_year_newest_first(built: Path):
    assert len(list((built / "on-this-day").glob("*/index.html"))) == 366
    text = (built / "on-this-day/09-23/index.html").read_text(encoding="utf-8")
    assert text.index("Talks resume") < text.index("Old September")
    assert "Dates: 23 September 2016 – 23 September 2017" in text
    empty = (built / "on-this-day/03-01/index.html").read_text(encoding="utf-8")
    assert "Nothing was published on 1 March in any year." in empty


def test_on_this_day_for_29_february(built: Path):
    text = (built / "on-this-day/02-29/index.html").read_text(encoding="utf-8")
    assert "On this day: 29 February" in text and "Leap day story" in text
    day = _links(built / "2016/02/29/index.html")
    assert "/news/on-this-day/02-29/" in [href for _, href in day.links]


def test_a_build_of_non_leap_years_still_writes_29_february(tmp_path: Path):
    site = write_site(
        tmp_path / "site",
        {"base_url": BASE, "timezone": "UTC"},
        {
            "2017/03/a.md": {
                "title": "A",
                "date": "2017-03-01",
                "category": "World",
                "source": "Wire",
            }
        },
    )
    output = build_site(site, now=datetime(2017, 3, 2, tzinfo=UTC))
    text = (output / "on-this-day/02-29/index.html").read_text(encoding="utf-8")
    assert "Nothing was published on 29 February in any year." in text
    assert "on-this-day/02-29/" in (output / "sitemap.xml").read_text(encoding="utf-8")


def test_home_page_box_names_the_reference_day(built: Path):
    home = (built / "index.html").read_text(encoding="utf-8")
    box = home[home.index('class="on-this-day"') :].split("</section>")[0]
    assert "On this day: 23 September" in box
    assert box.index("Talks resume") < box.index("Old September")
    assert 'href="/news/on-this-day/09-23/"' in box
    assert "on-this-day" not in (built / "page/2/index.html").read_text(encoding="utf-8")


def test_breadcrumbs_on_article_and_archive_pages(built: Path):
    for rel, last in (
        ("2017/09/23/talks-resume/index.html", "/news/2017/09/23/talks-resume/"),
        ("2017/09/23/index.html", "/news/2017/09/23/"),
        ("2017/09/index.html", "/news/2017/09/"),
        ("2017/index.html", "/news/2017/"),
        ("archive/index.html", "/news/archive/"),
    ):
        text = (built / rel).read_text(encoding="utf-8")
        trail = text[text.index('<nav class="breadcrumbs" aria-label="Breadcrumb">') :]
        trail = trail.split("</nav>")[0]
        hrefs = re.findall(r'href="([^"]+)"', trail)
        assert hrefs[0] == "/news/" and hrefs[-1] == last, rel
        assert trail.count('aria-current="page"') == 1
        assert f'<a href="{last}" aria-current="page">' in trail
        assert all(_resolves(built, href) for href in hrefs)


def test_listings_say_which_dates_they_cover(built: Path):
    first = (built / "2017/09/index.html").read_text(encoding="utf-8")
    assert '<p class="date-range">Dates: 22–23 September 2017</p>' in first
    second = (built / "2017/09/page/2/index.html").read_text(encoding="utf-8")
    assert '<p class="date-range">Dates: 1 September 2017</p>' in second
    tag = (built / "category/world/index.html").read_text(encoding="utf-8")
    assert "Dates: 23 September 2016 – 23 September 2017" in tag


def test_article_dates_link_to_their_day(built: Path):
    article = (built / "2017/09/23/talks-resume/index.html").read_text(encoding="utf-8")
    assert '<a class="date-link" href="/news/2017/09/23/"><time class="published"' in article
    for path in (built / "index.html", built / "category/city/index.html"):
        dates = re.findall(r'<a class="date-link" href="([^"]+)">', path.read_text("utf-8"))
        assert dates and all(_resolves(built, href) for href in dates)


def test_the_box_follows_the_reference_day(tmp_path: Path):
    site = write_site(
        tmp_path / "site",
        {"base_url": BASE, "timezone": "Asia/Karachi"},
        {
            "2017/03/a.md": {
                "title": "A",
                "date": "2017-03-01",
                "category": "World",
                "source": "Wire",
            }
        },
    )
    # 20:00 UTC on 1 March is 01:00 on 2 March in Karachi: the site's day counts.
    output = build_site(site, now=datetime(2017, 3, 1, 20, tzinfo=UTC))
    assert "On this day: 2 March" in (output / "index.html").read_text(encoding="utf-8")


def test_next_day_is_midnight_in_the_site_time_zone():
    from zoneinfo import ZoneInfo

    karachi = ZoneInfo("Asia/Karachi")
    until = next_day(datetime(2017, 3, 1, 20, tzinfo=UTC), karachi)
    assert until == datetime(2017, 3, 3, tzinfo=karachi)
    assert next_day(datetime(2016, 2, 28, 23, 59, tzinfo=UTC), UTC).date() == date(2016, 2, 29)


@pytest.mark.slow
def test_a_new_article_rerenders_only_the_pages_it_changes(tmp_path: Path):
    from masthead.model import BuildOptions
    from masthead.pipeline import build

    site = write_site(tmp_path / "site", {"base_url": BASE, "timezone": "UTC"}, ARTICLES)
    options = BuildOptions(now=datetime(2017, 9, 25, tzinfo=UTC), jobs=1)
    assert not build(site, options).errors
    before = {p: p.read_bytes() for p in (site / "output").rglob("*.html")}
    write_article(
        site, "2017/09/e.md", title="Late news", date="2017-09-24", category="City", source="Wire"
    )
    assert not build(site, options).errors
    changed = {
        p.relative_to(site / "output").as_posix()
        for p in (site / "output").rglob("*.html")
        if before.get(p) != p.read_bytes()
    }
    assert "on-this-day/09-24/index.html" in changed and "archive/index.html" in changed
    assert "2017/09/index.html" in changed and "2017/index.html" in changed
    untouched = (
        "2016/index.html",
        "2016/09/index.html",
        "2017/01/index.html",
        "on-this-day/09-23/index.html",
    )
    assert not changed & set(untouched), changed
    assert not any(
        rel.startswith("on-this-day/") for rel in changed - {"on-this-day/09-24/index.html"}
    )


# -- the chart's SVG, byte for byte -------------------------------------------------------------


def test_chart_svg_matches_its_golden_file(tmp_path: Path):
    built = golden.chart_files(golden.build_chart_site(tmp_path))
    expected = golden.output_files(golden.CHART)
    assert built == expected, (
        f"the chart's SVG differs from {golden.CHART} (python tests/update_golden.py)"
    )


@pytest.mark.slow
def test_a_build_on_the_next_day_moves_the_box_and_equals_a_clean_build(tmp_path: Path):
    from sitegen import output_tree

    from masthead.model import BuildOptions
    from masthead.pipeline import build

    site = write_site(tmp_path / "site", {"base_url": BASE, "timezone": "UTC"}, ARTICLES)
    for path in site.rglob("*"):  # written long ago: the memo trusts their stat
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    # Long after every article: no scheduled article nor the news window ends the memo.
    first = build(site, BuildOptions(now=datetime(2018, 2, 28, 12, tzinfo=UTC), jobs=1))
    assert not first.errors
    later = BuildOptions(now=datetime(2018, 3, 1, 12, tzinfo=UTC), jobs=1)
    second = build(site, later)  # the same inputs: the memo must not hold past midnight
    assert not second.errors and second.rendered >= 1
    home = (site / "output/index.html").read_text(encoding="utf-8")
    assert "On this day: 1 March" in home
    clean = tmp_path / "clean"
    options = BuildOptions(now=later.now, jobs=1, use_cache=False, output=str(clean))
    assert not build(site, options).errors
    assert output_tree(site / "output") == output_tree(clean)


def test_an_urdu_site_gets_its_calendar_chart_and_ranges_in_urdu(tmp_path: Path):
    site = write_site(
        tmp_path / "site",
        {"base_url": BASE, "timezone": "UTC", "language": "ur"},
        {
            "2017/09/a.md": {"title": "A", "date": "2017-09-01", "category": "W", "source": "S"},
            "2017/09/b.md": {"title": "B", "date": "2017-09-14", "category": "W", "source": "S"},
        },
    )
    output = build_site(site, now=datetime(2017, 9, 29, tzinfo=UTC))
    month = (output / "2017/09/index.html").read_text(encoding="utf-8")
    assert '<abbr title="پیر">' in month  # Monday, from CLDR
    assert "تاریخیں: 1–14 ستمبر، 2017" in month
    assert 'aria-label="راستہ"' in month  # the breadcrumb trail's label
    archive = (output / "archive/index.html").read_text(encoding="utf-8")
    assert '<title id="chart-title">ہر مہینے کی خبریں</title>' in archive
    assert "ستمبر 2017: 2 خبریں" in archive
    assert "آج کے دن: 29 ستمبر" in (output / "index.html").read_text(encoding="utf-8")
