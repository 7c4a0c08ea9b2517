"""Shared helpers of the preview server's tests (test_watch, test_httpd, test_preview,
test_serve_e2e, test_serve_browser): waiting with a deadline, a test clock, a Preview over a
folder, requests on a socket, ``masthead serve`` in a subprocess and a server in this one.

Every wait polls with a deadline; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sitegen import REPO

from masthead.model import BuildOptions
from masthead.preview import httpd, watch

DEADLINE = 30.0  # seconds; generous for a loaded CI machine, reached only on failure


def poll(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Call ``check`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class TestClock:
    """A clock for ``ChangeQueue(clock=...)`` that moves only when told: ``advance(s)``, or by
    ``step`` seconds on every reading (so that a wait for a timeout ends without waiting)."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, start: float = 0.0, step: float = 0.0):
        self.now = start
        self.step = step
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            now = self.now
            self.now += self.step
            return now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


# --- A Preview and its responses, without a socket -----------------------------------------


def make_preview(root: Path) -> watch.Preview:
    """A Preview serving the folder ``root`` (a site's .masthead-cache/preview)."""
    return watch.Preview(root.parent.parent, BuildOptions(output=str(root)))


def headers(**fields: str) -> Message:
    """Request headers: ``If_None_Match="..."`` is the header If-None-Match."""
    message = Message()
    for name, value in fields.items():
        message[name.replace("_", "-")] = value
    return message


def header(response: httpd.Response, name: str) -> str | None:
    """One header of a response, or None."""
    return dict(response.headers).get(name)


# --- Requests on a socket -------------------------------------------------------------------


def fetch(
    url: str, target: str, method: str = "GET", **request_headers: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and body of one request, whatever the status; ``target`` is sent as is."""
    host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=DEADLINE)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in request_headers.items():
            connection.putheader(name.replace("_", "-"), value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def page_with(url: str, target: str, needle: str) -> str | None:
    """The page's text when it contains ``needle``."""
    text = text_of(url, target)[1]
    return text if needle in text else None


def text_of(url: str, target: str) -> tuple[int, str]:
    """Status and decoded body of one GET."""
    status, _, body = fetch(url, target)
    return status, body.decode("utf-8")


def read_all(sock: socket.socket) -> bytes:
    """Everything the other end sends until it closes."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    """The status of a raw answer; an HTTP/0.9 one (to a request line of one word) has no
    status line, only the error page."""
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer) or re.search(
        rb"Error code: (\d{3})", answer
    )
    assert match, answer[:200]
    return int(match[1])


# --- A server in this process ---------------------------------------------------------------


@dataclass
class LiveServer:
    """A PreviewServer on a free port of 127.0.0.1, serving a preview folder."""

    server: httpd.PreviewServer
    errors: io.StringIO

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def raw(self, data: bytes, timeout: float = DEADLINE) -> bytes:
        """Send ``data`` as is; everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            return read_all(sock)

    def status(self, target: str, method: str = "GET", **request_headers: str) -> int:
        return fetch(f"http://127.0.0.1:{self.port}/", target, method, **request_headers)[0]


@contextmanager
def live_server(root: Path, idle_timeout: float = httpd.IDLE_SECONDS) -> Iterator[LiveServer]:
    """A PreviewServer for the preview folder ``root``, in a thread; shut down afterwards."""
    errors = io.StringIO()
    server = httpd.PreviewServer("127.0.0.1", 0, idle_timeout=idle_timeout, errors=errors)
    server.preview = make_preview(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(server, errors)
    finally:
        server.preview.stop()
        server.shutdown()
        server.server_close()
        thread.join(DEADLINE)


# --- `masthead serve` in a subprocess -------------------------------------------------------


# Runs a module or script as __main__ with Python's own Ctrl-C handling, even when pytest was
# started with SIGINT ignored (a background job of a non-interactive shell inherits that).
LAUNCH = """\
import runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
script = sys.argv.pop(1)
sys.argv[0] = script
if script.endswith(".py"):
    runpy.run_path(script, run_name="__main__")
else:
    runpy.run_module(script, run_name="__main__", alter_sys=True)
"""


class ServeProcess:
    """``masthead serve ... --port 0 --no-open`` in a subprocess, with its output collected."""

    def __init__(self, *args: str, script: str = "masthead.cli"):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, script, "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self.readers:
            reader.start()
        self.url = ""

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        with self.lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = DEADLINE, after: int = 0) -> re.Match:
        """The first output line (from line number ``after`` on) matching ``pattern``."""

        def found() -> re.Match | None:
            with self.lock:
                lines = self.lines[after:]
            for line in lines:
                if match := re.search(pattern, line):
                    return match
            if self.process.poll() is not None:
                pytest.fail(f"masthead serve exited early:\n{self.output()}")
            return None

        return poll(
            found, f"{pattern!r} in the output of masthead serve:\n{self.output()}", timeout
        )

    def line_count(self) -> int:
        with self.lock:
            return len(self.lines)

    def start(self) -> str:
        self.url = self.wait_for(r"^Serving (http://[\w.:\[\]]+:\d+/) \(Ctrl-C to stop\)$")[1]
        return self.url

    def stop(self) -> int:
        """Ctrl-C (SIGINT); the exit code, or -9 when it had to be killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
            code = -9
        for reader in self.readers:
            reader.join(timeout=5)
        return code


@contextmanager
def running(*args: str, script: str = "masthead.cli") -> Iterator[ServeProcess]:
    """A started server; stopped with Ctrl-C afterwards, which must exit 0."""
    server = ServeProcess("--port", "0", "--no-open", *args, script=script)
    try:
        server.start()
        yield server
    finally:
        code = server.stop()
    assert code == 0, f"Ctrl-C should stop the server cleanly, got {code}:\n{server.output()}"
    assert "Traceback" not in server.output(), server.output()


FIRST = "/2017/09/23/first-story/"
"""The URL of the tiny site's first article (sitegen.tiny_site)."""
