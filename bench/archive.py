"""A deterministic synthetic news archive: articles as plain records, no files.

Everything comes from one seeded ``random.Random``, so the same ``(count, seed)`` gives the
same archive on every machine and Python version.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris "
    "nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse "
    "cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui "
    "officia deserunt mollit anim id est laborum curabitur pretium tincidunt lacus nunc pulvinar "
    "sapien ligula mauris vitae ultricies leo integer malesuada porta nibh praesent semper feugiat "
    "nec pellentesque habitant morbi tristique senectus netus fames ac turpis egestas vestibulum "
    "mattis ullamcorper donec massa tellus orci cras fermentum odio eu quam viverra accumsan arcu "
    "dictum varius duis at consectetur lorem facilisis gravida neque convallis a cras semper auctor "
    "urna condimentum mattis pellentesque id nibh tortor aliquet lectus proin nisl rhoncus mattis "
    "council minister market report river harbour election budget festival study court season"
)
WORDS = tuple(dict.fromkeys(LOREM.split()))  # each word once, so that all are equally likely
POOL_SIZE = 1 << 18  # prose is cut from one long random word sequence: much faster than choices
CATEGORIES = (
    "World", "Politics", "Business", "Science", "Technology", "Health",
    "Sport", "Culture", "Environment", "Education", "Opinion", "Local",
)  # fmt: skip
FIRST_NAMES = ("Amina", "Bilal", "Carmen", "Dmitri", "Elena", "Farah", "Goran", "Hana", "Imran",
               "Julia", "Kofi", "Lena")  # fmt: skip
LAST_NAMES = ("Abbasi", "Brandt", "Costa", "Dubois", "Eze", "Fischer", "Garcia", "Haddad", "Ito",
              "Jensen", "Khan", "Lindqvist")  # fmt: skip
PAPER_WORDS = ("Daily", "Evening", "Morning", "Northern", "Coastal", "Valley", "Capital",
               "Harbour", "City", "Free")  # fmt: skip
PAPER_KINDS = ("Herald", "Courier", "Gazette", "Ledger", "Chronicle", "Post", "Times",
               "Observer", "Wire", "Review")  # fmt: skip
START = datetime(2015, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 10 * 365 * 24 * 60  # ten years of publication times


@dataclass(frozen=True)
class Article:
    """One generated article, independent of any generator's file format."""

    index: int
    title: str
    slug: str
    date: datetime
    category: str
    source: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    body: str  # Markdown


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens (the generated text is plain ASCII)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _distinct(rng: random.Random, count: int, make) -> tuple[str, ...]:
    """``count`` different names (by slug) from the ``make(rng)`` factory."""
    names: dict[str, str] = {}
    while len(names) < count:
        name = make(rng)
        names.setdefault(slugify(name), name)
    return tuple(names.values())


def vocabulary(rng: random.Random) -> dict[str, tuple[str, ...]]:
    """The fixed name lists: 12 categories, 30 sources, 200 tags, 40 authors."""
    return {
        "categories": CATEGORIES,
        "sources": _distinct(
            rng, 30, lambda r: f"The {r.choice(PAPER_WORDS)} {r.choice(PAPER_KINDS)}"
        ),
        "tags": _distinct(
            rng, 200, lambda r: " ".join(r.sample(WORDS, r.choice((1, 2, 2)))).title()
        ),
        "authors": _distinct(rng, 40, lambda r: f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"),
    }


def _sentence(words: list[str]) -> str:
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


class Prose:
    """Lorem-like sentences cut at random offsets from one seeded random word sequence."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pool = rng.choices(WORDS, k=POOL_SIZE)

    def words(self, count: int) -> list[str]:
        start = self.rng.randrange(POOL_SIZE - count)
        return self.pool[start : start + count]

    def paragraph(self, sentences: int) -> str:
        lengths = [self.rng.randint(8, 20) for _ in range(sentences)]
        words = self.words(sum(lengths))
        out, start = [], 0
        for length in lengths:
            out.append(_sentence(words[start : start + length]))
            start += length
        return " ".join(out)


def body(prose: Prose, target_words: int) -> str:
    """About ``target_words`` of Markdown: paragraphs, two or three subheadings, one list."""
    rng = prose.rng
    blocks: list[str] = []
    words = 0
    list_after = rng.randint(2, 4)
    while words < target_words:
        if len(blocks) and len(blocks) % 4 == 0 and words < target_words - 150:
            heading = " ".join(prose.words(rng.randint(2, 5))).capitalize()
            blocks.append(f"## {heading}")
        paragraph = prose.paragraph(rng.randint(3, 6))
        blocks.append(paragraph)
        words += paragraph.count(" ") + 1
        if len(blocks) == list_after:
            items = [prose.paragraph(1) for _ in range(rng.randint(3, 5))]
            blocks.append("\n".join(f"- {item}" for item in items))
            words += sum(item.count(" ") + 1 for item in items)
    return "\n\n".join(blocks) + "\n"


def articles(count: int, seed: int):
    """Yield ``count`` articles in a fixed order (not sorted by date)."""
    rng = random.Random(seed)
    names = vocabulary(rng)
    prose = Prose(rng)
    seen: set[str] = set()
    for index in range(count):
        title = " ".join(prose.words(rng.randint(4, 9))).capitalize()
        slug = slugify(title)
        if slug in seen:
            slug = f"{slug}-{index}"
        seen.add(slug)
        yield Article(
            index=index,
            title=title,
            slug=slug,
            date=START + timedelta(minutes=rng.randrange(SPAN_MINUTES)),
            category=rng.choice(names["categories"]),
            source=rng.choice(names["sources"]),
            authors=tuple(rng.sample(names["authors"], rng.choice((1, 1, 1, 2)))),
            tags=tuple(rng.sample(names["tags"], rng.randint(2, 5))),
            body=body(prose, rng.randint(580, 760)),
        )
