"""Save-to-served latency of a live preview server (``masthead serve``, ``hugo server``).

    python bench/live.py /tmp/bench-work/articles-10000 [--edits 5] [--servers masthead,hugo]

bench/run.py calls this after its build scenarios; run alone, it times the servers on the
sites an earlier run.py left in its work folder.

A server runs in a subprocess; once it serves, one article is edited N times: a unique
marker line is appended, and the article's page is fetched every 10 ms until its bytes hold
the marker. The time from the save to that response is one latency. The article gets its
original bytes back after every edit, and the next edit waits until the page no longer
shows the marker (the server rebuilt again), so every edit starts from a quiet server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tools  # the bench folder is not a package: run.py and this script put it on sys.path

POLL_SECONDS = 0.01
SITES_FILE = "sites.json"  # which article each generated site edits, written by run.py
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServerCommand:
    """How to start one preview server and how to tell from its output that it serves."""

    name: str
    argv: tuple[str, ...]
    ready: re.Pattern[str]
    """Matches the line that announces the server; group "port" is the port it listens on."""
    env: tuple[tuple[str, str], ...] = ()


class LiveServer:
    """A preview server in a subprocess; its output is echoed with a prefix."""

    def __init__(self, command: ServerCommand, cwd: Path, echo: bool = True):
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **dict(command.env)}
        self.command = command
        self.echo = echo
        self.process = subprocess.Popen(
            command.argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # Ctrl-C in the terminal reaches the harness only
        )
        self.port: int | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            if self.echo:
                print(f"  {self.command.name}| {line.rstrip()}", flush=True)
            match = self.command.ready.search(line)
            if match and self.port is None:
                self.port = int(match["port"])
                self.ready.set()
        self.ready.set()

    def wait_until_serving(self, timeout: float) -> int:
        """The port, once the server announced it (SystemExit if it never did)."""
        if not self.ready.wait(timeout) or self.port is None:
            raise SystemExit(f"{self.command.name} did not start serving within {timeout} s")
        return self.port

    def stop(self) -> None:
        """Ctrl-C, as a person stops it; killed if it does not stop within 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    """A port that was free a moment ago, for servers that cannot pick one themselves."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def page_path(output_rel: str) -> str:
    """The URL path that serves an output file: ``a/b/index.html`` -> ``/a/b/``."""
    return "/" + output_rel.removesuffix("index.html")


def measure(
    command: ServerCommand,
    site: Path,
    article: Path,
    target: str,
    edits: int,
    startup_timeout: float = 3600,
    timeout: float = 600,
) -> dict:
    """Start the server on ``site``, time ``edits`` saves of ``article`` until ``target``
    serves them; returns the start-up time, every latency and their median."""
    server = LiveServer(command, site)
    try:
        started = time.perf_counter()
        port = server.wait_until_serving(startup_timeout)
        startup = time.perf_counter() - started
        wait_for(port, target, lambda body: body is not None, timeout)  # the page is there
        latencies = [time_edit(port, target, article, append_line, timeout) for _ in range(edits)]
    finally:
        server.stop()
    return {
        "startup_seconds": round(startup, 3),
        "latencies": [round(s, 3) for s in latencies],
        "median": round(statistics.median(latencies), 3) if latencies else None,
    }


def time_edit(
    port: int, target: str, path: Path, edit: Callable[[bytes | None, str], bytes], timeout: float
) -> float:
    """Seconds from saving an edit of ``path`` to the page holding its marker; ``path``
    gets its original bytes back afterwards (or is removed if it did not exist)."""
    original = path.read_bytes() if path.exists() else None
    marker = f"latency-marker-{secrets.token_hex(6)}".encode()
    try:
        path.write_bytes(edit(original, marker.decode()))
        saved = time.perf_counter()
        wait_for(port, target, lambda body: body is not None and marker in body, timeout)
        return time.perf_counter() - saved
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
        wait_for(port, target, lambda body: body is not None and marker not in body, timeout)


def wait_for(port: int, target: str, wanted: Callable[[bytes | None], bool], timeout: float):
    """Fetch ``target`` every 10 ms until ``wanted(body)`` (body None: not found)."""
    deadline = time.perf_counter() + timeout
    while not wanted(fetch(port, target)):
        if time.perf_counter() > deadline:
            raise SystemExit(f"http://127.0.0.1:{port}{target} did not change in {timeout} s")
        time.sleep(POLL_SECONDS)


def append_line(original: bytes | None, marker: str) -> bytes:
    """The article with one more paragraph: the marker."""
    return (original or b"").rstrip(b"\n") + f"\n\n{marker}\n".encode()


def fetch(port: int, target: str) -> bytes | None:
    """The page's bytes, or None when the server answers anything but 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        connection.request("GET", target, headers={"Cache-Control": "no-cache"})
        response = connection.getresponse()
        body = response.read()
        return body if response.status == 200 else None
    except (OSError, http.client.HTTPException):  # a server may drop requests mid-rebuild
        return None
    finally:
        connection.close()


# masthead serve with Python's Ctrl-C handling even when started with SIGINT ignored (as a
# background job of a non-interactive shell is), so that SIGINT stops it.
MASTHEAD_LAUNCH = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from masthead.cli import main; sys.exit(main(sys.argv[1:]))"
)


def masthead_command(repo: Path) -> ServerCommand:
    """``masthead serve`` on the current folder, from the repository at ``repo``."""
    path = os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))
    return ServerCommand(
        name="masthead serve",
        argv=(sys.executable, "-c", MASTHEAD_LAUNCH, "serve", "--port", "0", "--no-open"),
        ready=re.compile(r"^Serving http://127\.0\.0\.1:(?P<port>\d+)/"),
        env=(("PYTHONPATH", path),),
    )


def hugo_command(hugo: str, cache_dir: Path) -> ServerCommand:
    """``hugo server`` with its defaults (live reload, fast render mode) on a free port."""
    port = free_port()
    argv = (hugo, "server", "--bind", "127.0.0.1", "--port", str(port))
    return ServerCommand(
        name="hugo server",
        argv=(*argv, "--cacheDir", str(cache_dir)),
        ready=re.compile(rf"Web Server is available at http://\S+:(?P<port>{port})/"),
    )


def record_sites(root: Path, sites: dict) -> None:
    """Note each site's folder, edited article and its page, for a later ``live.py`` run."""
    record = {
        name: {"path": str(site.path), "article": site.article, "page": site.page}
        for name, site in sites.items()
    }
    (root / SITES_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def time_server(name: str, site: Path, article: str, page: str, edits: int) -> dict:
    """Time ``edits`` saves of ``article`` (relative to ``site``) with the preview server of
    ``name`` ("masthead" or "hugo"), polling the URL that serves the output file ``page``."""
    if name == "hugo":  # with the cache folder the builds used (Hugo wants it absolute)
        command = hugo_command(tools.hugo_binary(), site / ".hugo-cache")
    else:
        command = masthead_command(REPO)
    print(f"  live preview: {command.name}, {edits} saves of {article}", flush=True)
    figures = measure(command, site, site / article, page_path(page), edits)
    print(
        f"  {command.name}: median {figures['median']:.3f} s "
        f"(start-up {figures['startup_seconds']:.1f} s)",
        flush=True,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="a folder run.py generated (articles-N)")
    parser.add_argument("--edits", type=int, default=5, help="saves timed per server")
    parser.add_argument("--servers", default="masthead,hugo", help="comma-separated")
    args = parser.parse_args()
    sites = json.loads((args.root / SITES_FILE).read_text(encoding="utf-8"))
    found = {
        name: time_server(
            name, Path(sites[name]["path"]), sites[name]["article"], sites[name]["page"], args.edits
        )
        for name in args.servers.split(",")
        if name
    }
    print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
