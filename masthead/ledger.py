"""The URL ledger: every URL the site has published stays published.

``published-urls.txt`` at the site's root (committed with the site; sorted, one URL path per
line, diff-friendly) lists the URL of every article and every alias a production build
served, as a path below the site's base URL (``/2017/09/23/talks-resume/``), so that moving
the site to another host or sub-path changes nothing. A build that would no longer serve
one of them fails, naming the article when it can tell which moved, the old and the new
URL, and the two ways out: an alias (``--accept-url-changes`` writes it) or a retraction.
A preview build only warns. Every successful production build adds its new URLs.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import urls
from .model import ERROR, WARNING, Article, Problem

LEDGER_FILE = "published-urls.txt"
HEADER = (
    "# Every URL this site has published, kept by masthead: a build fails when one would\n"
    "# stop being served. Commit this file with the site. See docs/content.md (URLs).\n"
)
MOVED = "the published URL "
"""How every moved-URL problem begins (the preview server shows them in the page)."""
PAIRING = 0.6
"""How alike an old and a new URL must be (difflib's ratio) to call it one article moved."""


@dataclass(frozen=True)
class Ledger:
    """The URLs in the ledger (with their lines), and problems with the file itself."""

    lines: dict[str, int]
    problems: tuple[Problem, ...] = ()
    as_written: bool = False
    """True when the file is exactly what ``ledger_text`` writes for these URLs: a build
    that serves no new URL leaves it as it is, without writing its text again."""


@dataclass(frozen=True)
class Moved:
    """A ledger URL this build would not serve, and the article now at another URL (when
    the build can tell which)."""

    old: str
    line: int
    article: Article | None
    new: str | None


def read_ledger(site_path: Path) -> Ledger | None:
    """The site's ledger, or None when it has none yet."""
    path = site_path / LEDGER_FILE
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not valid UTF-8"
        return Ledger(
            {}, (Problem(LEDGER_FILE, None, f"cannot read it ({reason}); fix or delete it"),)
        )
    lines: dict[str, int] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not entry.startswith("/") or len(entry.split(maxsplit=1)) > 1:  # inner spaces
            message = f'"{entry[:60]}" is not a URL path such as /2017/09/23/story/; fix or delete the line'
            problems.append(Problem(LEDGER_FILE, number, message, WARNING))
            continue
        lines.setdefault(entry, number)
    return Ledger(lines, tuple(problems), _as_written(text, list(lines)))


def _as_written(text: str, entries: list[str]) -> bool:
    """True when ``text`` is ``ledger_text(entries)``. Entries in strictly increasing order
    are their own sorted set, so that is told without sorting (a tenth of a second at
    100,000 URLs, on every build)."""
    increasing = all(first < second for first, second in itertools.pairwise(entries))
    return increasing and text == _text_of_sorted(entries)


def ledger_entry(url: str) -> str:
    """A site-relative URL as the ledger writes it: ``/2017/09/23/story/``."""
    return "/" + url


def served(articles: Iterable[Article]) -> dict[str, Article]:
    """Every ledger entry these articles serve (their URLs and aliases), by entry."""
    found: dict[str, Article] = {}
    for article in articles:
        found.setdefault(ledger_entry(article.url), article)
        for alias in article.aliases:
            found.setdefault(ledger_entry(alias), article)
    return found


def moved_urls(
    ledger: Ledger, serving: dict[str, Article], previously: dict[str, str] | None = None
) -> list[Moved]:
    """The ledger's URLs that would no longer be served, each paired with the article that
    moved from it: the one whose source last served it (``previously``: entry -> source
    path, from the parse cache), else the most alike new URL."""
    # An entry served as written is served; only the others are compared as files (/x/
    # and /x/index.html are one), which spares normalising every URL of a large archive.
    unmatched = [url for url in ledger.lines if url not in serving]
    serving_files = {_normal(url) for url in serving} if unmatched else set()
    gone = [(url, ledger.lines[url]) for url in unmatched if _normal(url) not in serving_files]
    unlisted = [url for url in serving if url not in ledger.lines]
    ledger_files = {_normal(url) for url in ledger.lines} if unlisted else set()
    new = {
        url: serving[url]
        for url in unlisted
        if url == ledger_entry(serving[url].url) and _normal(url) not in ledger_files
    }
    by_rel = {a.rel: (url, a) for url, a in new.items()}
    moved = []
    for old, line in sorted(gone):
        rel = (previously or {}).get(old)
        if rel in by_rel:
            url, article = by_rel.pop(rel)
            new.pop(url, None)
            moved.append(Moved(old, line, article, url))
            continue
        match = difflib.get_close_matches(old, list(new), n=1, cutoff=PAIRING)
        if match:
            article = new.pop(match[0])
            by_rel.pop(article.rel, None)
            moved.append(Moved(old, line, article, match[0]))
        else:
            moved.append(Moved(old, line, None, None))
    return moved


def _normal(url: str) -> str:
    """A URL and its file are one: ``/x/`` and ``/x/index.html``."""
    return urls.output_rel(url.lstrip("/"))


def moved_problems(moved: list[Moved], content_prefix: str, preview: bool) -> list[Problem]:
    """One line per moved URL: naming the article and its new URL when known."""
    severity = WARNING if preview else ERROR
    found = []
    for item in moved:
        if item.article is not None:
            article = item.article
            line = article.line_of("slug") or article.line_of("title")
            message = (
                f"{MOVED}{item.old} would no longer be served: the article is now at "
                f'{item.new}; add "{item.old}" to its aliases (masthead build '
                f"--accept-url-changes does it), or retract it"
            )
            found.append(Problem(content_prefix + article.rel, line, message, severity))
        else:
            message = (
                f"{MOVED}{item.old} would no longer be served: its article was "
                f'deleted or moved; add "{item.old}" to the aliases of the article that '
                f'replaces it, or keep its file with retracted: "why" to leave a notice there'
            )
            found.append(Problem(LEDGER_FILE, item.line, message, severity))
    return found


def is_moved_url(problem: Problem) -> bool:
    """True for the problem of a published URL that would no longer be served."""
    return problem.message.startswith(MOVED)


def ledger_text(entries: Iterable[str]) -> str:
    """The ledger's text for these URL paths."""
    return _text_of_sorted(sorted(set(entries)))


def _text_of_sorted(entries: list[str]) -> str:
    return HEADER + "".join(f"{url}\n" for url in entries)


def write_ledger(site_path: Path, text: str) -> bool:
    """Write the ledger's ``text`` (atomically) when it changed; True when it was written."""
    path = site_path / LEDGER_FILE
    with contextlib.suppress(OSError):
        if path.read_text("utf-8") == text:
            return False
    temp = path.with_name(f".{LEDGER_FILE}.{os.getpid()}.tmp")
    try:
        temp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return True
