"""The incremental layer: what one build leaves the next, and how a build reuses it.

Stages never import this package; the pipeline wraps them with it. It holds the parse cache
(cache.py), the fingerprints that decide which pages to render again (fingerprint.py,
rendering.py), the build memo that returns at once when nothing changed (memo.py), the
session a long-running process keeps between builds (session.py), and the rules about
trusting a file's stat (stamps.py). Everything it keeps lives in the cache folder.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

CACHE_DIR = ".masthead-cache"
"""The cache folder's default name, inside the site."""
BYTECODE_FOLDER = "templates"
"""Compiled Jinja templates, inside the cache folder."""


def cache_folder(site_path: Path, cache_dir: str | None) -> Path:
    """The cache folder: ``--cache-dir``, else ``.masthead-cache`` in the site."""
    return Path(cache_dir) if cache_dir else site_path / CACHE_DIR


@contextlib.contextmanager
def no_collections() -> Iterator[None]:
    """No garbage collection while saved state is unpickled (cached records, a saved
    plan): it holds no reference cycles, so a collection finds nothing, yet each one walks
    every object made so far (0.8 s of an edit's build at 100,000 articles). Afterwards
    every object made so far is frozen (``gc.freeze``), or the next collections would walk
    it all the same; the young generations are collected first, so that no garbage made
    before is frozen with it. ``thawed_at_the_end`` returns what was frozen."""
    enabled = gc.isenabled()
    gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextlib.contextmanager
def thawed_at_the_end(keep_frozen: bool = False) -> Iterator[None]:
    """Run a build (or a load of the sources outside one): at its end, what
    ``no_collections`` froze goes back to the collector's oldest generation, so a process
    that builds now and then still collects it in its own time. Unless ``keep_frozen`` (a
    process that freezes what each build leaves, as the preview server does), or the caller
    had frozen objects itself before (which ``gc.unfreeze`` would thaw too)."""
    thaw = not keep_frozen and gc.get_freeze_count() == 0  # counting walks what is frozen
    try:
        yield
    finally:
        if thaw:
            gc.unfreeze()
