"""``masthead init`` and ``masthead new``: one-line errors (exit 2), never a traceback, never
an overwritten file; new articles read back exactly and keep their slug."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from masthead import matter
from masthead.article import parse_article
from masthead.cli import main
from masthead.config import SiteConfig
from masthead.model import ProblemsError
from masthead.scaffold import init_site, new_article

NOW = datetime(2017, 9, 23, 8, 15, tzinfo=UTC)


def run(capsys, *args: str) -> tuple[int, list[str]]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err.splitlines()


def new(site: Path, title: str, **more) -> Path:
    more.setdefault("category", "World")
    more.setdefault("source", "Wire")
    return new_article(site, SiteConfig(), title, now=NOW, **more)


def refusal(call) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        call()
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    init_site(tmp_path / "site", NOW)
    return tmp_path / "site"


def test_new_writes_the_slug_and_reads_back_exactly(site):
    path = new(site, "Floods hit Karachi", authors=("Amina Rao",), tags=("Floods",))
    assert path == site / "content/2017/09/floods-hit-karachi.md"
    text = path.read_text(encoding="utf-8")
    assert "\nslug: floods-hit-karachi\n" in text
    article, problems = parse_article("2017/09/x.md", text, SiteConfig())
    assert problems == []
    assert (article.title, article.slug, article.url) == (
        "Floods hit Karachi",
        "floods-hit-karachi",
        "2017/09/23/floods-hit-karachi/",
    )


def test_new_keeps_the_slug_when_the_title_changes(site):
    path = new(site, "Floods hit Karachi")
    edited = path.read_text(encoding="utf-8").replace(
        "title: Floods hit Karachi", "title: Floods hit Sindh"
    )
    article, _ = parse_article("2017/09/x.md", edited, SiteConfig())
    assert article.slug == "floods-hit-karachi"


def test_new_with_a_very_long_title_cuts_the_slug_and_the_file_name_fits(site):
    title = "Floods hit Karachi again as the monsoon " * 20
    path = new(site, title)
    assert len(path.stem) <= 80 and path.stem.endswith("monsoon")
    urdu = new(site, "کراچی میں سیلاب " * 60)
    assert len(urdu.name.encode()) <= 255
    article, problems = parse_article("x.md", urdu.read_text(encoding="utf-8"), SiteConfig())
    assert problems == [] and article.slug == urdu.stem


def test_new_titles_with_any_characters_read_back(site):
    for title in [
        'He said: "no" # not a comment',
        "- [list] {map} &a *b !tag",
        "null",
        "2017-09-23",
        "tab\there\x01",
    ]:
        path = new(site, title + " story")
        _article, problems = parse_article("x.md", path.read_text(encoding="utf-8"), SiteConfig())
        assert problems == [], (title, problems)


def test_new_onto_an_existing_file_is_refused_and_the_file_kept(site, capsys):
    assert run(capsys, "new", "Floods", "--category", "C", "--source", "S", "--site", site)[0] == 0
    [path] = site.glob("content/*/*/floods.md")
    before = path.read_bytes()
    code, err = run(capsys, "new", "Floods", "--category", "C", "--source", "S", "--site", site)
    assert code == 2
    [line] = err
    assert line.endswith("floods.md: error: already exists; choose another title or edit that file")
    assert path.read_bytes() == before


def test_new_onto_a_dangling_link_is_refused(site):
    (site / "content/2017/09").mkdir(parents=True, exist_ok=True)
    os.symlink("nowhere", site / "content/2017/09/floods.md")
    [line] = refusal(lambda: new(site, "Floods"))
    assert line.endswith("floods.md: error: already exists; choose another title or edit that file")


def test_new_when_content_is_a_file_names_it(tmp_path, capsys):
    (tmp_path / "content").write_text("not a folder")
    code, err = run(capsys, "new", "Floods", "--category", "C", "--source", "S", "--site", tmp_path)
    assert code == 2
    assert (
        err[-1]
        == f"{tmp_path / 'content'}: error: is a file, not a folder; rename or move that file"
    )


def test_new_when_the_folder_cannot_be_created_is_one_line(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    [line] = refusal(lambda: new(tmp_path, "Floods"))
    assert line.endswith("error: cannot create the folder: Permission denied")


def test_new_when_the_file_cannot_be_written_is_one_line(site, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "open", refuse)
    [line] = refusal(lambda: new(site, "Floods"))
    assert line.endswith("floods.md: error: cannot write the file: No space left on device")


def test_new_refuses_names_that_make_no_url(site):
    assert refusal(lambda: new(site, "!!!", category="", tags=("??",))) == [
        'title: error: "!!!" needs letters or digits to make a URL from',
        '--category: error: "" needs letters or digits to make a URL from',
        '--tag: error: "??" needs letters or digits to make a URL from',
    ]


def test_new_refuses_undecodable_arguments(site):
    assert refusal(lambda: new(site, "abc\udcff")) == [
        'title: error: "abc\\udcff" is not valid UTF-8; retype it'
    ]


def test_init_onto_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, err = run(capsys, "init", tmp_path / "afile")
    assert code == 2
    assert err == [
        f"{tmp_path / 'afile'}: error: is a file, not a folder; choose a new or empty folder for the site"
    ]


def test_init_below_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, err = run(capsys, "init", tmp_path / "afile" / "site")
    assert code == 2
    assert err == [
        f"{tmp_path / 'afile'}: error: is a file, not a folder; rename or move that file"
    ]


@pytest.mark.parametrize("existing", ["pyproject.toml", "content"])
def test_init_refuses_an_existing_site_and_writes_nothing(tmp_path, existing):
    (tmp_path / existing).write_text("x")
    before = sorted(p.name for p in tmp_path.iterdir())
    [line] = refusal(lambda: init_site(tmp_path, NOW))
    assert line.endswith(f"already holds a site ({existing}); choose an empty folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_init_when_templates_is_a_file_writes_nothing(tmp_path):
    (tmp_path / "templates").write_text("x")
    [line] = refusal(lambda: init_site(tmp_path, NOW))
    assert line.endswith("templates: error: is a file; masthead needs a templates folder there")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["templates"]


def test_init_keeps_an_existing_gitignore(tmp_path):
    (tmp_path / ".gitignore").write_text("mine\n")
    init_site(tmp_path, NOW)
    assert (tmp_path / ".gitignore").read_text() == "mine\n"


def test_init_in_a_folder_with_quotes_and_backslashes_writes_valid_settings(tmp_path, capsys):
    folder = tmp_path / 'The "Daily" \\ News'
    code, _ = run(capsys, "init", folder)
    assert code == 0
    code, err = run(capsys, "check", "--site", folder)
    assert (code, err) == (0, [])


def test_the_front_matter_new_writes_uses_the_one_loader(site):
    text = new(site, "Floods").read_text(encoding="utf-8")
    data, _ = matter.load_yaml(text.split("---\n")[1])
    assert data["slug"] == "floods" and data["draft"] is False
