"""One source's text -> an Article, or every problem that stops it. Pure: no disk, no cache.

A reader (readers.py) splits the text into front matter and body; FieldChecker (fields.py)
checks the fields; the reader's engine turns the body into HTML; the URL follows the
permalink. Each problem names the line where it is known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import markup, urls
from .config import SiteConfig
from .fields import KNOWN_FIELDS, FieldChecker
from .model import Article, Problem
from .readers import Document, Reader, Unreadable, make_readers, reader_for
from .text import describe, without_forbidden

RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"}
)
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"})


def parse_article(
    rel: str,
    text: str,
    config: SiteConfig,
    reader: Reader | None = None,
    digest: str = "",
    shown_as: str | None = None,
) -> tuple[Article | None, list[Problem]]:
    """Parse one source into an Article and its warnings, or None and every problem that
    stops it (with the warnings). ``reader`` defaults to the one registered for ``rel``."""
    shown_as = shown_as or rel
    reader = reader or reader_for(rel, make_readers(config))
    try:
        front = reader.read(text)
    except Unreadable as exc:
        return None, [Problem(shown_as, exc.line, exc.message)]
    if not isinstance(front.data, dict):
        kind = "text" if isinstance(front.data, str) else describe(front.data)
        message = f"front matter must be a mapping of fields (title: ..., date: ...), not {kind}"
        return None, [Problem(shown_as, front.first_line, message)]
    checker = FieldChecker(front, config.tz, config.slug_length)
    fields = checker.check_all()
    warnings = checker.misspelt(KNOWN_FIELDS, shown_as)
    if checker.errors:
        return None, checker.problems(shown_as) + warnings
    try:
        with markup.time_limit(config.markdown_seconds):
            body_html = reader.to_html(without_forbidden(front.body))
    except RecursionError:  # Python-Markdown recurses per level, and per item of some runs
        return None, [_too_deep_for_markdown(shown_as, front), *warnings]
    except markup.TooSlow:
        message = (
            f"the body takes more than {config.markdown_seconds} s to convert to HTML "
            "(Markdown is slow on some patterns, such as lists nested hundreds deep); simplify "
            "it, or raise markdown_seconds in [tool.masthead]"
        )
        return None, [Problem(shown_as, front.first_body_line, message), *warnings]
    article = _make_article(rel, fields, front, config, body_html, digest)
    return replace(article, field_lines=checker.field_lines(KNOWN_FIELDS)), warnings


DEEP_NESTING = 20
"""Levels of lists or quotes past which a RecursionError is blamed on nesting."""


def _too_deep_for_markdown(shown_as: str, front: Document) -> Problem:
    """The error for a body that makes the Markdown engine recurse too deeply: nested lists
    or quotes (blamed on the line indented deepest), or a long run of items with no blank
    line between them (a definition list of hundreds of terms, say)."""
    lines = front.body.split("\n")
    depths = [len(line) - len(line.lstrip(" \t>")) + line[:200].count("\t") * 3 for line in lines]
    deepest = max(depths)
    if deepest // 2 >= DEEP_NESTING:
        message = "the body nests lists or block quotes too deeply for Markdown; flatten them"
        return Problem(shown_as, front.body_line + depths.index(deepest), message)
    message = (
        "the body is too intricate for Markdown to convert: a long run of list or definition "
        "items with no blank line between them? Separate them with blank lines"
    )
    return Problem(shown_as, front.first_body_line, message)


def rtl_direction(lang: str | None) -> str:
    """``rtl`` for languages written right to left (by language or script subtag), else ``ltr``."""
    if not lang:
        return "ltr"
    parts = lang.lower().split("-")
    if parts[0] in RTL_LANGUAGES or any(p in RTL_SCRIPTS for p in parts[1:]):
        return "rtl"
    return "ltr"


def _make_article(
    rel: str,
    fields: dict[str, Any],
    front: Document,
    config: SiteConfig,
    body_html: str,
    digest: str,
) -> Article:
    summary = fields["summary"] or markup.truncate_words(
        markup.first_paragraph(body_html), config.summary_length
    )
    url = urls.article_url(
        config.permalink, fields["date"], fields["slug"], fields["category_slug"]
    )
    own_file = urls.output_rel(url)
    return Article(
        rel=rel,
        title=fields["title"],
        slug=fields["slug"],
        url=url,
        date=fields["date"],
        updated=fields["updated"],
        category=fields["category"],
        source=fields["source"],
        authors=fields["authors"],
        tags=fields["tags"],
        summary=summary,
        body_html=body_html,
        word_count=markup.word_count(body_html),
        draft=fields["draft"],
        featured=fields["featured"],
        lang=fields["lang"],
        dir=rtl_direction(fields["lang"] or config.language),
        location=fields["location"],
        source_url=fields["source_url"],
        image=fields["image"],
        # An old URL equal to the new one (an archive whose URL scheme matches ours) needs
        # no redirect.
        aliases=tuple(a for a in fields["aliases"] if urls.output_rel(a) != own_file),
        imported_from=fields["imported_from"],
        retracted=fields["retracted"],
        corrections=fields["corrections"],
        extra={k: v for k, v in front.data.items() if k not in KNOWN_FIELDS},
        digest=digest,
    )
