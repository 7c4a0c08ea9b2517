"""``masthead import hugo``: the fixture site in import_fixtures/sites/hugo (two languages in
their own content folders, permalinks and params in config/_default/, TOML and YAML front
matter, a page bundle, shortcodes), imported, built, link-checked and redirect-checked."""

from __future__ import annotations

import pytest
from importsites import broken_links, build, check_every_old_url, new_site, run_import

from masthead.importers.hugo import urlize

FIRST = "hugo:content/en/posts/2019-04-01-first-light.md"
BUNDLE = "hugo:content/en/posts/bundle-story/index.md"
EXPIRED = "hugo:content/en/posts/expired.md"
DRAFT = "hugo:content/en/posts/wip.md"
GERMAN = "hugo:content/de/posts/erste.md"
OLD_URLS = {
    FIRST: ["/2019/04/first-light-over-the-harbour/", "/old/first-light.html"],
    BUNDLE: ["/2019/05/bundle/"],
    GERMAN: ["/de/2019/04/erstes-licht-über-dem-hafen/"],
}


@pytest.fixture
def imported(tmp_path, capsys):
    return run_import(capsys, new_site(tmp_path), "hugo")


def test_every_post_imports_and_the_site_builds_without_broken_links(imported, capsys):
    assert imported.code == 0, imported.err
    # about.md (no section) and notes/ (not in mainSections) are not posts
    assert "5 imported, 0 skipped, 0 failed" in imported.out
    site = build(capsys, imported.site)
    assert broken_links(site) == []
    check_every_old_url(site, imported, OLD_URLS)


def test_front_matter_is_mapped(imported):
    first, _ = imported.by_origin(FIRST)  # TOML, date from the file name (frontmatter.date)
    assert first["date"] == "2019-04-01T00:00:00+02:00"
    assert first["authors"] == ["Lena Fischer"]  # an author map
    assert first["category"] == "Science" and first["tags"] == ["Space", "Harbour"]
    assert first["slug"] == "first-light"
    bundle, _ = imported.by_origin(BUNDLE)
    assert bundle["authors"] == ["Lena Fischer", "Max Weber"]
    assert bundle["slug"] == "bundle" and bundle["updated"] == "2019-05-03T00:00:00+02:00"
    assert bundle["image"] == "/static/2019/05/bundle/photo.png"
    assert (imported.site / "templates/static/2019/05/bundle/photo.png").is_file()
    german, _ = imported.by_origin(GERMAN)
    assert german["lang"] == "de"
    expired, _ = imported.by_origin(EXPIRED)
    assert expired["draft"] is True and expired["aliases"] == ["/2019/06/old-offer/"]
    assert "expired on 2019-07-01 (expiryDate): imported as a draft" in imported.err
    draft, _ = imported.by_origin(DRAFT)
    assert draft["draft"] is True and "aliases" not in draft


def test_shortcodes_are_converted_or_visibly_marked(imported):
    _, body = imported.by_origin(FIRST)
    assert (
        '<figure>\n<img src="/static/images/logo.png" alt="Telescope">\n'
        "<figcaption>The new telescope</figcaption>\n</figure>"
    ) in body
    assert '```go\nfunc main() { fmt.Println("{{ .Title }}") }\n```' in body
    assert "[bundle story](/2019/05/02/bundle/)" in body  # ref
    assert "[German one](/2019/04/02/erste/)" in body  # relref
    assert 'as {{< figure src="x" >}} in docs' in body  # an escaped shortcode, as text
    _, bundle = imported.by_origin(BUNDLE)
    assert "![A photo](/static/2019/05/bundle/photo.png)" in bundle  # a bundle resource
    assert "[first light](/2019/04/01/first-light/#top)" in bundle  # a link to a .md file
    assert "<https://www.youtube.com/watch?v=dQw4w9WgXcQ>" in bundle
    assert (
        '`[unconverted: {{< myshortcode "x" >}}]`inner text`[unconverted: {{< /myshortcode >}}]`'
    ) in bundle
    assert "bundle-story/index.md:14: warning: template tag not converted" in imported.err


def test_importing_twice_adds_nothing(imported, capsys):
    again = run_import(capsys, imported.site, "hugo")
    assert again.code == 0 and "0 imported, 5 skipped, 0 failed" in again.out


def test_lang_and_section_choose(tmp_path, capsys):
    site = new_site(tmp_path)
    result = run_import(capsys, site, "hugo", "--lang", "de")
    assert [f["lang"] for f, _ in result.articles().values()] == ["de"]
    _, body = result.by_origin(GERMAN)
    assert "`[unconverted: link: /2019/04/first-light-over-the-harbour/]`" in body
    assert broken_links(build(capsys, site)) == []
    other = new_site(tmp_path / "other")
    notes = run_import(capsys, other, "hugo", "--section", "notes")
    assert "0 imported, 0 skipped, 1 failed" in notes.out  # a note with no category
    assert "could not determine category (give --category)" in notes.err


def test_old_permalink_and_ugly_urls(tmp_path, capsys):
    site = new_site(tmp_path)
    result = run_import(capsys, site, "hugo", "--old-permalink", "/:section/:year/:filename/")
    front, _ = result.by_origin(BUNDLE)
    assert front["aliases"] == ["/posts/2019/bundle-story/"]


def test_urlize():
    assert urlize("Hello, World & Friends!") == "hello-world-friends"
