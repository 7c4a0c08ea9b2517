"""The theme and the site's own templates: where templates and static files are found.

Plain file lookups, apart from rendering (render.py), so that a build that finds nothing
changed can name its inputs without loading Jinja.
"""

from __future__ import annotations

from pathlib import Path

from . import urls
from .config import SiteConfig
from .paths import THEME_PREFIX

STATIC_FOLDER = "static"


def theme_path() -> Path:
    """The default theme: inside the installed package, or the repository's ``templates/``."""
    packaged = Path(__file__).parent / "theme"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


def template_paths(site_path: Path, config: SiteConfig) -> tuple[Path, ...]:
    """Where templates are looked up: the site's own folder first, then the theme."""
    own = site_path / config.templates_dir
    theme = theme_path()
    paths = [own] if own.is_dir() else []
    if not own.is_dir() or own.resolve() != theme.resolve():
        paths.append(theme)
    return tuple(paths)


def static_files(paths: tuple[Path, ...]) -> dict[str, Path]:
    """Static files of the site and the theme, by output path; the site's own files win."""
    found: dict[str, Path] = {}
    for root in reversed(paths):
        folder = root / STATIC_FOLDER
        if not folder.is_dir():
            continue
        for file_path in sorted(folder.rglob("*")):
            if file_path.is_file() and not file_path.name.startswith("."):
                found[urls.STATIC_PREFIX + file_path.relative_to(folder).as_posix()] = file_path
    return dict(sorted(found.items()))


def shown_static(static: dict[str, Path], site_path: Path) -> dict[str, str]:
    """How messages name each static file: by its path in the site, or as the theme's."""
    found = {}
    for rel, path in static.items():
        try:
            found[rel] = path.resolve().relative_to(site_path.resolve()).as_posix()
        except ValueError:
            found[rel] = f"{THEME_PREFIX}{rel}"
    return found
