"""The ``masthead`` command.

Exit codes are status.py's: 0 ok; 1 content or template problems; 2 usage or
configuration problems; 70 internal error (a bug: one line, and the traceback with
``--debug``); 74 the output or the cache could not be written; 75 another build holds the
output folder (``--no-wait``); 130 interrupted."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from . import __version__, status
from .clean import clean
from .config import FIRST_YEAR, LAST_YEAR, load_config, parse_instant
from .importers.command import add_import_command
from .incremental import cache_folder
from .incremental.session import Session
from .lock import OutputBusy
from .model import BuildOptions, BuildReport, Problem, ProblemsError
from .pipeline import build
from .preview.serve import add_serve_command, remove_preview
from .progress import ProgressBar
from .scaffold import init_site, new_article
from .text import printable
from .write import OutputError


def console(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``masthead`` command: ``main``, and a build leaves without freeing, object by
    object, the archive it made (seconds at 100,000 articles; the system takes the memory
    back whole)."""
    sys.exit(main(argv, leave_at_once=True))


def main(argv: Sequence[str] | None = None, leave_at_once: bool = False) -> int:
    """Run the command line; return the exit code. With ``leave_at_once``, a build that
    finished ends the process itself (see ``console``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = make_parser(importers="import" in argv)
    args = parser.parse_args(argv)
    args.leave_at_once = leave_at_once
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return status.USAGE
    try:
        return args.handler(args)
    except ProblemsError as exc:
        _print_problems(exc.problems, quiet=False)
        return status.USAGE
    except OutputBusy as exc:
        print(
            f"masthead: the output folder is being written by {exc.holder}; try again when "
            "it is done, or leave out --no-wait to wait for it",
            file=sys.stderr,
        )
        return status.BUSY
    except KeyboardInterrupt:
        print("masthead: interrupted", file=sys.stderr)
        return status.INTERRUPTED
    except BrokenPipeError:  # the reader of our output went away (| head)
        _silence_stdout()
        return status.OK
    except Exception as exc:  # a bug in masthead: one line, unless asked for the details
        if getattr(args, "debug", False):
            traceback.print_exc()
            if getattr(exc, "details", ""):  # a worker's own traceback
                print(exc.details, file=sys.stderr)
        else:
            detail = printable(f"{type(exc).__name__}: {exc}")
            print(
                f"masthead: internal error: {detail}; rerun with --debug for details",
                file=sys.stderr,
            )
        return status.INTERNAL


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def make_parser(importers: bool = True) -> argparse.ArgumentParser:
    """The argument parser with every subcommand; ``importers=False`` leaves out the
    importers' own options under ``import`` (importing them costs a build with nothing to
    do most of its time)."""
    parser = argparse.ArgumentParser(
        prog="masthead", description="Static site generator for news archives."
    )
    parser.add_argument("--version", action="version", version=f"masthead {__version__}")
    _add_debug_option(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build_cmd = commands.add_parser(
        "build", help="build the site into output/", description="Build the site."
    )
    _add_site_options(build_cmd)
    build_cmd.add_argument(
        "--output", metavar="DIR", help="output folder (default: output_dir, 'output')"
    )
    build_cmd.add_argument(
        "--base-url", metavar="URL", help="override base_url, e.g. for a staging host"
    )
    build_cmd.add_argument(
        "--keep-going",
        action="store_true",
        help="build the valid articles despite errors (still exits 1)",
    )
    build_cmd.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="fail at once (exit 75) if another build is writing the output folder",
    )
    build_cmd.add_argument(
        "--accept-url-changes",
        action="store_true",
        help="add the old URL of every article that moved to its aliases, instead of failing",
    )
    build_cmd.add_argument(
        "--overwrite",
        action="store_true",
        help="replace files in the output folder that masthead did not write",
    )
    _add_speed_options(build_cmd)
    verbosity = build_cmd.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print time per stage")
    build_cmd.set_defaults(handler=_build)

    check_cmd = commands.add_parser(
        "check",
        help="validate every article and template, write nothing",
        description="Validate the whole site without writing anything: for pre-commit hooks and CI.",
    )
    _add_site_options(check_cmd)
    _add_speed_options(check_cmd)
    check_cmd.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    check_cmd.set_defaults(handler=_check)

    new_cmd = commands.add_parser(
        "new",
        help="create a new article",
        description="Create content/YYYY/MM/slug.md with complete front matter.",
    )
    new_cmd.add_argument("title", help="the headline")
    new_cmd.add_argument("--category", required=True, help='section, e.g. "International News"')
    new_cmd.add_argument("--source", required=True, help='publisher or wire, e.g. "Reuters"')
    new_cmd.add_argument(
        "--author", action="append", default=[], help="byline (repeat for several)"
    )
    new_cmd.add_argument("--tag", action="append", default=[], help="tag (repeat for several)")
    new_cmd.add_argument(
        "--site", default=".", metavar="DIR", help="site folder (default: current folder)"
    )
    _add_debug_option(new_cmd)
    new_cmd.set_defaults(handler=_new)

    clean_cmd = commands.add_parser(
        "clean",
        help="remove the cache and the files masthead wrote",
        description="Remove the cache folder and every output file that masthead wrote (files it did not write are kept).",
    )
    clean_cmd.add_argument(
        "--site", default=".", metavar="DIR", help="site folder (default: current folder)"
    )
    clean_cmd.add_argument(
        "--output", metavar="DIR", help="output folder (default: output_dir, 'output')"
    )
    clean_cmd.add_argument(
        "--cache-dir", metavar="DIR", help="cache folder (default: .masthead-cache in the site)"
    )
    clean_cmd.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="fail at once (exit 75) if a build is writing the output folder",
    )
    _add_debug_option(clean_cmd)
    clean_cmd.set_defaults(handler=_clean)

    add_serve_command(commands)
    add_import_command(commands, importers)

    init_cmd = commands.add_parser(
        "init",
        help="create a new archive site",
        description="Create a new archive site that builds at once.",
    )
    init_cmd.add_argument("directory", help="folder for the new site (created if missing)")
    _add_debug_option(init_cmd)
    init_cmd.set_defaults(handler=_init)
    return parser


def _add_debug_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an internal error",
    )


def _add_site_options(command: argparse.ArgumentParser) -> None:
    _add_debug_option(command)
    command.add_argument(
        "--site",
        default=".",
        metavar="DIR",
        help="site folder holding pyproject.toml (default: current folder)",
    )
    command.add_argument("--drafts", action="store_true", help="include articles marked draft")
    command.add_argument(
        "--now",
        type=_instant,
        metavar="ISO",
        help="reference time for scheduled articles and the news sitemap, e.g. 2017-09-25T12:00:00+00:00",
    )
    command.add_argument(
        "--future", action="store_true", help="include articles dated in the future"
    )


def _add_speed_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=0,
        metavar="N",
        help="worker processes (default: one per CPU)",
    )
    command.add_argument(
        "--no-cache",
        action="store_true",
        help="parse and render everything; do not read or write the cache",
    )
    command.add_argument(
        "--cache-dir", metavar="DIR", help="cache folder (default: .masthead-cache in the site)"
    )


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _options(args: argparse.Namespace, write: bool) -> BuildOptions:
    return BuildOptions(
        drafts=args.drafts,
        future=args.future,
        keep_going=getattr(args, "keep_going", False),
        base_url=getattr(args, "base_url", None),
        output=getattr(args, "output", None),
        write=write,
        jobs=args.jobs,
        use_cache=not args.no_cache,
        cache_dir=args.cache_dir,
        now=args.now,
        wait=getattr(args, "wait", True),
        overwrite=getattr(args, "overwrite", False),
        accept_url_changes=getattr(args, "accept_url_changes", False),
    )


def _instant(text: str) -> datetime:
    when = parse_instant(text)
    if when is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date-time with an offset between the years "
            f"{FIRST_YEAR} and {LAST_YEAR}, e.g. 2017-09-25T12:00:00+00:00"
        )
    return when


def _build(args: argparse.Namespace) -> int:
    session = Session(lasting=False)  # holds what the build made until the process ends
    code = _build_and_report(args, session)
    if args.leave_at_once and not _observed():
        _leave(code)
    return code


def _observed() -> bool:
    """True under a profiler, tracer, debugger or coverage: they report as the process
    exits, so it must exit the ordinary way."""
    return sys.gettrace() is not None or sys.getprofile() is not None or "coverage" in sys.modules


def _leave(code: int) -> NoReturn:
    """End the process now: every file the build wrote is closed and in place, and only
    the streams are still buffered. The exit handlers still run (multiprocessing's removes
    the folder its forkserver listened in, which would otherwise stay behind in the
    temporary folder after every parallel build); only freeing objects one by one is
    skipped."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: exit the ordinary way
        raise SystemExit(code)
    with contextlib.suppress(Exception):  # a handler's failure is printed by atexit itself
        run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to tell
            stream.flush()
    os._exit(code)


def _build_and_report(args: argparse.Namespace, session: Session) -> int:
    progress = ProgressBar(sys.stderr) if not args.quiet and sys.stderr.isatty() else None
    options = _options(args, write=True)
    report = build(Path(args.site), options, progress, session, on_wait=_waiting)
    if progress:
        progress.clear()
    _print_problems(report.problems, args.quiet)
    if not args.quiet:
        wrote = not report.output_failed and not (report.errors and not args.keep_going)
        summary = _summary(report, wrote=wrote)
        if args.verbose and report.search and wrote:
            summary += f"; {report.search}"
        print(summary)
    if args.verbose:
        print(f"  sources: {report.parsed} parsed, {report.reused} from the cache")
        for name, seconds in report.timings:
            print(f"  {name:<8} {seconds:7.3f} s")
    if report.output_failed:
        return status.OUTPUT
    return status.PROBLEMS if report.errors else status.OK


def _waiting(what: str) -> None:
    print(f"masthead: waiting for {what}", file=sys.stderr)


def _clean(args: argparse.Namespace) -> int:
    site_path = Path(args.site)
    config, _ = load_config(site_path)
    options = BuildOptions(output=args.output, cache_dir=args.cache_dir, wait=args.wait)
    try:
        if remove_preview(cache_folder(site_path, args.cache_dir)) is None:
            print(
                "masthead clean: a preview server (masthead serve) is running; its preview "
                "was left alone",
                file=sys.stderr,
            )
        removed = clean(site_path, config, options, on_wait=_waiting)
    except (OutputError, OSError) as exc:
        print(f"masthead clean: {printable(str(exc))}", file=sys.stderr)
        return status.OUTPUT
    print(
        f"masthead clean: removed {removed.files} output files and {'the cache' if removed.cache else 'no cache'}"
    )
    return status.OK


def _check(args: argparse.Namespace) -> int:
    report = build(Path(args.site), _options(args, write=False))
    _print_problems(report.problems, args.quiet)
    if not args.quiet:
        verdict = _count(len(report.errors), "error") if report.errors else "no errors"
        print(
            f"masthead check: {_count(report.articles, 'article')}, {_count(report.pages, 'page')}, {verdict}"
        )
    return status.PROBLEMS if report.errors else status.OK


def _new(args: argparse.Namespace) -> int:
    site_path = Path(args.site)
    config, problems = load_config(site_path)
    _print_problems(problems, quiet=False)
    path = new_article(
        site_path,
        config,
        args.title,
        category=args.category,
        source=args.source,
        now=datetime.now(UTC),
        authors=tuple(args.author),
        tags=tuple(args.tag),
    )
    print(printable(f"created {path}"))
    return status.OK


def _init(args: argparse.Namespace) -> int:
    site_path = Path(args.directory)
    for path in init_site(site_path, datetime.now(UTC)):
        print(printable(f"created {path}"))
    print(printable(f"next: cd {site_path} && masthead build"))
    return status.OK


def _summary(report: BuildReport, wrote: bool) -> str:
    seconds = sum(t for _, t in report.timings)
    if not wrote:
        return f"masthead: {_count(len(report.errors), 'error')}; nothing written (output unchanged); {seconds:.2f} s"
    left_out = [_count(report.skipped_drafts, "draft"), f"{report.skipped_future} future"]
    left = [
        text
        for text, n in zip(left_out, (report.skipped_drafts, report.skipped_future), strict=True)
        if n
    ]
    note = f" ({', '.join(left)} left out)" if left else ""
    return (
        f"masthead: {_count(report.articles, 'article')}{note}, {_count(report.pages, 'page')}; "
        f"{report.rendered} rendered; files: {report.written} written, {report.unchanged} unchanged, "
        f"{report.removed} removed; {seconds:.2f} s"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _print_problems(problems: Sequence[Problem], quiet: bool) -> None:
    for problem in problems:
        if problem.is_error or not quiet:
            print(problem, file=sys.stderr)


if __name__ == "__main__":
    console()
