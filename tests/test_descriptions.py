"""Category descriptions in ``_category.md`` files (masthead/descriptions.py): read in the
load stage, shown on the category's pages, wrong ones reported with the rest, an edit
rendering again only the category's pages."""

from __future__ import annotations

from pathlib import Path

from sitegen import article_text, masthead, ok, write_files

from masthead.config import SiteConfig
from masthead.descriptions import is_description, read_descriptions

SITE = """\
[tool.masthead]
title = "Section Times"
timezone = "UTC"
url_ledger = false
search = false
"""

BUSINESS = """\
---
category: Business
---
Markets, companies and the **economy**, from the [wire](https://example.org/wire) and our
own reporters.

Second paragraph.
"""


def _site(root: Path, files: dict[str, str], settings: str = "") -> Path:
    return write_files(
        root,
        {
            "pyproject.toml": SITE + settings,
            "content/2017/09/floods.md": article_text(
                "Floods", "2017-09-20", "National", "Dawn", "Rain.\n"
            ),
            "content/2018/03/budget.md": article_text(
                "Budget", "2018-03-02", "Business", "Wire", "Passed.\n"
            ),
            **files,
        },
    )


def test_only_files_named_category_are_descriptions() -> None:
    assert is_description("_category.md") and is_description("sections/business/_category.md")
    assert not is_description("2017/09/my_category.md")
    assert not is_description("2017/09/_category-report.md")


def test_a_description_file_is_markdown_with_a_plain_summary(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"business/_category.md": BUSINESS})
    config = SiteConfig(summary_length=40)
    (found,), problems = read_descriptions(content, ["business/_category.md"], config)
    assert problems == []
    assert found.name == "Business" and found.source == "content/business/_category.md"
    assert (
        "<strong>economy</strong>" in found.html
        and '<a href="https://example.org/wire">' in found.html
    )
    assert found.text == "Markets, companies and the economy, from…"


def test_wrong_description_files_are_each_reported_with_file_and_line(tmp_path: Path) -> None:
    files = {
        "a/_category.md": "---\ntitle: Business\n---\nText.\n",
        "b/_category.md": "---\ncategory: Sport\ncolour: red\n---\nText.\n",
        "c/_category.md": "---\ncategory: Sport\n---\n\n",
        "d/_category.md": "---\ncategory: [1, 2\n---\nText.\n",
    }
    content = write_files(tmp_path / "content", files)
    found, problems = read_descriptions(content, sorted(files), SiteConfig())
    assert found == ()
    said = [str(problem) for problem in problems]
    assert said[0].startswith(
        "content/a/_category.md:1: error: a category description names its category"
    )
    assert said[1].startswith('content/b/_category.md:3: error: unknown field "colour"')
    assert said[2].startswith("content/c/_category.md:")
    assert 'the description of "Sport" is empty' in said[2]
    assert said[3].startswith("content/d/_category.md:")
    assert len(said) == 4


def test_a_category_described_twice_is_an_error_naming_both(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {"x/_category.md": BUSINESS, "y/_category.md": BUSINESS.replace("Business", "business")},
    )
    config = SiteConfig(categories=(("Business", "From the config."),))
    found, problems = read_descriptions(content, ["x/_category.md", "y/_category.md"], config)
    assert [d.source for d in found] == ["pyproject.toml"]
    assert [str(p) for p in problems] == [
        'content/x/_category.md: error: category "Business" is described in pyproject.toml '
        "already; keep one of the two",
        'content/y/_category.md: error: category "business" is described in pyproject.toml '
        "already; keep one of the two",
    ]


def test_the_category_pages_show_the_file_and_an_edit_renders_only_them(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", {"content/sections/business/_category.md": BUSINESS})
    output = site / "output"
    ok(masthead("build", "--site", site, "--jobs", "1"))
    page = (output / "category/business/index.html").read_text("utf-8")
    assert (
        '<div class="term-description"><p>Markets, companies and the <strong>economy</strong>'
        in page
    )
    assert "<p>Second paragraph.</p></div>" in page
    assert '<meta name="description" content="Markets, companies and the economy, from the' in page
    assert not list(output.rglob("_category*")), "a description is not an article"
    national = (output / "category/national/index.html").read_text("utf-8")
    assert "term-description" not in national

    source = site / "content/sections/business/_category.md"
    source.write_text(BUSINESS.replace("Second paragraph.", "Edited paragraph."), "utf-8")
    again = ok(masthead("build", "--site", site, "--jobs", "1", "-v"))
    assert "; 1 rendered;" in again.stdout  # the category's one page
    assert "<p>Edited paragraph.</p>" in (output / "category/business/index.html").read_text(
        "utf-8"
    )
    unchanged = ok(masthead("build", "--site", site, "--jobs", "1", "-v"))
    assert "0 rendered" in unchanged.stdout or "nothing changed" in unchanged.stdout


def test_a_wrong_description_fails_the_build_with_the_other_problems(tmp_path: Path) -> None:
    site = _site(
        tmp_path / "site",
        {
            "content/_category.md": "---\ncategory: Business\n---\n",
            "content/2019/01/bad.md": "---\ntitle: No date\n---\nText.\n",
        },
    )
    done = masthead("build", "--site", site)
    assert done.returncode != 0
    assert "content/_category.md:" in done.stderr and "is empty" in done.stderr
    assert "content/2019/01/bad.md" in done.stderr
    assert "Traceback" not in done.stderr
