"""The ``masthead import KIND ...`` command line: one subcommand per importer.

An importer is a module with ``HELP`` (one line), ``add_arguments(parser)`` and
``drafts(args, site_path, config)``, which returns its Drafts and Failed records (lazily,
as an iterator) and how many there will be, for the progress bar. Importers import their
heavy libraries inside ``drafts``, so that ``masthead --help`` stays fast, and say in one
line what to install when one is missing (``MissingLibrary``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .. import status
from ..config import LANG_PATTERN, load_config
from ..model import Problem
from ..progress import ProgressBar
from ..text import printable
from . import ImportReport

IMPORTERS: dict[str, str] = {
    "page": "masthead.importers.page",
    "feed": "masthead.importers.feed",
    "jekyll": "masthead.importers.jekyll",
    "hugo": "masthead.importers.hugo",
    "pelican": "masthead.importers.pelican",
}
"""Importer modules by subcommand name."""
EXTRA = "pip install 'masthead[import]'"


class MissingLibrary(Exception):
    """An importer's library is not installed: one line naming it and how to get it."""

    def __init__(self, library: str):
        super().__init__(f"needs the Python package {library}: {EXTRA}")


def add_import_command(commands: argparse._SubParsersAction, importers: bool = True) -> None:
    """Register ``masthead import`` and, with ``importers``, every importer under it."""
    command = commands.add_parser(
        "import",
        help="bring articles in from saved pages, feeds or another generator",
        description="Write articles into content/ from saved news pages, RSS/Atom feeds or "
        "a Jekyll, Hugo or Pelican site. Never overwrites a file; importing the same "
        "original again adds nothing.",
    )
    kinds = command.add_subparsers(dest="kind", metavar="KIND", required=True)
    if not importers:
        return
    for kind, module_name in IMPORTERS.items():
        module = importlib.import_module(module_name)
        parser = kinds.add_parser(kind, help=module.HELP, description=module.HELP)
        _add_common_options(parser)
        module.add_arguments(parser)
        parser.set_defaults(handler=_run, importer=module)


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--site", default=".", metavar="DIR", help="site folder (default: current folder)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would be imported; write nothing"
    )
    parser.add_argument("--source", help="source of articles whose original names none")
    parser.add_argument("--category", help="category of articles whose original names none")
    parser.add_argument("--lang", help="language (BCP 47) of articles whose original says none")
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an internal error",
    )


def _run(args: argparse.Namespace) -> int:
    from .store import write_drafts

    site_path = Path(args.site)
    if not site_path.is_dir():
        print(f"masthead import: no site folder at {printable(str(site_path))}", file=sys.stderr)
        return status.USAGE
    # --lang is one tag (pages, feeds) or a comma-separated list of them (the generators)
    if args.lang is not None and not all(
        LANG_PATTERN.fullmatch(tag.strip()) for tag in args.lang.split(",")
    ):
        shown = printable(repr(args.lang))
        print(
            f"masthead import: --lang {shown} is not a BCP 47 language tag (e.g. en, ur)",
            file=sys.stderr,
        )
        return status.USAGE
    config, problems = load_config(site_path)
    for problem in problems:
        print(problem, file=sys.stderr)
    try:
        items, total = args.importer.drafts(args, site_path, config)
    except MissingLibrary as exc:
        print(f"masthead import {args.kind}: {exc}", file=sys.stderr)
        return status.USAGE
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    report = write_drafts(site_path, config, items, args.dry_run, bar, total)
    if bar:
        bar.clear()
    _print_report(report, args.kind, args.dry_run)
    return status.PROBLEMS if report.failed else status.OK


def _print_report(report: ImportReport, kind: str, dry_run: bool) -> None:
    for shown, reason in report.failed:
        print(Problem(shown, None, reason), file=sys.stderr)
    for note in report.notes:
        print(note, file=sys.stderr)
    verb = "would import" if dry_run else "imported"
    for shown, rel in report.imported:
        print(printable(f"  {verb} {shown} -> {rel}"))
    for shown, why in report.skipped:
        print(printable(f"  skipped {shown}: {why}"))
    summary = (
        f"masthead import {kind}: {len(report.imported)} {'to import' if dry_run else 'imported'}, "
        f"{len(report.skipped)} skipped, {len(report.failed)} failed"
    )
    print(summary + (" (dry run: nothing written)" if dry_run else ""))
