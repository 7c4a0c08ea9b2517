"""The persistent parse cache: one SQLite file, one row per source.

A row holds the source's stat and content hash, the fingerprint of everything that changes
parsing, the parsed Article (without its body) or the problems that stopped it, and the
rendered body on its own, so that a build that renders few pages never loads every body.
SQLite's journal keeps the file consistent when a build is killed; a cache that cannot be
opened is thrown away and rebuilt, never trusted; a row that cannot be read is parsed again.

Builds into different folders (the preview server and ``masthead build``) may share one
cache. Each reads the rows it reuses inside one transaction, so it sees a single snapshot
while another build writes (SQLite's WAL mode). What it parses it writes in batches of
``FLUSH_ROWS`` as it goes, each batch in a short transaction of its own, so that a build
holds only the bodies not yet written, not every body of the archive; a body is read back
by path and content hash, so a row another build replaced in the meantime is never taken
for this build's.

A build that reads most of the archive unpickles its records from the *pack*: the records
of the last full pass, ``PACK_PART`` to a pickle (a thousand at a time unpickle three times
faster than one by one, and no more than a part is ever held as bytes), each taken when its
source's row still has the same content hash. What the pack lacks or holds stale is read
from the rows, and the pack is written again only when more than ``STALE_SHARE`` of it is
stale, so that one edit never rewrites it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import io
import pickle
import sqlite3
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from ..collector import no_collections
from ..model import WARNING, Article, Correction, Link, Parsed, Problem
from .session import Table
from .stamps import Stamp

CACHE_FILE = "cache.sqlite"
SCHEMA = 3
FEW_ROWS = 200
"""Fewer sources than this are read one by one, by key."""
PACK_PART = 1000
"""Records per pickle of the pack: few enough that pickling one holds little memory."""
STALE_SHARE = 1 / 16
"""Share of the records a build read or parsed outside the pack above which it writes the
pack again."""
BUSY_SECONDS = 30.0  # how long to wait for another build's write to the cache
FLUSH_ROWS = 128
"""Freshly parsed rows a build keeps before it writes them (and lets go of their bodies)."""
# What a cached record may be made of: masthead's own records and the standard types their
# fields hold. Anything else in a row (a cache copied from elsewhere, or forged to run code
# when unpickled) is refused, and the source is parsed again.
_ALLOWED = {
    ("masthead.model", "Parsed"): Parsed,
    ("masthead.model", "Article"): Article,
    ("masthead.model", "Link"): Link,
    ("masthead.model", "Correction"): Correction,
    ("masthead.model", "Problem"): Problem,
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "date"): datetime.date,
    ("datetime", "time"): datetime.time,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
    ("zoneinfo", "ZoneInfo"): zoneinfo.ZoneInfo,
}


def _zone_getattr(owner: object, name: str) -> object:
    """The one ``getattr`` a cached record needs: how a ZoneInfo unpickles itself."""
    if owner is zoneinfo.ZoneInfo and name == "_unpickle":
        return zoneinfo.ZoneInfo._unpickle
    raise pickle.UnpicklingError(f"refused: getattr({owner!r}, {name!r})")


def shared_link(name: str, url: str, count: int) -> Link:
    """How a cached record spells each of its links (see ``_RecordPickler``)."""
    return Link(name, url, count)


class _RecordPickler(pickle.Pickler):
    """Pickles a record with each link as a call of ``shared_link``, which the cache's
    unpickler answers with the equal link it already made: an archive names a few hundred
    categories, sources, authors and tags a hundred thousand times, and one object per
    distinct link takes a third off the records' memory, in the build and in every worker
    the archive is sent to."""

    def reducer_override(self, obj: object) -> object:
        if type(obj) is Link:
            return shared_link, tuple(obj)
        return NotImplemented


class _RecordUnpickler(pickle.Unpickler):
    """Unpickles only what a cached record is made of (see ``_ALLOWED``); equal links come
    out as one object, the one in ``links``."""

    def __init__(self, file: io.BytesIO, links: dict[tuple, Link]):
        super().__init__(file)
        # Not a method: the unpickler keeps what find_class returns, and a bound method
        # would make each unpickler a reference cycle left for the garbage collector.
        self.shared_link = functools.partial(_shared, links)

    def find_class(self, module: str, name: str) -> object:
        if (module, name) == ("builtins", "getattr"):
            return _zone_getattr
        if (module, name) == (__name__, "shared_link"):
            return self.shared_link
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(f"refused: {module}.{name}")
        return allowed


def _shared(links: dict[tuple, Link], *fields: Any) -> Link:
    found = links.get(fields)
    if found is None:
        found = links[fields] = Link(*fields)
    return found


def _with_shared_links(parsed: Parsed, links: dict[tuple, Link]) -> Parsed:
    """A freshly parsed record with its links taken from ``links`` when equal, as
    unpickling its row would give it."""
    article = parsed.article
    if article is None:
        return parsed
    shared = dataclasses.replace(
        article,
        category=_shared(links, *article.category),
        source=_shared(links, *article.source),
        authors=tuple(_shared(links, *link) for link in article.authors),
        tags=tuple(_shared(links, *link) for link in article.tags),
    )
    return dataclasses.replace(parsed, article=shared)


class CacheUnusable(Exception):
    """The cache folder cannot be used (it is a file, or cannot be created or written)."""


class Row(NamedTuple):
    """What the cache knows of a source without unpickling anything."""

    mtime_ns: int
    size: int
    digest: str
    fingerprint: str


class PackUse(NamedTuple):
    """How many records the pack held, and how many of them a build took."""

    size: int
    used: int


class ParseCache:
    """Parsed sources by path, valid while stat (or content hash) and fingerprint match.

    With ``cache_path`` None (or read only) nothing is written, and the bodies of what the
    build parses are kept in memory for this build only; so they are when writing fails
    (a full disk), which ``close`` then reports.
    """

    def __init__(
        self,
        cache_path: Path | None,
        fingerprint: str,
        read_only: bool = False,
        few: bool = False,
    ):
        """Open the cache in ``cache_path`` (None: no cache). Raises CacheUnusable when the
        folder cannot hold one. ``few``: the build looks at few rows (the session holds the
        rest), so each is read when asked for instead of every row at the start; such a
        build never writes the pack."""
        self.fingerprint = fingerprint
        self.few = few
        self.every_row = False
        """True once every row is read (at the start, unless ``few``)."""
        self.read_only = read_only
        self.memory_bodies: dict[str, str] = {}
        self.pending: list[tuple] = []
        self.restamps: list[tuple[int, int, str]] = []
        self.gone: list[tuple[str]] = []
        self.write_error: sqlite3.Error | None = None
        """Why a batch of rows could not be written (then nothing more is)."""
        self.db: sqlite3.Connection | None = None
        self.rows: dict[str, Row | None] = {}
        """The rows looked at (all of them unless ``few``), None for a source without one."""
        self.links: dict[tuple, Link] = {}
        """One object per distinct link of the records this build loaded or parsed."""
        self.records: dict[str, Parsed] = {}
        """Every record this build loaded or parsed: what a new pack is made of."""
        self.parsed_here = 0
        """Records this build parsed (none of them in the pack as they are now)."""
        self.pack: PackUse | None = None
        """What the pack gave this build, when it was looked at."""
        if cache_path is None:
            return
        if read_only:
            self.db = _open_existing(cache_path / CACHE_FILE)
        else:
            self.db = _open(cache_path / CACHE_FILE)
        if self.db:
            self.db.execute("BEGIN")  # one snapshot for the whole build, see the module doc
            if not few:
                self.read_every_row()

    def read_every_row(self) -> None:
        """Read what the cache knows of every source at once: for a build that looks at
        many (one query instead of one per source)."""
        if self.every_row or not self.db:
            return
        query = "SELECT rel, mtime_ns, size, digest, fingerprint FROM sources"
        try:
            self.rows = {rel: Row(*rest) for rel, *rest in self.db.execute(query)}
        except sqlite3.DatabaseError:
            self.rows = {}
        self.every_row = True

    def row(self, rel: str) -> Row | None:
        """What the cache knows of a source without unpickling anything, or None."""
        if self.every_row or rel in self.rows:
            return self.rows.get(rel)
        found = None
        if self.db:
            query = "SELECT mtime_ns, size, digest, fingerprint FROM sources WHERE rel = ?"
            with contextlib.suppress(sqlite3.DatabaseError):
                found = self.db.execute(query, (rel,)).fetchone()
        self.rows[rel] = row = Row(*found) if found else None
        return row

    def fresh_by_stamp(self, rel: str, stamp: Stamp) -> bool:
        """True when the cached row was parsed from a file with this very stat."""
        row = self.row(rel)
        return (
            bool(row)
            and row.mtime_ns == stamp.mtime_ns
            and row.size == stamp.size
            and row.fingerprint == self.fingerprint
        )

    def fresh_by_digest(self, rel: str, digest: str) -> bool:
        """True when the cached row was parsed from identical bytes (a touched file)."""
        row = self.row(rel)
        return bool(row) and row.digest == digest and row.fingerprint == self.fingerprint

    def load(self, rels: list[str], kept: Table | None = None) -> list[Parsed]:
        """The cached outcomes of these sources; those ``kept`` in memory (by content hash
        and fingerprint) are not read and unpickled again. A row that cannot be read is
        left out (and forgotten): the caller parses that source again."""
        if not self.db or not rels:
            return []
        found: list[Parsed] = []
        missing = rels
        if kept is not None and kept.previous:  # an earlier build of the session kept some
            missing = []
            for rel in rels:
                parsed = kept.lookup(rel, self._row_identity(rel))
                if parsed is None:
                    missing.append(rel)
                else:
                    found.append(parsed)
        unpickled = self._unpickle(missing)
        if kept is not None:
            for parsed in unpickled:
                kept.put(parsed.rel, self._row_identity(parsed.rel), parsed)
        found += unpickled
        self.records.update((parsed.rel, parsed) for parsed in found)
        return sorted(found, key=attrgetter("rel"))

    def identity(self, parsed: Parsed) -> tuple[str, str]:
        """What a parsed outcome is the result of: the source's hash and the fingerprint."""
        return (parsed.digest, self.fingerprint)

    def _row_identity(self, rel: str) -> tuple[str, str]:
        row = self.row(rel)
        assert row is not None  # only sources with a fresh row are loaded
        return (row.digest, row.fingerprint)

    def _unpickle(self, rels: list[str]) -> list[Parsed]:
        """The records of these sources: most of the archive from the pack, the rest (and
        all of a few) from their rows."""
        assert self.db
        if len(rels) <= FEW_ROWS:
            return self._from_rows(rels)
        packed, left = self._from_pack(rels)
        return packed + self._from_rows([rel for rel in rels if rel in left])

    def _from_pack(self, rels: list[str]) -> tuple[list[Parsed], set[str]]:
        """Those of these records the pack holds for the content their rows have now (a
        part that cannot be read only means its records come from their rows), and the
        sources it had none for."""
        assert self.db
        query = "SELECT records FROM pack WHERE fingerprint = ? ORDER BY part"
        wanted = set(rels)
        size, found = 0, []
        try:
            with no_collections():
                for (blob,) in self.db.execute(query, (self.fingerprint,)):
                    records = _unpacked(blob, self.links)
                    size += len(records)
                    for parsed in records:
                        if self._is_current(parsed) and parsed.rel in wanted:
                            found.append(parsed)
                            wanted.discard(parsed.rel)  # taken once, were it packed twice
        except sqlite3.DatabaseError:
            pass
        self.pack = PackUse(size, len(found))
        return found, wanted

    def _is_current(self, parsed: Any) -> bool:
        """True for a well-formed record of the content its source's row has now."""
        row = self.row(parsed.rel) if _well_formed(parsed) else None
        return row is not None and parsed.digest == row.digest

    def _from_rows(self, rels: list[str]) -> list[Parsed]:
        if not rels:
            return []
        assert self.db
        try:
            if len(rels) > FEW_ROWS:  # most of the archive: one pass over the table
                wanted = set(rels)
                query = "SELECT rel, meta FROM sources WHERE fingerprint = ?"
                rows = [
                    (rel, meta)
                    for rel, meta in self.db.execute(query, (self.fingerprint,))
                    if rel in wanted
                ]
            else:
                query = "SELECT rel, meta FROM sources WHERE rel = ? AND fingerprint = ?"
                rows = []
                for rel in rels:
                    rows.extend(self.db.execute(query, (rel, self.fingerprint)).fetchall())
        except sqlite3.DatabaseError:
            return []
        found = []
        with no_collections():
            records = [(rel, _unpickled(meta, self.links)) for rel, meta in rows]
        for rel, parsed in records:
            if self._is_current(parsed) and parsed.rel == rel:
                found.append(parsed)
            else:
                self.rows[rel] = None  # damaged or stale: parsed again
        return found

    def restamp(self, rel: str, stamp: Stamp) -> None:
        """Record a new stat for a file whose bytes did not change (written at ``close``)."""
        if self.db and not self.read_only:
            self.restamps.append((stamp.mtime_ns, stamp.size, rel))

    def store(self, parsed: Parsed, stamp: Stamp, body: str) -> Parsed:
        """Remember a fresh outcome (written with the next batch, or at ``close``); return
        it with its links shared with those of the records already loaded, as the cache
        gives rows back."""
        self.memory_bodies[parsed.rel] = body
        self.parsed_here += 1
        if self._writing():
            meta = _pickled(parsed)
            row = (parsed.rel, stamp.mtime_ns, stamp.size, parsed.digest, self.fingerprint)
            self.pending.append((*row, meta, body))
            if len(self.pending) >= FLUSH_ROWS:
                self._flush()
        shared = _with_shared_links(parsed, self.links)
        self.records[parsed.rel] = shared
        return shared

    def _writing(self) -> bool:
        return bool(self.db) and not self.read_only and self.write_error is None

    def _flush(self) -> None:
        """Write the pending rows now, and let go of their bodies (``body`` reads them back);
        if that fails, keep them, and every body from now on, in memory."""
        assert self.db
        try:
            _write_rows(self.db, [], [], self.pending)
        except sqlite3.Error as exc:
            self.write_error = exc
            self.pending.clear()
            return
        for rel, mtime_ns, size, digest, fingerprint, _, _ in self.pending:
            self.rows[rel] = Row(mtime_ns, size, digest, fingerprint)
            self.memory_bodies.pop(rel, None)
        self.pending.clear()

    def forget_except(self, rels: set[str], known: Iterable[str] | None = None) -> None:
        """Drop rows of sources that no longer exist (at ``close``): of all rows, or of the
        sources ``known`` (what the last build read, when it holds the rest)."""
        if self.db and not self.read_only:
            candidates = self.rows if known is None else known
            self.gone = [(rel,) for rel in candidates if rel not in rels]

    def body(self, rel: str, digest: str) -> str:
        """The rendered body of a source parsed from the content with hash ``digest``, in
        this build or an earlier one; KeyError when the cache lost it (the caller builds
        again without trusting that row)."""
        if rel in self.memory_bodies:
            return self.memory_bodies[rel]
        row = None
        if self.db:
            query = "SELECT body FROM sources WHERE rel = ? AND digest = ?"
            with contextlib.suppress(sqlite3.DatabaseError):
                row = self.db.execute(query, (rel, digest)).fetchone()
        if row and isinstance(row[0], str):
            return row[0]
        raise KeyError(rel)

    def _needs_pack(self) -> bool:
        """True when this build holds the records of many sources and the pack it found
        was missing or too stale: then ``close`` writes the pack again."""
        records = self.records
        if self.few or len(records) <= FEW_ROWS:
            return False
        if self.pack is None:  # every record came from the session, or was parsed
            stale = self.parsed_here
        else:  # records it lacks, or holds for sources gone (an edit is one, not two)
            stale = max(len(records), self.pack.size) - self.pack.used
        return stale > len(records) * STALE_SHARE

    def _pack_rows(self) -> Iterator[tuple[str, int, bytes]]:
        """The rows of a new pack, each pickled as the write asks for it."""
        rels = sorted(self.records)
        for part, start in enumerate(range(0, len(rels), PACK_PART)):
            records = tuple(self.records[rel] for rel in rels[start : start + PACK_PART])
            yield self.fingerprint, part, _pickled(records)

    def close(self) -> Problem | None:
        """Write what this build parsed and has not written yet, with the restamped and
        forgotten rows, in one transaction, then the pack when it is due, in another; a
        warning when writing failed (a full disk): the next build then parses those sources
        again, or reads their records from the rows."""
        if not self.db:
            return None
        db, self.db = self.db, None
        error, failed = self.write_error, "rows"
        writable = not self.read_only and error is None
        pack = self._pack_rows if writable and self._needs_pack() else None
        try:
            if writable and (self.pending or self.restamps or self.gone):
                _write_rows(db, self.gone, self.restamps, self.pending)
            if pack:  # a transaction of its own: a pack that does not fit costs no row
                failed = "pack"
                _in_write_transaction(db, lambda: _replace_pack(db, pack()))
            elif db.in_transaction:
                db.rollback()
        except Exception as exc:  # pickling a forged record may raise anything
            error = exc
            with contextlib.suppress(sqlite3.Error):
                db.rollback()
        finally:
            self.pending.clear()
            self.records.clear()
            db.close()
        if error is None:
            return None
        if failed == "pack":
            consequence = "the next build reads its records from their rows, one by one"
        else:
            consequence = "the next build parses these files again"
        return Problem(
            CACHE_FILE, None, f"could not update the cache ({error}); {consequence}", WARNING
        )


def _write_rows(db: sqlite3.Connection, gone: list, restamps: list, rows: list) -> None:
    """Apply these row writes in one transaction (see ``_in_write_transaction``)."""

    def apply() -> None:
        db.executemany("DELETE FROM sources WHERE rel = ?", gone)
        db.executemany("UPDATE sources SET mtime_ns = ?, size = ? WHERE rel = ?", restamps)
        db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    _in_write_transaction(db, apply)


def _replace_pack(db: sqlite3.Connection, parts: Iterable[tuple[str, int, bytes]]) -> None:
    db.execute("DELETE FROM pack")  # one pack: builds of other settings start afresh
    db.executemany("INSERT INTO pack VALUES (?, ?, ?)", parts)


def _in_write_transaction(db: sqlite3.Connection, apply: Callable[[], None]) -> None:
    """Run ``apply`` in one transaction. Inside the read snapshot a build opened with, that
    snapshot may be stale by now (another build wrote): then start a write transaction
    afresh; every write ``apply`` makes must be idempotent."""
    if db.in_transaction:
        try:
            apply()
            db.commit()
            return
        except sqlite3.OperationalError:
            db.rollback()
    db.execute("BEGIN IMMEDIATE")
    apply()
    db.commit()


def _pickled(record: Parsed | tuple[Parsed, ...]) -> bytes:
    """A row's record, or a part of the pack, each link pickled as ``shared_link``."""
    file = io.BytesIO()
    _RecordPickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(record)
    return file.getvalue()


_PARSED_FIELDS, _ARTICLE_FIELDS, _PROBLEM_FIELDS = (
    len(dataclasses.fields(kind)) for kind in (Parsed, Article, Problem)
)


def _well_formed(parsed: Any) -> bool:
    """A record in the shape masthead pickles it: a forged pickle can make a record, its
    article or a problem without calling the constructor, or add attributes. Attributes
    are counted, not named, and field values are not checked: this runs for every record
    of the archive."""
    if type(parsed) is not Parsed or len(vars(parsed)) != _PARSED_FIELDS:
        return False
    article, problems = parsed.article, parsed.problems
    return (
        type(parsed.rel) is str
        and type(parsed.digest) is str
        and (
            article is None or (type(article) is Article and len(vars(article)) == _ARTICLE_FIELDS)
        )
        and type(problems) is tuple
        and (not problems or all(_is_problem(problem) for problem in problems))
    )


def _is_problem(value: Any) -> bool:
    return type(value) is Problem and len(vars(value)) == _PROBLEM_FIELDS


def _unpacked(blob: Any, links: dict[tuple, Link]) -> tuple:
    """The records of a part of the pack, or none when it holds anything else (checked
    one by one as they are taken)."""
    part = _decoded(blob, links)
    return part if type(part) is tuple else ()


def _unpickled(meta: Any, links: dict[tuple, Link]) -> Any:
    """The record in a row (its links taken from ``links`` when equal), or None when the
    row holds anything else."""
    return _decoded(meta, links)


def _decoded(blob: Any, links: dict[tuple, Link]) -> Any:
    """What a row or a part of the pack holds, or None: any failure to decode it only
    means those sources are parsed (or read from their rows) again."""
    if not isinstance(blob, bytes):
        return None
    try:
        return _RecordUnpickler(io.BytesIO(blob), links).load()
    except Exception:  # damaged or forged: whatever it raises, it is not used
        return None


def open_cache(
    folder: Path | None, fingerprint: str, read_only: bool, shown: str, few: bool = False
) -> tuple[ParseCache, Problem | None]:
    """The parse cache in ``folder`` (shown in messages as ``shown``); when it cannot be
    used (the folder is a file, or cannot be made), a cache that keeps nothing, and a
    warning saying so. ``few``: see ``ParseCache``."""
    try:
        return ParseCache(folder, fingerprint, read_only=read_only, few=few), None
    except CacheUnusable as exc:
        message = (
            f"cannot use the cache: {exc}; building without it (remove what is in the way, or "
            "choose another --cache-dir)"
        )
        return ParseCache(None, fingerprint), Problem(shown, None, message, WARNING)


def remove_cache(cache_path: Path) -> bool:
    """Delete the cache files (only those masthead makes) and the folder if it is then empty."""
    found = False
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = cache_path / (CACHE_FILE + suffix)
        if path.exists() or path.is_symlink():
            path.unlink()
            found = True
    with contextlib.suppress(OSError):
        cache_path.rmdir()
    return found


def _open_existing(db_path: Path) -> sqlite3.Connection | None:
    """Open a cache only to read it (``masthead check`` writes nothing); None if unusable."""
    if not db_path.is_file():
        return None
    try:
        db = sqlite3.connect(
            f"{db_path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=BUSY_SECONDS,
            isolation_level=None,
        )
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            db.close()
            return None
        db.execute("SELECT count(*) FROM sources").fetchone()
    except (sqlite3.Error, OSError):
        return None
    return db


def _open(db_path: Path) -> sqlite3.Connection:
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheUnusable(_folder_trouble(db_path.parent, exc)) from exc
    try:
        return _connect(db_path)
    except sqlite3.DatabaseError:
        # Not a cache we can trust (truncated, another program's file): start afresh.
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                Path(str(db_path) + suffix).unlink(missing_ok=True)
        try:
            return _connect(db_path)
        except sqlite3.Error as exc:
            raise CacheUnusable(str(exc)) from exc
    except sqlite3.Error as exc:
        raise CacheUnusable(str(exc)) from exc


def _folder_trouble(folder: Path, exc: OSError) -> str:
    if folder.exists() and not folder.is_dir():
        return f"{folder} is a file, not a folder"
    return f"cannot create {folder}: {exc.strerror or exc}"


def _connect(db_path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(db_path, timeout=BUSY_SECONDS, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DROP TABLE IF EXISTS sources")
            db.execute("DROP TABLE IF EXISTS pack")
            db.execute(
                "CREATE TABLE sources (rel TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, "
                "digest TEXT, fingerprint TEXT, meta BLOB, body TEXT)"
            )
            db.execute(
                "CREATE TABLE pack (fingerprint TEXT, part INTEGER, records BLOB, "
                "PRIMARY KEY (fingerprint, part))"
            )
            db.execute(f"PRAGMA user_version = {SCHEMA}")
            db.execute("COMMIT")
        db.execute("SELECT count(*) FROM sources").fetchone()
    except sqlite3.Error:
        db.close()
        raise
    return db
