"""Save-to-served latency of ``masthead serve`` on an existing site.

    python bench/serve_latency.py SITE [--edits 10] [--article 2019/03/a.md] [--template]

Starts ``masthead serve --port 0 --no-open`` on SITE in a subprocess and waits for its first
build. Then, N times: appends a unique marker line to one article and polls the article's
page until the served bytes contain the marker. Prints each latency and the median. With
``--template`` it also times one edit of the article template (the site's own
``templates/article.html``), which re-renders every article page. Every edited file gets its
original bytes back at the end; the preview folder (.masthead-cache/preview) stays.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from masthead.config import load_config  # noqa: E402
from masthead.content import discover_sources, parse_article  # noqa: E402
from masthead.render import theme_path  # noqa: E402

# `masthead serve` with Python's Ctrl-C handling even when this script was started with
# SIGINT ignored (as a background job of a non-interactive shell is), so that SIGINT stops it.
LAUNCH = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from masthead.cli import main; sys.exit(main(sys.argv[1:]))"
)
SERVING = re.compile(r"^Serving (http://127\.0\.0\.1:(\d+)/)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="a masthead site folder")
    parser.add_argument("--edits", type=int, default=10, help="article edits to time")
    parser.add_argument("--article", help="the article to edit, relative to content/")
    parser.add_argument("--template", action="store_true", help="also time a template edit")
    parser.add_argument(
        "--startup-timeout", type=float, default=3600, help="seconds to wait for the first build"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait per edit")
    args = parser.parse_args()
    server = Server(args.site)
    try:
        started = time.perf_counter()
        port = server.wait_until_serving(args.startup_timeout)
        print(f"first build and start: {time.perf_counter() - started:.2f} s")
        rel, target = pick_article(args.site, args.article)
        print(f"editing content/{rel}, polling http://127.0.0.1:{port}{target}")
        article = args.site / load_config(args.site)[0].content_dir / rel
        latencies = [
            time_edit(port, target, article, _append_line, args.timeout) for _ in range(args.edits)
        ]
        for n, seconds in enumerate(latencies, 1):
            print(f"  edit {n}: {seconds:.3f} s")
        print(
            f"median save-to-served latency: {statistics.median(latencies):.3f} s "
            f"({len(latencies)} edits; min {min(latencies):.3f} s, max {max(latencies):.3f} s)"
        )
        if args.template:
            seconds = time_template_edit(args.site, port, target, args.timeout)
            print(f"template edit to served: {seconds:.3f} s")
    finally:
        server.stop()
    return 0


class Server:
    """``masthead serve`` in a subprocess; its output is echoed with a prefix."""

    def __init__(self, site: Path):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        command = [sys.executable, "-c", LAUNCH, "serve", "--site", str(site)]
        self.process = subprocess.Popen(
            [*command, "--port", "0", "--no-open"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.port: int | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            print(f"  serve| {line.rstrip()}", flush=True)
            match = SERVING.match(line)
            if match:
                self.port = int(match[2])
                self.ready.set()
        self.ready.set()

    def wait_until_serving(self, timeout: float) -> int:
        if not self.ready.wait(timeout) or self.port is None:
            raise SystemExit("masthead serve did not start")
        return self.port

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def pick_article(site: Path, wanted: str | None) -> tuple[str, str]:
    """The article to edit (relative to the content folder) and its page's path."""
    config, _ = load_config(site)
    content_path = site / config.content_dir
    rel = wanted or discover_sources(content_path)[0]
    article, problems = parse_article(rel, (content_path / rel).read_text(encoding="utf-8"), config)
    if article is None:
        raise SystemExit(f"cannot parse {rel}: {problems[0]}")
    return rel, "/" + article.url


def time_template_edit(site: Path, port: int, target: str, timeout: float) -> float:
    """Time an edit of the site's article template; a site without one gets a copy of the
    theme's for the duration (creating an override is a template edit too)."""
    config, _ = load_config(site)
    own = site / config.templates_dir / "article.html"
    if own.is_file():
        return time_edit(port, target, own, _append_comment, timeout)
    made_folder = not own.parent.exists()
    own.parent.mkdir(parents=True, exist_ok=True)
    theme = (theme_path() / "article.html").read_bytes()
    try:
        return time_edit(
            port, target, own, lambda _, marker: _append_comment(theme, marker), timeout
        )
    finally:
        own.unlink(missing_ok=True)
        if made_folder:
            own.parent.rmdir()


def time_edit(port: int, target: str, path: Path, edit, timeout: float) -> float:
    """Seconds from saving an edit of ``path`` to the page holding its marker; ``path``
    gets its original bytes back afterwards (or is removed if it did not exist)."""
    original = path.read_bytes() if path.exists() else None
    marker = f"latency-marker-{secrets.token_hex(6)}"
    try:
        path.write_bytes(edit(original, marker))
        saved = time.perf_counter()
        deadline = saved + timeout
        while marker.encode() not in _get(port, target):
            if time.perf_counter() > deadline:
                raise SystemExit(f"{marker} did not appear within {timeout} s")
            time.sleep(0.01)
        return time.perf_counter() - saved
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
        # Let the restoring rebuild finish before the next edit is timed.
        while marker.encode() in _get(port, target):
            time.sleep(0.02)


def _append_line(original: bytes, marker: str) -> bytes:
    return original.rstrip(b"\n") + f"\n\n{marker}\n".encode()


def _append_comment(original: bytes, marker: str) -> bytes:
    return original.replace(b"</article>", f"<p>{marker}</p></article>".encode(), 1)


def _get(port: int, target: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        connection.request("GET", target)
        return connection.getresponse().read()
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
