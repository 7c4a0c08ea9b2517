"""Build this repository's demo archive: ``python build.py`` (content/ + templates/ -> output/).

``python build.py ARGS`` takes the same arguments as the ``masthead`` command; commands that
work on a site (build, check, serve, clean) default to this repository's folder.
"""

import sys
from pathlib import Path

from masthead.cli import console

HERE = str(Path(__file__).resolve().parent)
SITE_COMMANDS = ("build", "check", "serve", "clean")


def arguments(given: list[str]) -> list[str]:
    """The masthead command line for ``python build.py`` with ``given`` arguments."""
    if not given or (given[0].startswith("-") and given[0] not in ("-h", "--help", "--version")):
        return ["build", "--site", HERE, *given]
    if given[0] in SITE_COMMANDS and not any(
        a == "--site" or a.startswith("--site=") for a in given
    ):
        return [given[0], "--site", HERE, *given[1:]]
    return given


if __name__ == "__main__":
    console(arguments(sys.argv[1:]))
