"""The four taxonomies, described once: category, tag, source and author.

Every rule that differs between them reads this table: the front-matter field (which is also
the Article attribute), whether an article has one term or a list, the URL prefix of a term
page and of the listing of all terms, the headings, and whether term pages get an Atom feed
by default. A fifth taxonomy is one more row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Link


@dataclass(frozen=True)
class Taxonomy:
    """One kind of term an article is filed under."""

    kind: str
    """``category``: term pages live at ``category/<slug>/`` (see urls.py); messages say it."""
    field: str
    """The front-matter field and Article attribute: ``category`` or ``tags``."""
    many: bool
    """A list of names (tags, authors) rather than exactly one (category, source)."""
    required: bool
    singular: str
    """Heading of a term page: "Category: International News"."""
    plural: str
    """Heading of the listing of all terms; its URL is the lower-case form (see urls.py)."""
    feeds: bool
    """Term pages get their own Atom feed unless ``feed_taxonomies`` says otherwise."""

    def links(self, article: Any) -> tuple[Link, ...]:
        """The article's links of this taxonomy (an Article or anything with its fields)."""
        value = getattr(article, self.field)
        return value if self.many else (value,)


TAXONOMIES = (
    Taxonomy("category", "category", False, True, "Category", "Categories", True),
    Taxonomy("tag", "tags", True, False, "Tag", "Tags", False),
    Taxonomy("source", "source", False, True, "Source", "Sources", True),
    Taxonomy("author", "authors", True, False, "Author", "Authors", True),
)
KINDS = tuple(t.kind for t in TAXONOMIES)
BY_KIND = {t.kind: t for t in TAXONOMIES}
BY_FIELD = {t.field: t for t in TAXONOMIES}
DEFAULT_FEEDS = tuple(t.kind for t in TAXONOMIES if t.feeds)
