"""Benchmark masthead against Hugo and Pelican on one generated news archive.

    python bench/run.py --articles 10000 [--repeat 3] [--peers hugo,hugo-plain,pelican] [--out FILE]
    python bench/run.py --smoke                     # tiny, masthead only: for CI
    python bench/run.py --articles 1000 -- --jobs 4  # arguments after -- go to masthead build
    python bench/run.py --articles 100000 --peers '' --masthead fast  # a scale run

Every build runs in a fresh process (bench/measure.py). Per repetition and scenario the tools
take turns, in an order that rotates between repetitions; the table shows medians. Then the
live preview servers (``masthead serve``, ``hugo server``) are timed from saving an article
to its page serving the edit (bench/live.py), ``--serve-edits`` times each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import archive  # the bench folder is not a package
import live
import report
import tools
from sites import Site, write_sites

MEASURE = Path(__file__).resolve().parent / "measure.py"
SCENARIOS = ("cold", "unchanged", "article", "template")
APPENDED = "\n\nThis sentence was appended by the benchmark.\n"
MARKER = "<p hidden>changed by the benchmark</p>"  # Go templates drop HTML comments


VARIANTS = ("default", "j1", "fast")
"""masthead as timed: default (the site as written), j1 (``--jobs 1``), fast (the site with
``markdown_engine = "pyromark"``); j1 and fast only where this masthead offers them."""

PEERS = ("hugo", "hugo-plain", "pelican")
"""hugo: masthead's page set, set up as Hugo's best users would; hugo-plain: home,
categories, tags, years and months only (bench/sites.py)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, help="archive size (default 1000; smoke 60)")
    parser.add_argument("--repeat", type=int, help="repetitions per scenario (default 3)")
    parser.add_argument("--peers", default="hugo,hugo-plain,pelican", help="comma-separated, or ''")
    parser.add_argument(
        "--masthead", default=",".join(VARIANTS), help="masthead variants, comma-separated"
    )
    parser.add_argument("--out", default="results.json", help="JSON results file")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated archive")
    parser.add_argument("--workdir", default="/tmp/bench-work", help="where sites are built")
    parser.add_argument("--smoke", action="store_true", help="tiny run of masthead alone")
    parser.add_argument(
        "--serve-edits", type=int, help="article saves timed per preview server (0: none)"
    )
    parser.add_argument("masthead_args", nargs="*", help="after --: extra masthead build options")
    args = parser.parse_args(argv)
    if args.smoke:
        args.articles, args.repeat, args.peers = args.articles or 60, args.repeat or 1, ""
        args.serve_edits = 2 if args.serve_edits is None else args.serve_edits
    args.serve_edits = 5 if args.serve_edits is None else args.serve_edits
    args.articles = args.articles or 1000
    args.repeat = args.repeat or 3
    args.peers = [p for p in args.peers.split(",") if p]
    unknown = set(args.peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))} (known: {', '.join(PEERS)})")
    args.masthead = [v for v in args.masthead.split(",") if v]
    unknown = set(args.masthead) - set(VARIANTS)
    if unknown or not args.masthead:
        parser.error(f"--masthead takes one or more of {', '.join(VARIANTS)}, comma-separated")
    return args


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [
        line.split(":", 1)[1].strip()
        for line in cpuinfo.splitlines()
        if line.startswith("model name")
    ]
    mem_kb = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0
    )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": models[0] if models else platform.processor(),
        "memory_mb": mem_kb // 1024,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),  # other work on the machine skews timings
        "python_loop_seconds": python_loop_seconds(),
    }


def python_loop_seconds() -> float:
    """Seconds for a fixed pure-Python loop: a yardstick of the machine's speed at the time,
    since a shared virtual machine can run at half speed for an hour with no load showing."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 3)


def prepare(tool: tools.Tool, scenario: str) -> None:
    """Put the site in the state the scenario starts from (the previous scenario's build ran)."""
    site = tool.site
    if scenario == "cold":
        for folder in tool.state:
            shutil.rmtree(site.path / folder, ignore_errors=True)
    elif scenario == "article":
        with open(site.path / site.article, "a", encoding="utf-8") as source:
            source.write(APPENDED)
    elif scenario == "template":
        path = site.path / site.template
        text = path.read_text(encoding="utf-8")
        assert site.anchor in text, f"{path} no longer contains {site.anchor!r}"
        path.write_text(text.replace(site.anchor, f"{site.anchor}\n{MARKER}", 1), encoding="utf-8")


def check(tool: tools.Tool, scenario: str) -> None:
    """The edited article's page shows the edit: the build really did the work timed."""
    expected = {"article": APPENDED.strip(), "template": MARKER}.get(scenario)
    page = tool.site.path / tool.output / tool.site.page
    if expected and expected not in page.read_text(encoding="utf-8"):
        raise SystemExit(f"{tool.name}: {page} does not show the {scenario} edit")


def measure(tool: tools.Tool, log: Path) -> dict:
    result = subprocess.run(
        [sys.executable, str(MEASURE), str(log), str(tool.site.path), *tool.command],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    numbers = json.loads(result.stdout)
    if numbers["returncode"] != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{tool.name} failed ({' '.join(tool.command)}):\n{tail}")
    return numbers


def count_pages(tool: tools.Tool) -> dict:
    output = tool.site.path / tool.output
    files = [p for p in output.rglob("*") if p.is_file() and ".masthead" not in p.name]
    return {
        "html": sum(p.suffix == ".html" for p in files),
        "feeds": sum(p.suffix == ".xml" and not p.name.startswith("sitemap") for p in files),
        "files": len(files),
        "megabytes": round(sum(p.stat().st_size for p in files) / 2**20, 1),
    }


def run(tool_list: list[tools.Tool], repeat: int, logs: Path) -> list[dict]:
    """Every scenario ``repeat`` times for every tool; returns the raw measurements."""
    originals = {
        t.name: ((t.site.path / t.site.article).read_bytes(), (t.site.path / t.site.template).read_bytes())
        for t in tool_list
    }  # fmt: skip
    raw = []
    for rep in range(repeat):
        shift = rep % len(tool_list)
        order = tool_list[shift:] + tool_list[:shift]
        for tool in tool_list:  # undo the previous repetition's edits
            article, template = originals[tool.name]
            (tool.site.path / tool.site.article).write_bytes(article)
            (tool.site.path / tool.site.template).write_bytes(template)
        for scenario in SCENARIOS:
            for tool in order:
                prepare(tool, scenario)
                log = logs / f"{tool.name.replace(' ', '_')}-{scenario}-{rep + 1}.log"
                numbers = measure(tool, log)
                check(tool, scenario)
                raw.append({"tool": tool.name, "scenario": scenario, "repeat": rep + 1, **numbers})
                with open(logs / "raw.jsonl", "a", encoding="utf-8") as partial:  # survives a crash
                    partial.write(json.dumps(raw[-1]) + "\n")
                print(
                    f"  [{rep + 1}/{repeat}] {scenario:<9} {tool.name:<13} "
                    f"{numbers['seconds']:8.2f} s  {numbers['max_rss_mb']:7.0f} MB",
                    flush=True,
                )
    return raw


def summarise(raw: list[dict], tool_list: list[tools.Tool]) -> dict:
    """Medians per tool: seconds per scenario, and the cold build's CPU time and memory."""
    summary = {}
    for tool in tool_list:
        mine = [r for r in raw if r["tool"] == tool.name]
        cold = [r for r in mine if r["scenario"] == "cold"]
        summary[tool.name] = {
            **{s: statistics.median(r["seconds"] for r in mine if r["scenario"] == s) for s in SCENARIOS},
            "cold_cpu_seconds": statistics.median(r["cpu_seconds"] for r in cold),
            "cold_max_rss_mb": statistics.median(r["max_rss_mb"] for r in cold),
            "max_rss_mb": max(r["max_rss_mb"] for r in mine),
            "tree_rss_mb": max(r["tree_rss_mb"] for r in mine),
        }  # fmt: skip
    return summary


def run_live(tool_list: list[tools.Tool], edits: int) -> dict:
    """Save-to-served latency of masthead serve and, when Hugo is compared, hugo server."""
    return {
        tool.name: live.time_server(
            tool.name, tool.site.path, tool.site.article, tool.site.page, edits
        )
        for tool in tool_list
        if tool.name in ("masthead", "masthead fast", "hugo") and edits
    }


def fast_site(site: Site, path: Path) -> Site:
    """A copy of the masthead site that converts bodies with the fast engine (pyromark)."""
    shutil.copytree(site.path, path)
    settings = path / "pyproject.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("[tool.masthead]\n", '[tool.masthead]\nmarkdown_engine = "pyromark"\n', 1),
        encoding="utf-8",
    )
    return replace(site, path=path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.peers:
        tools.ensure_venv()
    tools.compile_masthead()
    features = tools.masthead_features()
    source_before = tools.masthead_source_digest()
    root = Path(args.workdir) / f"articles-{args.articles}"
    print(
        f"writing {args.articles} articles as {', '.join(['masthead', *args.peers])} sites in {root}"
    )
    shutil.rmtree(root, ignore_errors=True)  # the last run's sites, outputs and caches
    started = time.perf_counter()
    articles = archive.articles(args.articles, args.seed)
    sites = write_sites(root, ["masthead", *args.peers], articles, edited=args.articles // 2)
    live.record_sites(root, sites)
    jobs1 = fast = None
    if "j1" in args.masthead and features["jobs"]:
        shutil.copytree(sites["masthead"].path, root / "masthead-jobs1")
        jobs1 = replace(sites["masthead"], path=root / "masthead-jobs1")
    if "fast" in args.masthead and tools.has_fast_engine():
        fast = fast_site(sites["masthead"], root / "masthead-fast")
    generate_seconds = time.perf_counter() - started
    print(f"  done in {generate_seconds:.1f} s")

    tool_list = tools.make_tools(sites, args.masthead_args, jobs1, fast)
    if "default" not in args.masthead:
        tool_list = [t for t in tool_list if t.name != "masthead"]
    if not any(t.name.startswith("masthead") for t in tool_list):
        raise SystemExit(f"none of the masthead variants {', '.join(args.masthead)} is available")
    machine_before = machine()
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    raw = run(tool_list, args.repeat, logs)
    summary = summarise(raw, tool_list)
    previews = run_live(tool_list, args.serve_edits)
    pages = {t.name: count_pages(t) for t in tool_list}
    source_after = tools.masthead_source_digest()
    if source_after != source_before:
        print("warning: masthead's code or theme changed during the run", file=sys.stderr)
    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "articles": args.articles,
        "repeat": args.repeat,
        "seed": args.seed,
        "machine": machine_before,
        "load_average_after": os.getloadavg(),
        "python_loop_seconds_after": python_loop_seconds(),
        "versions": {t.name: tools.version(t) for t in tool_list},
        "masthead_source": {"before": source_before, "after": source_after},
        "masthead_features": features,
        "masthead_args": args.masthead_args,
        "build_commands": {t.name: " ".join(t.command) for t in tool_list},
        "generate_seconds": round(generate_seconds, 2),
        "pages": pages,
        "summary": summary,
        "live_preview": previews,
        "raw": raw,
    }
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print()
    print(report.table(summary, pages, [t.name for t in tool_list], args.articles, previews))
    print(f"\nresults: {args.out}; build logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
