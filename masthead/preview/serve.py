"""Preview server: ``masthead serve``.

The preview is built by the normal ``build()`` (one code path, incremental after the first
build) into a folder of its own, never output/, with ``base_url`` set to the local address.
httpd.py serves it (requests wait while a build runs; HTML pages get, at serve time only, a
live-reload script and, while the last build failed, an overlay listing every problem);
watch.py reports changes, and each finished burst of changes is simply another ``build()``.

This module is the command line, the orchestration of server, watcher and builds in
``serve()``, the preview folder and its lock, and the one-line-per-build terminal report.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .. import status
from ..clean import remove_output
from ..collector import settle
from ..config import load_config
from ..incremental import CACHE_DIR
from ..model import BuildOptions, Problem, ProblemsError
from ..progress import ProgressBar
from ..text import printable

if TYPE_CHECKING:
    from .watch import Change, Outcome, Preview, WatchRoots

try:
    import fcntl
except ImportError:  # Windows: no lock; one preview server per site is up to the user
    fcntl = None  # type: ignore[assignment]

PREVIEW_FOLDER = "preview"
"""Where ``masthead serve`` builds, inside the cache folder."""
PREVIEW_LOCK = "preview.lock"
"""Held by the server using the preview folder, inside the cache folder."""


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    """Register ``masthead serve`` on the command line."""
    command = commands.add_parser(
        "serve",
        help="preview the site locally, rebuilding and reloading on every change",
        description="Build the site into a preview folder (not output/), serve it locally, "
        "rebuild when content/, templates/ or pyproject.toml change, and reload open tabs.",
    )
    command.add_argument(
        "--site", default=".", metavar="DIR", help="site folder (default: current folder)"
    )
    command.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an internal error",
    )
    command.add_argument("--drafts", action="store_true", help="include articles marked draft")
    command.add_argument(
        "--future", action="store_true", help="include articles dated in the future"
    )
    command.add_argument(
        "--host",
        type=_host,
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1)",
    )
    command.add_argument(
        "--port", type=_port, default=8000, help="port (default: 8000; 0 picks a free one)"
    )
    command.add_argument(
        "--no-open",
        dest="open_browser",
        action="store_false",
        help="do not open the site in a browser",
    )
    command.set_defaults(handler=_serve)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not {text!r}")
    return int(text)


def _host(text: str) -> str:
    """``[::1]`` as written in URLs is the address ``::1``."""
    return text[1:-1] if text.startswith("[") and text.endswith("]") else text


def _serve(args: argparse.Namespace) -> int:
    settings = ServeSettings(
        args.host,
        args.port,
        args.drafts,
        args.future,
        args.open_browser,
        getattr(args, "debug", False),
    )
    return serve(Path(args.site), settings, sys.stdout, sys.stderr)


@dataclass(frozen=True)
class ServeSettings:
    """What the command line asks of the preview server."""

    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    future: bool = False
    open_browser: bool = True
    debug: bool = False


def serve(site_path: Path, settings: ServeSettings, out: TextIO, err: TextIO) -> int:
    """Build, serve and rebuild on changes until Ctrl-C; return the exit code."""
    # Imported here: the watcher and the HTTP side (watchdog, the whole build) would slow
    # every other command's start.
    from .httpd import PreviewServer
    from .watch import ChangeQueue, Preview, Watcher, WatchRoots, changed_sources

    if not site_path.is_dir():
        _say(err, printable(f"masthead serve: no site folder at {site_path}"))
        return status.USAGE
    config, _ = load_config(site_path)  # a broken pyproject.toml stops us here (exit 2)
    with preview_folder(site_path) as root:
        try:
            server = PreviewServer(settings.host, settings.port, errors=err)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a host name IDNA refuses
            _say(err, _bind_message(settings.host, settings.port, exc))
            return status.USAGE
        # The address bound, not the name asked for: /etc/hosts may map a name anywhere.
        if not is_loopback(str(server.server_address[0])):
            _say(err, _exposed_warning(settings.host))
        url = local_url(settings.host, server.server_address[1])
        options = BuildOptions(
            drafts=settings.drafts,
            future=settings.future,
            base_url=url,
            output=str(root),
            preview=True,
            own_output=True,  # the preview folder is locked for this server
        )
        server.preview = preview = Preview(site_path, options, built=False, debug=settings.debug)
        ignored = (root, site_path / CACHE_DIR)
        watcher = Watcher(WatchRoots.of(site_path, config, ignored), ChangeQueue())
        http_thread = threading.Thread(target=server.serve_forever, name="masthead-http")
        http_thread.daemon = True
        try:
            watcher.start()
            http_thread.start()  # requests wait for the first build
            _say(out, printable(f"masthead serve: building {site_path} into {root}"))
            shown = _first_build(preview, out, err)
            settle()
            _say(out, f"Serving {url} (Ctrl-C to stop)")
            if settings.open_browser:
                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
            while True:
                changes = watcher.queue.get(timeout=1.0)
                if changes:
                    # Watch folders created since the last build before building, so that a
                    # save made while the build runs is not missed; and again after it.
                    watcher.sync(_roots(site_path, ignored) or watcher.roots)
                    sources = changed_sources(watcher.roots, changes) if watcher.complete else None
                    shown = _report(preview.rebuild(sources=sources), changes, shown, out, err)
                    settle()
                    watcher.sync(_roots(site_path, ignored) or watcher.roots)
        except KeyboardInterrupt:
            _say(out, "masthead serve: stopped")
        finally:
            preview.stop()
            if http_thread.is_alive():
                server.shutdown()
            server.server_close()
            watcher.stop()
    return status.OK


def _first_build(preview: Preview, out: TextIO, err: TextIO) -> tuple[Problem, ...]:
    """The first build, with a progress bar on a terminal (it may take minutes)."""
    bar = ProgressBar(err) if err.isatty() else None
    outcome = preview.rebuild(bar)
    if bar:
        bar.clear()
    return _report(outcome, (), (), out, err)


def remove_preview(cache_folder: Path) -> int | None:
    """Remove what ``masthead serve`` built in the cache folder (only files it wrote), for
    ``masthead clean``; return how many files, or None when a preview server is using it
    (then it is left alone)."""
    lock_path = cache_folder / PREVIEW_LOCK
    preview = cache_folder / PREVIEW_FOLDER
    try:
        lock = lock_path.open("a") if lock_path.is_file() else None
    except OSError:
        lock = None
    try:
        if lock is not None and fcntl:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
        files = 0
        if preview.is_dir() and not preview.is_symlink():
            files = remove_output(preview)
            with contextlib.suppress(OSError):
                preview.rmdir()
        lock_path.unlink(missing_ok=True)
        return files
    finally:
        if lock is not None:
            lock.close()


@contextlib.contextmanager
def preview_folder(site_path: Path) -> Iterator[Path]:
    """``<site>/.masthead-cache/preview``, locked for this server; a temporary folder when
    another server holds it or it cannot be made."""
    folder = site_path / CACHE_DIR / PREVIEW_FOLDER
    lock = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = (folder.parent / PREVIEW_LOCK).open("a")
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        if lock:
            lock.close()
        lock = None
    if lock is None:
        with tempfile.TemporaryDirectory(prefix="masthead-preview-") as temp:
            yield Path(temp)
        return
    with lock:
        yield folder


def _roots(site_path: Path, ignored: tuple[Path, ...]) -> WatchRoots | None:
    from .watch import WatchRoots

    try:
        config, _ = load_config(site_path)
    except ProblemsError:
        return None
    return WatchRoots.of(site_path, config, ignored)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches: 127.0.0.0/8, ::1 (also as
    ``::ffff:127.x.y.z``) and the name localhost."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def local_url(host: str, port: int) -> str:
    """The preview's address as a browser on this machine reaches it."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _bind_message(host: str, port: int, exc: OSError | UnicodeError) -> str:
    where = printable(f"{host}:{port}")
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"masthead serve: port {port} on {printable(host)} is already in use (another "
            f"server?); choose another with --port, or --port 0 for any free port"
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return printable(f"masthead serve: cannot listen on {where}: {reason}")


def _exposed_warning(host: str) -> str:
    return (
        f"masthead serve: warning: listening on {printable(host)}, not only this machine: "
        f"other computers "
        f"on the network can see the preview (drafts included); use --host 127.0.0.1 unless "
        f"you mean it"
    )


# --- Terminal -------------------------------------------------------------------------


def _report(
    outcome: Outcome,
    changes: tuple[Change, ...],
    shown: tuple[Problem, ...],
    out: TextIO,
    err: TextIO,
) -> tuple[Problem, ...]:
    """One summary line per build, then its problems (warnings only when they changed since
    they were last shown); returns the problems now shown."""
    when = time.strftime("%H:%M:%S")
    cause = f"{_describe(changes)}: rebuilt" if changes else "built"
    report = outcome.report
    if outcome.crash:
        for line in outcome.crash.rstrip().splitlines():
            _say(err, printable(line))
    if outcome.errors:
        serving = (
            "still serving the last good pages" if changes else "nothing to serve until it builds"
        )
        _say(
            out,
            f"[{when}] {cause}: {_count(len(outcome.errors), 'error')}; {serving} "
            f"({outcome.seconds:.2f} s)",
        )
    elif report:
        _say(
            out,
            f"[{when}] {cause}: {_count(report.articles, 'article')}, "
            f"{_count(report.pages, 'page')}; {report.parsed} parsed, {report.rendered} rendered; "
            f"files: {report.written} written, {report.removed} removed ({outcome.seconds:.2f} s)",
        )
    if outcome.errors or outcome.problems != shown:
        for problem in outcome.problems:
            _say(err, str(problem))
    return outcome.problems


def _describe(changes: tuple[Change, ...]) -> str:
    first = printable(changes[0].rel)  # a file name may hold a newline or an escape sequence
    return first if len(changes) == 1 else f"{first} and {len(changes) - 1} more"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _say(stream: TextIO, line: str) -> None:
    stream.write(line + "\n")
    stream.flush()
