"""Small rules about text that several stages share, each kept here once.

- which characters never reach the output (XML 1.0 and HTML forbid them),
- which characters never reach a terminal unescaped (messages stay on one line),
- how a value is named in a message ("a list", "the number 5"),
- where TOML says its error is.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time
from typing import Any

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
"""Characters XML 1.0 forbids (tab, line feed and carriage return are allowed)."""
CONTROL = re.compile("[\x00-\x1f\x7f]")
"""C0 control characters and DEL: never part of a name, a slug, an alias or a URL."""
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
"""C0 and C1 control characters (tab and line feed stay), DEL and the noncharacters: never
text in an imported article. Format characters (zero-width joiners, bidirectional marks)
are kept: Urdu and Arabic need them."""
SPACE_OR_CONTROL = re.compile("[\\s\x00-\x1f\x7f-\x9f]")
"""What a URL must not hold as it is: whitespace and control characters."""
SURROGATES = re.compile("[\ud800-\udfff]")
"""Lone surrogates: what undecodable bytes of a file name become, or a broken escape."""
# C0 and C1 controls, DEL, lone surrogates (undecodable file names), line and paragraph
# separators, and the invisible formatting marks (bidirectional overrides, isolates and marks,
# zero-width space, the byte order mark): anything that could break a one-line message,
# reorder it or repaint a terminal. (Zero-width joiners, which some scripts need, stay.)
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)$")


def without_forbidden(text: str) -> str:
    """Text without the control characters that XML 1.0 and HTML forbid (tabs and newlines
    stay), so titles, settings and bodies come out valid in every format."""
    return FORBIDDEN.sub("", text)


def printable(text: str) -> str:
    """``text`` safe to print on one terminal line: control characters, escape sequences
    and undecodable bytes shown as ``\\xNN`` / ``\\uNNNN`` escapes."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def quoted(text: str, limit: int = 80) -> str:
    """Text in double quotes, cut to ``limit`` characters, with control characters shown as
    escapes: safe and short enough for a one-line message."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return '"' + CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text) + '"'


def describe(value: Any, mapping: str = "a mapping") -> str:
    """What a value is, in words, for a message saying what to write instead. ``mapping``
    is the word for a dict: YAML says mapping, TOML says table."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int) and abs(value) >= 10**40:
        return "a number of more than 40 digits"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return mapping
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, date | time):
        return f"the {type(value).__name__} {value.isoformat()}"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:79] + "…")
    if value is None:
        return "an empty value"
    return type(value).__name__


def toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The 1-based line a TOML syntax error is on, when tomllib says."""
    match = _TOML_LINE.search(str(exc))
    return int(match.group(1)) if match else None
