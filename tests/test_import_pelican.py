"""``masthead import pelican``: the fixture site in import_fixtures/sites/pelican (settings
parsed, never run; a sub-path SITEURL in publishconf.py; categories from folders; a
translation; drafts and hidden articles; {filename}, {static}, {attach}, {tag}, {category}
links), imported, built, link-checked and redirect-checked."""

from __future__ import annotations

import importlib.util

import pytest
from importsites import FIXTURES, broken_links, build, check_every_old_url, new_site, run_import

from masthead.importers.pelican import DEFAULTS, read_settings, slugify

ELECTIONS = "pelican:content/world/2020-02-03-elections.md"
FRENCH = "pelican:content/fr/elections.md"
BUDGET = "pelican:content/economy/budget.md"
HIDDEN = "pelican:content/economy/hidden.md"
DRAFT = "pelican:content/drafts/wip.md"
OLD_URLS = {
    ELECTIONS: ["/news/2020/02/elections/"],
    FRENCH: ["/news/fr/elections.html"],
    BUDGET: ["/news/2020/03/budget-2020/"],
}
HAS_DOCUTILS = importlib.util.find_spec("docutils") is not None


@pytest.fixture
def imported(tmp_path, capsys):
    return run_import(capsys, new_site(tmp_path), "pelican")


def test_every_article_imports_and_the_site_builds_without_broken_links(imported, capsys):
    if HAS_DOCUTILS:
        assert imported.code == 0 and "6 imported, 0 skipped, 0 failed" in imported.out
    else:  # reStructuredText needs docutils, which masthead does not require
        assert imported.code == 1 and "5 imported, 0 skipped, 1 failed" in imported.out
        assert "notes.rst: error: reStructuredText needs docutils" in imported.err
    site = build(capsys, imported.site)
    assert broken_links(site) == []
    check_every_old_url(site, imported, OLD_URLS)


def test_front_matter_is_mapped(imported):
    elections, _ = imported.by_origin(ELECTIONS)
    assert elections["date"] == "2020-02-03T00:00:00+01:00"  # from the file name
    assert elections["category"] == "world"  # the folder (USE_FOLDER_AS_CATEGORY)
    assert elections["authors"] == ["Claire Dubois", "Jean Martin"]
    assert elections["tags"] == ["elections", "vote"]
    assert elections["summary"] == "Voters go to the polls."
    assert elections["slug"] == "elections" and elections["source"] == "The Pelican Post"
    french, _ = imported.by_origin(FRENCH)  # the translation gets the language suffix
    assert french["lang"] == "fr" and french["slug"] == "elections-fr"
    budget, _ = imported.by_origin(BUDGET)
    assert budget["updated"] == "2020-03-02T08:00:00+01:00"
    hidden, _ = imported.by_origin(HIDDEN)
    assert hidden["draft"] is True and hidden["aliases"] == ["/news/2020/04/hidden-note/"]
    assert "Status: hidden: masthead has no unlisted articles" in imported.err
    draft, _ = imported.by_origin(DRAFT)
    assert draft["draft"] is True and "aliases" not in draft
    assert draft["authors"] == ["Desk Editor"]  # AUTHOR


def test_intrasite_links_are_rewritten(imported):
    _, body = imported.by_origin(ELECTIONS)
    assert "[budget](/2020/03/01/budget-2020/)" in body  # {filename}/...
    assert "![chart](/static/images/chart.png)" in body  # {static}
    assert "[election news](/tag/elections/)" in body  # {tag}
    assert "[economy](/category/economy/)" in body  # {category}
    assert "[the French version](/2020/02/03/elections-fr/)" in body  # {filename}../
    assert '```python\nprint("{filename} is not a link here")\n```' in body  # :::python
    assert "plugin tag `[unconverted: link: {tag}nothing]`" in body
    assert "`[unconverted: {% youtube abc %}]`" in body
    _, budget = imported.by_origin(BUDGET)
    assert "[elections](/2020/02/03/elections/#results)" in budget
    assert "[chart](/static/images/chart.png)" in budget  # {attach}
    assert "2020-02-03-elections.md:14: warning: template tag not converted" in imported.err


def test_importing_twice_adds_nothing(imported, capsys):
    again = run_import(capsys, imported.site, "pelican")
    assert "0 imported, 5 skipped" in again.out


def test_settings_are_parsed_never_run(tmp_path):
    marker = tmp_path / "ran"
    text = (
        "import os\n"
        f"open({str(marker)!r}, 'w')\n"
        "ARTICLE_URL = 'posts/{slug}/'\n"
        "ARTICLE_SAVE_AS = ARTICLE_URL + 'index.html'\n"
        "THEME = os.path.join('a', 'b')\n"
        "TIMEZONE: str = 'Asia/Tokyo'\n"
    )
    settings = read_settings(text, DEFAULTS)
    assert not marker.exists()
    assert settings["ARTICLE_SAVE_AS"] == "posts/{slug}/index.html"
    assert settings["TIMEZONE"] == "Asia/Tokyo" and "THEME" not in settings
    assert (FIXTURES / "pelican" / "pelicanconf.py").is_file()


def test_slugify_as_pelican():
    assert slugify("Élections aujourd'hui!", DEFAULTS) == "elections-aujourdhui"
    assert slugify("Élections", {**DEFAULTS, "SLUGIFY_USE_UNICODE": True}) == "élections"
