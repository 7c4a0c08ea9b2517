"""Sources on disk: which files below the content folder are articles, and reading them.

Only this module (with the cache and the writer) touches the disk. A source is a file whose
suffix a reader is registered for (readers.py), that is not hidden or an editor's temporary
file, in a folder that does not start with ``.`` or ``_``. Only regular files are read, and
never more than ``max_article_bytes`` of them.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .model import WARNING, Problem
from .readers import SOURCE_SUFFIXES
from .text import SURROGATES

# Vim (.swa .. .swp, .swx, 4913 probe files, backup~), Emacs (#autosave#, .#lock),
# JetBrains (___jb_tmp___ / ___jb_old___) and every hidden file (.DS_Store, .goutputstream-*).
# Tested with string methods, not a regular expression: this runs for every file of the
# content folder on every build.
_TEMP_SUFFIXES = ("~", "___jb_tmp___", "___jb_old___")
_SWAP_LETTERS = frozenset("abcdefghijklmnopx")
DEFAULT_MAX_BYTES = SiteConfig.max_article_bytes
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


@dataclass(frozen=True)
class SourceText:
    """A source file's decoded text and content hash, or the problem that stopped reading it."""

    rel: str
    text: str | None
    digest: str
    problem: Problem | None = None


def is_editor_temp(name: str) -> bool:
    """True for editor temporaries, backups and hidden files: never sources, never worth a
    rebuild."""
    if name.startswith(".") or name == "4913" or name.endswith(_TEMP_SUFFIXES):
        return True
    if len(name) >= 4 and name[-4:-1] == ".sw" and name[-1] in _SWAP_LETTERS:
        return True
    return len(name) >= 2 and name[0] == "#" and name[-1] == "#"


def is_source_name(name: str) -> bool:
    """True for files a reader is registered for that are not editor temporaries or hidden."""
    return name.endswith(SOURCE_SUFFIXES) and not is_editor_temp(name)


def discover_sources(content_path: Path, links: list[str] | None = None) -> tuple[str, ...]:
    """Every Markdown source below the content folder, as sorted POSIX relative paths.

    Folders whose name starts with ``.`` or ``_`` are skipped, and links to folders are not
    followed. An entry with a source name is listed whatever it is (a FIFO, a device, a link
    to a folder or to nothing): ``read_source`` says what is wrong with it. A folder that
    cannot be listed is returned as its path with a final ``/`` (``./`` for the content
    folder itself), so that the load stage reports it instead of silently missing articles.
    The sources that are symbolic links are also added to ``links``, when given.
    """
    found: list[str] = []
    pending = [""]
    while pending:
        prefix = pending.pop()
        try:
            with os.scandir(os.path.join(content_path, prefix)) as entries:
                for entry in entries:
                    if _is_folder(entry):
                        if not entry.name.startswith((".", "_")):
                            pending.append(prefix + entry.name + "/")
                    elif is_source_name(entry.name):
                        found.append(prefix + entry.name)
                        if links is not None and _is_link(entry):
                            links.append(prefix + entry.name)
        except OSError:
            found.append(prefix or "./")
    return tuple(sorted(found))


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def is_unlisted_folder(rel: str) -> bool:
    """True for what ``discover_sources`` returns for a folder it could not list."""
    return rel.endswith("/")


def read_source(
    content_path: Path, rel: str, shown_as: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceText:
    """Read and decode one source; ``shown_as`` is the path used in messages.

    Only regular files are read (anything else is skipped with a warning), and never more
    than ``max_bytes`` + 1 bytes: a larger file is an error naming the setting."""
    if SURROGATES.search(rel):
        message = (
            "file name is not valid UTF-8; rename the file (URLs and messages need UTF-8 names)"
        )
        return SourceText(rel, None, "", Problem(shown_as, None, message))
    path = os.path.join(content_path, rel)
    try:
        info = os.stat(path)
    except OSError as exc:
        return SourceText(rel, None, "", _unreadable(shown_as, exc))
    if not stat.S_ISREG(info.st_mode):
        return SourceText(rel, None, "", not_a_file(shown_as, path))
    if info.st_size > max_bytes:
        return SourceText(rel, None, "", too_large(shown_as, max_bytes, info.st_size))
    try:
        data = _read_regular_file(path, max_bytes)
    except OSError as exc:
        return SourceText(rel, None, "", _unreadable(shown_as, exc))
    if data is None:
        return SourceText(rel, None, "", not_a_file(shown_as, path))
    if len(data) > max_bytes:  # it grew since the stat, or the file system does not know
        return SourceText(rel, None, "", too_large(shown_as, max_bytes))
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        return SourceText(rel, None, digest, Problem(shown_as, line, message))
    return SourceText(rel, text.removeprefix("\ufeff"), digest)


def _read_regular_file(path: str, max_bytes: int) -> bytes | None:
    """At most ``max_bytes`` + 1 bytes of a regular file; None when ``path`` turns out to be
    something else. Opened non-blocking, so that a FIFO put there after the check cannot
    hang the build."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _unreadable(shown_as: str, exc: OSError) -> Problem:
    return Problem(shown_as, None, f"cannot read file: {exc.strerror or exc}")


def not_a_file(shown_as: str, path: str) -> Problem:
    """The warning for a source name that is not a regular file (it is skipped)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    if os.path.islink(path):
        kind = f"a link to {kind.removeprefix('not ')}"
    message = f"is {kind}, not a regular file: skipped (replace it with a file, or move it out of the content folder)"
    return Problem(shown_as, None, message, WARNING)


def too_large(shown_as: str, max_bytes: int, size: int | None = None) -> Problem:
    """The error for a source larger than the max_article_bytes setting."""
    size_text = f"{size:,} bytes, over" if size is not None else "over"
    message = (
        f"is {size_text} max_article_bytes ({max_bytes:,}); split the article, "
        "or raise max_article_bytes in [tool.masthead] of pyproject.toml"
    )
    return Problem(shown_as, None, message)
