"""``masthead clean``: remove what masthead made, and only that.

The output files named in the manifest (and the folders masthead created that are then
empty), the parse cache, the saved plans and the compiled templates. The preview server's folder is the
preview package's to remove (``preview.serve.remove_preview``), before this runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .incremental import BYTECODE_FOLDER, cache_folder
from .incremental.cache import remove_cache
from .incremental.snapshot import remove_snapshots
from .lock import output_lock, release_folder_if_empty
from .model import BuildOptions
from .pipeline import resolve_output
from .write import OutputWriter, clear_staging


@dataclass(frozen=True)
class Cleaned:
    """What ``clean`` removed."""

    files: int
    cache: bool


def clean(
    site_path: Path,
    config: SiteConfig,
    options: BuildOptions,
    on_wait: Callable[[str], None] | None = None,
) -> Cleaned:
    """Remove the cache folder and every output file masthead wrote; keep everything else.
    Waits for a build writing the output folder, telling ``on_wait`` for whom (or raises
    OutputBusy with ``wait`` off)."""
    output_path = resolve_output(site_path, config, options)
    files = remove_output(output_path, options.wait, on_wait) if output_path.is_dir() else 0
    folder = cache_folder(site_path, options.cache_dir)
    had_cache = False
    if folder.is_dir() and not folder.is_symlink():
        _remove_bytecode(folder / BYTECODE_FOLDER)
        remove_snapshots(folder)
        had_cache = remove_cache(folder)
    return Cleaned(files, had_cache)


def remove_output(
    output_path: Path, wait: bool = True, on_wait: Callable[[str], None] | None = None
) -> int:
    """Remove every file masthead wrote into an output folder (holding its lock); return
    how many."""

    def told(holder: str) -> None:
        if on_wait:
            on_wait(f"{holder} to finish writing {output_path}")

    with output_lock(output_path, wait, told):
        clear_staging(output_path)
        files = OutputWriter(output_path).remove_all()
        release_folder_if_empty(output_path)
    return files


EARLIER_COMPILED_NAMES = "__jinja2_%s.cache"
"""How compiled templates were named before ``render.COMPILED_NAMES`` (Jinja's default)."""


def _remove_bytecode(folder: Path) -> None:
    """Remove compiled templates, as this masthead and earlier ones named them."""
    from .render import COMPILED_NAMES  # here: Jinja is not loaded by commands that need none

    if folder.is_dir() and not folder.is_symlink():
        for names in (COMPILED_NAMES, EARLIER_COMPILED_NAMES):
            for path in folder.glob(names.replace("%s", "*")):
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
