"""Pictures of the date archive, as plain records: the chart of articles per month and the
calendar of a month.

Pure geometry: no templates, no words of their own (the caller passes names and labels in
the site's language), so both are computed while planning, compared and fingerprinted like
any other page value, and drawn by the templates (``_archive.html``) as SVG and a table.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from typing import NamedTuple

from .model import Link

CHART_WIDTH = 720
"""Width of the chart's plotting area in SVG user units (the SVG scales to the page)."""
CHART_HEIGHT = 160
CHART_LEFT = 40
"""Room left of the plot for the count axis."""
CHART_TOP = 12
CHART_BOTTOM = 24
"""Room below the plot for the year labels."""
YEAR_LABEL_WIDTH = 40
"""Year labels are drawn no closer than this, so that they never overlap."""


class Bar(NamedTuple):
    """One month of the chart: its column (``x``, ``width``: the whole height is the link's
    target), its bar inside it (``bar_x``, ``bar_width``, ``y``, ``height``), the month page
    it links to and its label."""

    x: float
    width: float
    bar_x: float
    bar_width: float
    y: float
    height: float
    url: str
    label: str
    count: int


class Tick(NamedTuple):
    """A label on an axis, at ``position`` (x for years, y for counts)."""

    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Articles per month from January of the first year to December of the last."""

    width: float
    height: float
    plot: tuple[float, float, float, float]
    """The plotting area: left, top, width, height."""
    bars: tuple[Bar, ...]
    years: tuple[Tick, ...]
    counts: tuple[Tick, ...]
    total: int
    most: int


def _n(value: float) -> float:
    """Coordinates rounded to hundredths, so that the SVG is the same on every machine."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def chart(months: tuple[tuple[tuple[int, int], int, str, str], ...]) -> Chart | None:
    """The chart of ``months``: ((year, month), count, url, label) for every month that has
    articles, in any order. None when there are none."""
    if not months:
        return None
    first = min(key[0] for key, *_ in months)
    last = max(key[0] for key, *_ in months)
    slots = 12 * (last - first + 1)
    step = CHART_WIDTH / slots
    gap = step * 0.15 if step >= 4 else 0
    most = max(count for _, count, _, _ in months)
    left, top, width, height = CHART_LEFT, CHART_TOP, CHART_WIDTH, CHART_HEIGHT
    bars = []
    for (year, month), count, url, label in sorted(months):
        slot = (year - first) * 12 + month - 1
        tall = max(1.0, height * count / most)
        bars.append(
            Bar(
                x=_n(left + slot * step),
                width=_n(step),
                bar_x=_n(left + slot * step + gap),
                bar_width=_n(step - 2 * gap),
                y=_n(top + height - tall),
                height=_n(tall),
                url=url,
                label=label,
                count=count,
            )
        )
    every = max(1, math.ceil(YEAR_LABEL_WIDTH / (12 * step) - 1e-9))
    years = tuple(
        Tick(_n(left + (year - first) * 12 * step), str(year))
        for year in range(first, last + 1)
        if (year - first) % every == 0
    )
    counts = (Tick(_n(top + height), "0"), Tick(_n(top), str(most)))
    return Chart(
        width=left + width + 8,
        height=top + height + CHART_BOTTOM,
        plot=(left, top, width, height),
        bars=tuple(bars),
        years=years,
        counts=counts,
        total=sum(count for _, count, _, _ in months),
        most=most,
    )


class Day(NamedTuple):
    """A day of a month's calendar: its number, and its day page (None: no articles)."""

    number: int
    url: str | None
    count: int
    label: str


class Weekday(NamedTuple):
    """A column of the calendar: the short name shown and the full name for its ``abbr``."""

    short: str
    name: str


@dataclass(frozen=True)
class Calendar:
    """A month as weeks (rows) of seven days (None: a day of another month)."""

    caption: str
    weekdays: tuple[Weekday, ...]
    weeks: tuple[tuple[Day | None, ...], ...]


def month_weeks(year: int, month: int, first_weekday: int) -> tuple[tuple[int, ...], ...]:
    """The weeks of a month, each seven day numbers (0 outside the month), starting on
    ``first_weekday`` (0 Monday ... 6 Sunday)."""
    weeks = calendar.Calendar(first_weekday).monthdayscalendar(year, month)
    return tuple(tuple(week) for week in weeks)


def month_calendar(
    key: tuple[int, int],
    days: dict[int, tuple[int, str, str]],
    first_weekday: int,
    weekdays: tuple[Weekday, ...],
    caption: str,
) -> Calendar:
    """The calendar of month ``key``: ``days`` maps a day number that has articles to its
    (count, url, label); ``weekdays`` are the seven names from Monday."""
    order = tuple(weekdays[(first_weekday + i) % 7] for i in range(7))
    weeks = tuple(
        tuple(
            None
            if number == 0
            else Day(number, days[number][1], days[number][0], days[number][2])
            if number in days
            else Day(number, None, 0, "")
            for number in week
        )
        for week in month_weeks(key[0], key[1], first_weekday)
    )
    return Calendar(caption, order, weeks)


class MonthCell(NamedTuple):
    """One of the twelve months of a year: its number, name, page (None: no articles) and
    count."""

    number: int
    name: str
    url: str | None
    count: int


class YearRow(NamedTuple):
    """A year of the archive's grid: its link (with its count) and all twelve months."""

    link: Link
    months: tuple[MonthCell, ...]
