"""The preview's HTTP side: what ``masthead serve`` answers to each request.

``PreviewServer`` is the standard library's ThreadingHTTPServer, bound without a DNS look-up,
serving a ``watch.Preview`` (the preview folder plus the state of the last build). Every
request reads under ``Preview.reading()``, so it waits while a build runs and never sees a
half-written folder. Besides files, the server answers one long poll, ``WAIT_PATH``, which
returns when a build finishes after the one a page was served from.

The responses themselves are plain functions returning ``Response`` values, testable without
a socket: ``file_response`` (with ETag/Last-Modified revalidation, a redirect for a folder
asked without its trailing slash, and the site's 404 page) and ``wait_response``. Request
paths are checked by ``request_rel`` and ``locate``, which refuse anything that could leave
the preview folder (the site's 404 page is found through ``locate`` too). HTML pages are
decorated, at serve time only, by ``decorate``: a small live-reload script and, while the
last build failed, the ``error_overlay`` listing every problem over the last good page.

Whatever a client sends gets an answer (400, 404, 405, 414 ...) and prints nothing; a
failure of masthead's own gets a 500 and one line on the terminal, never a traceback. A
connection that sends no request for ``IDLE_SECONDS`` is closed.

This module knows nothing of the command line, the watcher or the terminal; serve.py wires
it up.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import re
import socket
import socketserver
import sys
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PureWindowsPath
from typing import TextIO
from urllib.parse import parse_qs, unquote

from ..model import Problem
from ..text import printable
from ..urls import MAX_SEGMENT_BYTES, NOT_FOUND_FILE, is_reserved
from .overlay import error_overlay
from .watch import Preview, Snapshot

WAIT_PATH = "/__masthead/wait"
WAIT_SECONDS = 25.0
IDLE_SECONDS = 20.0
"""How long a connection may take to send its next request (an idle keep-alive connection
is closed then). Only reading counts: the long poll's 25 s wait happens between requests'
reading and answering."""
MAX_TARGET_BYTES = 8192
"""Longer request targets get 414: no file of the preview has such a path."""
"""The longest file name the preview can hold: a longer segment is a 404 without a look."""
ALLOWED_METHODS = "GET, HEAD"
_GENERATION = re.compile(r"[0-9]{1,18}")
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
}
TEXT_TYPES = ("application/xml", "application/json", "application/atom+xml", "image/svg+xml")
REDIRECT = "redirect"


# --- HTTP -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """An HTTP response before it is sent."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


class PreviewServer(ThreadingHTTPServer):
    """The preview's HTTP server on ``host``:``port`` (IPv4 or IPv6, as the host resolves);
    set ``preview`` before serving. ``idle_timeout`` closes connections that send nothing
    for that long; ``errors`` gets one line per failure that is masthead's, not the client's."""

    daemon_threads = True
    block_on_close = False
    preview: Preview

    def __init__(
        self,
        host: str,
        port: int,
        idle_timeout: float = IDLE_SECONDS,
        errors: TextIO | None = None,
    ):
        self.idle_timeout = idle_timeout
        self.errors = errors
        self.address_family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host's name up in DNS, which can take seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        """Silence for what clients do (a tab closed mid-response, a connection reset or
        timed out: socket errors, as files are read inside ``_answer``); one line, never a
        traceback, for anything else."""
        error = sys.exc_info()[1]
        if error is None or isinstance(error, OSError):
            return
        self.report(f"error while answering {_client(client_address)}", error)

    def report(self, what: str, error: BaseException) -> None:
        """One line on the server's error stream about a failure of masthead's own."""
        stream = self.errors or sys.stderr
        stream.write(printable(f"masthead serve: {what}: {type(error).__name__}: {error}") + "\n")
        stream.flush()


def _client(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "masthead-preview"

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout  # StreamRequestHandler applies it to the socket
        super().setup()

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._send(self._answer(), head=False)

    def do_HEAD(self) -> None:
        self._send(self._answer(), head=True)

    def __getattr__(self, name: str):
        # BaseHTTPRequestHandler looks up do_<METHOD>: every other method gets a 405.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        response = _plain(405, f"405 Method Not Allowed: the preview answers {ALLOWED_METHODS}\n")
        self._send(Response(405, (*response.headers, ("Allow", ALLOWED_METHODS)), response.body))

    def _answer(self) -> Response:
        try:
            return self._respond()
        except Exception as exc:  # a bug of ours: the client gets a 500, the terminal a line
            self.server.report(f"error answering {printable(self.path[:200])}", exc)
            return _plain(500, "500 Internal Server Error: see the terminal running masthead\n")

    def _respond(self) -> Response:
        if len(self.path) > MAX_TARGET_BYTES:  # read as Latin-1: one character per byte
            return _plain(414, "414 URI Too Long: no page of the preview has such an address\n")
        preview = self.server.preview
        path, _, query = self.path.partition("?")
        if path == WAIT_PATH:
            return wait_response(preview, query)
        return file_response(preview, self.path, self.headers)

    def _send(self, response: Response, head: bool = False) -> None:
        if self._has_body():
            self.close_connection = True  # the body was not read: it must not pass for a request
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304 and not any(n == "Content-Length" for n, _ in response.headers):
            self.send_header("Content-Length", str(len(response.body)))  # keep-alive needs it
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def _has_body(self) -> bool:
        length = self.headers.get("Content-Length", "0").strip()
        return "Transfer-Encoding" in self.headers or length not in ("", "0")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per build says what matters."""


def wait_response(preview: Preview, query: str) -> Response:
    """The long poll: answers when a build finished after the page's own generation.
    400 unless ``since`` is the page's build number (as the reload script sends it)."""
    fields = parse_qs(query)
    since = fields.get("since", [""])[0]
    server_id = fields.get("server", [""])[0]
    if not _GENERATION.fullmatch(since):
        return _plain(400, "400 Bad Request: since= must be the build number of the page\n")
    state = preview.wait_for_change(int(since), server_id, WAIT_SECONDS)
    reload = state.server_id != server_id or state.generation != int(since)
    body = json.dumps(
        {"reload": reload, "generation": state.generation, "errors": len(state.problems)}
    ).encode()
    headers = (("Content-Type", "application/json"), ("Cache-Control", "no-store"))
    return Response(200, (*headers, ("Content-Length", str(len(body)))), body)


def file_response(preview: Preview, target: str, request: Message | None = None) -> Response:
    """The response for a GET or HEAD of ``target`` (the request line's path and query)."""
    try:
        rel = request_rel(target)
    except ValueError:
        return _plain(400, "400 Bad Request: this path is not allowed\n")
    with preview.reading() as state:
        found = locate(preview.root, rel)
        if found == REDIRECT:
            path, _, query = target.partition("?")
            return Response(302, (("Location", path + "/" + ("?" + query if query else "")),))
        status = 200 if found else 404
        # The site's 404 page goes through locate() too: a symlink there must not leak.
        file_path = found if isinstance(found, Path) else locate(preview.root, NOT_FOUND_FILE)
        try:
            if not isinstance(file_path, Path):
                raise FileNotFoundError(NOT_FOUND_FILE)
            data, stat = file_path.read_bytes(), file_path.stat()
        except OSError:
            page = _fallback_404().encode()
            return _page(404, decorate(page, state), None, state)
    if content_type(file_path).startswith("text/html"):
        return _page(status, decorate(data, state), stat, state, request)
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    headers = _validators(etag, stat.st_mtime)
    if status == 200 and _not_modified(request, etag, stat.st_mtime):
        return Response(304, headers)
    return Response(status, (*headers, *_entity(content_type(file_path), len(data))), data)


def _page(
    status: int,
    body: bytes,
    stat: os.stat_result | None,
    state: Snapshot,
    request: Message | None = None,
) -> Response:
    """A decorated HTML page: its validators follow both the file and the build."""
    if stat is None or status != 200:
        return Response(
            status, (*_entity("text/html", len(body)), ("Cache-Control", "no-cache")), body
        )
    mtime = max(stat.st_mtime, state.finished)
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}-{state.server_id}-{state.generation}"'
    headers = _validators(etag, mtime)
    # Only the ETag decides: two builds within one second share a Last-Modified.
    if _not_modified(request, etag, None):
        return Response(304, headers)
    return Response(status, (*headers, *_entity("text/html", len(body))), body)


def _validators(etag: str, mtime: float) -> tuple[tuple[str, str], ...]:
    return (
        ("ETag", etag),
        ("Last-Modified", formatdate(mtime, usegmt=True)),
        ("Cache-Control", "no-cache"),
    )


def _entity(kind: str, length: int) -> tuple[tuple[str, str], ...]:
    if kind.startswith("text/") or kind in TEXT_TYPES:
        kind += "; charset=utf-8"
    return (
        ("Content-Type", kind),
        ("Content-Length", str(length)),
        ("X-Content-Type-Options", "nosniff"),
    )


def _not_modified(request: Message | None, etag: str, mtime: float | None) -> bool:
    """True when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    if request is None:
        return False
    if_none_match = request.get("If-None-Match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = request.get("If-Modified-Since")
    if since is None or mtime is None:
        return False
    try:
        return int(mtime) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False


def _plain(status: int, text: str) -> Response:
    body = text.encode()
    return Response(status, _entity("text/plain", len(body)), body)


def content_type(path: Path) -> str:
    """The Content-Type of a served file, by its suffix (without charset)."""
    known = CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return known or "application/octet-stream"


# --- Path safety ----------------------------------------------------------------------


def request_rel(target: str) -> str:
    """The site-relative path a request asks for, decoded once (``""`` is the home page; a
    trailing ``/`` is kept). ValueError for anything that could leave the preview folder:
    NUL, backslashes, encoded slashes, ``.`` and ``..`` or empty segments, absolute paths;
    and for paths that are not UTF-8."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or re.search(r"%(2f|5c|00)", path, re.IGNORECASE):
        raise ValueError(f"refused request path {target!r}")
    try:
        # http.server reads the request line as Latin-1: raw bytes above 0x7f are UTF-8.
        path = path.encode("latin-1").decode("utf-8")
        decoded = unquote(path, errors="strict")
    except UnicodeError as exc:
        raise ValueError(f"request path {target!r} is not UTF-8") from exc
    rel = decoded[1:]
    segments = rel.split("/")
    if (
        "\x00" in decoded
        or "\\" in decoded
        or rel.startswith("/")
        or PureWindowsPath(rel).anchor
        or any(s in ("", ".", "..") for s in segments[:-1])
        or segments[-1] in (".", "..")
    ):
        raise ValueError(f"refused request path {target!r}")
    return rel


def locate(root: Path, rel: str) -> Path | str | None:
    """The file inside ``root`` that serves ``rel`` (a folder serves its index.html);
    REDIRECT for a folder asked without its trailing slash; None when there is none, or
    when the path cannot be looked up at all (too long, a symlink loop...)."""
    parts = rel.split("/")
    if is_reserved(rel):
        return None  # the manifest and the staging folder are masthead's own
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_SEGMENT_BYTES for part in parts):
        return None  # no file system holds such a name
    try:
        return _locate(root, rel)
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a symlink loop (Python 3.11)
        return None


def _locate(root: Path, rel: str) -> Path | str | None:
    base = root.resolve()
    path = (base / rel).resolve()
    if path.is_dir():
        if rel and not rel.endswith("/"):
            return REDIRECT if path.is_relative_to(base) else None
        path = (path / "index.html").resolve()
    elif rel.endswith("/"):
        return None
    return path if path.is_relative_to(base) and path.is_file() else None


# --- What the browser sees ------------------------------------------------------------

_RELOAD_SCRIPT = """<script data-masthead-reload>
(function () {
  var since = %d, server = "%s";
  function poll() {
    fetch("%s?since=" + since + "&server=" + server, {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) { if (d.reload) { location.reload(); } else { poll(); } },
            function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>
"""


def decorate(page: bytes, state: Snapshot) -> bytes:
    """The page with the reload script (and the error overlay) inserted before </body>."""
    addition = _RELOAD_SCRIPT % (state.generation, state.server_id, WAIT_PATH)
    if state.problems:
        addition = error_overlay(state.problems, state.excerpts) + addition
    elif state.notices:
        addition = notice_banner(state.notices) + addition
    at = page.lower().rfind(b"</body>")
    extra = addition.encode()
    return page + extra if at < 0 else page[:at] + extra + page[at:]


_BANNER_STYLE = (
    "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;margin:0;padding:.75rem 1rem;"
    "background:#fff4d6;color:#1a1a1a;border-top:2px solid #b8860b;"
    "font:14px/1.5 system-ui,sans-serif;text-align:left"
)


def notice_banner(notices: tuple[Problem, ...]) -> str:
    """A banner along the bottom of the page: the last save moved a published URL."""
    items = "".join(
        f'<li style="white-space:pre-wrap;overflow-wrap:anywhere">{html.escape(str(p))}</li>\n'
        for p in notices
    )
    return (
        f'<div id="masthead-notices" role="status" lang="en" dir="ltr" style="{_BANNER_STYLE}">'
        '<button type="button" onclick="this.parentNode.remove()" style="float:right">Hide</button>'
        "<strong>This save moves a published URL</strong> (the build of the site would fail):"
        f'<ul style="margin:.25rem 0 0;padding-left:1.5rem">{items}</ul></div>\n'
    )


def _fallback_404() -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Not found</title>'
        "</head>\n<body><h1>Not found</h1><p>Nothing is built at this address.</p></body></html>\n"
    )
