"""Edits to an article's front matter that keep the rest of the file as its author wrote it.

Only ``--accept-url-changes`` edits sources: it adds an old URL to ``aliases``. The edit is
textual (a line added, or an item added to the list already there), and is checked by
reading the file back: if the fields do not come out as intended, the file is left alone and
the caller says to add the alias by hand.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .readers import Document, Unreadable, read_front_matter

_FLOW_LIST = re.compile(r"^(\s*aliases\s*[:=]\s*\[)(.*)(\]\s*(#.*)?)$")


def add_alias(path: Path, alias: str) -> str | None:
    """Add ``alias`` to the aliases of the article in ``path``; None when done, else why
    it could not be done safely."""
    try:
        text = path.read_text(encoding="utf-8")
        front = read_front_matter(text)
    except (OSError, UnicodeDecodeError, Unreadable) as exc:
        return f"cannot read it ({exc})"
    before = _aliases(front)
    if before is None:
        return "its aliases field is not a list of paths"
    if alias in before:
        return None
    edited = _with_alias(text, front, alias)
    try:
        after = _aliases(read_front_matter(edited)) if edited else None
    except Unreadable:
        after = None
    if after != [*before, alias]:
        return "its front matter is written in a way masthead cannot edit safely"
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(edited, encoding="utf-8", newline="")
    os.replace(temp, path)
    return None


def _aliases(front: Document) -> list[str] | None:
    value = front.data.get("aliases") if isinstance(front.data, dict) else None
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _with_alias(text: str, front: Document, alias: str) -> str | None:
    toml = text.startswith("+")
    eol = "\r" if "\r\n" in text else ""  # keep the file's line endings
    quoted = json.dumps(alias)  # a string both YAML and TOML read as written
    lines = text.split("\n")
    key_line = front.key_lines.get("aliases")
    if key_line is None:  # no aliases yet: a new line before the closing delimiter
        closing = _closing_line(lines, front.first_line, "+" if toml else "-")
        if closing is None:
            return None
        entry = f"aliases = [{quoted}]" if toml else f"aliases: [{quoted}]"
        lines.insert(closing, entry + eol)
        return "\n".join(lines)
    index = key_line - 1
    flow = _FLOW_LIST.match(lines[index])
    if flow:
        items = flow.group(2).strip()
        joined = f"{items.rstrip(',')}, {quoted}" if items else quoted
        lines[index] = f"{flow.group(1)}{joined}{flow.group(3)}"
        return "\n".join(lines)
    if toml:
        return None
    return _with_block_item(lines, index, quoted, eol)


def _closing_line(lines: list[str], opening: int, mark: str) -> int | None:
    """The index of the line that closes the front matter opened on line ``opening``."""
    for index in range(opening, len(lines)):
        stripped = lines[index].strip()
        if len(stripped) >= 3 and set(stripped) == {mark}:
            return index
    return None


def _with_block_item(lines: list[str], index: int, quoted: str, eol: str) -> str | None:
    """Add ``- item`` after the block list under ``aliases:`` (or turn a single value into
    one)."""
    key, _, rest = lines[index].partition(":")
    if rest.strip():  # aliases: /one/path  ->  a flow list of both
        value = rest.strip()
        lines[index] = f"{key}: [{json.dumps(value.strip(chr(34) + chr(39)))}, {quoted}]{eol}"
        return "\n".join(lines)
    last = index
    indent = "  "
    for number in range(index + 1, len(lines)):
        item = lines[number]
        if item.lstrip().startswith("- "):
            last = number
            indent = item[: len(item) - len(item.lstrip())]
        elif item.strip() and not item.startswith((" ", "\t")):
            break
    lines.insert(last + 1, f"{indent}- {quoted}{eol}")
    return "\n".join(lines)
