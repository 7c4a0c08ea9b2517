"""The output manifest: what masthead wrote into an output folder, and what it created.

``.masthead-manifest.json`` names every file a build wrote (with its hash, stat and the
fingerprint of the inputs it was rendered from), every folder masthead created, and the
memo of the last successful build's inputs. It is how a build knows which files are its
own to replace or remove, and which pages it need not render again.

A build that changed a few files does not write the whole manifest again (megabytes at
archive scale): it writes ``.masthead-manifest-delta.json``, the difference from the full
manifest, which names the full manifest by its ``id``. Each file is replaced atomically,
and a delta whose base is not the full manifest beside it is ignored, so a build killed
between the two writes leaves a manifest that is one build's or the other's, never a mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .urls import RESERVED_PREFIX

MANIFEST_NAME = ".masthead-manifest.json"
DELTA_NAME = ".masthead-manifest-delta.json"
MANIFEST_VERSION = 3
REBASE_SHARE = 16
"""A delta that changes more than 1/16 of the full manifest's rows is written as a new
full manifest instead: reading it back would cost about as much."""


class Entry(NamedTuple):
    """What the manifest knows of one output file. ``size`` and ``mtime_ns`` are -1 while
    unknown (a file recorded just before it lands): such a file is always checked again."""

    digest: str
    size: int
    mtime_ns: int
    fingerprint: str = ""


@dataclass(frozen=True)
class Base:
    """The full manifest file a delta is written against, as it is on disk."""

    id: str
    files: dict[str, Entry]
    folders: frozenset[str]


@dataclass(frozen=True)
class Manifest:
    """The files the last build wrote, the folders masthead created, and its memo; ``base``
    is the full manifest file it was read from (with its delta), if any."""

    files: dict[str, Entry]
    folders: frozenset[str]
    memo: dict | None = None
    base: Base | None = field(default=None, compare=False, repr=False)


EMPTY_MANIFEST = Manifest({}, frozenset(), None)


def intact_outputs(files: dict[str, Entry], output_path: Path) -> bool:
    """True when every file of a manifest is still as the build that wrote it left it."""
    root = str(output_path) + os.sep  # joined by hand: this runs for every file of the site
    for rel, entry in files.items():
        try:
            found = os.lstat(root + rel)
        except OSError:
            return False
        if entry.size != found.st_size or entry.mtime_ns != found.st_mtime_ns:
            return False
    return bool(files)


def manifest_path(output_path: Path) -> Path:
    """Where an output folder's manifest is."""
    return output_path / MANIFEST_NAME


def delta_path(path: Path) -> Path:
    """Where the delta of the manifest file ``path`` is."""
    return path.with_name(DELTA_NAME)


def manifest_files(output_path: Path) -> tuple[Path, tuple[Path, ...]]:
    """The manifest file of an output folder, and the files read with it (its delta)."""
    path = manifest_path(output_path)
    return path, (delta_path(path),)


def read_manifest(output_path: Path) -> Manifest:
    """What the last build wrote: files (hash, size, mtime, fingerprint), the folders it
    created, and the memo of its inputs; an empty manifest when there is none or it is
    damaged. Callers must not modify what they get."""
    return read_manifest_file(manifest_path(output_path))


def read_manifest_file(path: Path) -> Manifest:
    """The manifest in the file ``path`` and its delta (see ``read_manifest``)."""
    data = _json_object(path)
    if data is None or not isinstance(data.get("files"), dict):
        return EMPTY_MANIFEST
    files = _entries(data["files"])
    memo = data.get("memo")
    raw_folders = data.get("folders")
    if isinstance(raw_folders, list):
        folders = _folders(raw_folders)
    else:  # written before masthead recorded its folders: the folders of its files
        folders = frozenset(p for rel in files for p in _parents(rel))
    base_id = data.get("id")
    base = Base(base_id, files, folders) if isinstance(base_id, str) and base_id else None
    manifest = Manifest(files, folders, memo if isinstance(memo, dict) else None, base)
    return _with_delta(manifest, delta_path(path)) if base else manifest


def _json_object(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # nested too deep: damaged all the same
        return None
    return data if isinstance(data, dict) else None


def _folders(raw: list) -> frozenset[str]:
    return frozenset(f for f in raw if isinstance(f, str) and is_safe_rel(f))


def _with_delta(manifest: Manifest, path: Path) -> Manifest:
    """``manifest`` with the changes of the delta in ``path`` applied, when that delta was
    written against it (else ``manifest`` as it is: a delta of another base is stale)."""
    base = manifest.base
    data = _json_object(path)
    if data is None or base is None or data.get("base") != base.id:
        return manifest
    changed, added, removed = data.get("files"), data.get("added"), data.get("removed")
    if not (isinstance(changed, dict) and isinstance(added, list) and isinstance(removed, list)):
        return manifest
    files = dict(base.files)
    for rel in [rel for rel, row in changed.items() if row is None]:
        files.pop(rel, None)
    files.update(_entries({rel: row for rel, row in changed.items() if row is not None}))
    folders = (base.folders | _folders(added)) - _folders(removed)
    memo = data.get("memo")
    return Manifest(files, folders, memo if isinstance(memo, dict) else None, base)


def _entries(rows: dict) -> dict[str, Entry]:
    """The manifest's rows that are well formed and stay inside the output folder."""
    files = {}
    for rel, raw in rows.items():
        # The row as masthead writes it, taken without a call per field: this runs for
        # every file of the site on every build, the no-op build included.
        if (
            type(raw) is list
            and len(raw) == 4
            and type(raw[0]) is str
            and type(raw[1]) is int
            and type(raw[2]) is int
            and type(raw[3]) is str
        ):
            if is_safe_rel(rel):
                files[rel] = tuple.__new__(Entry, raw)
        elif entry := _entry(rel, raw):
            files[rel] = entry
    return files


def _entry(rel: object, raw: object) -> Entry | None:
    """A manifest row, if it is well formed and stays inside the output folder."""
    if not isinstance(rel, str) or not is_safe_rel(rel) or not isinstance(raw, list):
        return None
    if len(raw) < 3 or not isinstance(raw[0], str):
        return None
    if type(raw[1]) is not int or type(raw[2]) is not int:  # bool is not a size either
        return None
    fingerprint = raw[3] if len(raw) > 3 and isinstance(raw[3], str) else ""
    return Entry(raw[0], raw[1], raw[2], fingerprint)


def _parents(rel: str) -> Iterable[str]:
    parts = rel.split("/")[:-1]
    return ("/".join(parts[:n]) for n in range(1, len(parts) + 1))


def write_manifest(
    path: Path,
    files: dict[str, Entry],
    memo: dict | None,
    folders: Iterable[str],
    base: Base | None = None,
) -> Base:
    """Record a manifest in ``path``: as a delta against ``base`` (the full manifest that is
    in ``path`` now) when it changes little of it, else as a new full manifest. Returns the
    full manifest the file system now holds. Raises OSError when it cannot be written; the
    manifest on disk is then the previous one."""
    folders = frozenset(folders)
    if base is not None:
        delta = _delta(base, files, folders)
        if delta is not None:
            _replace(
                delta_path(path),
                {"version": MANIFEST_VERSION, "base": base.id, **delta, "memo": memo},
            )
            return base
    new = Base(secrets.token_hex(8), dict(files), folders)
    document: dict = {
        "version": MANIFEST_VERSION,
        "id": new.id,
        "files": dict(sorted(files.items())),  # an Entry is a tuple: JSON writes a list
        "folders": sorted(folders),
    }
    if memo is not None:
        document["memo"] = memo
    _replace(path, document)
    with contextlib.suppress(OSError):  # stale now whatever happens: it names the old id
        delta_path(path).unlink()
    return new


def remove_manifest(output_path: Path) -> None:
    """Remove an output folder's manifest and its delta."""
    path = manifest_path(output_path)
    path.unlink(missing_ok=True)
    delta_path(path).unlink(missing_ok=True)


def _delta(base: Base, files: dict[str, Entry], folders: frozenset[str]) -> dict | None:
    """What turns ``base`` into these files and folders; None when that is more than a
    fraction of the base (then a new full manifest is written)."""
    limit = len(base.files) // REBASE_SHARE
    old = base.files
    changed: dict[str, Entry | None] = {}
    for rel, entry in files.items():
        if old.get(rel) != entry:
            changed[rel] = entry
            if len(changed) > limit:
                return None
    changed.update((rel, None) for rel in old.keys() - files.keys())
    added, removed = folders - base.folders, base.folders - folders
    if len(changed) + len(added) + len(removed) > limit:
        return None
    return {
        "files": dict(sorted(changed.items())),
        "added": sorted(added),
        "removed": sorted(removed),
    }


def remove_temporaries(output_path: Path) -> None:
    """Remove the manifest files that killed builds were writing (hold the output lock)."""
    for name in (MANIFEST_NAME, DELTA_NAME):
        for leftover in output_path.glob(_temporary_name(name, "*")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _temporary_name(name: str, pid: object) -> str:
    return f"{name}.{pid}.tmp"


def _replace(path: Path, document: dict) -> None:
    """Write ``document`` as JSON to ``path`` atomically (a temporary file, then a rename)."""
    temp = path.with_name(_temporary_name(path.name, os.getpid()))
    try:
        temp.write_text(json.dumps(document, check_circular=False), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def is_safe_rel(rel: str) -> bool:
    """A path inside the output folder: relative, no empty, '.' or '..' segments, and not one
    of masthead's own names (even if the manifest was edited)."""
    if not rel or rel[0] == "/" or rel[-1] == "/" or "//" in rel or "\\" in rel or "\x00" in rel:
        return False
    if rel[0] == "." or "/." in rel:  # some segment starts with a dot: look at each
        return not any(
            part in (".", "..") or part.startswith(RESERVED_PREFIX) for part in rel.split("/")
        )
    return True
