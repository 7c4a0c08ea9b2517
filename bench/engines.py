"""Time each Markdown engine per article: masthead's converters on the benchmark archive's
bodies and on the demo archive's, in this process, best of several rounds.

    python bench/engines.py                      # 2000 generated bodies, the demo's 40
    python bench/engines.py --articles 500 --rounds 5 --cmarkgfm

Each engine is made once (as a build makes it once per process) and converts every body;
the figure is the best round's time divided by the number of bodies, and the ratio is
Python-Markdown's time over the engine's. ``--cmarkgfm`` also times cmarkgfm (GitHub's C
cmark, the engine not chosen), with raw HTML kept and tables and footnotes on, when it is
installed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import archive

from masthead import markup
from masthead.config import SiteConfig
from masthead.readers import read_front_matter

REPO = Path(__file__).resolve().parent.parent


def demo_bodies() -> list[str]:
    """The bodies of the repository's demo archive (content/)."""
    paths = sorted((REPO / "content").rglob("*.md"))
    return [read_front_matter(path.read_text("utf-8")).body for path in paths]


def cmarkgfm_converter() -> Callable[[str], str] | None:
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options
    except ImportError:
        return None
    options = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
    extensions = ["table", "strikethrough"]
    return lambda text: cmarkgfm.markdown_to_html_with_extensions(text, options, extensions)


def per_article(convert: Callable[[str], str], bodies: list[str], rounds: int) -> float:
    """The best round's seconds per body."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for body in bodies:
            convert(body)
        best = min(best, time.perf_counter() - start)
    return best / len(bodies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="generated bodies")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cmarkgfm", action="store_true", help="also time cmarkgfm")
    args = parser.parse_args(argv)
    engines: dict[str, Callable[[str], str]] = {
        name: markup.make_converter(SiteConfig(markdown_engine=name)).convert
        for name in markup.ENGINES
    }
    if args.cmarkgfm:
        extra = cmarkgfm_converter()
        if extra is None:
            print("cmarkgfm is not installed: left out", file=sys.stderr)
        else:
            engines["cmarkgfm"] = extra
    corpora = {
        f"bench archive ({args.articles} bodies)": [
            a.body for a in archive.articles(args.articles, args.seed)
        ],
        "demo content/": demo_bodies(),
    }
    for label, bodies in corpora.items():
        words = sum(len(body.split()) for body in bodies) / len(bodies)
        print(f"{label}, {words:.0f} words a body on average:")
        times = {
            name: per_article(convert, bodies, args.rounds) for name, convert in engines.items()
        }
        base = times["markdown"]
        for name, seconds in times.items():
            print(f"  {name:10} {seconds * 1e6:9.1f} µs per article  {base / seconds:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
