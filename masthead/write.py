"""Output: refuse dangerous folders, stage files, move them in atomically, prune stale ones.

A build stages every new or changed file in a folder of its own inside the output folder
(same file system, so ``os.replace`` is atomic) and moves them into place only when the
whole build succeeded: a failed build leaves the previous output untouched. A manifest
records what masthead wrote and which folders it created, so that files no build produces
any more are removed, and nothing masthead did not write is ever overwritten or deleted.
Links inside the output folder are never followed.

If the commit itself fails (a full disk, a permission), the output holds only complete
files (each the old or the new version), the manifest is rewritten to say what is really
there, and the staging folder is removed; the next build repairs the rest.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .session import Session

MANIFEST_NAME = ".masthead-manifest.json"
STAGING_NAME = ".masthead-staging"
RESERVED_PREFIX = ".masthead"
"""Names inside the output folder that belong to masthead (manifest, staging, lock)."""
MANIFEST_VERSION = 2


class Entry(NamedTuple):
    """What the manifest knows of one output file. ``size`` and ``mtime_ns`` are -1 while
    unknown (a file recorded just before it lands): such a file is always checked again."""

    digest: str
    size: int
    mtime_ns: int
    fingerprint: str = ""


@dataclass(frozen=True)
class Manifest:
    """The files the last build wrote, the folders masthead created, and its memo."""

    files: dict[str, Entry]
    folders: frozenset[str]
    memo: dict | None = None


EMPTY_MANIFEST = Manifest({}, frozenset(), None)


class OutputError(Exception):
    """The output (or a file in it) could not be written: one line with cause and fix."""


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
    if output.exists() and not output.is_dir():
        shown = output.relative_to(site) if output.is_relative_to(site) else output
        return f"{shown} is a file, not a folder: remove it or choose another output folder"
    if (output / MANIFEST_NAME).is_file():
        return None  # masthead's own output: a page may well live at /content/ or /templates/
    for name in ("content", "templates", "pyproject.toml"):
        if (output / name).exists():
            return f"refusing to write the site into {output}: it holds {name}, which looks like a site's source"
    return None


@dataclass(frozen=True)
class Slot:
    """Where one output file may be staged (by any process), and what the manifest says is
    at its destination now (None: nothing masthead wrote)."""

    rel: str
    temp: str
    destination: str
    known: Entry | None


@dataclass(frozen=True)
class Staged:
    """What staging one file did: its hash, whether bytes were written to the slot, and the
    destination's (size, mtime) when it was left as it was."""

    digest: str
    written: bool
    kept_stat: tuple[int, int] | None


def stage_bytes(slot: Slot, data: bytes) -> Staged:
    """Write ``data`` to the slot's staging file, unless the destination already holds these
    very bytes. Safe to call in worker processes: it touches only the slot's own file. An
    I/O failure (a full disk) raises OSError, and leaves no partial file behind."""
    digest = hashlib.sha256(data).hexdigest()
    kept = _unchanged_stat(slot, digest, data)
    if kept:
        return Staged(digest, False, kept)
    try:
        with open(slot.temp, "wb") as handle:
            handle.write(data)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(slot.temp)
        raise
    return Staged(digest, True, None)


def _unchanged_stat(slot: Slot, digest: str, data: bytes) -> tuple[int, int] | None:
    try:
        found = os.lstat(slot.destination)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    here = (found.st_size, found.st_mtime_ns)
    known = slot.known
    if known is not None and known.size >= 0:
        return here if (known.digest, known.size, known.mtime_ns) == (digest, *here) else None
    # Recorded but never confirmed (a build stopped in its commit), or a file taken over
    # with --overwrite: compare the bytes, so that an identical file keeps its mtime.
    try:
        if found.st_size == len(data) and Path(slot.destination).read_bytes() == data:
            return here
    except OSError:
        return None
    return None


def os_error_message(exc: OSError, rel: str) -> str:
    """One line saying why writing ``rel`` failed and what to do about it."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"the disk is full (no space left on device) while writing {rel}; free some space and build again"
    if code == errno.EFBIG:
        return f"{rel} is larger than the file system or this process's file-size limit allows"
    if code == errno.EROFS:
        return f"cannot write {rel}: the output folder is on a read-only file system; choose another output folder"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied writing {rel}; make the output folder writable or choose another one"
    if code == errno.ENAMETOOLONG:
        return f"cannot write {rel}: a name in it is too long for the file system"
    if code in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return f"cannot write {rel}: a file stands where a folder must be, or a folder where a file must be"
    return f"cannot write {rel}: {exc.strerror or exc}"


class OutputWriter:
    """Stages files for one build and commits them to the output folder.

    Use it while holding the output folder's lock (``lock.output_lock``), after
    ``clear_staging`` removed what killed builds left."""

    def __init__(
        self, output_path: Path, previous: Manifest | None = None, session: Session | None = None
    ):
        """``previous``: the manifest as the build read it (read again when not given)."""
        self.output_path = output_path
        self.root = str(output_path)
        self.session = session
        self.previous = previous if previous is not None else read_manifest(output_path, session)
        self.folders = set(self.previous.folders)
        self.created_output = not output_path.exists()
        self.current: dict[str, Entry] = {}
        self.staged: list[tuple[str, Path]] = []
        self.slots = 0
        self.unchanged = 0
        self.checked_folders: set[str] = set()
        self.staging_root = output_path / STAGING_NAME
        self.staging_path = self.staging_root / f"{os.getpid()}-{secrets.token_hex(4)}"

    def slot(self, rel: str) -> Slot:
        """Reserve a staging file for ``rel``, to be filled by ``stage_bytes`` anywhere."""
        if rel in self.current or not is_safe_rel(rel):
            raise ValueError(f"{rel!r} was offered twice or leaves the output folder")
        if not self.slots:
            try:
                self.staging_path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(os_error_message(exc, STAGING_NAME)) from exc
        self.slots += 1
        return Slot(
            rel=rel,
            temp=str(self.staging_path / f"{self.slots}.tmp"),
            destination=os.path.join(self.root, rel),
            known=self.previous.files.get(rel),
        )

    def accept(self, slot: Slot, staged: Staged, fingerprint: str = "") -> None:
        """Record what ``stage_bytes`` did for a slot."""
        if staged.written:
            self.staged.append((slot.rel, Path(slot.temp)))
            self.current[slot.rel] = Entry(staged.digest, -1, -1, fingerprint)
        else:
            size, mtime = staged.kept_stat or (-1, -1)
            self.current[slot.rel] = Entry(staged.digest, size, mtime, fingerprint)
            self.unchanged += 1

    def add(self, rel: str, data: bytes, fingerprint: str = "") -> None:
        """Offer one output file; it is staged only if its bytes differ from what is there.
        Raises OutputError when it cannot be staged."""
        slot = self.slot(rel)
        try:
            staged = stage_bytes(slot, data)
        except OSError as exc:
            raise OutputError(os_error_message(exc, rel)) from exc
        self.accept(slot, staged, fingerprint)

    def keep_if_intact(self, rel: str, fingerprint: str) -> bool:
        """Keep a file without rendering it again when an earlier build wrote it from inputs
        with this fingerprint and nobody has touched it since."""
        known = self.previous.files.get(rel)
        if not fingerprint or known is None or known.fingerprint != fingerprint:
            return False
        try:
            found = os.lstat(os.path.join(self.root, rel))  # no Path objects: called per page
        except OSError:
            return False
        if found.st_size != known.size or found.st_mtime_ns != known.mtime_ns:
            return False
        self.current[rel] = known
        self.unchanged += 1
        return True

    def commit(self, memo: dict | None = None) -> WriteResult:
        """Move staged files into place, remove files an earlier build wrote and this one did
        not, and record the new manifest (with ``memo``, the inputs of this build).

        Raises OutputError when the file system refuses; the output then holds complete
        files only, and the manifest says which."""
        if any(rel not in self.previous.files for rel, _ in self.staged):
            # Record new files before they land, so that a crash below cannot leave a file
            # that no manifest names (and no later build would remove).
            self._write_or_fail({**self.previous.files, **self.current}, None, "the manifest")
        moved: set[str] = set()
        try:
            for rel, temp in self.staged:
                self._move_into_place(rel, temp)
                moved.add(rel)
                self.current[rel] = self._confirmed(rel, self.current[rel])
            removed = self._prune()
        except OSError as exc:
            self._record_what_is_there(moved)
            self._remove_staging()
            raise OutputError(_partial(exc, len(moved), len(self.staged))) from exc
        if (
            self.current != self.previous.files
            or self.staged
            or memo != self.previous.memo
            or self.folders != self.previous.folders
        ):
            self._write_or_fail(self.current, memo, "the manifest")
        self._remove_staging()
        return WriteResult(len(self.staged), self.unchanged, removed)

    def remove_all(self) -> int:
        """Remove every file an earlier build wrote (``masthead clean``); keep the rest."""
        self.current = {}
        try:
            removed = self._prune()
        except OSError as exc:
            self._record_what_is_there(set())
            raise OutputError(os_error_message(exc, "the output folder")) from exc
        (self.output_path / MANIFEST_NAME).unlink(missing_ok=True)
        self._remove_staging()
        return removed

    def abort(self) -> None:
        """Throw away what was staged; the output folder stays as it was."""
        self._remove_staging()

    # -- the commit, step by step ----------------------------------------------------------

    def _move_into_place(self, rel: str, temp: Path) -> None:
        parent, _, _ = rel.rpartition("/")
        if parent:
            self._ensure_folder(parent)
        destination = os.path.join(self.root, rel)
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISDIR(os.lstat(destination).st_mode):
                self._clear_stale_folder(rel)  # an older build's folder where a file goes now
        os.replace(temp, destination)

    def _ensure_folder(self, rel: str) -> None:
        """Make sure ``rel`` is a real folder (never a link), creating what is missing."""
        if rel in self.checked_folders:
            return
        path = os.path.join(self.root, rel)
        try:
            found = os.lstat(path)
        except FileNotFoundError:
            found = None
        if found is not None and stat.S_ISDIR(found.st_mode):
            self.checked_folders.add(rel)
            return
        parent, _, _ = rel.rpartition("/")
        if parent:
            self._ensure_folder(parent)
        if found is not None:
            if stat.S_ISREG(found.st_mode) and self._is_stale(rel):
                os.unlink(path)  # an older build's file where a folder goes now
            else:
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", rel)
        os.mkdir(path)
        self.folders.add(rel)
        self.checked_folders.add(rel)

    def _is_stale(self, rel: str) -> bool:
        return rel in self.previous.files and rel not in self.current

    def _clear_stale_folder(self, rel: str) -> None:
        prefix = rel + "/"
        for old in sorted(self.previous.files):
            if old.startswith(prefix) and self._is_stale(old):
                self._remove_file(old)
        if rel in self.folders:
            os.rmdir(os.path.join(self.root, rel))  # fails, as it should, if not empty
            self.folders.discard(rel)
            self.checked_folders.discard(rel)
        else:
            raise IsADirectoryError(errno.EISDIR, "a folder masthead did not create", rel)

    def _confirmed(self, rel: str, entry: Entry) -> Entry:
        found = os.lstat(os.path.join(self.root, rel))
        return entry._replace(size=found.st_size, mtime_ns=found.st_mtime_ns)

    def _prune(self) -> int:
        removed = 0
        for rel in sorted(set(self.previous.files) - set(self.current)):
            if self._remove_file(rel):
                removed += 1
        return removed

    def _remove_file(self, rel: str) -> bool:
        """Remove one file masthead wrote, and the folders it created that are now empty.
        Nothing is removed through a link, and only regular files are removed."""
        if not self._inside_real_folders(rel):
            return False
        path = os.path.join(self.root, rel)
        try:
            found = os.lstat(path)
        except OSError:  # gone, or a name no file system could hold (an edited manifest)
            return False
        if not stat.S_ISREG(found.st_mode):
            return False
        os.unlink(path)
        folder = rel.rpartition("/")[0]
        while folder and folder in self.folders:
            try:
                os.rmdir(os.path.join(self.root, folder))
            except OSError:
                break
            self.folders.discard(folder)
            self.checked_folders.discard(folder)
            folder = folder.rpartition("/")[0]
        return True

    def _inside_real_folders(self, rel: str) -> bool:
        """True when no folder on the way to ``rel`` is a link (or missing)."""
        parts = rel.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            try:
                found = os.lstat(os.path.join(self.root, *parts[:depth]))
            except OSError:
                return False
            if not stat.S_ISDIR(found.st_mode):
                return False
        return True

    def _record_what_is_there(self, moved: set[str]) -> None:
        """After a failed commit: a manifest naming exactly the files masthead wrote that are
        there now (best effort: if even this cannot be written, the manifest recorded before
        the commit names every file that may have landed)."""
        files: dict[str, Entry] = {}
        for rel in set(self.previous.files) | set(self.current):
            entry = self.current.get(rel) if rel in moved else self.previous.files.get(rel)
            if entry is None:
                continue
            try:
                found = os.lstat(os.path.join(self.root, rel))
            except OSError:
                continue
            if stat.S_ISREG(found.st_mode):
                files[rel] = entry
        with contextlib.suppress(OSError):
            _write_manifest(self.output_path / MANIFEST_NAME, files, None, self.folders)

    def _write_or_fail(self, files: dict[str, Entry], memo: dict | None, what: str) -> None:
        path = self.output_path / MANIFEST_NAME
        try:
            _write_manifest(path, files, memo, self.folders)
        except OSError as exc:
            self._remove_staging()
            raise OutputError(os_error_message(exc, what)) from exc
        if self.session:
            manifest = Manifest(files, frozenset(self.folders), memo)
            self.session.table("manifest").put(str(path), _file_key(path), manifest)

    def _remove_staging(self) -> None:
        shutil.rmtree(self.staging_path, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.staging_root.rmdir()  # unless the lock's holder note is in it


def clear_staging(output_path: Path) -> None:
    """Remove every build's staging folder: call only while holding the output lock, when
    whatever is there was left by builds that were killed."""
    shutil.rmtree(output_path / STAGING_NAME, ignore_errors=True)


def _partial(exc: OSError, moved: int, total: int) -> str:
    message = os_error_message(exc, exc.filename or "the output folder")
    if moved == 0:
        return f"{message}; the previous output is intact"
    return f"{message}; {moved} of {total} new files are in place, the rest keep their previous version: build again to finish"


def output_conflicts(
    output_path: Path, rels: Iterable[str], previous: Manifest, overwrite: bool
) -> list[tuple[str, str]]:
    """(path, why) for every output path a build would write that holds something masthead
    did not write, or lies below a link. With ``overwrite``, files that are not masthead's
    are taken over; links and folders in the way are still refused."""
    try:
        if not output_path.is_dir() or not any(
            not name.startswith(RESERVED_PREFIX) for name in os.listdir(output_path)
        ):
            return []
    except OSError:
        return []
    root = str(output_path)
    folders: dict[str, str | None] = {}
    found: list[tuple[str, str]] = []
    for rel in rels:
        parent = rel.rpartition("/")[0]
        problem = _folder_problem(root, parent, previous, folders) if parent else None
        if problem:
            if problem != "reported":
                found.append(problem)
            continue
        why = _file_problem(root, rel, previous, overwrite)
        if why:
            found.append((rel, why))
    return found


def _folder_problem(
    root: str, rel: str, previous: Manifest, seen: dict[str, str | None]
) -> tuple[str, str] | str | None:
    """Why ``rel`` cannot be used as a folder (once per folder; "reported" after that)."""
    if rel in seen:
        return "reported" if seen[rel] else None
    parent = rel.rpartition("/")[0]
    if parent:
        above = _folder_problem(root, parent, previous, seen)
        if above:
            seen[rel] = "reported"
            return above
    why = None
    try:
        found = os.lstat(os.path.join(root, rel))
    except FileNotFoundError:
        found = None
    except OSError as exc:
        why = f"cannot be checked: {exc.strerror}"
        found = None
    if found is not None:
        if stat.S_ISLNK(found.st_mode):
            why = "is a symbolic link; masthead never writes through links: replace it with a real folder or remove it"
        elif not stat.S_ISDIR(found.st_mode) and rel not in previous.files:
            why = "is a file masthead did not write, where the build needs a folder: move it away"
    seen[rel] = why
    return (rel + "/", why) if why else None


def _file_problem(root: str, rel: str, previous: Manifest, overwrite: bool) -> str | None:
    try:
        found = os.lstat(os.path.join(root, rel))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"cannot be checked: {exc.strerror}"
    if stat.S_ISLNK(found.st_mode) and rel not in previous.files:
        return "is a symbolic link masthead did not make; remove it or build with --overwrite to replace the link (never its target)"
    if stat.S_ISDIR(found.st_mode):
        if rel in previous.files:
            return None
        return "is a folder masthead did not create, where the build writes a file: move it away"
    if rel in previous.files or overwrite:
        return None
    return "exists but was not written by masthead; move it away, or build with --overwrite to let masthead replace it"


def intact_outputs(files: dict[str, Entry], output_path: Path) -> bool:
    """True when every file of a manifest is still as the build that wrote it left it."""
    root = str(output_path)
    for rel, entry in files.items():
        try:
            found = os.lstat(os.path.join(root, rel))
        except OSError:
            return False
        if entry.size != found.st_size or entry.mtime_ns != found.st_mtime_ns:
            return False
    return bool(files)


def read_manifest(output_path: Path, session: Session | None = None) -> Manifest:
    """What the last build wrote: files (hash, size, mtime, fingerprint), the folders it
    created, and the memo of its inputs. A ``session`` remembers the manifest it last read
    or wrote, by the file's stat. Callers must not modify what they get."""
    path = output_path / MANIFEST_NAME
    if session is None:
        return _read_manifest(path)
    key = _file_key(path)
    if key is None:
        return EMPTY_MANIFEST
    return session.table("manifest").get(str(path), key, lambda: _read_manifest(path))


def _read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return EMPTY_MANIFEST
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return EMPTY_MANIFEST
    files = {rel: entry for rel, raw in data["files"].items() if (entry := _entry(rel, raw))}
    memo = data.get("memo")
    raw_folders = data.get("folders")
    if isinstance(raw_folders, list):
        folders = frozenset(f for f in raw_folders if isinstance(f, str) and is_safe_rel(f))
    else:  # written before masthead recorded its folders: the folders of its files
        folders = frozenset(p for rel in files for p in _parents(rel))
    return Manifest(files, folders, memo if isinstance(memo, dict) else None)


def _entry(rel: object, raw: object) -> Entry | None:
    """A manifest row, if it is well formed and stays inside the output folder."""
    if not isinstance(rel, str) or not is_safe_rel(rel) or not isinstance(raw, list):
        return None
    if len(raw) < 3 or not isinstance(raw[0], str):
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in raw[1:3]):
        return None
    fingerprint = raw[3] if len(raw) > 3 and isinstance(raw[3], str) else ""
    return Entry(raw[0], raw[1], raw[2], fingerprint)


def _parents(rel: str) -> Iterable[str]:
    parts = rel.split("/")[:-1]
    return ("/".join(parts[:n]) for n in range(1, len(parts) + 1))


def _file_key(path: Path) -> tuple[int, int, int] | None:
    """What tells that a file was replaced or modified: inode, size and mtime."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def _write_manifest(
    path: Path, files: dict[str, Entry], memo: dict | None, folders: Iterable[str]
) -> None:
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    document: dict = {
        "version": MANIFEST_VERSION,
        "files": {rel: list(entry) for rel, entry in sorted(files.items())},
        "folders": sorted(folders),
    }
    if memo is not None:
        document["memo"] = memo
    try:
        temp.write_text(json.dumps(document), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def is_safe_rel(rel: str) -> bool:
    """A path inside the output folder: relative, no empty, '.' or '..' segments, and not one
    of masthead's own names (even if the manifest was edited)."""
    parts = rel.split("/")
    return (
        bool(rel)
        and not rel.startswith("/")
        and "\\" not in rel
        and "\x00" not in rel
        and not any(p in ("", ".", "..") for p in parts)
        and not parts[0].startswith(RESERVED_PREFIX)
    )
