"""The error overlay the preview shows over the last good page while the last build failed.

Errors first, then warnings, each styled as what it is; every problem as
``path:line: severity: message``, then the line of the source it names (with its number and
its neighbours) and how to fix it. The source lines are read once, when the build is
published (``excerpts``), not on every request.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..model import Problem
from ..text import printable

CONTEXT = 1
"""Lines shown before and after the line a problem names."""
MAX_SOURCE_BYTES = 4_000_000
"""A larger file is not read for an excerpt."""
MAX_LINE_CHARS = 300

Excerpt = tuple[tuple[int, str], ...]
"""Numbered lines of a source, the problem's own among them."""

# What to do about a parser's own words, which say what is wrong but not how to fix it.
_HINTS = (
    (
        "front matter is not valid YAML",
        "put text that holds ': ', ' #' or starts with a quote or bracket in quotes; indent "
        "with spaces; close every quote and bracket",
    ),
    ("invalid TOML", "write key = value, one per line, with text values in quotes"),
    (
        "template syntax error",
        "close every {{ … }}, {% … %} and block you opened, and check the tag names",
    ),
)

_ERROR = ("#a00", "#fff", "#a00")  # border, background, badge
_WARNING = ("#b8860b", "#fffbea", "#7a5a00")

_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;"
    "background:#fff8f6;color:#1a1a1a;font:15px/1.5 system-ui,sans-serif;text-align:left"
)
_OVERLAY = """<div id="masthead-build-errors" role="alert" lang="en" dir="ltr" style="{style}">
<button type="button" onclick="this.parentNode.remove()" style="float:right;font:inherit;\
padding:.25rem .75rem;cursor:pointer">Show the page</button>
<h1 style="margin:0 0 .5rem;font:bold 1.4rem/1.3 system-ui,sans-serif;color:#a00">\
The last build failed: {count}</h1>
<p style="margin:0 0 1rem">The page underneath is from the last good build. Fix the files
below and save; this page reloads by itself.</p>
{sections}</div>
"""
_SECTION = """<h2 style="margin:1rem 0 .5rem;font:bold 1.1rem/1.3 system-ui,sans-serif;\
color:{color}">{title}</h2>
<ol class="masthead-{kind}s" style="margin:0;padding:0;list-style:none">
{items}</ol>
"""


def split_hint(message: str) -> tuple[str, str]:
    """A message as (what is wrong, how to fix it): masthead's messages give the fix after
    '; ' or in closing parentheses; a parser's own words get the hint for their kind."""
    what, sep, fix = message.partition("; ")
    if sep and fix:
        return what, fix
    if message.endswith(")") and " (" in message:
        head, _, tail = message[:-1].rpartition(" (")
        if head and not tail.startswith(("at line", "line ")):
            return head, tail
    for prefix, hint in _HINTS:
        if message.startswith(prefix):
            return message, hint
    return message, ""


def excerpt(site_path: Path, problem: Problem) -> Excerpt:
    """The numbered lines around the line ``problem`` names in its file below ``site_path``
    (none without a line, or for a file that is not there, not text, or too large)."""
    if not problem.line or problem.line < 1:
        return ()
    try:
        root = site_path.resolve()
        path = (root / problem.path).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return ()
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return ()
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    except (OSError, ValueError):
        return ()
    if lines[-1] == "":  # the end of the last line, not a line
        lines.pop()
    if problem.line > len(lines):
        return ()
    first = max(1, problem.line - CONTEXT)
    last = min(len(lines), problem.line + CONTEXT)
    return tuple((n, lines[n - 1].rstrip("\r")[:MAX_LINE_CHARS]) for n in range(first, last + 1))


def excerpts(site_path: Path, problems: tuple[Problem, ...]) -> tuple[Excerpt, ...]:
    """``excerpt`` of every problem, in order."""
    return tuple(excerpt(site_path, p) for p in problems)


def count_text(problems: tuple[Problem, ...]) -> str:
    """``1 error``, ``2 errors, 1 warning``."""
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    text = _plural(errors, "error")
    return f"{text}, {_plural(warnings, 'warning')}" if warnings else text


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def error_overlay(problems: tuple[Problem, ...], found: tuple[Excerpt, ...] = ()) -> str:
    """The overlay: every problem of the failed build, errors first, escaped; ``found``
    holds the source excerpt of each problem (see ``excerpts``), in the same order."""
    shown = list(zip(problems, found + ((),) * (len(problems) - len(found)), strict=True))
    sections = []
    for is_error, kind, title, colors in (
        (True, "error", "Errors", _ERROR),
        (False, "warning", "Warnings (these alone would not stop the build)", _WARNING),
    ):
        items = "".join(
            _item(p, lines, kind, colors) for p, lines in shown if p.is_error == is_error
        )
        if items:
            sections.append(_SECTION.format(color=colors[2], title=title, kind=kind, items=items))
    return _OVERLAY.format(style=_STYLE, count=count_text(problems), sections="".join(sections))


def _item(problem: Problem, lines: Excerpt, kind: str, colors: tuple[str, str, str]) -> str:
    border, background, badge = colors
    what, hint = split_hint(problem.message)
    heading = str(Problem(problem.path, problem.line, what, problem.severity))
    parts = [
        f'<li class="masthead-{kind}" style="margin:0 0 .75rem;padding:.5rem .75rem;'
        f'border-left:4px solid {border};background:{background}">'
        f'<div style="font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap;'
        f'overflow-wrap:anywhere"><strong style="color:{badge}">{html.escape(heading)}'
        "</strong></div>"
    ]
    if lines:
        width = len(str(lines[-1][0]))
        rows = "".join(
            f'<span style="display:block{";background:#ffe3e0;font-weight:bold" if n == problem.line else ""}">'
            f"{str(n).rjust(width)} | {html.escape(printable(text))}</span>"
            for n, text in lines
        )
        parts.append(
            f'<pre class="masthead-source" style="margin:.4rem 0 0;padding:.4rem .6rem;'
            f'overflow-x:auto;background:#f6f6f6;color:#1a1a1a;font:13px/1.5 ui-monospace,monospace">'
            f"{rows}</pre>"
        )
    if hint:
        parts.append(
            f'<p class="masthead-hint" style="margin:.4rem 0 0"><strong>How to fix:</strong> '
            f"{html.escape(hint)}</p>"
        )
    parts.append("</li>\n")
    return "".join(parts)
