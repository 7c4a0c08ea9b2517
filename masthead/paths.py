"""Output paths, checked while planning, before anything is written.

Every file a build would write, whatever makes it (an article, an alias, a term, a date
archive, a feed, a static file), is checked here: names too long for a file system, two
writers of one file, a file where another page needs a folder, names that differ only in
letter case. Each problem names every source involved, with the line of the field that made
the URL.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from . import urls
from .model import WARNING, Article, Page, Problem

THEME_PREFIX = "the theme's "
"""How themefiles.shown_static names a static file of the theme (it is not in the site)."""

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
    problems.extend(_case_clashes(claims, describe, content_prefix))
    return OutputCheck(tuple(dict.fromkeys(problems)), frozenset(refused))


def _case_clashes(
    claims: dict[str, list], describe: Callable, content_prefix: str
) -> list[Problem]:
    folded: dict[str, list[str]] = defaultdict(list)
    for rel in claims:
        folded[unicodedata.normalize("NFC", rel).casefold()].append(rel)
    problems = []
    for rels in folded.values():
        if len(rels) > 1:
            rels.sort()
            names = " and ".join(f"{describe(claims[r][0])} ({r})" for r in rels)
            message = f"{names} differ only in letter case or Unicode form: on macOS and Windows they are one file; change a slug"
            problems.append(
                Problem(_where(claims[rels[0]][0], content_prefix), None, message, WARNING)
            )
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
    # A source file is where the fix goes: an article before a static file, a static file
    # of the site before the theme's (which is no path to open), an index page last.
    articles = [o for o in owners if not isinstance(o, str) and o.sources]
    static = [o for o in owners if isinstance(o, str) and not o.startswith(THEME_PREFIX)]
    responsible = articles or static or owners
    for owner in responsible:
        if isinstance(owner, str):
            found.append(Problem(owner, None, message))
        elif owner.sources:
            for rel in owner.sources:
                found.append(Problem(content_prefix + rel, line_of(rel, _field(owner)), message))
        else:
            found.append(Problem(urls.output_rel(owner.url), None, message))
    return found


def _where(owner: Page | str, content_prefix: str) -> str:
    if isinstance(owner, str):
        return owner
    return content_prefix + owner.sources[0] if owner.sources else urls.output_rel(owner.url)


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
        return (
            owner.replace(THEME_PREFIX, "the theme's static file ", 1)
            if owner.startswith(THEME_PREFIX)
            else f"the static file {owner}"
        )
    if owner.sources:
        field = _field(owner)
        where = []
        for rel in owner.sources:
            line = line_of(rel, field)
            where.append(f"{content_prefix}{rel}:{line}" if line else content_prefix + rel)
        return f"the {owner.kind} page from {', '.join(where)}"
    return f"the {owner.kind} page /{owner.url}"


def line_finder(articles: tuple[Article, ...]) -> LineOf:
    """(source rel, field) -> line, for messages; the slug's line is the title's when the
    slug is made from the title."""
    by_rel = {article.rel: article for article in articles}

    def line_of(rel: str, name: str) -> int | None:
        article = by_rel.get(rel)
        if article is None:
            return None
        if name == "slug":
            return article.line_of("slug") or article.line_of("title")
        return article.line_of(name)

    return line_of
