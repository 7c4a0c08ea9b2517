"""What is in the output folder before a build writes: folders it must refuse, and files
it must not overwrite because masthead did not write them (or that lie behind a link)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .manifest import MANIFEST_NAME, Manifest
from .model import Problem
from .paths import OutputCheck
from .urls import RESERVED_PREFIX

MAX_LISTED = 20
"""Files in the way listed one by one; the rest are counted."""


def output_folder_problem(
    site_path: Path, output_path: Path, protected: tuple[Path, ...]
) -> str | None:
    """Why writing the build into ``output_path`` could destroy someone's work, or None."""
    if output_path.is_symlink() and not output_path.exists():
        return f"{output_path} is a link to {os.readlink(output_path)}, which does not exist; make that folder, or remove the link"
    output = output_path.resolve()
    site = site_path.resolve()
    if output == Path(output.anchor) or output == Path.home().resolve():
        return (
            f"refusing to write the site into {output}: choose a dedicated folder such as output/"
        )
    if output == site or site.is_relative_to(output):
        return f"refusing to write the site into {output}: it holds the site itself; use a subfolder such as output/"
    for given in protected:
        folder = given.resolve()
        if output == folder or output.is_relative_to(folder) or folder.is_relative_to(output):
            shown = given if given.absolute() == folder else f"{given} (which leads to {folder})"
            return f"refusing to write the site into {output}: it overlaps {shown}"
    if output.exists() and not output.is_dir():
        shown = output.relative_to(site) if output.is_relative_to(site) else output
        return f"{shown} is a file, not a folder: remove it or choose another output folder"
    if (output / MANIFEST_NAME).is_file():
        return None  # masthead's own output: a page may well live at /content/ or /templates/
    for name in ("content", "templates", "pyproject.toml"):
        if (output / name).exists():
            return f"refusing to write the site into {output}: it holds {name}, which looks like a site's source"
    return None


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
        return "is a symbolic link masthead did not make; remove it: masthead never writes through a link, not even with --overwrite"
    if stat.S_ISDIR(found.st_mode):
        if rel in previous.files:
            return None
        return "is a folder masthead did not create, where the build writes a file: move it away"
    if rel in previous.files or overwrite:
        return None
    return "exists but was not written by masthead; move it away, or build with --overwrite to let masthead replace it"


def conflict_problems(
    output_path: Path, shown: str, rels: list[str], previous: Manifest, overwrite: bool
) -> OutputCheck:
    """Files in the output folder (shown as ``shown``) that the build would overwrite but
    masthead did not write, and links in the way: errors (the first MAX_LISTED named), and
    every output path they block."""
    found = output_conflicts(output_path, rels, previous, overwrite)
    if not found:
        return OutputCheck((), frozenset())
    problems = [Problem(shown + rel, None, why) for rel, why in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        more = len(found) - MAX_LISTED
        hint = "" if previous.files else f" (there is no {MANIFEST_NAME}: was it deleted?)"
        message = (
            f"and {more} more files masthead did not write{hint}; move them away, or build "
            "with --overwrite to let masthead replace them"
        )
        problems.append(Problem(shown, None, message))
    refused = frozenset(rel.rstrip("/") for rel, _ in found)
    blocked = frozenset(
        r for r in rels if r in refused or any(r.startswith(f + "/") for f in refused)
    )
    return OutputCheck(tuple(problems), blocked)
