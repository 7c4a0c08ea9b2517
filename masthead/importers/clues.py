"""Small rules for reading what a news page says about itself, shared by the page and feed
importers: dates written in words, bylines, datelines, attributions, page furniture, language
tags, and text cleaned of control characters.

Every rule here reads only what the text states: a date line must be a whole date (an
ambiguous ``09/10/2017`` is no date), a time without a known zone keeps only its day, and a
byline yields the names it lists. English and Urdu are covered; the word lists are tables at
the top, so that another language is a few more rows.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from ..config import LANG_PATTERN
from ..text import NOT_TEXT

CONTROL = NOT_TEXT

MONTHS = {
    **dict.fromkeys(("january", "jan"), 1),
    **dict.fromkeys(("february", "feb"), 2),
    **dict.fromkeys(("march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("may",), 5),
    **dict.fromkeys(("june", "jun"), 6),
    **dict.fromkeys(("july", "jul"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sep", "sept"), 9),
    **dict.fromkeys(("october", "oct"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("december", "dec"), 12),
    # Urdu (CLDR's wide names, which are also its abbreviated ones)
    "جنوری": 1, "فروری": 2, "مارچ": 3, "اپریل": 4, "مئی": 5, "جون": 6,
    "جولائی": 7, "اگست": 8, "ستمبر": 9, "اکتوبر": 10, "نومبر": 11, "دسمبر": 12,
}  # fmt: skip
WEEKDAYS = frozenset((
    "monday", "mon", "tuesday", "tue", "tues", "wednesday", "wed", "thursday", "thu", "thur",
    "thurs", "friday", "fri", "saturday", "sat", "sunday", "sun", "اتوار", "پیر", "سوموار",
    "منگل", "بدھ", "جمعرات", "جمعہ", "ہفتہ",
))  # fmt: skip
ZONES = {"z": 0, "utc": 0, "gmt": 0, "pkt": 5 * 60}
"""Zone names that mean one offset (minutes); any other name leaves the time out."""
_PUBLISHED_LABELS = (
    r"published(?:\s+on)?|first\s+published(?:\s+on)?|posted(?:\s+on)?|dated?|on|شائع|تاریخ"
)
_UPDATED_LABELS = r"(?:last\s+)?updated(?:\s+on)?|modified(?:\s+on)?|اپ\s*ڈیٹ"
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SEP = r"[\s,،.\-/]*"
_WORD = r"[^\W\d_]+"
_DATE = re.compile(
    rf"""^(?:(?P<label>{_PUBLISHED_LABELS}|{_UPDATED_LABELS})\s*[:：]?\s*)?
    (?:(?P<wd>{_WORD})\.?[\s,،]+)?
    (?:(?P<t1>\d{{1,2}}[:.]\d{{2}}(?::\d{{2}})?\s*(?:[ap]\.?m\.?)?)\s*(?P<z1>[a-z]{{1,5}}|[+-]\d{{2}}:?\d{{2}})?[\s,،|–—-]+)?
    (?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?{_SEP}(?:of\s+)?(?P<m1>{_WORD})\.?{_SEP}(?P<y1>\d{{4}})
      |(?P<m2>{_WORD})\.?\s*(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?{_SEP}(?P<y2>\d{{4}})
      |(?P<y3>\d{{4}})[-/.](?P<m3>\d{{1,2}})[-/.](?P<d3>\d{{1,2}})
      |(?P<a4>\d{{1,2}})[/.-](?P<b4>\d{{1,2}})[/.-](?P<y4>\d{{4}}))
    (?:[\s,،|–—-]+(?:at\s+)?(?P<t2>\d{{1,2}}[:.]\d{{2}}(?::\d{{2}})?\s*(?:[ap]\.?m\.?)?)\s*(?P<z2>[a-z]{{1,5}}|[+-]\d{{2}}:?\d{{2}})?)?
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([ap])?", re.IGNORECASE)
_BYLINE = re.compile(
    r"^(?:by|written\s+by|reported\s+by|story\s+by|تحریر|رپورٹ)\s*[:：]?\s+(?P<names>\S.*)$",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|·|•|\band\b|\bwith\b|\s\|\s|\sاور\s|،)\s*", re.IGNORECASE)
ROLES = frozenset((
    "staff reporter", "our staff reporter", "staff correspondent", "our correspondent",
    "correspondent", "special correspondent", "staff writer", "reporter", "editor",
    "contributor", "news desk", "web desk", "bureau chief", "bureau report", "agencies",
))  # fmt: skip
"""Words a byline adds after a name ("By Amina Rao, Staff Reporter"): dropped beside a name,
kept when the byline is nothing else."""
_ATTRIBUTION = re.compile(
    r"^(?:courtesy|بشکریہ|published\s+in|(?:originally|first)\s+published\s+(?:in|by|at|on))"
    r"\s*[:：\-–—]?\s*(?P<name>\S.*?)\s*\.?$"
    r"|^(?:source|sources|via|credit|credits|ماخذ|بحوالہ)\s*[:：\-–—]\s*(?P<label>\S.*?)\s*\.?$",
    re.IGNORECASE,
)
"""An attribution line: "Courtesy : Dawn News", "Published in Dawn, ...", "Source: AFP" (a
word like "Source" only with its colon, so that "Sources said ..." stays prose)."""
WIRES = frozenset((
    "afp", "reuters", "ap", "app", "pti", "nni", "inp", "ani", "ians", "xinhua", "anadolu",
    "dpa", "bloomberg", "bernama", "associated-press", "the-associated-press",
))  # fmt: skip
"""News agencies whose name alone on a page's last line ("— AFP") attributes the story."""
_WIRE_LINE = re.compile(r"^[—–-]*\s*[(\[]?(?P<name>[A-Za-z][A-Za-z .]{1,28}?)[)\]]?\.?$")
_DATELINE = re.compile(
    r"^(?P<place>[^\W\d_][^\W\d_.'’]*(?:[ .'’-]{1,2}[^\W\d_]+){0,3}\.?)"
    r"(?:,\s*(?P<more>[^():—–\n]{1,30}?))?"
    r"(?:\s*\((?P<agency>[^()\n]{1,40})\)\s*(?P<sep>:|：|—|–|--?)?|\s*(?P<sep2>:|：|—|–|--?))"
    r"\s+(?=\S)"
)
_DATELINE_MORE = re.compile(r"[A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*)?\.?(?: \d{1,2})?")
NOT_PLACES = frozenset((
    "update", "updated", "note", "editor's note", "editor’s note", "editors note", "watch",
    "read", "breaking", "breaking news", "exclusive", "analysis", "opinion", "live", "video",
    "photos", "photo", "correction", "clarification", "listen", "related", "warning",
    "also read", "read more", "explainer", "comment", "interview", "review",
))  # fmt: skip
"""Capitals before a colon that are a label, not a place ("UPDATE: ...", "WATCH: ...")."""
FURNITURE_WORDS = frozenset((
    "show", "hide", "buttons", "button", "share", "shares", "sharing", "this", "article",
    "story", "post", "page", "on", "via", "facebook", "twitter", "x", "whatsapp", "email",
    "e-mail", "mail", "print", "linkedin", "pinterest", "reddit", "telegram", "messenger",
    "tumblr", "tweet", "copy", "link", "url", "comments", "comment", "leave", "a", "reply",
    "advertisement", "advertisements", "ad", "ads", "sponsored", "read", "more", "also",
    "related", "back", "to", "top", "subscribe", "follow", "us", "like", "save", "bookmark",
    "next", "previous", "prev", "close", "menu", "skip", "content", "login", "sign", "in",
    "شیئر", "کریں", "مزید", "پڑھیں", "اشتہار", "تبصرے", "تبصرہ",
))  # fmt: skip
"""A short line made only of these words (and counts, bars, bullets) is page furniture:
share widgets, "Show Buttons", "Advertisement", "Comments (3)"."""
_FURNITURE_NOISE = re.compile(r"[\d()\[\]|•·/:,.!?+\-–—_*#»«›‹<>]+")
HOME_WORDS = frozenset(("home", "homepage", "home page", "main", "start", "ہوم", "صفحہ اول"))


def clean(text: str) -> str:
    """Text without control characters, with LF line ends; everything else kept exactly."""
    return CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str | None) -> str:
    """Clean text on one line, runs of white space as one space ('' for None)."""
    return " ".join(clean(text or "").split())


def same_text(a: str | None, b: str | None) -> bool:
    """Whether two headlines or names say the same, ignoring case, spacing and punctuation."""
    return _comparable(a) == _comparable(b) and bool(_comparable(a))


def _comparable(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", (text or "").casefold()).split())


def parse_date_line(line: str) -> tuple[str, str] | None:
    """A line that is a date and nothing else ("Saturday , 23 September 2017", "Published:
    Oct. 2, 2017 10:30 PKT", "ہفتہ، 23 ستمبر 2017") as (kind, ISO text), kind being
    ``published`` or ``updated``; None for any other line."""
    line = one_line(line).translate(_DIGITS)
    if len(line) > 80:
        return None
    match = _DATE.match(line)
    if not match:
        return None
    parts = match.groupdict()
    weekday = parts["wd"]
    if weekday and weekday.casefold() not in WEEKDAYS:
        return None
    day = _day(parts)
    if day is None:
        return None
    kind = "updated" if re.match(_UPDATED_LABELS, parts["label"] or "", re.I) else "published"
    time_text, zone = (parts["t1"], parts["z1"]) if parts["t1"] else (parts["t2"], parts["z2"])
    return kind, _with_time(day, time_text, zone)


def _day(parts: dict[str, str | None]) -> date | None:
    if parts["y1"] or parts["y2"]:
        name = (parts["m1"] or parts["m2"] or "").casefold()
        month = MONTHS.get(name)
        year, day = int(parts["y1"] or parts["y2"] or 0), int(parts["d1"] or parts["d2"] or 0)
    elif parts["y3"]:
        year, month, day = int(parts["y3"]), int(parts["m3"] or 0), int(parts["d3"] or 0)
    else:
        first, second, year = int(parts["a4"] or 0), int(parts["b4"] or 0), int(parts["y4"] or 0)
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            month, day = first, second
        else:
            return None  # 09/10/2017: September or October? Not a date to guess.
    try:
        return date(year, month, day) if month else None
    except ValueError:
        return None


def _with_time(day: date, time_text: str | None, zone: str | None) -> str:
    """The day, with its time only when the zone it was given in is known."""
    match = _TIME.match(time_text or "")
    offset = _offset(zone)
    if not match or offset is None:
        return day.isoformat()
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    meridiem = (match.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return day.isoformat()
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return day.isoformat()
    when = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=offset)
    return when.isoformat()


def _offset(zone: str | None) -> timezone | None:
    if not zone:
        return None
    zone = zone.casefold()
    if zone in ZONES:
        return timezone(timedelta(minutes=ZONES[zone]))
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone)
    if not match:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3))
    if minutes >= 24 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if match.group(1) == "-" else minutes))


def iso_when(text: str | None) -> str | None:
    """An ISO 8601 date or date-time as masthead writes it: with its offset when it has one,
    seconds kept, fractions dropped, and a bare midnight without offset as the day alone
    (that is how date extractors write a day)."""
    text = one_line(text)
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    when = when.replace(microsecond=0)
    if when.tzinfo is None and when.time() == datetime.min.time():
        return when.date().isoformat()
    return when.isoformat()


def byline_names(line: str) -> tuple[str, ...]:
    """The names a byline line gives ("By Amina Rao and Bilal Khan"); () for another line."""
    line = one_line(line)
    match = _BYLINE.match(line)
    if not match or len(line) > 160:
        return ()
    return split_names(match.group("names"))


def split_names(text: str) -> tuple[str, ...]:
    """Names in one string: "A and B", "A, B & C", "A; B"; a leading "By" and role words
    beside a name ("Staff Reporter") dropped."""
    text = re.sub(r"^(?:by|written\s+by)\s+", "", one_line(text), flags=re.IGNORECASE)
    names = [name.strip(" .:-–—") for name in _NAME_SPLIT.split(text)]
    names = [name for name in names if name and not _is_email(name) and _could_be_name(name)]
    people = [name for name in names if name.casefold() not in ROLES]
    return tuple(dict.fromkeys(people or names))


def _could_be_name(text: str) -> bool:
    """A part of a byline that is no date, time or sentence ("Published 17 Aug 2023")."""
    return not re.search(r"\d", text) and len(text.split()) <= 6


def _is_email(text: str) -> bool:
    return bool(re.fullmatch(r"\S+@\S+\.\S+", text))


def dateline(paragraph: str) -> tuple[str, str] | None:
    """(place, the paragraph without it) when the paragraph opens with a dateline:
    "MOSCOW: ...", "NEW YORK, Sept 23 (Reuters) - ...", "کراچی: ...". A place in a script
    with letter case must be in capitals (so that "Missile salvo: ..." is no dateline); in
    a script without case (Urdu, Arabic) it is one or two words before a colon or a
    parenthesis."""
    match = _DATELINE.match(paragraph)
    if not match:
        return None
    place = match.group("place").strip()
    sep = match.group("sep") or match.group("sep2")
    letters = [char for char in place if char.isalpha()]
    cased = [char for char in letters if char.lower() != char.upper()]
    if cased:
        if len(letters) < 3 or any(not char.isupper() for char in cased):
            return None
        if place.casefold() in NOT_PLACES:
            return None
        if match.group("more") and not _DATELINE_MORE.fullmatch(match.group("more")):
            return None  # "WASHINGTON, D.C.:", "NEW YORK, Sept 23 (Reuters) -"; not prose
        if match.group("more") and not re.search(r"\d", match.group("more")):
            place = f"{place}, {match.group('more').strip()}"
    else:
        if len(place.split()) > 2 or not letters:
            return None
        if match.group("more") or not (sep in (":", "：") or match.group("agency")):
            return None
    rest = paragraph[match.end() :]
    return (place, rest) if rest.strip() else None


def attribution(line: str) -> str | None:
    """The source an attribution line names ("Courtesy : Dawn News", "Published in Dawn,
    September 23rd, 2017", "— AFP"); None for any other line."""
    line = one_line(line)
    if len(line) > 100:
        return None
    match = _ATTRIBUTION.match(line)
    if match:
        name = (match.group("name") or match.group("label")).split(",")[0].strip(" .")
        return name if name and len(name) <= 60 and len(name.split()) <= 6 else None
    wire = _WIRE_LINE.match(line)
    if wire and wire.group("name").strip().casefold().replace(" ", "-") in WIRES:
        return wire.group("name").strip()
    return None


def is_furniture(line: str) -> bool:
    """Whether a line is page furniture: share widgets, "Show Buttons", "Advertisement",
    "Comments (3)", "Read more"."""
    line = one_line(line)
    if not line or len(line) > 80:
        return False
    words = _FURNITURE_NOISE.sub(" ", line.casefold()).split()
    return bool(words) and all(word in FURNITURE_WORDS for word in words)


def breadcrumb(line: str) -> tuple[str, ...] | None:
    """The parts of a breadcrumb line ("Home / International News / <headline>"), None for
    another line: it opens with Home, or has three or more short parts."""
    line = one_line(line)
    for separator in (" / ", " > ", " » ", " › ", " → ", " | "):
        parts = [part.strip() for part in line.split(separator)]
        if len(parts) < 2 or not all(parts):
            continue
        if parts[0].casefold() in HOME_WORDS or (
            len(parts) >= 3 and all(len(part) <= 60 for part in parts[:-1])
        ):
            return tuple(parts)
    return None


def crumb_category(parts: tuple[str, ...] | list[str], title: str | None) -> str | None:
    """The section a breadcrumb names: its last part that is neither Home nor the headline."""
    kept = [part for part in parts if part.casefold() not in HOME_WORDS]
    if kept and title and (same_text(kept[-1], title) or _truncated_of(kept[-1], title)):
        kept = kept[:-1]
    return kept[-1] if kept else None


def _truncated_of(part: str, title: str) -> bool:
    stem = part.rstrip(".…").strip()
    return (
        part.endswith(("…", "..."))
        and bool(stem)
        and _comparable(title).startswith(_comparable(stem))
    )


def lang_tag(value: str | None) -> str | None:
    """A BCP 47 tag from what pages write (``en_US``, ``en-gb``, ``UR``), or None."""
    text = one_line(value).replace("_", "-")
    if not text or text.casefold() in ("und", "zxx", "mul", "x-default"):
        return None
    primary, _, rest = text.partition("-")
    tag = primary.lower() + ("-" + rest.upper() if len(rest) == 2 else "-" + rest if rest else "")
    return tag if LANG_PATTERN.match(tag) else None


def mostly_other_script(text: str) -> bool:
    """Whether most letters of ``text`` are outside the Latin script (a page whose language
    an English default would get wrong)."""
    letters = [char for char in text[:5000] if char.isalpha()]
    other = sum(1 for char in letters if ord(char) > 0x24F)
    return bool(letters) and other * 2 > len(letters)


LATIN_SCRIPT_LANGS = frozenset((
    "en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "nb", "nn", "fi", "is", "pl",
    "cs", "sk", "sl", "hr", "bs", "sq", "ro", "hu", "tr", "az", "id", "ms", "tl", "sw", "ca",
    "eu", "gl", "ga", "cy", "lt", "lv", "et", "mt", "vi", "ha", "yo", "so",
))  # fmt: skip
"""Languages written in the Latin script: a tag of one of them on text mostly in another
script (an ``en`` feed carrying an Urdu story) says nothing true about that text."""


def script_conflict(lang: str | None, text: str) -> bool:
    """Whether ``lang`` is a Latin-script language and ``text`` is mostly in another script."""
    primary = (lang or "").split("-")[0].lower()
    return primary in LATIN_SCRIPT_LANGS and mostly_other_script(text)
