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
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import live  # noqa: E402  (the bench folder is not a package)
from run import python_loop_seconds  # noqa: E402

from masthead.article import parse_article  # noqa: E402
from masthead.config import load_config  # noqa: E402
from masthead.sources import discover_sources  # noqa: E402
from masthead.themefiles import theme_path  # noqa: E402


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
    print(f"machine yardstick (10M-step Python loop): {python_loop_seconds():.2f} s")
    server = live.LiveServer(live.masthead_command(REPO), args.site.resolve())
    try:
        started = time.perf_counter()
        port = server.wait_until_serving(args.startup_timeout)
        print(f"first build and start: {time.perf_counter() - started:.2f} s")
        rel, target = pick_article(args.site, args.article)
        print(f"editing content/{rel}, polling http://127.0.0.1:{port}{target}")
        article = args.site / load_config(args.site)[0].content_dir / rel
        latencies = [
            live.time_edit(port, target, article, live.append_line, args.timeout)
            for _ in range(args.edits)
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
        return live.time_edit(port, target, own, _append_comment, timeout)
    made_folder = not own.parent.exists()
    own.parent.mkdir(parents=True, exist_ok=True)
    theme = (theme_path() / "article.html").read_bytes()
    try:
        return live.time_edit(
            port, target, own, lambda _, marker: _append_comment(theme, marker), timeout
        )
    finally:
        own.unlink(missing_ok=True)
        if made_folder:
            own.parent.rmdir()


def _append_comment(original: bytes | None, marker: str) -> bytes:
    return (original or b"").replace(b"</article>", f"<p>{marker}</p></article>".encode(), 1)


if __name__ == "__main__":
    sys.exit(main())
