"""Category descriptions written as files: ``_category.md`` in a folder of the content.

A newsroom that keeps its sections in folders (``content/business/``) describes each with a
file beside its articles, as Hugo's ``_index.md`` does; one that keeps its articles by date
puts them in folders of their own (``content/sections/business/_category.md``; not in a
folder whose name starts with ``.`` or ``_``, which are skipped). The folder does not
matter, the front matter does::

    ---
    category: Business
    ---
    Markets, companies and the **economy**, from the wire and our own reporters.

The front matter names the category as articles write it; the body is Markdown, read with
the site's engine, shown on the category's pages, and its first paragraph as plain text is
their description for search engines. The same category described twice (in two files, or
in a file and in ``[tool.masthead.categories]``) is an error naming both.

Part of the load stage: ``read_descriptions`` reads them, each build (they are few and
small), and returns plain records; the plan stage puts them on the term pages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from . import markup, urls
from .config import MAX_DESCRIPTION, SiteConfig
from .model import Problem
from .readers import Unreadable, make_readers, reader_for
from .sources import read_source
from .text import describe, quoted, without_forbidden

SUFFIX = "_category"
"""A description's file name, before its reader's suffix (``_category.md``)."""
KNOWN_KEYS = frozenset({"category"})


@dataclass(frozen=True)
class Description:
    """What a category's pages say about it."""

    name: str
    """The category, as articles write it."""
    html: str
    text: str
    """Plain text, at most ``summary_length`` characters: the pages' meta description."""
    source: str
    """Where it is written (``content/business/_category.md``, or ``pyproject.toml``)."""


def is_description(rel: str) -> bool:
    """True for a source path that is a category's description, not an article."""
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] == SUFFIX


def from_config(config: SiteConfig) -> tuple[Description, ...]:
    """``[tool.masthead.categories]``: plain text, each one paragraph."""
    return tuple(
        Description(name, f"<p>{html.escape(text)}</p>", _summary(text, config), "pyproject.toml")
        for name, text in config.categories
    )


def read_descriptions(
    content_path: Path, rels: list[str], config: SiteConfig
) -> tuple[tuple[Description, ...], list[Problem]]:
    """Every category's description, from the config and the description files ``rels``
    (paths below the content folder), and a problem for each file that is wrong and each
    category described twice."""
    problems: list[Problem] = []
    readers = make_readers(config)
    found = list(from_config(config))
    for rel in sorted(rels):
        shown_as = config.content_prefix + rel
        source = read_source(content_path, rel, shown_as, config.max_article_bytes)
        if source.problem or source.text is None:
            problems.append(source.problem or Problem(shown_as, None, "cannot read file"))
            continue
        made = _description(source.text, shown_as, reader_for(rel, readers), config)
        if isinstance(made, Problem):
            problems.append(made)
        else:
            found.append(made)
    return _once_each(found, config, problems)


def _description(text: str, shown_as: str, reader, config: SiteConfig) -> Description | Problem:
    example = "write it as: ---, category: Business, --- and the description below"
    try:
        front = reader.read(text)
    except Unreadable as exc:
        return Problem(shown_as, exc.line, exc.message)
    data = front.data
    if not isinstance(data, dict) or not isinstance(data.get("category"), str):
        shown = "no category" if not isinstance(data, dict) else describe(data.get("category"))
        return Problem(
            shown_as,
            front.first_line,
            f"a category description names its category ({shown}); {example}",
        )
    name = " ".join(data["category"].split())
    unknown = sorted(str(key) for key in data if key not in KNOWN_KEYS)
    if not name or unknown:
        what = f"unknown field {quoted(unknown[0])}" if unknown else "an empty category"
        line = front.key_lines.get(unknown[0], front.first_line) if unknown else front.first_line
        return Problem(shown_as, line, f"{what} in a category description; {example}")
    body = without_forbidden(front.body).strip()
    if not body:
        return Problem(
            shown_as,
            front.first_body_line,
            f"the description of {quoted(name)} is empty; {example}",
        )
    if len(body) > MAX_DESCRIPTION:
        message = f"the description of {quoted(name)} has {len(body):,} characters; at most {MAX_DESCRIPTION:,}"
        return Problem(shown_as, front.first_body_line, message)
    try:
        with markup.time_limit(config.markdown_seconds):
            body_html = reader.to_html(body)
    except (RecursionError, markup.TooSlow):
        return Problem(
            shown_as,
            front.first_body_line,
            "the description is too deeply nested or too slow to convert; simplify it",
        )
    return Description(name, body_html, _summary(markup.plain_text(body_html), config), shown_as)


def _summary(text: str, config: SiteConfig) -> str:
    return markup.truncate_words(" ".join(text.split()), config.summary_length)


def _once_each(
    found: list[Description], config: SiteConfig, problems: list[Problem]
) -> tuple[tuple[Description, ...], list[Problem]]:
    """One description per category (by the URL its name makes); the second is an error."""
    kept: dict[str, Description] = {}
    for description in found:
        url = category_url(description.name, config)
        first = kept.get(url)
        if first is None:
            kept[url] = description
            continue
        problems.append(
            Problem(
                description.source,
                None,
                f"category {quoted(description.name)} is described in {first.source} already; "
                "keep one of the two",
            )
        )
    return tuple(kept[url] for url in sorted(kept)), problems


def category_url(name: str, config: SiteConfig) -> str:
    """The URL of the category a name makes (as articles' categories do)."""
    return urls.term_url("category", urls.slugify(name, config.slug_length))
