"""Full-text search (masthead/search.py): the search pages, the markup the index reads, the
fingerprint that decides when the index is made again, and a missing or failing binary."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from sitegen import article_text, masthead, ok, write_files

from masthead import urls
from masthead.config import SiteConfig
from masthead.i18n import ENGLISH_WORDS
from masthead.manifest import read_manifest
from masthead.search import (
    SHARD_ARTICLES,
    Shard,
    _packed,
    _read_packed,
    bundle_rels,
    find_binary,
    index_fingerprint,
    language_shards,
    search_pages,
    shard_plan,
    stable_bundle,
)

SEARCH_SITE = """\
[tool.masthead]
title = "Search Gazette"
timezone = "UTC"
base_url = "https://example.org/archive/"
url_ledger = false
"""


def _site(root: Path, extra: str = "") -> Path:
    return write_files(
        root,
        {
            "pyproject.toml": SEARCH_SITE + extra,
            "content/2017/09/floods.md": article_text(
                "Floods hit Karachi",
                "2017-09-20",
                "National",
                "Dawn",
                "Rainwater flooded the streets of the port city.\n",
                authors="[Amina Rao]",
            ),
            "content/2018/03/budget.md": article_text(
                "Budget approved", "2018-03-02", "Business", "Wire", "The council passed it.\n"
            ),
            "content/2019/08/mela.md": article_text(
                '"کراچی میں کتب میلہ"',
                "2019-08-16",
                "Culture",
                "BBC Urdu",
                "ہزاروں افراد کی شرکت\n",
                lang="ur",
                slug="mela",
            ),
        },
    )


def _page(output: Path, slug: str) -> str:
    (found,) = output.glob(f"**/{slug}/index.html")
    return found.read_text("utf-8")


# -- units ------------------------------------------------------------------------------------


def _article(url: str, date: str, lang: str | None = None) -> SimpleNamespace:
    # search_pages and shard_plan read an article's rel, url, lang and date only
    return SimpleNamespace(rel=url + ".md", url=url, lang=lang, date=dt.date.fromisoformat(date))


def test_one_search_page_per_language_each_linking_the_others() -> None:
    en, ur = _article("a/", "2017-09-20"), _article("b/", "2019-08-16", "ur")
    plan = shard_plan((en, ur), "en")
    pages = search_pages((en, ur), plan, SiteConfig(language="en"), ENGLISH_WORDS)
    assert [(p.url, p.lang, p.dir) for p in pages] == [
        ("search/", "en", "ltr"),
        ("search/ur/", "ur", "rtl"),
    ]
    assert [link.url for link in pages[0].values["languages"]] == ["search/", "search/ur/"]
    assert [(p.values["bundle"], p.values["shards"]) for p in pages] == [
        ("pagefind/en/", ("2017",)),
        ("pagefind/ur/", ("2019",)),
    ]
    only = search_pages((en,), shard_plan((en,), "en"), SiteConfig(), ENGLISH_WORDS)
    assert only[0].values["languages"] == ()


def test_a_shard_is_a_year_of_one_language_cut_when_it_holds_too_many() -> None:
    small = [_article(f"s{i}/", f"2016-{i % 12 + 1:02d}-01") for i in range(SHARD_ARTICLES)]
    plan = shard_plan((*small, _article("u/", "2016-05-01", "ur")), "en")
    assert {shard.key for shard in plan.values()} == {"2016"}
    assert plan["u/"] == Shard("ur", "2016") and plan["u/"].folder == "pagefind/ur/2016/"
    mixed = shard_plan(
        (_article("a/", "2016-01-01", "ur"), _article("b/", "2016-02-01", "UR")), "en"
    )
    assert set(mixed.values()) == {Shard("ur", "2016")}  # one language, one folder
    half = [_article(f"h{i}/", f"2017-{i % 12 + 1:02d}-01") for i in range(SHARD_ARTICLES + 1)]
    assert {s.key for s in shard_plan(tuple(half), "en").values()} == {"2017-h1", "2017-h2"}
    many = SHARD_ARTICLES * 4 + 1
    months = [_article(f"m{i}/", f"2018-{i % 12 + 1:02d}-01") for i in range(many)]
    plan = shard_plan(tuple(months), "en")
    assert language_shards(plan, "en") == tuple(f"2018-{m:02d}" for m in range(1, 13))
    quarters = [_article(f"q{i}/", f"2019-{i % 12 + 1:02d}-01") for i in range(many - 2)]
    plan = shard_plan(tuple(quarters), "en")
    assert language_shards(plan, "EN") == ("2019-q1", "2019-q2", "2019-q3", "2019-q4")
    assert plan["q0/"].key == "2019-q1" and plan["q3/"].key == "2019-q2"


def test_search_url_per_language() -> None:
    assert urls.search_url("en", "en") == "search/"
    assert urls.search_url("EN", "en") == "search/"
    assert urls.search_url("ur", "en") == "search/ur/"
    assert urls.search_url("en-GB", "ur") == "search/en-gb/"


def test_the_fingerprint_follows_the_pages_and_the_binary() -> None:
    pages = {"a/index.html": "1", "b/index.html": "2"}
    same = index_fingerprint(dict(reversed(pages.items())), "/bin/pagefind", "9:9")
    assert index_fingerprint(pages, "/bin/pagefind", "9:9") == same
    assert index_fingerprint({**pages, "a/index.html": "3"}, "/bin/pagefind", "9:9") != same
    assert index_fingerprint({"a/index.html": "1"}, "/bin/pagefind", "9:9") != same
    assert index_fingerprint(pages, "/bin/pagefind", "9:10") != same


def test_the_binary_the_bin_extra_ships_is_found() -> None:
    binary = find_binary()
    assert binary is not None and binary.is_file(), "pip install 'pagefind[bin]'"


# -- the pages, built ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = _site(tmp_path_factory.mktemp("search") / "site")
    ok(masthead("build", "--site", site, "--quiet"))
    return site / "output"


def test_article_pages_mark_headline_body_meta_filters_and_sort(built: Path) -> None:
    html = _page(built, "floods-hit-karachi")
    assert "<h1><span data-pagefind-body>Floods hit Karachi</span></h1>" in html
    assert '<div class="story-body" data-pagefind-body>' in html
    assert html.count("data-pagefind-body") == 2
    assert "<div hidden data-pagefind-ignore>" in html
    for marked in (
        '<span data-pagefind-meta="date">20 September 2017</span>',
        '<span data-pagefind-sort="date">2017-09-20T00:00:00+00:00</span>',
        '<span data-pagefind-filter="year">2017</span>',
        '<span data-pagefind-filter="month">2017-09</span>',
        '<span data-pagefind-meta="section">National</span>',
        '<span data-pagefind-filter="category">National</span>',
        '<span data-pagefind-filter="source">Dawn</span>',
        '<span data-pagefind-filter="author">Amina Rao</span>',
    ):
        assert marked in html


def test_listing_pages_are_not_indexed_but_have_the_box(built: Path) -> None:
    for rel in ("index.html", "category/national/index.html", "archive/index.html"):
        html = (built / rel).read_text("utf-8")
        assert "data-pagefind" not in html, rel
        assert (
            '<form class="search-form" role="search" action="/archive/search/" method="get">'
            in html
        )


def test_every_page_has_a_box_to_its_language_search_page(built: Path) -> None:
    urdu = _page(built, "mela")
    assert 'action="/archive/search/ur/"' in urdu and 'lang="ur"' in urdu
    assert 'action="/archive/search/"' in (built / "404.html").read_text("utf-8")
    assert (built / "404.html").read_text("utf-8").count('class="search-form"') == 2


def test_search_pages_load_the_bundle_under_the_base_path(built: Path) -> None:
    english = (built / "search/index.html").read_text("utf-8")
    urdu = (built / "search/ur/index.html").read_text("utf-8")
    assert english.startswith('<!doctype html>\n<html lang="en" dir="ltr">')
    assert urdu.startswith('<!doctype html>\n<html lang="ur" dir="rtl">')
    assert 'data-bundle="/archive/pagefind/en/" data-shards="2017 2018"' in english
    assert 'data-bundle="/archive/pagefind/ur/" data-shards="2019"' in urdu
    for html in (english, urdu):
        assert 'data-base="/archive/"' in html
        assert '<script type="module" src="/archive/static/search.js"></script>' in html
        assert "<noscript>" in html
    assert "آرکائیو میں تلاش کریں" in urdu


def test_the_bundle_has_a_shard_per_language_and_year_and_is_masthead_s_own(
    built: Path,
) -> None:
    entries = built.glob("pagefind/*/*/pagefind-entry.json")
    shards = sorted(p.parent.relative_to(built).as_posix() for p in entries)
    assert shards == ["pagefind/en/2017", "pagefind/en/2018", "pagefind/ur/2019"]
    for shard, lang in zip(shards, ("en", "en", "ur"), strict=True):
        entry = json.loads((built / shard / "pagefind-entry.json").read_bytes())
        assert {k: v["page_count"] for k, v in entry["languages"].items()} == {lang: 1}
        assert not (built / shard / "pagefind-ui.js").exists()  # the page has its own
    # Pagefind's script and WebAssembly only with each language's newest shard, which
    # the search page loads first and merges the others into.
    engines = sorted(p.parent.relative_to(built).as_posix() for p in built.rglob("pagefind.js"))
    assert engines == ["pagefind/en/2018", "pagefind/ur/2019"]
    assert (built / "pagefind/en/2018/wasm.en.pagefind").is_file()
    assert not list((built / "pagefind/en/2017").glob("wasm.*"))
    manifest = read_manifest(built)
    on_disk = sorted(
        p.relative_to(built).as_posix() for p in (built / "pagefind").rglob("*") if p.is_file()
    )
    assert bundle_rels(manifest.files) == on_disk
    assert "pagefind" in manifest.folders
    for shard in shards:
        rels = bundle_rels(manifest.files, shard + "/")
        fingerprints = {manifest.files[rel].fingerprint for rel in rels}
        assert len(fingerprints) == 1 and fingerprints != {""}


def test_search_false_plans_no_page_and_marks_nothing(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", "search = false\n")
    ok(masthead("build", "--site", site, "--quiet"))
    output = site / "output"
    assert not (output / "search").exists() and not (output / "pagefind").exists()
    assert "search-form" not in (output / "index.html").read_text("utf-8")
    assert "data-pagefind" not in _page(output, "floods-hit-karachi")


@pytest.mark.slow  # two more builds
def test_two_clean_builds_write_the_same_bundle_bytes(built: Path, tmp_path: Path) -> None:
    """Pagefind writes filters in a random hash-map order; masthead puts them in order."""
    site = _site(tmp_path / "site")
    ok(masthead("build", "--site", site, "--quiet", "--no-cache"))
    again = tmp_path / "again"
    ok(masthead("build", "--site", site, "--quiet", "--no-cache", "--output", again))
    for output in (site / "output", again):
        assert _bundle_bytes(output) == _bundle_bytes(built)


def _bundle_bytes(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in sorted((output / "pagefind").rglob("*"))
        if p.is_file()
    }


def test_stable_bundle_sorts_filter_values_and_renames_what_names_them() -> None:
    def bundle(order: list[list]) -> dict[str, bytes]:
        filter_data, _ = _packed(["year", order])
        meta, _ = _packed(["1.5.2", [["en_page", 3]], [], [["year", "en_f1"]], [], ["title"]])
        entry = {"version": "1.5.2", "languages": {"en": {"hash": "en_m1", "page_count": 2}}}
        return {
            "pagefind-entry.json": json.dumps(entry).encode(),
            "pagefind.en_m1.pf_meta": meta,
            "filter/en_f1.pf_filter": filter_data,
        }

    one = stable_bundle(bundle([["2019", [0]], ["2018", [1]]]))
    other = stable_bundle(bundle([["2018", [1]], ["2019", [0]]]))
    assert one == other
    (meta_rel,) = [rel for rel in one if rel.endswith(".pf_meta")]
    entry = json.loads(one["pagefind-entry.json"])
    assert meta_rel == f"pagefind.{entry['languages']['en']['hash']}.pf_meta"
    (filter_rel,) = [rel for rel in one if rel.startswith("filter/")]
    assert _read_packed(one[filter_rel]) == ["year", [["2018", [1]], ["2019", [0]]]]
    assert _read_packed(one[meta_rel])[3] == [["year", filter_rel[7:-10]]]
    assert stable_bundle({"pagefind-entry.json": b"not json"}) == {
        "pagefind-entry.json": b"not json"
    }


# -- end to end: made again only when its pages change -----------------------------------------


def _bundle_stats(output: Path) -> dict[str, int]:
    return {
        p.relative_to(output).as_posix(): p.stat().st_mtime_ns
        for p in (output / "pagefind").rglob("*")
        if p.is_file()
    }


@pytest.mark.slow  # several builds through the command line
def test_the_index_is_made_again_only_when_its_pages_change(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    output = site / "output"
    first = ok(masthead("build", "--site", site, "-v"))
    assert "search index: 3 pages in 3 shards, " in first.stdout
    assert "; 3 shards (3 pages) indexed in " in first.stdout
    before = _bundle_stats(output)
    assert before

    # A source touched but not changed, and a change no article page shows: not made again.
    source = site / "content/2018/03/budget.md"
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    again = ok(masthead("build", "--site", site, "-v"))
    assert "unchanged, not made again" in again.stdout
    assert _bundle_stats(output) == before

    # An edited body: its shard made again, with the new words; the other shards kept.
    source.write_text(source.read_text("utf-8").replace("passed it", "passed the zebra budget"))
    edited = ok(masthead("build", "--site", site, "-v"))
    assert "; 1 shard (1 pages) indexed in " in edited.stdout
    fragments = b"".join(p.read_bytes() for p in (output / "pagefind/en/2018/fragment").iterdir())
    assert fragments  # gzip: the word itself is checked in the browser tests
    after = _bundle_stats(output)
    changed = {rel.split("/")[2] for rel in set(before) ^ set(after)}
    changed |= {rel.split("/")[2] for rel in before if after.get(rel) not in (None, before[rel])}
    assert changed == {"2018"}

    # Gone with the rest on clean; back on the next build.
    ok(masthead("clean", "--site", site))
    assert not output.exists()
    ok(masthead("build", "--site", site, "--quiet"))
    assert (output / "pagefind/en/2017/pagefind-entry.json").is_file()


@pytest.mark.slow  # two builds through the command line
def test_a_new_year_s_shard_takes_over_the_script_from_the_last_newest(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    output = site / "output"
    ok(masthead("build", "--site", site, "--quiet"))
    kept = _bundle_stats(output)
    write_files(
        site,
        {
            "content/2020/01/port.md": article_text(
                "Port reopens", "2020-01-05", "Business", "Wire", "Ships sail again.\n"
            )
        },
    )
    done = ok(masthead("build", "--site", site, "-v"))
    assert "search index: 4 pages in 4 shards, " in done.stdout
    # 2020; 2018, which loses the script; the Urdu 2019, whose "newer" link changed
    assert "; 3 shards (3 pages) indexed in " in done.stdout
    assert (output / "pagefind/en/2020/pagefind.js").is_file()
    assert not (output / "pagefind/en/2018/pagefind.js").exists()
    page = (output / "search/index.html").read_text("utf-8")
    assert 'data-shards="2017 2018 2020"' in page
    untouched = {rel: t for rel, t in kept.items() if rel.startswith("pagefind/en/2017/")}
    assert untouched and all(_bundle_stats(output).get(rel) == t for rel, t in untouched.items())


@pytest.mark.slow
def test_a_file_of_the_user_in_the_bundle_folder_is_never_replaced(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    write_files(site, {"output/pagefind/en/2018/pagefind.js": "mine\n"})
    done = masthead("build", "--site", site)
    assert done.returncode == 0, done.stderr
    said = "pagefind/en/2018/pagefind.js in the output folder was not written by masthead"
    assert said in done.stderr
    assert (site / "output/pagefind/en/2018/pagefind.js").read_text("utf-8") == "mine\n"
    assert (site / "output/search/index.html").is_file()


# -- a missing or failing binary -----------------------------------------------------------------


def _fake_binary(folder: Path, script: str) -> Path:
    path = folder / "pagefind"
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("binary", "said"),
    [
        (None, "the Pagefind binary is missing"),
        ("echo 'Error: out of cheese' >&2; exit 3", "Pagefind failed (Error: out of cheese)"),
    ],
    ids=["missing", "failing"],
)
def test_a_missing_or_failing_binary_is_a_warning_and_the_site_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary: str | None, said: str
) -> None:
    site = _site(tmp_path / "site")
    if binary is None:
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "nowhere" / "pagefind"))
    else:
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_fake_binary(tmp_path, binary)))
    done = masthead("build", "--site", site, "-v")
    assert done.returncode == 0, done.stderr
    (warning,) = [line for line in done.stderr.splitlines() if "search:" in line]
    assert warning.startswith("pyproject.toml: warning: search: ")
    assert said in warning
    assert "pip install 'pagefind[bin]'" in warning
    assert warning.endswith("the site was built without a search index")
    output = site / "output"
    assert (output / "search/index.html").is_file() and (output / "index.html").is_file()
    assert not (output / "pagefind").exists()
    # No memo: the next build (the binary back) makes the index.
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    ok(masthead("build", "--site", site, "--quiet"))
    assert (output / "pagefind/en/2017/pagefind-entry.json").is_file()


# -- the preview server ------------------------------------------------------------------------


@pytest.mark.slow  # a server in a subprocess, and a rebuild
def test_masthead_serve_builds_and_serves_the_index_and_remakes_it_on_a_save(
    tmp_path: Path,
) -> None:
    from serving import poll, running, text_of

    site = _site(tmp_path / "site")
    with running("--site", str(site)) as server:
        url = server.url
        status, entry = text_of(url, "/pagefind/en/2018/pagefind-entry.json")
        assert status == 200 and json.loads(entry)["languages"]["en"]["page_count"] == 1
        status, page = text_of(url, "/search/?q=floods")
        assert status == 200 and 'data-bundle="/pagefind/en/"' in page
        source = site / "content/2018/03/budget.md"
        source.write_text(
            article_text("Budget approved", "2018-03-02", "Business", "Wire", "More.\n").replace(
                "Budget approved", "Budget passed"
            ),
            encoding="utf-8",
        )
        preview = site / ".masthead-cache/preview/pagefind/en/2018"
        before = {p.name for p in (preview / "fragment").iterdir()}
        poll(lambda: {p.name for p in (preview / "fragment").iterdir()} != before, "a new index")


def test_the_search_page_s_months_of_a_shard_are_the_months_masthead_files_there() -> None:
    """shard_plan (Python) cuts a year into shards; search-shards.js (the search page) names
    each shard's months to ask it for results in date order: the two must agree."""
    import shutil
    import subprocess

    from masthead.themefiles import theme_path

    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is missing: .ci/run installs it with npm")
        pytest.skip("node is missing (apt-get install nodejs)")
    expected: dict[str, set[str]] = {}
    for count in (24, SHARD_ARTICLES + 1, SHARD_ARTICLES * 2 + 1, SHARD_ARTICLES * 4 + 1):
        articles = [_article(f"a{i}/", f"2016-{i % 12 + 1:02d}-01") for i in range(count)]
        plan = shard_plan(tuple(articles), "en")
        for article in articles:
            expected.setdefault(plan[article.url].key, set()).add(f"2016-{article.date.month:02d}")
    module = (theme_path() / "static/search-shards.js").as_uri()
    script = (
        f"const {{ shardMonths }} = await import({json.dumps(module)});\n"
        f"const keys = {json.dumps(sorted(expected))};\n"
        "console.log(JSON.stringify(Object.fromEntries(keys.map((k) => [k, shardMonths(k)]))));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    got = {key: set(months) for key, months in json.loads(done.stdout).items()}
    assert got == expected
    assert {"2016", "2016-h1", "2016-q4", "2016-07"} <= set(got)


@pytest.mark.slow  # a build through the command line
def test_one_language_written_in_two_cases_is_one_index(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    write_files(
        site,
        {
            "content/2019/09/shout.md": article_text(
                "Mela closes", "2019-09-01", "Culture", "BBC Urdu", "میلہ ختم\n", lang="UR"
            )
        },
    )
    done = ok(masthead("build", "--site", site, "-v"))
    assert "search index: 4 pages in 3 shards, " in done.stdout
    entry = json.loads((site / "output/pagefind/ur/2019/pagefind-entry.json").read_bytes())
    assert [v["page_count"] for v in entry["languages"].values()] == [2]
    assert 'data-shards="2019"' in (site / "output/search/ur/index.html").read_text("utf-8")
