"""The persistent parse cache: one SQLite file, one row per source.

A row holds the source's stat and content hash, the fingerprint of everything that changes
parsing, the parsed Article (without its body) or the problems that stopped it, and the
rendered body on its own, so that a build that renders few pages never loads every body.
SQLite's journal keeps the file consistent when a build is killed; a cache that cannot be
opened is thrown away and rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .model import Article, Problem
from .session import Table

CACHE_FILE = "cache.sqlite"
SCHEMA = 1
_FEW_ROWS = 200  # fewer sources than this are read one by one, by key


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing one source: an article without its body, or problems."""

    rel: str
    digest: str
    article: Article | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Stamp:
    """What tells cheaply whether a file changed since it was parsed."""

    mtime_ns: int
    size: int


class ParseCache:
    """Parsed sources by path, valid while stat (or content hash) and fingerprint match.

    With ``cache_path`` None the cache is off: nothing is read or written, and bodies are
    kept in memory for this build only.
    """

    def __init__(self, cache_path: Path | None, fingerprint: str, read_only: bool = False):
        self.fingerprint = fingerprint
        self.read_only = read_only
        self.memory_bodies: dict[str, str] = {}
        self.pending: list[tuple] = []
        self.db = _open_existing(cache_path / CACHE_FILE) if cache_path and read_only else None
        if cache_path and not read_only:
            self.db = _open(cache_path / CACHE_FILE)
        self.rows: dict[str, tuple[int, int, str, str]] = {}
        if self.db:
            query = "SELECT rel, mtime_ns, size, digest, fingerprint FROM sources"
            self.rows = {rel: rest for rel, *rest in self.db.execute(query)}

    def fresh_by_stamp(self, rel: str, stamp: Stamp) -> bool:
        """True when the cached row was parsed from a file with this very stat."""
        row = self.rows.get(rel)
        return (
            bool(row)
            and row[0] == stamp.mtime_ns
            and row[1] == stamp.size
            and row[3] == self.fingerprint
        )

    def fresh_by_digest(self, rel: str, digest: str) -> bool:
        """True when the cached row was parsed from identical bytes (a touched file)."""
        row = self.rows.get(rel)
        return bool(row) and row[2] == digest and row[3] == self.fingerprint

    def load(self, rels: list[str], kept: Table | None = None) -> list[Parsed]:
        """The cached outcomes of these sources; those ``kept`` in memory (by content hash
        and fingerprint) are not read and unpickled again."""
        if not self.db or not rels:
            return []
        found: list[Parsed] = []
        missing: list[str] = []
        for rel in rels:
            parsed = kept.lookup(rel, self._row_identity(rel)) if kept else None
            if parsed is None:
                missing.append(rel)
            else:
                found.append(parsed)
        for parsed in self._unpickle(missing):
            found.append(parsed)
            if kept:
                kept.put(parsed.rel, self._row_identity(parsed.rel), parsed)
        return sorted(found, key=lambda parsed: parsed.rel)

    def identity(self, parsed: Parsed) -> tuple[str, str]:
        """What a parsed outcome is the result of: the source's hash and the fingerprint."""
        return (parsed.digest, self.fingerprint)

    def _row_identity(self, rel: str) -> tuple[str, str]:
        row = self.rows[rel]
        return (row[2], row[3])

    def _unpickle(self, rels: list[str]) -> list[Parsed]:
        assert self.db
        if len(rels) > _FEW_ROWS:  # most of the archive: one pass over the table
            wanted = set(rels)
            query = "SELECT rel, meta FROM sources WHERE fingerprint = ?"
            rows = self.db.execute(query, (self.fingerprint,))
            return [pickle.loads(meta) for rel, meta in rows if rel in wanted]
        query = "SELECT meta FROM sources WHERE rel = ? AND fingerprint = ?"
        found = []
        for rel in rels:
            row = self.db.execute(query, (rel, self.fingerprint)).fetchone()
            if row:
                found.append(pickle.loads(row[0]))
        return found

    def restamp(self, rel: str, stamp: Stamp) -> None:
        """Record a new stat for a file whose bytes did not change."""
        if self.db and not self.read_only:
            self.db.execute(
                "UPDATE sources SET mtime_ns = ?, size = ? WHERE rel = ?",
                (stamp.mtime_ns, stamp.size, rel),
            )

    def store(self, parsed: Parsed, stamp: Stamp, body: str) -> None:
        """Remember a fresh outcome (written at ``close``)."""
        self.memory_bodies[parsed.rel] = body
        if self.db and not self.read_only:
            meta = pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
            self.pending.append(
                (
                    parsed.rel,
                    stamp.mtime_ns,
                    stamp.size,
                    parsed.digest,
                    self.fingerprint,
                    meta,
                    body,
                )
            )

    def forget_except(self, rels: set[str]) -> None:
        """Drop rows of sources that no longer exist."""
        if self.db and not self.read_only:
            gone = [(rel,) for rel in self.rows if rel not in rels]
            self.db.executemany("DELETE FROM sources WHERE rel = ?", gone)

    def body(self, rel: str) -> str:
        """The rendered body of a source parsed in this build or an earlier one."""
        if rel in self.memory_bodies:
            return self.memory_bodies[rel]
        if self.db:
            row = self.db.execute("SELECT body FROM sources WHERE rel = ?", (rel,)).fetchone()
            if row:
                return row[0]
        raise KeyError(rel)

    def close(self) -> None:
        """Write what this build parsed, in one transaction."""
        if not self.db:
            return
        self.db.executemany(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)", self.pending
        )
        self.db.commit()
        self.pending.clear()
        self.db.close()
        self.db = None


def remove_cache(cache_path: Path) -> bool:
    """Delete the cache files (only those masthead makes) and the folder if it is then empty."""
    found = False
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = cache_path / (CACHE_FILE + suffix)
        if path.exists():
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
        db = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            db.close()
            return None
        db.execute("SELECT count(*) FROM sources").fetchone()
    except sqlite3.DatabaseError:
        return None
    return db


def _open(db_path: Path) -> sqlite3.Connection:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _connect(db_path)
    except sqlite3.DatabaseError:
        # Not a cache we can trust (truncated, another program's file): start afresh.
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        return _connect(db_path)


def _connect(db_path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA:
        db.execute("DROP TABLE IF EXISTS sources")
        db.execute(
            "CREATE TABLE sources (rel TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, "
            "digest TEXT, fingerprint TEXT, meta BLOB, body TEXT)"
        )
        db.execute(f"PRAGMA user_version = {SCHEMA}")
        db.commit()
    db.execute("SELECT count(*) FROM sources").fetchone()
    return db
