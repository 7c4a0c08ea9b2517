"""Worker processes must not change a single byte: ``--jobs 1`` and ``--jobs N`` agree.

The site has 300 articles, so both parsing (300 sources) and rendering (about a thousand
pages) are well past the 128 items at which masthead starts its process pool.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sitegen import (
    CACHE_DIR,
    STAGING,
    copy_theme_template,
    generate_site,
    masthead,
    ok,
    output_tree,
    tree_difference,
)

pytestmark = pytest.mark.slow  # 300 articles built with 1, 2 and 3 worker processes

N = 300
POOL_THRESHOLD = 128  # masthead parses and renders in worker processes from this many items


FEATURES = "\nA sourced claim.[^1]\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n[^1]: The source.\n"
"""Appended to every tenth body: footnotes and a table, which the engines rewrite."""


@pytest.fixture(scope="module", params=["markdown", "pyromark"])
def big_site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The site, with each Markdown engine."""
    folder = tmp_path_factory.mktemp(f"parallel-{request.param}") / "site"
    specs = generate_site(folder, N, per_page=5, seed=7, own_templates=("article.html",))
    for spec in specs[::10]:
        path = folder / "content" / spec.rel
        stat = path.stat()
        with path.open("a", encoding="utf-8") as source:
            source.write(FEATURES)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with (folder / "pyproject.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'markdown_engine = "{request.param}"\n')
    assert N >= 2 * POOL_THRESHOLD
    return folder


@pytest.fixture(scope="module")
def clean_outputs(big_site: Path) -> dict[int, Path]:
    """``--no-cache`` builds of the same site with 1, 2 and 3 workers."""
    outputs = {}
    for jobs in (1, 2, 3):
        output = big_site.parent / f"out-jobs{jobs}"
        result = ok(
            masthead("build", "--site", big_site, "--no-cache", "--jobs", jobs, "--output", output)
        )
        assert f"{N} articles" in result.stdout
        outputs[jobs] = output
    assert any(b'<li id="fn:1">' in path.read_bytes() for path in outputs[1].rglob("index.html"))
    assert not (big_site / CACHE_DIR).exists()
    return outputs


@pytest.mark.parametrize("jobs", [2, 3])
def test_worker_processes_write_the_same_bytes_as_one_process(clean_outputs, jobs):
    one = output_tree(clean_outputs[1])
    assert len(one) > 3 * N, "every article page and the list pages"
    assert tree_difference(output_tree(clean_outputs[jobs]), one) == ""
    assert not (clean_outputs[jobs] / STAGING).exists()


def test_an_incremental_parallel_build_matches_a_clean_one(big_site, clean_outputs, tmp_path):
    """The cache and the pool together: cached bodies reach the workers intact."""
    site = tmp_path / "site"
    shutil.copytree(big_site / "content", site / "content")
    shutil.copytree(big_site / "templates", site / "templates")
    shutil.copy(big_site / "pyproject.toml", site / "pyproject.toml")
    ok(masthead("build", "--site", site, "--jobs", "2"))
    assert tree_difference(output_tree(site / "output"), output_tree(clean_outputs[1])) == ""

    template = site / "templates" / "article.html"
    template.write_text(template.read_text("utf-8").replace("<h1>", "<h1 >", 1), "utf-8")
    result = ok(masthead("build", "--site", site, "--jobs", "2", "-v"))
    assert f"0 parsed, {N} from the cache" in result.stdout
    assert f"{N} rendered" in result.stdout, "every article page, in the pool"

    template.write_text(template.read_text("utf-8").replace("<h1 >", "<h1>", 1), "utf-8")
    ok(masthead("build", "--site", site, "--jobs", "2"))
    assert tree_difference(output_tree(site / "output"), output_tree(clean_outputs[1])) == ""


ERROR_SITE_SIZE = POOL_THRESHOLD + 32  # past the pool threshold, yet quick to render

TEMPLATE_ERRORS = {
    # Fails on some article pages only (those whose title ends in "s"), at run time.
    "undefined on some pages": (
        "<h1>",
        '{% if article.title.endswith("s") %}{{ article.no_such_field }}{% endif %}<h1>',
    ),
    # Fails on every article page, when the template is compiled.
    "syntax error": ("<h1>", "{% if %}<h1>"),
    # Fails on every article page with an exception from Python code.
    "division by zero": ("<h1>", "{{ 1 // (article.title|length - article.title|length) }}<h1>"),
}


@pytest.mark.parametrize("kind", sorted(TEMPLATE_ERRORS))
def test_a_template_error_is_reported_identically_whatever_the_number_of_workers(tmp_path, kind):
    site = tmp_path / "site"
    generate_site(site, ERROR_SITE_SIZE, per_page=5, seed=3)
    template = copy_theme_template(site, "article.html")
    old, new = TEMPLATE_ERRORS[kind]
    text = template.read_text("utf-8")
    assert old in text
    template.write_text(text.replace(old, new, 1), "utf-8")

    results = {}
    for jobs in (1, 2):
        output = tmp_path / f"out-{jobs}"
        results[jobs] = masthead(
            "build", "--site", site, "--no-cache", "--jobs", jobs, "--output", output
        )
        assert results[jobs].returncode == 1, results[jobs].stderr
        assert "templates/article.html" in results[jobs].stderr
        assert not output.exists() or output_tree(output, ignore=()) == {}, "nothing written"
    one, two = results[1], results[2]
    assert two.stderr == one.stderr
    assert _without_seconds(two.stdout) == _without_seconds(one.stdout)
    assert len(one.stderr.splitlines()) == 1, f"one problem for the whole template:\n{one.stderr}"


def _without_seconds(text: str) -> str:
    """The summary line ends with the build time; that may differ."""
    return "\n".join(line.rsplit(";", 1)[0] for line in text.splitlines())
