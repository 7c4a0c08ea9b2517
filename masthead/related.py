"""Related articles: for each article, the others that share the most with it.

Scoring (the same rule on every build, every machine):

1. Each shared **tag** counts 4, the same **category** 2, the same **source** 1. The weights
   make the order lexicographic: more shared tags always wins, then the category, then the
   source (2 + 1 < 4).
2. Equal scores: the article nearer in time (publication date) wins.
3. Equal distance: the newer one (the one earlier in the archive order, which is newest
   first, then by URL and source path), so that the choice never depends on chance.

Candidates come from an inverted index, the archive's term entries (each term's articles,
newest first), never from all pairs: for each of its terms an article looks only at that
term's ``window`` members on either side of it in date order, its nearest in time. A small
term is seen whole; a huge one (a category of 50,000 articles) contributes only its 2 x
``window`` nearest members, so the work per article is bounded by its number of terms and
the cost of the whole archive is linear. A term shared with an article outside that window
is not counted for it: the price of the cap, and the reason the window is wider than the
number of articles shown.

An article with no candidate (alone in its category, source and tags) has no related
articles. Pure and picklable: positions in, positions out.
"""

from __future__ import annotations

from collections import Counter
from itertools import repeat
from operator import neg, sub

from .model import TermEntry

WEIGHTS = (("tag", 4), ("category", 2), ("source", 1))  # TAG_WEIGHT below
"""What sharing one term of each kind is worth."""
TAG_WEIGHT = 4
MIN_WINDOW = 10
"""Members of one tag looked at on each side of an article: at least this many, and at
least twice the number of related articles shown. Of a category or a source, which only
break ties between articles sharing as many tags, ``limit`` on each side."""


def related_window(limit: int) -> int:
    """How many members of one tag an article looks at on each side of it."""
    return max(MIN_WINDOW, 2 * limit)


def related_positions(
    terms: dict[str, tuple[TermEntry, ...]], stamps: tuple[int, ...], limit: int
) -> tuple[tuple[int, ...], ...]:
    """For each article (by archive position, ``stamps`` its publication times in seconds),
    up to ``limit`` related articles, best first (see the module's docstring)."""
    count = len(stamps)
    if limit <= 0 or count < 2:
        return ((),) * count
    window = related_window(limit)
    # Per article, flat: members, index, weight, members, ... (no tuple per membership:
    # at 100,000 articles the allocations, and the garbage collections they set off, cost
    # as much as the scoring).
    memberships: list[list] = [[] for _ in range(count)]
    for kind, weight in WEIGHTS:
        for entry in terms.get(kind, ()):
            members = entry.articles
            if len(members) < 2:
                continue
            for index, position in enumerate(members):
                memberships[position].extend((members, index, weight))
    return tuple(
        _best(position, memberships[position], stamps, limit, window) for position in range(count)
    )


def _best(
    position: int,
    memberships: list,
    stamps: tuple[int, ...],
    limit: int,
    window: int,
) -> tuple[int, ...]:
    """The ``limit`` best candidates of one article, best first."""
    hits: list[int] = []
    flat = iter(memberships)
    for members, index, weight in zip(flat, flat, flat, strict=True):
        wide = window if weight == TAG_WEIGHT else limit
        nearest = members[max(0, index - wide) : index + wide + 1]
        hits.extend(nearest * weight if weight > 1 else nearest)
    scores = Counter(hits)  # each candidate's score, counted in C
    del scores[position]
    if len(scores) > limit:  # only the candidates that can make the cut are ordered
        cut = sorted(scores.values(), reverse=True)[limit - 1]
        pool = [other for other, score in scores.items() if score >= cut]
    else:
        pool = list(scores)
    # (-score, distance in time, position) for each, built by map in C: no Python call
    # per candidate, which is most of the cost at 100,000 articles.
    distances = map(abs, map(sub, map(stamps.__getitem__, pool), repeat(stamps[position])))
    ranked = sorted(zip(map(neg, map(scores.__getitem__, pool)), distances, pool, strict=True))
    return tuple(other for _, _, other in ranked[:limit])
