"""The last build's plan and fingerprints, kept in the cache folder for the next process.

The preview server's Session remembers, from one build to the next, the planned pages and
every page's fingerprint; ``masthead build`` starts a fresh process each time and would plan
and fingerprint every page again, which at archive scale costs seconds for a one-line edit.
After a build that planned every page, the pipeline saves a ``PlanSnapshot``: each page
with its fingerprint and the archive positions it shows, the fingerprints of the site, the
templates and the articles they were made from, the search shards, the plan stage's
warnings, and the archive index (``SavedIndex``), which the next build takes back when no
article's outline changed. The next build whose plan has the same inputs takes those pages
instead of planning, and fingerprints again only the pages that show an article whose
fingerprint changed or use a template that changed; only those are unpickled.

Nothing is reused on a guess. A snapshot names the code that made it (masthead's version and
the stat of each of its modules) and is ignored when that differs; its pages are reused only
when the plan key (every input of the plan stage: settings, options, the theme's words and
static files, the reference day, the category descriptions, and the planned fingerprint of
every published and retracted article, in order) is equal, and only between the moments the
saved plan holds (the news sitemap's window, scheduled articles); and a page keeps its saved
fingerprint only when the site's, its template's and those of the articles it shows are
the ones it was made with.

One snapshot per output folder: the preview server and ``masthead build`` share the cache
folder but write different outputs. A snapshot is replaced whole (written aside, then
renamed), so a killed build leaves the previous one or none; one that cannot be read, or
that holds anything but masthead's records, is ignored.

The file holds a header (a magic string, the snapshot's token and the length of what
follows), the snapshot itself, and then the page area: every page pickled on its own, end
to end. A build reads the snapshot and none of the pages; it reads (``PageFile``) only the
pages it renders or fingerprints again, each by its place in the area, and only from a file
whose token is the snapshot's. At 100,000 articles the pages are 160 MB of the 230 MB, which
a build after a one-line edit no longer reads, unpickles or keeps in memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import importlib
import io
import os
import pickle
import secrets
import struct
import sys
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .. import __version__, urls
from ..collector import no_collections
from ..model import Page, Problem
from .fingerprint import ArticlePrints, KnownPrints, OutlinePrints, digest

SNAPSHOT_REVISION = "4"
"""Raised when what a snapshot holds changes shape."""
_PACKAGE = Path(__file__).resolve().parent.parent
_STANDARD = {
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "date"): datetime.date,
    ("datetime", "time"): datetime.time,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
    ("zoneinfo", "ZoneInfo"): zoneinfo.ZoneInfo,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "set"): set,
}


class SavedPage(NamedTuple):
    """One planned page as the last build left it: what decides whether to render it again,
    and the page itself, pickled on its own so that only pages rendered again are loaded."""

    url: str
    rel: str
    kind: str
    template: str
    fingerprint: str
    positions: tuple[int, ...]
    """The archive positions of the articles the page shows or links, in order."""
    place: tuple[int, int]
    """Where the pickled page lies in the snapshot file's page area: offset and length."""


@dataclass(frozen=True)
class SavedIndex:
    """The archive index a build computed, for the next process to take back instead of
    indexing again: the index depends on the articles' outlines alone, and ``key`` is the
    digest of those (``index_key``), each outline print kept by source content hash."""

    parse: str
    """The parse settings' fingerprint the outlines were printed under."""
    prints: OutlinePrints
    key: str
    shape: Any = None
    """The ``index.IndexShape`` made from those outlines."""

    def prints_for(self, parse: str) -> OutlinePrints | None:
        """The saved outline prints, when the sources were parsed alike."""
        return self.prints if parse == self.parse else None


@dataclass(frozen=True)
class PlanSnapshot:
    """What a build that planned every page leaves the next process."""

    code: str
    """The code that made it (``code_fingerprint``)."""
    key: str
    """The plan stage's inputs (see the module's docstring)."""
    valid_from: datetime.datetime
    valid_until: datetime.datetime | None
    site: str
    """The site's fingerprint the page fingerprints were made with."""
    templates: dict[str, str]
    """The fingerprint of each template they were made with, by name."""
    references: dict[str, tuple[str | None, ...]]
    """The templates each template's source names, by source."""
    articles: ArticlePrints
    """The article prints by position the page fingerprints were made with."""
    parse: str
    """The parse settings' fingerprint (``parse_fingerprint``) the articles were parsed with."""
    names: str
    """The archive's term names (``term_names``) the articles were named with."""
    known: KnownPrints
    """The article prints by source path, for the next build to take back."""
    pages: tuple[SavedPage, ...]
    shards: dict[str, Any]
    problems: tuple[Problem, ...]
    """The plan stage's warnings, reported again when its pages are reused."""
    index: SavedIndex | None = None
    """The archive index the pages were planned from."""
    token: str = ""
    """Names the file the snapshot was written to, whose page area holds its pages."""

    def prints_for(self, parse: str, names: str) -> KnownPrints | None:
        """The saved article prints, when the articles were parsed and named alike."""
        return self.known if (parse, names) == (self.parse, self.names) else None

    def holds(self, key: str, now: datetime.datetime) -> bool:
        """True when the saved plan is this build's: equal key, ``now`` in its window."""
        in_window = self.valid_from <= now and (self.valid_until is None or now < self.valid_until)
        return self.key == key and in_window


class PageArea:
    """The pages of a snapshot being made, pickled one by one and laid end to end."""

    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.size = 0

    def add(self, page: Page, fingerprint: str, positions: tuple[int, ...]) -> SavedPage:
        """Lay ``page`` at the end of the area; the SavedPage that finds it there."""
        blob = pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)
        place = (self.size, len(blob))
        self.blobs.append(blob)
        self.size += len(blob)
        rel = urls.output_rel(page.url)
        return SavedPage(page.url, rel, page.kind, page.template, fingerprint, positions, place)


_MAGIC = b"masthead-plan\x00\x00\x00"
_HEADER = struct.Struct("<16s16sQ")
"""The magic string, the snapshot's token and the length of the pickled snapshot."""


class PageFile:
    """The page area of the file a snapshot was read from (or written to), opened on first
    use. Raises pickle.UnpicklingError when the file is not that snapshot's any more (a
    build replaced it since) or a page cannot be read: the caller then plans afresh."""

    def __init__(self, path: Path, token: str):
        self.path = path
        self.token = token
        self.file: BinaryIO | None = None
        self.start = 0

    def __enter__(self) -> PageFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file, if it was opened."""
        if self.file is not None:
            self.file.close()
            self.file = None

    def load(self, saved: SavedPage) -> Page:
        """The Page ``saved`` stands for."""
        offset, length = saved.place
        blob = self._read(offset, length)
        page = _SnapshotUnpickler(io.BytesIO(blob)).load()
        if not isinstance(page, Page) or page.url != saved.url:
            raise pickle.UnpicklingError(f"not the page /{saved.url}")
        return page

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The whole page area, in pieces: what a refreshed snapshot of the same pages holds.
        The file is closed once the last piece is read, so that it can be replaced then
        (Windows refuses to replace a file that is open)."""
        file = self._opened()
        file.seek(self.start)
        while chunk := file.read(size):
            yield chunk
        self.close()

    def _read(self, offset: int, length: int) -> bytes:
        file = self._opened()
        file.seek(self.start + offset)
        blob = file.read(length)
        if len(blob) != length:
            raise pickle.UnpicklingError(f"{self.path} is cut short")
        return blob

    def _opened(self) -> BinaryIO:
        if self.file is None:
            try:
                file = open(self.path, "rb")  # noqa: SIM115 (kept open for the pages read)
            except OSError as error:
                raise pickle.UnpicklingError(f"{self.path}: {error}") from error
            header = _read_header(file)
            if header is None or header[0] != self.token:
                file.close()
                raise pickle.UnpicklingError(f"{self.path} holds another snapshot now")
            self.file, self.start = file, _HEADER.size + header[1]
        return self.file


def _read_header(file: BinaryIO) -> tuple[str, int] | None:
    """The token and the snapshot's length a snapshot file starts with, or None."""
    header = file.read(_HEADER.size)
    if len(header) != _HEADER.size:
        return None
    magic, token, length = _HEADER.unpack(header)
    if magic != _MAGIC:
        return None
    return token.decode("ascii", "replace"), length


def code_fingerprint() -> str:
    """masthead's version and the stat of every one of its modules: an edited masthead (a
    checkout, an upgrade) never reuses what another one saved."""
    parts = [__version__, SNAPSHOT_REVISION, sys.version]
    for folder, dirs, files in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                found = os.stat(os.path.join(folder, name))
                parts.append(f"{folder}/{name}:{found.st_size}:{found.st_mtime_ns}")
    return digest(*parts)


_PREFIX, _SUFFIX = "plan-", ".pickle"


def snapshot_path(cache: Path, output: Path) -> Path:
    """Where the snapshot of builds into ``output`` lives in the cache folder."""
    return cache / f"{_PREFIX}{digest(str(output.resolve()))[:16]}{_SUFFIX}"


def remove_snapshots(cache: Path) -> None:
    """Remove every snapshot in the cache folder (and any a killed build left half-written)."""
    for path in (*cache.glob(f"{_PREFIX}*{_SUFFIX}"), *cache.glob(f"{_PREFIX}*{_SUFFIX}.*.tmp")):
        if not path.is_symlink():
            _remove(path)


def read_snapshot(path: Path, code: str) -> PlanSnapshot | None:
    """The snapshot saved at ``path`` by this very code, or None. Its pages stay in the file
    (read them with ``PageFile(path, snapshot.token)``)."""
    try:
        with open(path, "rb") as file:
            header = _read_header(file)
            if header is None:
                return None
            with no_collections():
                found = _SnapshotUnpickler(file).load()
    except Exception:  # damaged, forged or from another masthead: plan afresh
        return None
    if not isinstance(found, PlanSnapshot) or found.code != code or found.token != header[0]:
        return None
    return found


def write_snapshot(
    path: Path, snapshot: PlanSnapshot, pages: Iterable[bytes]
) -> PlanSnapshot | None:
    """Save ``snapshot`` whole, its page area made of ``pages``, or leave none; the snapshot
    as saved (with the token of the new file), or None when it could not be (a snapshot
    only saves time: a failure to write one, a full disk say, is not an error of the build).
    """
    aside = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    saved = dataclasses.replace(snapshot, token=secrets.token_hex(8))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        head = pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL)
        with open(aside, "wb") as file:
            file.write(_HEADER.pack(_MAGIC, saved.token.encode("ascii"), len(head)))
            file.write(head)
            del head
            for chunk in pages:
                file.write(chunk)
        os.replace(aside, path)
    except (OSError, pickle.PickleError, RecursionError, TypeError):
        _remove(aside)
        _remove(path)
        return None
    return saved


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


class _SnapshotUnpickler(pickle.Unpickler):
    """Unpickles only masthead's own records and the standard types their fields hold."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) == ("builtins", "getattr"):
            return _zone_getattr
        standard = _STANDARD.get((module, name))
        if standard is not None:
            return standard
        if module.startswith("masthead.") and "." not in name:
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type) and _is_record(found):
                return found
        raise pickle.UnpicklingError(f"refused: {module}.{name}")


def _is_record(kind: type) -> bool:
    """A frozen dataclass or a named tuple of masthead's: plain data, no behaviour on load."""
    if dataclasses.is_dataclass(kind):
        return kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
    return issubclass(kind, tuple) and hasattr(kind, "_fields")


def _zone_getattr(owner: object, name: str) -> object:
    if owner is zoneinfo.ZoneInfo and name == "_unpickle":
        return zoneinfo.ZoneInfo._unpickle
    raise pickle.UnpicklingError(f"refused: getattr({owner!r}, {name!r})")
