"""The cost of related articles alone, at archive scale: CPU seconds of planning every
page with ``related_count = 0`` and with the default, on a generated archive (records
built in memory, no files, no parsing).

    python bench/related.py 10000 100000
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import articles

from masthead import urls
from masthead.config import SiteConfig
from masthead.index import build_archive
from masthead.model import Article, Link
from masthead.plan import plan_pages
from masthead.related import related_positions


def records(count: int) -> list[Article]:
    """The bench archive's articles as masthead records (URLs by masthead's own rules)."""
    config = SiteConfig()

    def link(kind: str, name: str) -> Link:
        return Link(name, urls.term_url(kind, urls.slugify(name)))

    return [
        Article(
            rel=f"{a.date:%Y/%m}/{a.slug}.md",
            title=a.title,
            slug=a.slug,
            url=urls.article_url(config.permalink, a.date, a.slug, urls.slugify(a.category)),
            date=a.date,
            category=link("category", a.category),
            source=link("source", a.source),
            authors=tuple(link("author", n) for n in a.authors),
            tags=tuple(link("tag", n) for n in a.tags),
            digest=a.slug,
        )
        for a in articles(count, 0)
    ]


def cpu(step, *args) -> float:
    start = time.process_time()
    step(*args)
    return time.process_time() - start


def main(sizes: list[int]) -> None:
    for count in sizes:
        archive, _ = build_archive(records(count))
        stamps = tuple(int(a.date.timestamp()) for a in archive.articles)
        default = SiteConfig()
        off = replace(default, related_count=0)
        alone = cpu(related_positions, archive.terms, stamps, default.related_count)
        plan_off = cpu(plan_pages, archive, off)
        plan_on = cpu(plan_pages, archive, default)
        print(
            f"{count:>7} articles: related_positions {alone:.2f} s CPU; "
            f"plan_pages related_count=0 {plan_off:.2f} s, "
            f"related_count={default.related_count} {plan_on:.2f} s "
            f"(+{plan_on - plan_off:.2f} s)"
        )


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [10_000, 100_000])
