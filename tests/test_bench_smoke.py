"""The benchmark's smoke-sized run: the whole harness (generate, build, edit, time, report)
on 60 articles, masthead alone. The full comparison with Hugo and Pelican is run by hand."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the whole benchmark harness, in subprocesses

REPO = Path(__file__).resolve().parent.parent


def test_the_benchmark_smoke_run_measures_every_scenario(tmp_path):
    results = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "run.py"),
            "--smoke",
            "--out",
            str(results),
            "--workdir",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    for tool in ("masthead", "masthead -j1"):
        figures = data["summary"][tool]
        for scenario in ("cold", "unchanged", "article", "template"):
            assert figures[scenario] > 0, (tool, scenario)
        assert data["pages"][tool]["html"] > 60
    assert data["pages"]["masthead"] == data["pages"]["masthead -j1"]
    preview = data["live_preview"]["masthead"]
    assert len(preview["latencies"]) == 2 and preview["median"] > 0
    assert "preview server: save to served" in run.stdout


def _bench_module(name):
    """A module of the bench folder (not a package), imported by file, with the folder on
    the path for its own imports."""
    import importlib.util

    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(
            f"bench_{name}", REPO / "bench" / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO / "bench"))
    return module


def _run_module():
    """bench/run.py as a module."""
    return _bench_module("run")


def test_the_benchmark_times_the_masthead_variants_asked_for():
    run = _run_module()
    assert run.parse_args([]).masthead == ["default", "j1", "fast"]
    assert run.parse_args(["--masthead", "fast"]).masthead == ["fast"]
    for wrong in ("slow", ""):
        with pytest.raises(SystemExit):
            run.parse_args(["--masthead", wrong])


def test_a_repeated_title_on_one_day_gets_its_own_url_in_the_masthead_site(tmp_path):
    archive = _bench_module("archive")
    sites = _bench_module("sites")
    first = next(archive.articles(1, seed=3))
    twin = dataclasses.replace(first, index=1, slug=f"{first.slug}-1")
    sites.write_sites(tmp_path, ["masthead"], [first, twin], edited=0)
    build = subprocess.run(
        [sys.executable, "-m", "masthead.cli", "build", "--site", str(tmp_path / "masthead")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    day = tmp_path / "masthead" / "output" / f"{first.date:%Y/%m/%d}"
    assert (day / first.slug / "index.html").is_file()
    assert (day / twin.slug / "index.html").is_file()
