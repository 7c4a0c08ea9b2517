"""The README opens with the two commands a newcomer needs, CI runs exactly the second, and
every link between the README and docs/ leads to a file and heading that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = sorted([REPO / "README.md", REPO / "CONTRIBUTING.md", *(REPO / "docs").glob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")


def commands(text: str) -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", text, re.DOTALL)


def test_the_readme_opens_with_an_install_and_build_command_and_a_test_command():
    text = (REPO / "README.md").read_text("utf-8")
    first, second = commands(text)[:2]
    assert "pip install" in first and "python build.py" in first
    assert second.endswith("python -m pytest")
    assert text.index(first) < text.index("## ")  # before any section


def test_ci_runs_exactly_the_readmes_test_command():
    second = commands((REPO / "README.md").read_text("utf-8"))[1]
    assert second in (REPO / ".ci" / "run").read_text("utf-8")


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    found = set()
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_local_link_resolves(doc):
    broken = []
    text = re.sub(r"```.*?```|`[^`\n]*`", "", doc.read_text("utf-8"), flags=re.DOTALL)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not ours to check here
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    assert not broken, broken
