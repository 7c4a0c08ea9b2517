"""What a feature costs: cold builds of one generated archive with settings (or code) changed.

    python bench/features.py --articles 10000 --repeat 2 \\
        --variant all \\
        --variant no-search:search=false \\
        --variant no-search-no-related:search=false,related_count=0 \\
        --variant before-archive:search=false@/tmp/wt-before-archive \\
        --variant archive:search=false@/tmp/wt-archive

Each variant is ``NAME[:KEY=VALUE,...][@CODE]``: settings written into the site's
``[tool.masthead]`` (TOML values, as written), and a checkout of masthead to run instead of
this one (``git worktree add /tmp/wt-x COMMIT``; it runs with ``PYTHONPATH`` pointing there,
so an old commit's theme and code are used). Every build is cold (output and cache
removed), in a fresh process, with one worker (``--jobs 1``: the render workers of a
parallel build are not masthead's children, and their CPU time would be missed), timed
with ``/usr/bin/time``; the variants take turns. The
site is the benchmark's archive (``archive.py``, seed 1) written by ``sites.py``, with the
theme's own templates. Reported per variant, as medians: wall and CPU seconds (user plus
system of masthead and every process it waited for, Pagefind included), the peak memory of
the largest process, pages, output bytes and the search bundle's bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import archive  # noqa: E402
import sites  # noqa: E402

TIME_FORMAT = "%e %U %S %M"


@dataclass(frozen=True)
class Variant:
    name: str
    settings: dict[str, str]
    code: Path | None


def parse_variant(text: str) -> Variant:
    """``NAME[:KEY=VALUE,...][@CODE]``."""
    text, _, code = text.partition("@")
    name, _, pairs = text.partition(":")
    settings = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
    return Variant(name, settings, Path(code) if code else None)


def make_site(root: Path, articles: int) -> Path:
    """The benchmark's masthead site, with the theme's own templates and search on."""
    made = sites.write_sites(root, ["masthead"], archive.articles(articles, 1), 0)
    site = made["masthead"].path
    shutil.rmtree(site / "templates")
    return site


def variant_site(base: Path, variant: Variant, root: Path) -> Path:
    """A copy of the site whose settings are the variant's."""
    site = root / variant.name
    if not site.exists():
        shutil.copytree(base, site, ignore=shutil.ignore_patterns("output", ".masthead-cache"))
    settings = {"search": "true", **variant.settings}
    text = (base / "pyproject.toml").read_text("utf-8")
    for key, value in settings.items():
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        if not found:
            text = text.replace("[tool.masthead]\n", f"[tool.masthead]\n{key} = {value}\n", 1)
    (site / "pyproject.toml").write_text(text, "utf-8")
    return site


def cold_build(site: Path, variant: Variant) -> dict:
    """One cold build: its times, memory, pages and bytes."""
    shutil.rmtree(site / "output", ignore_errors=True)
    shutil.rmtree(site / ".masthead-cache", ignore_errors=True)
    env = dict(os.environ)
    if variant.code is not None:
        env["PYTHONPATH"] = str(variant.code)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        command = ["/usr/bin/time", "-o", timing.name, "-f", TIME_FORMAT, sys.executable]
        command += ["-m", "masthead.cli", "build", "--site", str(site), "-v"]
        command += ["--now", "2025-01-01T12:00:00Z", "--jobs", "1"]
        # In the site's folder: ``-m`` puts the working folder first on the path, before
        # PYTHONPATH, so a run from a checkout would import that checkout's masthead.
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=site)
        if done.returncode != 0:
            raise SystemExit(f"{variant.name}: build failed\n{done.stdout}\n{done.stderr}")
        wall, user, system, peak = timing.read().split()[-4:]
    summary = next(line for line in done.stdout.splitlines() if line.startswith("masthead:"))
    pages = int(re.search(r"([\d,]+) pages", summary).group(1).replace(",", ""))
    output = site / "output"
    return {
        "wall": float(wall),
        "cpu": float(user) + float(system),
        "peak_mib": int(peak) / 1024,
        "pages": pages,
        "bytes": _bytes(output),
        "search_bytes": _bytes(output / "pagefind"),
    }


def _bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--variant", action="append", type=parse_variant, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-features"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    base = args.work / f"articles-{args.articles}"
    if not (base / "masthead").is_dir():
        make_site(base, args.articles)
    sites_of = {
        v.name: variant_site(base / "masthead", v, args.work / "variants") for v in args.variant
    }
    runs: dict[str, list[dict]] = {v.name: [] for v in args.variant}
    for turn in range(args.repeat):
        order = args.variant[turn % len(args.variant) :] + args.variant[: turn % len(args.variant)]
        for variant in order:
            result = cold_build(sites_of[variant.name], variant)
            runs[variant.name].append(result)
            print(variant.name, json.dumps(result), flush=True)
    print(f"\n{args.articles:,} articles, cold builds, medians of {args.repeat}:")
    print("| variant | wall s | CPU s | peak MiB | pages | output bytes | search bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for variant in args.variant:
        got = runs[variant.name]
        median = {key: statistics.median(r[key] for r in got) for key in got[0]}
        print(
            f"| {variant.name} | {median['wall']:.1f} | {median['cpu']:.1f} | "
            f"{median['peak_mib']:.0f} | {median['pages']:,.0f} | {median['bytes']:,.0f} | "
            f"{median['search_bytes']:,.0f} |"
        )
    if args.out:
        args.out.write_text(json.dumps(runs, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
