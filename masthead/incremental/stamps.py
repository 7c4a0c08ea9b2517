"""What tells cheaply that a file changed: its stat, and when a stat cannot be trusted.

A file modified within ``RACY_NS`` of a build may change again within the file system's
timestamp resolution without its stat changing (git calls such files "racily clean"), so
the parse cache records no stamp for it and the build memo is not written: the next build
looks at its bytes again.
"""

from __future__ import annotations

import os
from typing import NamedTuple

RACY_NS = 2_000_000_000


class Stamp(NamedTuple):
    """A file's modification time and size."""

    mtime_ns: int
    size: int


UNTRUSTED = -1
"""The mtime of a stamp that must not be trusted (see ``settled``)."""


def stamp_of(path: str | os.PathLike) -> Stamp | None:
    """The stamp of a file (following links), or None when it cannot be statted."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return Stamp(found.st_mtime_ns, found.st_size)


def file_key(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """What tells that a file was replaced or modified: inode, size and mtime."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def is_racy(mtime_ns: int, started_ns: int) -> bool:
    """True for a modification too close to the build's start to trust the stat later."""
    return mtime_ns >= racy_since(started_ns)


def racy_since(started_ns: int) -> int:
    """The earliest modification time ``is_racy`` holds for (to test many stamps at once)."""
    return started_ns - RACY_NS


def settled(stamp: Stamp, started_ns: int) -> Stamp:
    """The stamp to record for later builds: an untrusted one for a file modified moments
    before this build started."""
    return Stamp(UNTRUSTED, stamp.size) if is_racy(stamp.mtime_ns, started_ns) else stamp
