"""The output manifest: what masthead wrote into an output folder, and what it created.

``.masthead-manifest.json`` names every file a build wrote (with its hash, stat and the
fingerprint of the inputs it was rendered from), every folder masthead created, and the
memo of the last successful build's inputs. It is how a build knows which files are its
own to replace or remove, and which pages it need not render again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .urls import RESERVED_PREFIX

MANIFEST_NAME = ".masthead-manifest.json"
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


def read_manifest(output_path: Path) -> Manifest:
    """What the last build wrote: files (hash, size, mtime, fingerprint), the folders it
    created, and the memo of its inputs; an empty manifest when there is none or it is
    damaged. Callers must not modify what they get."""
    return read_manifest_file(manifest_path(output_path))


def read_manifest_file(path: Path) -> Manifest:
    """The manifest in the file ``path`` (see ``read_manifest``)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return EMPTY_MANIFEST
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return EMPTY_MANIFEST
    files = _entries(data["files"])
    memo = data.get("memo")
    raw_folders = data.get("folders")
    if isinstance(raw_folders, list):
        folders = frozenset(f for f in raw_folders if isinstance(f, str) and is_safe_rel(f))
    else:  # written before masthead recorded its folders: the folders of its files
        folders = frozenset(p for rel in files for p in _parents(rel))
    return Manifest(files, folders, memo if isinstance(memo, dict) else None)


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
    path: Path, files: dict[str, Entry], memo: dict | None, folders: Iterable[str]
) -> None:
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    document: dict = {
        "version": MANIFEST_VERSION,
        "files": dict(sorted(files.items())),  # an Entry is a tuple: JSON writes a list
        "folders": sorted(folders),
    }
    if memo is not None:
        document["memo"] = memo
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
