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
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from .manifest import (
    Entry,
    Manifest,
    is_safe_rel,
    manifest_path,
    read_manifest,
    remove_manifest,
    remove_temporaries,
    write_manifest,
)

STAGING_NAME = ".masthead-staging"


class ForeignFile(FileExistsError):
    """A file masthead did not write stands where the commit would put one."""

    def __init__(self, rel: str):
        super().__init__(errno.EEXIST, "not written by masthead", rel)


class OutputError(Exception):
    """The output (or a file in it) could not be written: one line with cause and fix."""


@dataclass(frozen=True)
class WriteResult:
    """Counts of one commit to the output folder."""

    written: int
    unchanged: int
    removed: int


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


def stage_file(slot: Slot, data: bytes, path: Path) -> Staged:
    """As ``stage_bytes``, for bytes already in the file ``path`` on the staging area's file
    system (a work folder of this build): the file is moved to the staging file, not
    written again."""
    digest = hashlib.sha256(data).hexdigest()
    kept = _unchanged_stat(slot, digest, data)
    if kept:
        return Staged(digest, False, kept)
    os.replace(path, slot.temp)
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
    if isinstance(exc, ForeignFile):
        return (
            f"{rel}: a file masthead did not write appeared there while the build ran; move "
            "it away, or build with --overwrite to let masthead replace it"
        )
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
        self,
        output_path: Path,
        previous: Manifest | None = None,
        overwrite: bool = False,
        trusted: bool = False,
    ):
        """``previous``: the manifest as the build read it (read again when not given);
        ``overwrite``: files masthead did not write may be replaced (--overwrite);
        ``trusted``: nobody but this process writes the folder and ``previous`` is what it
        wrote last, so the files it names are as written (not stat-ed to be kept)."""
        self.output_path = output_path
        self.overwrite = overwrite
        self.trusted = trusted
        self.root = str(output_path)
        self.previous = previous if previous is not None else read_manifest(output_path)
        self.written: Manifest | None = None
        """The manifest the commit wrote (None until then)."""
        self.folders = set(self.previous.folders)
        self.base = self.previous.base
        """The full manifest on disk, which the next manifest write may extend by a delta."""
        self.created_output = not output_path.exists()
        self.current: dict[str, Entry] = {}
        self.staged: list[tuple[str, Path]] = []
        self.temps: dict[str, Path] = {}
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
            self.temps[slot.rel] = Path(slot.temp)
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

    def add_file(self, rel: str, data: bytes, path: Path, fingerprint: str = "") -> None:
        """Offer one output file whose bytes ``data`` are in ``path``, a file in one of this
        build's work folders (``work_folder``), which is moved, not copied, when staged."""
        slot = self.slot(rel)
        try:
            staged = stage_file(slot, data, path)
        except OSError as exc:
            raise OutputError(os_error_message(exc, rel)) from exc
        self.accept(slot, staged, fingerprint)

    def keep_previous(self, rel: str) -> bool:
        """Keep the file an earlier build wrote at ``rel`` (its page failed to render this
        time, and --keep-going asked for the rest): better a stale page than a missing one."""
        known = self.previous.files.get(rel)
        if known is None:
            return False
        self.current[rel] = known
        self.unchanged += 1
        return True

    def keep_if_intact(self, rel: str, fingerprint: str) -> bool:
        """Keep a file without rendering it again when an earlier build wrote it from inputs
        with this fingerprint and nobody has touched it since."""
        known = self.previous.files.get(rel)
        if not fingerprint or known is None or known.fingerprint != fingerprint:
            return False
        if not self.trusted:
            try:
                found = os.lstat(self.root + os.sep + rel)  # joined by hand: per page
            except OSError:
                return False
            if found.st_size != known.size or found.st_mtime_ns != known.mtime_ns:
                return False
        self.current[rel] = known
        self.unchanged += 1
        return True

    def keep_all_if_intact(self, rels: list[str], fingerprint: str) -> bool:
        """Keep every file of ``rels`` (a set made together, such as the search index) when
        each was written from inputs with this fingerprint and is untouched; else keep none."""
        root = self.root
        for rel in rels:
            known = self.previous.files.get(rel)
            if known is None or known.fingerprint != fingerprint or rel in self.current:
                return False
            try:
                found = os.lstat(os.path.join(root, rel))
            except OSError:
                return False
            if (found.st_size, found.st_mtime_ns) != (known.size, known.mtime_ns):
                return False
        return all(self.keep_if_intact(rel, fingerprint) for rel in rels)

    def pending_path(self, rel: str) -> Path:
        """Where the bytes this build commits for ``rel`` are now: its staging file, or the
        file in place when it is kept as it is."""
        return self.temps.get(rel) or self.output_path / rel

    def is_foreign(self, rel: str) -> bool:
        """True when something masthead did not write stands at ``rel`` (and --overwrite
        does not hand it over)."""
        if self.overwrite or rel in self.previous.files:
            return False
        return os.path.lexists(os.path.join(self.root, rel))

    def work_folder(self, name: str) -> Path:
        """An empty folder of this build's own in the staging area (removed with it), for a
        stage that makes files from the staged ones."""
        folder = self.staging_path / f"work-{name}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def commit(self, memo: dict | None = None) -> WriteResult:
        """Move staged files into place, remove files an earlier build wrote and this one did
        not, and record the new manifest (with ``memo``, the inputs of this build).

        Raises OutputError when the file system refuses; the output then holds complete
        files only, and the manifest says which."""
        if any(rel not in self.previous.files for rel, _ in self.staged):
            # Record new files before they land, so that a crash below cannot leave a file
            # that no manifest names (and no later build would remove).
            self._write_or_fail(
                {**self.previous.files, **self.current}, None, "the manifest", moved=False
            )
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
            raise OutputError(_partial(exc, len(moved), len(self.staged), self.root)) from exc
        if (
            self.current != self.previous.files
            or self.staged
            or memo != self.previous.memo
            or self.folders != self.previous.folders
        ):
            self._write_or_fail(self.current, memo, "the manifest", moved=True)
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
        remove_manifest(self.output_path)
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
            found = os.lstat(destination)
            if stat.S_ISDIR(found.st_mode):
                self._clear_stale_folder(rel)  # an older build's folder where a file goes now
            elif rel not in self.previous.files and not self.overwrite:
                raise ForeignFile(rel)  # made by someone else while this build ran
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
            self._write_manifest(files, None)

    def _write_or_fail(
        self, files: dict[str, Entry], memo: dict | None, what: str, moved: bool
    ) -> None:
        try:
            self._write_manifest(files, memo)
        except OSError as exc:
            self._remove_staging()
            if moved:
                state = "; the output is complete, only its manifest is behind: build again"
            else:
                state = "; the previous output is intact"
            raise OutputError(os_error_message(exc, what) + state) from exc
        self.written = Manifest(files, frozenset(self.folders), memo, self.base)

    def _write_manifest(self, files: dict[str, Entry], memo: dict | None) -> None:
        """Record the manifest (as a delta when it changes little); raises OSError."""
        path = manifest_path(self.output_path)
        self.base = write_manifest(path, files, memo, self.folders, self.base)

    def _remove_staging(self) -> None:
        shutil.rmtree(self.staging_path, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.staging_root.rmdir()  # unless the lock's holder note is in it


def clear_staging(output_path: Path) -> None:
    """Remove every build's staging folder, and the manifest files a killed build was
    writing: call only while holding the output lock, when whatever is there was left by
    builds that were killed."""
    shutil.rmtree(output_path / STAGING_NAME, ignore_errors=True)
    remove_temporaries(output_path)


def _partial(exc: OSError, moved: int, total: int, root: str) -> str:
    where = str(exc.filename or "the output folder")
    if where.startswith(root + os.sep):
        where = where[len(root) + 1 :]  # named like every other output file: relative
    message = os_error_message(exc, where)
    if moved == 0:
        return f"{message}; the previous output is intact"
    return f"{message}; {moved} of {total} new files are in place, the rest keep their previous version: build again to finish"
