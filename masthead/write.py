"""Output: refuse dangerous folders, stage files, move them in atomically, prune stale ones.

A build stages every new or changed file in a hidden folder inside the output folder (same
file system, so ``os.replace`` is atomic) and moves them into place only when the whole
build succeeded: a failed build leaves the previous output untouched. A manifest records
what masthead wrote, so that files no build produces any more are removed and nothing
masthead did not write is ever deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .session import Session

MANIFEST_NAME = ".masthead-manifest.json"
STAGING_NAME = ".masthead-staging"


@dataclass(frozen=True)
class WriteResult:
    """Counts of one commit to the output folder."""

    written: int
    unchanged: int
    removed: int


def output_folder_problem(
    site_path: Path, output_path: Path, protected: tuple[Path, ...]
) -> str | None:
    """Why writing the build into ``output_path`` could destroy someone's work, or None."""
    output = output_path.resolve()
    site = site_path.resolve()
    if output == Path(output.anchor) or output == Path.home().resolve():
        return (
            f"refusing to write the site into {output}: choose a dedicated folder such as output/"
        )
    if output == site or site.is_relative_to(output):
        return f"refusing to write the site into {output}: it holds the site itself; use a subfolder such as output/"
    for folder in protected:
        folder = folder.resolve()
        if output == folder or output.is_relative_to(folder) or folder.is_relative_to(output):
            return f"refusing to write the site into {output}: it overlaps {folder}"
    if (output / MANIFEST_NAME).is_file():
        return None  # masthead's own output: a page may well live at /content/ or /templates/
    for name in ("content", "templates", "pyproject.toml"):
        if (output / name).exists():
            return f"refusing to write the site into {output}: it holds {name}, which looks like a site's source"
    return None


@dataclass(frozen=True)
class Slot:
    """Where one output file may be staged (by any process), and what the manifest says is
    at its destination now: (hash, size, mtime) or None."""

    rel: str
    temp: str
    destination: str
    known: tuple[str, int, int] | None


@dataclass(frozen=True)
class Staged:
    """What staging one file did: its hash, whether bytes were written to the slot, and the
    destination's (size, mtime) when it was left as it was."""

    digest: str
    written: bool
    kept_stat: tuple[int, int] | None


def stage_bytes(slot: Slot, data: bytes) -> Staged:
    """Write ``data`` to the slot's staging file, unless the destination already holds these
    very bytes. Safe to call in worker processes: it touches only the slot's own file."""
    digest = hashlib.sha256(data).hexdigest()
    kept = _unchanged_stat(slot, digest, data)
    if kept:
        return Staged(digest, False, kept)
    with open(slot.temp, "wb") as handle:
        handle.write(data)
    return Staged(digest, True, None)


def _unchanged_stat(slot: Slot, digest: str, data: bytes) -> tuple[int, int] | None:
    try:
        stat = os.stat(slot.destination)
    except OSError:
        return None
    here = (stat.st_size, stat.st_mtime_ns)
    if slot.known:
        return here if (slot.known[0], slot.known[1], slot.known[2]) == (digest, *here) else None
    # First build over an existing folder: compare the bytes themselves.
    if stat.st_size == len(data) and Path(slot.destination).read_bytes() == data:
        return here
    return None


class OutputWriter:
    """Stages files for one build and commits them to the output folder."""

    def __init__(self, output_path: Path, session: Session | None = None):
        self.output_path = output_path
        self.root = str(output_path)
        self.staging_path = output_path / STAGING_NAME
        self.session = session
        self.previous, self.previous_memo = read_manifest(output_path, session)
        self.created_output = not output_path.exists()
        self.current: dict[str, list] = {}
        self.staged: list[tuple[str, Path]] = []
        self.slots = 0
        self.unchanged = 0
        shutil.rmtree(self.staging_path, ignore_errors=True)  # left by a killed build

    def slot(self, rel: str) -> Slot:
        """Reserve a staging file for ``rel``, to be filled by ``stage_bytes`` anywhere."""
        if rel in self.current or not _is_safe_rel(rel):
            raise ValueError(f"{rel!r} was offered twice or leaves the output folder")
        if not self.slots:
            self.staging_path.mkdir(parents=True, exist_ok=True)
        self.slots += 1
        known = self.previous.get(rel)
        return Slot(
            rel=rel,
            temp=str(self.staging_path / f"{self.slots}.tmp"),
            destination=str(self.output_path / rel),
            known=(known[0], known[1], known[2]) if known and len(known) >= 3 else None,
        )

    def accept(self, slot: Slot, staged: Staged, fingerprint: str = "") -> None:
        """Record what ``stage_bytes`` did for a slot."""
        if staged.written:
            self.staged.append((slot.rel, Path(slot.temp)))
            self.current[slot.rel] = [staged.digest, -1, -1, fingerprint]
        else:
            size, mtime = staged.kept_stat or (-1, -1)
            self.current[slot.rel] = [staged.digest, size, mtime, fingerprint]
            self.unchanged += 1

    def add(self, rel: str, data: bytes, fingerprint: str = "") -> None:
        """Offer one output file; it is staged only if its bytes differ from what is there."""
        slot = self.slot(rel)
        self.accept(slot, stage_bytes(slot, data), fingerprint)

    def keep_if_intact(self, rel: str, fingerprint: str) -> bool:
        """Keep a file without rendering it again when an earlier build wrote it from inputs
        with this fingerprint and nobody has touched it since."""
        known = self.previous.get(rel)
        if not fingerprint or not known or len(known) < 4 or known[3] != fingerprint:
            return False
        try:
            stat = os.stat(os.path.join(self.root, rel))  # no Path objects: called per page
        except OSError:
            return False
        if [stat.st_size, stat.st_mtime_ns] != known[1:3]:
            return False
        self.current[rel] = known
        self.unchanged += 1
        return True

    def commit(self, memo: dict | None = None) -> WriteResult:
        """Move staged files into place, remove files an earlier build wrote and this one did
        not, and record the new manifest (with ``memo``, the inputs of this build)."""
        if any(rel not in self.previous for rel, _ in self.staged):
            # Record new files before they land, so that a crash below cannot leave a file
            # that no manifest names (and no later build would remove).
            _write_manifest(self.output_path / MANIFEST_NAME, {**self.previous, **self.current})
        for rel, temp in self.staged:
            destination = self.output_path / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, destination)
            self.current[rel] = [*self._record(rel, self.current[rel][0]), self.current[rel][3]]
        removed = self._prune()
        if self.current != self.previous or self.staged or memo != self.previous_memo:
            path = self.output_path / MANIFEST_NAME
            _write_manifest(path, self.current, memo)
            if self.session:
                self.session.table("manifest").put(str(path), _file_key(path), (self.current, memo))
        shutil.rmtree(self.staging_path, ignore_errors=True)
        return WriteResult(len(self.staged), self.unchanged, removed)

    def remove_all(self) -> int:
        """Remove every file an earlier build wrote (``masthead clean``); keep the rest."""
        self.current = {}
        removed = self._prune()
        (self.output_path / MANIFEST_NAME).unlink(missing_ok=True)
        return removed

    def abort(self) -> None:
        """Throw away what was staged; the output folder stays as it was (absent, if it was)."""
        shutil.rmtree(self.staging_path, ignore_errors=True)
        if self.created_output:
            with contextlib.suppress(OSError):
                self.output_path.rmdir()

    def _record(self, rel: str, digest: str) -> list:
        stat = (self.output_path / rel).stat()
        return [digest, stat.st_size, stat.st_mtime_ns]

    def _prune(self) -> int:
        removed = 0
        for rel in sorted(set(self.previous) - set(self.current)):
            path = self.output_path / rel
            if path.is_file():
                path.unlink()
                removed += 1
                _remove_empty_parents(path.parent, self.output_path)
        return removed


def intact_outputs(files: dict[str, list], output_path: Path) -> bool:
    """True when every file of a manifest is still as the build that wrote it left it."""
    root = str(output_path)
    for rel, entry in files.items():
        try:
            stat = os.stat(os.path.join(root, rel))
        except OSError:
            return False
        if len(entry) < 3 or entry[1] != stat.st_size or entry[2] != stat.st_mtime_ns:
            return False
    return bool(files)


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def read_manifest(
    output_path: Path, session: Session | None = None
) -> tuple[dict[str, list], dict | None]:
    """The files the last build wrote (by path: hash, size, mtime, fingerprint) and the memo
    of its inputs, if it recorded one. A ``session`` remembers the manifest it last read or
    wrote, by the file's stat. Callers must not modify what they get."""
    path = output_path / MANIFEST_NAME
    if session is None:
        return _read_manifest(path)
    key = _file_key(path)
    if key is None:
        return {}, None
    return session.table("manifest").get(str(path), key, lambda: _read_manifest(path))


def _read_manifest(path: Path) -> tuple[dict[str, list], dict | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, None
    if not isinstance(data, dict):
        return {}, None
    files = data.get("files", {})
    memo = data.get("memo")
    safe = {
        rel: entry for rel, entry in files.items() if _is_safe_rel(rel) and isinstance(entry, list)
    }
    return safe, memo if isinstance(memo, dict) else None


def _file_key(path: Path) -> tuple[int, int, int] | None:
    """What tells that a file was replaced or modified: inode, size and mtime."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _write_manifest(path: Path, files: dict[str, list], memo: dict | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    document: dict = {"version": 1, "files": dict(sorted(files.items()))}
    if memo is not None:
        document["memo"] = memo
    temp.write_text(json.dumps(document), encoding="utf-8")
    os.replace(temp, path)


def _is_safe_rel(rel: str) -> bool:
    """A manifest entry must stay inside the output folder, even if the manifest was edited."""
    parts = rel.split("/")
    return (
        bool(rel)
        and not rel.startswith("/")
        and "\\" not in rel
        and not any(p in ("", ".", "..") for p in parts)
    )
