"""The incremental layer: what one build leaves the next, and how a build reuses it.

Stages never import this package; the pipeline wraps them with it. It holds the parse cache
(cache.py), the fingerprints that decide which pages to render again (fingerprint.py,
rendering.py), the build memo that returns at once when nothing changed (memo.py), the
session a long-running process keeps between builds (session.py), and the rules about
trusting a file's stat (stamps.py). Everything it keeps lives in the cache folder.
"""

from __future__ import annotations

from pathlib import Path

CACHE_DIR = ".masthead-cache"
"""The cache folder's default name, inside the site."""
BYTECODE_FOLDER = "templates"
"""Compiled Jinja templates, inside the cache folder."""


def cache_folder(site_path: Path, cache_dir: str | None) -> Path:
    """The cache folder: ``--cache-dir``, else ``.masthead-cache`` in the site."""
    return Path(cache_dir) if cache_dir else site_path / CACHE_DIR
