"""Import a fixture site (Jekyll, Hugo, Pelican) into a fresh masthead site, build it, and
check what the import promises: no broken internal link, every old URL a redirect page that
leads to its article.

The fixture sites live in ``tests/import_fixtures/sites/<generator>/``; each test copies
nothing from them (importers only read) and writes the masthead site below ``tmp_path``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from test_html_output import Site, parse_page, target_of

from masthead.cli import main

FIXTURES = Path(__file__).resolve().parent / "import_fixtures" / "sites"
PYPROJECT = """\
[tool.masthead]
title = "Imported"
base_url = "{base_url}"
timezone = "Asia/Karachi"
language = "en"
"""


@dataclass
class Imported:
    site: Path
    code: int
    out: str
    err: str

    def articles(self) -> dict[str, tuple[dict, str]]:
        """Every article written: {path below content/: (front matter, body)}."""
        found = {}
        for path in sorted((self.site / "content").rglob("*.md")):
            _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
            found[path.relative_to(self.site / "content").as_posix()] = (
                yaml.safe_load(front),
                body,
            )
        return found

    def by_origin(self, origin: str) -> tuple[dict, str]:
        found = [a for a in self.articles().values() if a[0]["imported_from"] == origin]
        assert len(found) == 1, f"{origin}: {len(found)} articles"
        return found[0]


def new_site(tmp_path: Path, base_url: str = "https://example.org/") -> Path:
    site = tmp_path / "site"
    site.mkdir(parents=True)
    (site / "pyproject.toml").write_text(PYPROJECT.format(base_url=base_url), encoding="utf-8")
    return site


def run_import(capsys, site: Path, kind: str, *args: str) -> Imported:
    code = main(["import", kind, str(FIXTURES / kind), "--site", str(site), *args])
    captured = capsys.readouterr()
    return Imported(site, code, captured.out, captured.err)


def build(capsys, site: Path, *args: str) -> Site:
    """Build the site (no error allowed) and parse every page."""
    code = main(["build", "--site", str(site), "--quiet", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "error" not in captured.err, captured.err
    settings = (site / "pyproject.toml").read_text(encoding="utf-8")
    base_url = re.search(r'base_url = "([^"]+)"', settings).group(1)
    output = site / "output"
    pages = {
        path.relative_to(output).as_posix(): parse_page(
            path.relative_to(output).as_posix(), path.read_text(encoding="utf-8")
        )
        for path in sorted(output.rglob("*.html"))
    }
    return Site(output, base_url, pages)


def broken_links(site: Site) -> list[str]:
    """Every href and src of every page that names no file of the output."""
    broken = []
    for rel, page in site.pages.items():
        for line, attribute, value in page.links:
            target, _, problem = target_of(site, rel, value)
            if problem or (target is not None and not (site.root / target).is_file()):
                broken.append(f"{rel}:{line}: {attribute}={value!r} {problem}")
    return broken


def redirect_target(site: Site, alias: str) -> str:
    """The output file an alias page at ``alias`` (a site path) sends the reader to."""
    rel = alias.lstrip("/")
    rel = rel + "index.html" if rel.endswith("/") or not rel else rel
    if not rel.endswith((".html", ".htm")):
        rel += "/index.html"
    page = site.pages[rel]
    refresh = [value for _, attribute, value in page.links if attribute == "refresh"]
    assert len(refresh) == 1, f"{rel} is not a redirect page"
    target, _, problem = target_of(site, rel, refresh[0])
    assert not problem and target, f"{rel}: {problem}"
    assert (site.root / target).is_file(), f"{rel} redirects to a missing {target}"
    return target


def check_every_old_url(site: Site, imported: Imported, old_urls: dict[str, list[str]]) -> None:
    """Each origin's old URLs (as the old site served them, site paths) redirect to the
    article of that origin, and its aliases are exactly those."""
    for origin, paths in old_urls.items():
        front, _ = imported.by_origin(origin)
        assert front.get("aliases", []) == paths, origin
        article = article_file(front, site)
        for path in paths:
            assert redirect_target(site, path) == article, f"{origin}: {path}"


def article_file(front: dict, site: Site) -> str:
    """The output file of an imported article, found by its slug in the built pages."""
    found = [
        rel
        for rel, page in site.pages.items()
        if re.fullmatch(r"\d{4}/\d{2}/\d{2}/" + re.escape(front["slug"]) + "/index.html", rel)
        and "http-equiv" not in page.text
    ]
    assert len(found) == 1, f"{front['slug']}: {found}"
    return found[0]
