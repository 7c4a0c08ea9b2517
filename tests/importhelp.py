"""Run ``masthead import`` in this process and read what it wrote, for the importer tests.

``run_import(capsys, site, "page", FILE, "--category", "X")`` runs the command line as a
person would (``masthead.cli.main``) and returns an ``Outcome``: the exit code, what was
printed, and which original went to which file. ``article(path)`` reads an imported file
back as (front matter, body), with masthead's own YAML loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown

from masthead.cli import main
from masthead.matter import load_yaml

FIXTURES = Path(__file__).resolve().parent / "import_fixtures"
PAGES = FIXTURES / "pages"
FEEDS = FIXTURES / "feeds"
REPO = Path(__file__).resolve().parent.parent
_IMPORTED = re.compile(r"^  (?:imported|would import) (?P<shown>.+) -> (?P<rel>\S.*)$", re.M)
_SKIPPED = re.compile(r"^  skipped (?P<shown>.+): already imported as (?P<rel>\S.*)$", re.M)
_FAILED = re.compile(r"^(?P<shown>.+?): error: (?P<reason>.+)$", re.M)


@dataclass
class Outcome:
    """What one ``masthead import`` run did and said."""

    code: int
    out: str
    err: str
    site: Path

    @property
    def imported(self) -> dict[str, str]:
        """Where each original went: {as shown: file below the site}."""
        return {m["shown"]: m["rel"] for m in _IMPORTED.finditer(self.out)}

    @property
    def skipped(self) -> dict[str, str]:
        """Originals skipped as already imported: {as shown: the file that has it}."""
        return {m["shown"]: m["rel"] for m in _SKIPPED.finditer(self.out)}

    @property
    def failed(self) -> dict[str, str]:
        """Originals that failed: {as shown: why}."""
        return {m["shown"]: m["reason"] for m in _FAILED.finditer(self.err)}

    @property
    def summary(self) -> str:
        """The last line printed: "masthead import page: 2 imported, 0 skipped, 0 failed"."""
        return self.out.strip().splitlines()[-1]

    def article(self, shown_end: str) -> tuple[dict[str, Any], str]:
        """The front matter and body of the file made from the original whose name (as
        shown) ends with ``shown_end``."""
        matches = [rel for shown, rel in self.imported.items() if shown.endswith(shown_end)]
        assert len(matches) == 1, f"{shown_end}: {self.imported}\n{self.err}"
        return article(self.site / matches[0])

    def notes(self, shown_end: str) -> list[str]:
        """The warnings printed about one original."""
        return [
            line.split(": warning: ", 1)[1]
            for line in self.err.splitlines()
            if ": warning: " in line and line.split(": warning: ")[0].endswith(shown_end)
        ]


def run_import(capsys: Any, site: Path, kind: str, *args: str | Path) -> Outcome:
    """``masthead import KIND --site SITE ARGS``, in this process."""
    code = main(["import", kind, "--site", str(site), *map(str, args)])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err, site)


def article(path: Path) -> tuple[dict[str, Any], str]:
    """An article file's front matter (as masthead reads it) and body."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), text[:80]
    front, _, body = text[4:].partition("\n---\n")
    fields, _ = load_yaml(front)
    return fields, body.strip()


def build_ok(capsys: Any, site: Path) -> str:
    """Build the site (one process, no cache) and require no error at all."""
    code = main(["build", "--site", str(site), "--jobs", "1", "--no-cache"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert ": error:" not in captured.err, captured.err
    return captured.err


def rendered(body: str) -> str:
    """A body as the default engine renders it (Python-Markdown, extra + sane_lists)."""
    return markdown.markdown(body, extensions=["extra", "sane_lists"])
