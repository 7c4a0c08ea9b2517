"""Hostile or careless input found in review, each class with its fix: never a traceback,
never a hang, never a file lost or published by mistake."""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sitegen import CACHE_DIR, CACHE_FILE, REPO, masthead, ok

from masthead.manifest import read_manifest
from masthead.model import BuildOptions
from masthead.preview import serve as preview_serve
from masthead.write import OutputError, OutputWriter

# -- templates ---------------------------------------------------------------------------------


def test_a_template_that_is_not_utf8_is_one_line_naming_it(make_site, md):
    site = make_site({"content/a.md": md(), "templates/article.html": b"<p>\xff\xfe</p>"})
    for command in ("check", "build"):
        done = masthead(command, "--site", site)
        assert done.returncode == 1, done.stderr
        assert (
            "templates/article.html: error: not valid UTF-8 (byte 0xff); save the template as UTF-8"
            in done.stderr
        )
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_template_nesting_too_deeply_is_one_line(make_site, md):
    deep = "{{" + "(" * 2000 + "1" + ")" * 2000 + "}}"
    site = make_site({"content/a.md": md(), "templates/article.html": deep})
    done = masthead("build", "--site", site)
    assert done.returncode == 1
    assert "templates/article.html: error: the template nests too deeply" in done.stderr


def test_keep_going_keeps_the_last_good_page_of_a_template_that_fails(make_site, md):
    site = make_site({"content/2020/a.md": md("Good article", date="2020-01-02")})
    ok(masthead("build", "--site", site))
    page = site / "output/2020/01/02/good-article/index.html"
    before = page.read_bytes()
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/article.html").write_text("{{ 1/0 }}")
    done = masthead("build", "--site", site, "--keep-going")
    assert done.returncode == 1
    assert page.read_bytes() == before  # not pruned while listings still link to it
    assert "good-article" in read_manifest(site / "output").files.__repr__()


# -- commands ------------------------------------------------------------------------------------


def test_init_refuses_the_home_folder_and_a_dangling_templates_link(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "masthead.cli", "init", str(home)],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2 and "home folder" in done.stderr
    assert list(home.iterdir()) == []
    site = tmp_path / "t2"
    site.mkdir()
    (site / "templates").symlink_to("nowhere")
    done = masthead("init", site)
    assert done.returncode == 2 and "is a link to nothing" in done.stderr
    assert sorted(p.name for p in site.iterdir()) == ["templates"]  # nothing half-written


def test_new_with_a_title_starting_with_a_combining_mark_builds(make_site):
    site = make_site({})
    ok(masthead("new", "\u0301Floods hit", "--category", "N", "--source", "W", "--site", site))
    ok(masthead("check", "--site", site))


def test_a_missing_site_folder_is_refused_and_nothing_is_created(tmp_path):
    done = masthead("build", "--site", tmp_path / "typo" / "site")
    assert done.returncode == 2
    assert "no site folder here" in done.stderr
    assert not (tmp_path / "typo").exists()


# -- the cache and the output folder -------------------------------------------------------------


def test_the_cache_inside_the_output_folder_is_refused(make_site, md):
    site = make_site({"content/a.md": md()})
    done = masthead("build", "--site", site, "--cache-dir", site / "output")
    assert done.returncode == 2
    assert "holds every source, drafts too" in done.stderr
    site2 = make_site(
        {
            "content/a.md": md(),
            "pyproject.toml": '[tool.masthead]\noutput_dir = ".masthead-cache"\n',
        }
    )
    assert masthead("build", "--site", site2).returncode == 2


def test_a_static_folder_leading_into_the_output_is_refused(make_site, md):
    site = make_site({"content/a.md": md()})
    (site / "templates").mkdir()
    (site / "templates/static").symlink_to("../output")
    done = masthead("build", "--site", site)
    assert done.returncode == 2
    assert "templates/static (which leads to" in done.stderr


class _Runs:
    def __reduce__(self):
        return (os.system, ("touch /tmp/masthead-pwned-by-cache",))


def test_a_forged_cache_row_is_never_run(make_site, md):
    marker = Path("/tmp/masthead-pwned-by-cache")
    marker.unlink(missing_ok=True)
    site = make_site({"content/a.md": md()})
    ok(masthead("build", "--site", site))
    db = sqlite3.connect(site / CACHE_DIR / CACHE_FILE)
    db.execute("UPDATE sources SET meta = ?, mtime_ns = 0", (pickle.dumps(_Runs()),))
    db.commit()
    db.close()
    done = ok(masthead("check", "--site", site))
    assert not marker.exists()
    assert "no errors" in done.stdout


def test_a_file_made_in_the_output_while_the_build_runs_is_not_replaced(tmp_path):
    output = tmp_path / "output"
    writer = OutputWriter(output)
    writer.add("robots.txt", b"User-agent: *\n")
    (output / "robots.txt").write_bytes(b"mine\n")  # appears after planning
    try:
        writer.commit()
    except OutputError as exc:
        assert "appeared there while the build ran" in str(exc)
    else:
        raise AssertionError("the commit replaced a file it did not write")
    assert (output / "robots.txt").read_bytes() == b"mine\n"


def test_percent_encoded_aliases_are_files_a_host_serves(make_site, md):
    site = make_site(
        {"content/a.md": md(aliases='["/old/my%20story.html", "/news/caf%C3%A9/", "/a/%2e%2e/x"]')}
    )
    done = masthead("build", "--site", site)
    assert done.returncode == 1  # the %2e%2e one
    assert "'..' segments" in done.stderr
    site = make_site({"content/a.md": md(aliases='["/old/my%20story.html", "/news/caf%C3%A9/"]')})
    ok(masthead("build", "--site", site))
    assert (site / "output/old/my story.html").is_file()
    assert (site / "output/news/café/index.html").is_file()


# -- the preview server ------------------------------------------------------------------------


def test_clean_leaves_a_running_previews_folder_alone(make_site, md):
    site = make_site({"content/a.md": md()})
    with preview_serve.preview_folder(site) as folder:
        (folder / "index.html").write_text("live")
        assert preview_serve.remove_preview(site / CACHE_DIR) is None
        done = ok(masthead("clean", "--site", site))
        assert "a preview server (masthead serve) is running" in done.stderr
        assert (folder / "index.html").read_text() == "live"


def test_an_internal_error_in_serve_is_one_line_without_debug(make_site, md, monkeypatch):
    from masthead.preview import watch

    site = make_site({"content/a.md": md()})

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(watch, "build", broken)
    quiet = watch.Preview(site, BuildOptions(output=str(site / "p")))
    outcome = quiet._build(None)
    assert outcome.crash == ""
    assert "rerun masthead serve with --debug" in outcome.problems[0].message
    loud = watch.Preview(site, BuildOptions(output=str(site / "p")), debug=True)
    assert "Traceback" in loud._build(None).crash


# -- names, languages, URLs ---------------------------------------------------------------------


def test_a_name_is_capped_so_one_article_cannot_multiply_into_gigabytes(make_site, md):
    site = make_site({"content/a.md": md(category='"' + "Breaking " * 5000 + '"')})
    done = masthead("check", "--site", site)
    assert done.returncode == 1
    assert "category: has 44,999 characters; at most 300: shorten it" in done.stderr
    site = make_site({"content/a.md": md(tags="[" + ", ".join(f"t{n}" for n in range(500)) + "]")})
    assert "tags: has 500 items; at most 200" in masthead("check", "--site", site).stderr


def test_one_articles_own_alias_variants_are_one_redirect(make_site, md):
    site = make_site(
        {"content/a.md": md(aliases='["/old/story", "/old/story/", "/old/story/index.html"]')}
    )
    ok(masthead("build", "--site", site))
    assert (site / "output/old/story/index.html").is_file()


def test_names_in_nfc_and_nfd_are_one_term(make_site, md):
    site = make_site(
        {
            "content/a.md": md("One", tags='["caf\u00e9"]'),
            "content/b.md": md("Two", tags='["cafe\u0301"]'),
        }
    )
    done = ok(masthead("build", "--site", site))
    assert "error" not in done.stderr
    assert (site / "output/tag/caf\u00e9/index.html").is_file()


def test_line_separators_and_bidi_marks_are_escaped_in_messages(make_site, md):
    site = make_site({"content/a\u2028b\u200f.md": md(date="someday")})
    done = masthead("check", "--site", site)
    [line] = done.stderr.splitlines()
    assert "\\u2028" in line and "\\u200f" in line


def test_a_language_with_a_trailing_newline_is_refused(make_site, md):
    site = make_site({"content/a.md": md(lang='"en\\n"')})
    assert masthead("check", "--site", site).returncode == 1
    site = make_site({"content/a.md": md(lang="en-US-u-ca-gregory")})
    ok(masthead("check", "--site", site))


def test_robots_txt_is_plain_text_and_base_urls_with_odd_characters_are_refused(make_site, md):
    site = make_site(
        {
            "pyproject.toml": '[tool.masthead]\nbase_url = "https://example.org/r&d/"\n',
            "content/a.md": md(),
        }
    )
    ok(masthead("build", "--site", site))
    assert (
        "Sitemap: https://example.org/r&d/sitemap.xml" in (site / "output/robots.txt").read_text()
    )
    for bad in (
        'https://example.org/a\\"b/',
        "https://user:pass@example.org/",
        "https://example.org/../x/",
    ):
        site = make_site(
            {"pyproject.toml": f"[tool.masthead]\nbase_url = '{bad}'\n", "content/a.md": md()}
        )
        assert masthead("build", "--site", site).returncode == 2, bad


def test_a_waiting_build_survives_the_first_removing_the_output_folder(make_site, md):
    from masthead.lock import output_lock, release_folder_if_empty

    site = make_site({"content/a.md": md()})
    output = site / "output"
    with output_lock(output):
        proc = subprocess.Popen(
            [sys.executable, "-m", "masthead.cli", "build", "--site", str(site)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        release_folder_if_empty(output)  # a first build that failed leaves no folder
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (output / "index.html").is_file()


def test_a_dangling_output_link_is_refused_saying_so(make_site, md):
    site = make_site({"content/a.md": md()})
    (site / "output").symlink_to(site / "nowhere")
    done = masthead("build", "--site", site)
    assert done.returncode == 2
    assert "which does not exist; make that folder, or remove the link" in done.stderr


def test_a_missing_include_is_blamed_on_the_template_that_includes_it(make_site, md):
    from sitegen import THEME

    base = (THEME / "base.html").read_text().replace("<body", '{% include "nope.html" %}<body', 1)
    site = make_site({"content/a.md": md(), "templates/base.html": base})
    done = masthead("build", "--site", site)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if "nope.html" in line]
    assert lines and all(line.startswith("templates/base.html:") for line in lines)


def test_classic_mac_line_endings_are_read(make_site, md):
    site = make_site({"content/a.md": md().replace("\n", "\r").encode()})
    ok(masthead("check", "--site", site))
