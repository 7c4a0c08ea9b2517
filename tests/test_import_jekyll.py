"""``masthead import jekyll``: the fixture site in import_fixtures/sites/jekyll, imported into
a fresh masthead site, builds with no error, has no broken link, and every old URL of every
post redirects to its new page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from importsites import (
    broken_links,
    build,
    check_every_old_url,
    new_site,
    redirect_target,
    run_import,
)

from masthead.importers.generators import Post, parse_date
from masthead.importers.jekyll import STYLES, expand, jekyll_slugify

SYRIA = "jekyll:_posts/2017-09-23-us-russia-syria.md"
FLOODS = "jekyll:_posts/2018-01-05-karachi-floods.md"
TOKYO = "jekyll:ja/_posts/2018-02-01-tokyo.md"
MARKETS = "jekyll:_posts/2018-03-10-markets.html"
DRAFT = "jekyll:_drafts/secret-plans.md"
OLD_URLS = {
    SYRIA: ["/blog/world/politics/2017/09/23/us-russia-syria.html"],
    FLOODS: ["/blog/special/karachi-floods/"],
    TOKYO: ["/blog/ja/world/2018/02/01/tokyo.html"],
    MARKETS: ["/blog/business/2018/03/10/markets.html"],
}


@pytest.fixture
def imported(tmp_path, capsys):
    site = new_site(tmp_path)
    return run_import(capsys, site, "jekyll")


def test_every_post_imports_and_the_site_builds_without_broken_links(imported, capsys):
    assert imported.code == 0, imported.err
    assert "5 imported, 0 skipped, 0 failed" in imported.out
    site = build(capsys, imported.site)
    assert broken_links(site) == []
    check_every_old_url(site, imported, OLD_URLS)


def test_front_matter_is_mapped(imported):
    front, _ = imported.by_origin(SYRIA)
    assert front["title"] == "US and Russia still far apart over Syria"
    assert front["date"] == "2017-09-23T14:30:00+05:00"
    assert front["category"] == "World"
    assert front["tags"] == ["Politics", "syria", "russia"]  # the other categories become tags
    assert front["authors"] == ["Amina Rao", "Omar Shah"]  # "A and B"
    assert front["source"] == "The Old Gazette"  # the site's title
    assert front["slug"] == "us-russia-syria"
    assert front["image"] == "/static/assets/img/map.png"
    floods, _ = imported.by_origin(FLOODS)
    assert floods["source"] == "Dawn News" and floods["authors"] == ["Amina Rao"]
    markets, _ = imported.by_origin(MARKETS)
    assert markets["authors"] == ["Desk Editor"]  # from _config.yml's defaults
    tokyo, _ = imported.by_origin(TOKYO)
    assert tokyo["lang"] == "ja" and tokyo["category"] == "World"
    draft, _ = imported.by_origin(DRAFT)
    assert draft["draft"] is True and "aliases" not in draft  # never published
    assert (imported.site / "templates/static/assets/img/map.png").is_file()


def test_template_tags_are_converted_or_visibly_marked(imported):
    _, body = imported.by_origin(SYRIA)
    assert "[flood report](/2018/01/05/karachi-floods/)" in body  # post_url
    assert "[map](/static/assets/img/map.png)" in body  # {{ site.baseurl }}
    assert "![The map](/static/assets/img/map.png)" in body  # relative_url
    assert '```ruby\ndef hello\n  puts "{{ not liquid }}"\nend\n```' in body  # highlight
    assert "[Tokyo story](/2018/02/01/tokyo/)" in body  # {% link %}
    assert "(/2018/01/05/karachi-floods/#more)" in body  # an absolute link to the old site
    assert "about us `[unconverted: link: /blog/about/]`" in body  # not imported: no link
    assert "`[unconverted: {% include note.html %}]` before the end." in body
    _, floods = imported.by_origin(FLOODS)
    assert "Liquid like {{ page.title }} is shown as it is." in floods  # raw
    assert "nobody saw" not in floods  # comment
    assert "a draft `[unconverted: {% post_url 2018-03-01-secret-plans %}]` stays" in floods
    _, markets = imported.by_origin(MARKETS)  # an HTML post, now Markdown
    assert "[news of the floods](/2018/01/05/karachi-floods/)" in markets
    assert "{{ raw }} and ![map](/static/assets/img/map.png)" in markets


def test_what_was_not_converted_is_reported_with_its_line(imported):
    lines = imported.err.splitlines()
    syria = "tests/import_fixtures/sites/jekyll/_posts/2017-09-23-us-russia-syria.md"
    assert any(
        line.endswith(
            "_posts/2017-09-23-us-russia-syria.md:21: warning: template tag not converted: "
            "{% include note.html %} (in content/2017/09/us-russia-syria.md)"
        )
        for line in lines
    ), imported.err
    assert any("2018-01-05-karachi-floods.md:17: warning:" in line for line in lines)
    assert syria.split("/")[-1] + ":21: warning: link to /blog/about/ not converted" in imported.err


def test_importing_twice_adds_nothing(imported, capsys, tmp_path):
    before = sorted(p.relative_to(imported.site) for p in imported.site.rglob("*.md"))
    again = run_import(capsys, imported.site, "jekyll")
    assert again.code == 0
    assert "0 imported, 5 skipped, 0 failed" in again.out
    assert sorted(p.relative_to(imported.site) for p in imported.site.rglob("*.md")) == before


def test_dry_run_writes_nothing(tmp_path, capsys):
    site = new_site(tmp_path)
    result = run_import(capsys, site, "jekyll", "--dry-run")
    assert result.code == 0
    assert "5 to import, 0 skipped, 0 failed (dry run: nothing written)" in result.out
    assert sorted(p.name for p in site.iterdir()) == ["pyproject.toml"]


def test_lang_imports_only_the_languages_asked_for(tmp_path, capsys):
    site = new_site(tmp_path)
    result = run_import(capsys, site, "jekyll", "--lang", "ja")
    assert result.code == 0 and "1 imported" in result.out
    ((front, body),) = result.articles().values()
    assert front["lang"] == "ja"
    # its link to a post that was not imported is marked, not broken
    assert "`[unconverted: link: /blog/world/politics/2017/09/23/us-russia-syria.html]`" in body
    assert broken_links(build(capsys, site)) == []


def test_a_sub_path_base_url_takes_the_old_base_path_off(tmp_path, capsys):
    site = new_site(tmp_path, "https://example.org/blog/")
    result = run_import(capsys, site, "jekyll")
    front, body = result.by_origin(SYRIA)
    assert front["aliases"] == ["/world/politics/2017/09/23/us-russia-syria.html"]
    assert "[flood report](/blog/2018/01/05/karachi-floods/)" in body
    built = build(capsys, site)
    assert broken_links(built) == []
    assert (
        redirect_target(built, "/special/karachi-floods/") == "2018/01/05/karachi-floods/index.html"
    )


def test_old_permalink_overrides_the_settings(tmp_path, capsys):
    site = new_site(tmp_path)
    result = run_import(capsys, site, "jekyll", "--old-permalink", "pretty")
    front, _ = result.by_origin(SYRIA)
    assert front["aliases"] == ["/blog/world/politics/2017/09/23/us-russia-syria/"]


def test_fallbacks_fill_what_posts_lack_and_say_so(tmp_path, capsys):
    site = new_site(tmp_path)
    result = run_import(capsys, site, "jekyll", "--source", "Wire")
    front, _ = result.by_origin(SYRIA)
    assert front["source"] == "Wire"
    assert "source from the command line (the original has none)" in result.err
    floods, _ = result.by_origin(FLOODS)
    assert floods["source"] == "Dawn News"


@pytest.mark.parametrize(
    ("style", "url"),
    [
        ("date", "/news/world/2017/09/03/Hello-World!.html"),
        ("pretty", "/news/world/2017/09/03/Hello-World!/"),
        ("ordinal", "/news/world/2017/246/Hello-World!.html"),
        ("none", "/news/world/Hello-World!.html"),
        ("/:year/:i_month/:i_day/:slug", "/2017/9/3/hello-world"),
        ("/:short_year/:long_month/:short_day/:title/", "/17/September/Sun/Hello-World!/"),
    ],
)
def test_permalink_styles_and_placeholders(style, url):
    when = parse_date("2017-09-03 10:00", ZoneInfo("UTC"))
    post = Post(file=None, rel="", body="", body_line=1)  # type: ignore[arg-type]
    made = expand(STYLES.get(style, style), when, "Hello World!", ["News", "World"], post)
    assert made.replace("//", "/") == url


def test_jekyll_slugify():
    assert jekyll_slugify("Hello, World!") == "hello-world"
    assert jekyll_slugify("Hello, World!", pretty=True) == "Hello,-World!"
    assert jekyll_slugify("snake_case (2)", pretty=True) == "snake-case-(2)"
