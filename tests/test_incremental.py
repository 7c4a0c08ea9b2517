"""Incremental builds and the parse cache, through ``masthead.pipeline.build`` and the CLI.

The yardstick everywhere is a clean build: ``--no-cache`` into a fresh folder. After any
change to a site, an incremental build over the previous output (cache on) must leave
exactly the bytes a clean build writes, with stale files gone, while rendering only the
pages whose inputs changed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sitegen import (
    CACHE_DIR,
    CACHE_FILE,
    MANIFESTS,
    STAGING,
    TAGS,
    Spec,
    clean_build,
    copy_theme_template,
    empty_folders,
    generate_site,
    masthead,
    mtimes,
    ok,
    output_tree,
    set_config,
    tree_difference,
    write_spec,
)

from masthead.incremental.session import Session
from masthead.model import BuildOptions, BuildReport
from masthead.pipeline import build

N = 60
PER_PAGE = 5
OWN_TEMPLATE = "article.html"


def incremental(site: Path, **options) -> BuildReport:
    """A normal build: cache on, into the site's output/."""
    report = build(site, BuildOptions(jobs=1, **options))
    assert not report.errors, report.errors
    return report


def edit_template(site: Path) -> None:
    """Change the site's own template without changing any page: the next build cannot take
    the memo's shortcut, so it plans, and reads the parse cache."""
    template = site / "templates" / OWN_TEMPLATE
    template.write_text(template.read_text() + "{# edited #}", encoding="utf-8")


def article_page(output: Path, spec: Spec) -> str:
    """The output file (relative) of a generated article: in its day's folder, by title."""
    day = output / spec.date[:4] / spec.date[5:7] / spec.date[8:10]
    found = [
        path.relative_to(output).as_posix()
        for path in sorted(day.glob("*/index.html"))
        if f"<h1>{spec.title}</h1>".encode() in path.read_bytes()
    ]
    assert len(found) == 1, f"no single page for {spec.title!r} in {day}: {found}"
    return found[0]


def files_containing(output: Path, text: str) -> set[str]:
    """Output files whose bytes contain ``text``."""
    needle = text.encode("utf-8")
    return {rel for rel, data in output_tree(output).items() if needle in data}


def changed_files(before: dict[str, int], after: dict[str, int]) -> set[str]:
    """Files written (or removed) between two mtime snapshots, the manifest aside."""
    rels = set(before) | set(after)
    return {rel for rel in rels if before.get(rel) != after.get(rel) and rel not in MANIFESTS}


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, list[Spec]]:
    """A generated site of 60 articles with a site-own article.html, built once."""
    folder = tmp_path / "site"
    specs = generate_site(folder, N, per_page=PER_PAGE, own_templates=(OWN_TEMPLATE,))
    first = incremental(folder)
    assert first.parsed == N
    assert first.rendered == first.pages
    return folder, specs


# -- 1. incremental == clean, after every kind of change -----------------------------------------


def _least_used_tag(specs: list[Spec]) -> str:
    """The generated tag (not a variant added by a test) with the fewest articles."""
    counts = {tag: sum(tag in spec.tags for spec in specs) for tag in TAGS}
    return min(sorted(t for t in counts if counts[t]), key=lambda t: counts[t])


@pytest.mark.slow  # 17 changes, each built twice (incremental and clean) and compared
@pytest.mark.parametrize("engine", ["markdown", "pyromark"])
@pytest.mark.parametrize("in_session", [False, True], ids=["fresh-process", "session"])
def test_incremental_build_equals_clean_build_after_every_change(
    site, tmp_path, in_session, engine
):
    """Every build starting from disk (as ``masthead build`` does), or all in one Session
    (as the preview server does), leaves what a clean build leaves, with either Markdown
    engine (and after switching from one to the other)."""
    folder, specs = site
    other_engine = "markdown" if engine == "pyromark" else "pyromark"
    set_config(folder, "markdown_engine", f'"{engine}"')
    session = Session() if in_session else None
    output = folder / "output"
    current = {i: spec for i, spec in enumerate(specs)}
    template = folder / "templates" / OWN_TEMPLATE
    static = folder / "templates" / "static"

    def rewrite(i: int, **changes) -> None:
        current[i] = current[i].with_(**changes)
        write_spec(folder, current[i])

    def edit_body() -> list[str]:
        spec = current[20]
        closing = "A rewritten closing paragraph.[^1]\n\n[^1]: Its source, in a footnote."
        rewrite(20, paragraphs=(*spec.paragraphs[:-1], closing))
        return []

    def edit_title() -> list[str]:  # no slug in the front matter: the URL moves
        assert current[25].slug is None
        old = article_page(output, current[25])
        rewrite(25, title="Story 0025: A completely new headline")
        return [old]

    def change_category() -> list[str]:
        new = "World" if current[30].category != "World" else "Sport"
        rewrite(30, category=new)
        return []

    def add_tag_variant() -> list[str]:
        i = next(i for i, s in current.items() if i > 10 and "climate" not in s.tags)
        rewrite(i, tags=(*current[i].tags, "Climate"))
        return []

    def tag_variant_becomes_canonical() -> list[str]:
        tag = _least_used_tag(list(current.values()))
        users = sum(tag in s.tags for s in current.values())
        others = [i for i, s in sorted(current.items()) if tag not in s.tags][: users + 1]
        for i in others:
            rewrite(i, tags=(*current[i].tags, tag.upper()))
        return []

    def rename_file() -> list[str]:
        old = folder / "content" / current[35].rel
        current[35] = current[35].with_(rel="moved/elsewhere/renamed-story.md")
        write_spec(folder, current[35])
        old.unlink()
        return []

    def delete_article() -> list[str]:
        old = article_page(output, current[40])
        (folder / "content" / current.pop(40).rel).unlink()
        return [old]

    def add_article() -> list[str]:
        middle = current[31]
        spec = middle.with_(
            rel="2019/01/a-new-arrival.md",
            title="A new arrival in the archive",
            date=middle.date[:11] + "23:59:00+00:00",
            tags=("a brand new tag",),
            slug=None,
        )
        current[1000] = spec
        write_spec(folder, spec)
        return []

    def add_article_in_new_category() -> list[str]:
        spec = current[50].with_(
            rel="2019/02/opinion.md", title="An opinion piece", category="Opinion", slug=None
        )
        current[1001] = spec
        write_spec(folder, spec)
        return []

    def make_draft() -> list[str]:
        old = article_page(output, current[45])
        rewrite(45, draft=True)
        return [old]

    def edit_template() -> list[str]:
        text = template.read_text("utf-8")
        assert "<h1>" in text
        template.write_text(text.replace("<h1>", '<h1 class="headline">', 1), "utf-8")
        return []

    def add_static_file() -> list[str]:
        static.mkdir(parents=True, exist_ok=True)
        (static / "extra.css").write_text("body { color: #111; }\n", "utf-8")
        (static / "style.css").write_text("/* the site's own style */\n", "utf-8")
        return []

    def change_per_page() -> list[str]:
        old_pages = sorted(
            rel
            for rel in output_tree(output)
            if rel.startswith("page/") and int(rel.split("/")[1]) > len(current) // 7 + 1
        )
        set_config(folder, "per_page", "7")
        return old_pages

    def remove_static_files() -> list[str]:
        (static / "extra.css").unlink()
        (static / "style.css").unlink()
        return ["static/extra.css"]

    def undraft() -> list[str]:
        rewrite(45, draft=False)
        return []

    def change_markdown_extensions() -> list[str]:
        set_config(folder, "markdown_extensions", '["extra", "sane_lists", "toc"]')
        return []

    def switch_engine() -> list[str]:
        set_config(folder, "markdown_engine", f'"{other_engine}"')
        return []

    def drop_template_override() -> list[str]:
        template.unlink()
        return []

    steps: list[tuple[str, Callable[[], list[str]]]] = [
        ("edit an article body", edit_body),
        ("edit a title (URL changes)", edit_title),
        ("change a category", change_category),
        ("add a tag variant", add_tag_variant),
        ("make a tag variant the canonical name", tag_variant_becomes_canonical),
        ("rename a source file", rename_file),
        ("delete an article", delete_article),
        ("add an article", add_article),
        ("add an article in a new category", add_article_in_new_category),
        ("make an article a draft", make_draft),
        ("edit the site's article.html", edit_template),
        ("add static files", add_static_file),
        ("change per_page", change_per_page),
        ("remove static files", remove_static_files),
        ("publish the draft again", undraft),
        ("change markdown_extensions", change_markdown_extensions),
        ("switch the Markdown engine", switch_engine),
        ("remove the template override", drop_template_override),
    ]
    failures = []
    for number, (name, change) in enumerate(steps, start=1):
        must_be_gone = change()
        report = build(folder, BuildOptions(jobs=1), session=session)
        reference = tmp_path / f"clean-{number:02d}"
        clean_report = clean_build(folder, reference)
        problems = []
        if report.errors:
            problems.append(f"incremental build failed: {report.errors}")
        difference = tree_difference(output_tree(output), output_tree(reference))
        if difference:
            problems.append(difference)
        if (report.articles, report.pages) != (clean_report.articles, clean_report.pages):
            problems.append(
                f"{report.articles} articles/{report.pages} pages, clean build has "
                f"{clean_report.articles}/{clean_report.pages}"
            )
        still_there = [rel for rel in must_be_gone if (output / rel).exists()]
        if still_there:
            problems.append(f"stale files left: {still_there}")
        if empty_folders(output):
            problems.append(f"empty folders left: {empty_folders(output)}")
        if (output / STAGING).exists():
            problems.append("staging folder left behind")
        if problems:
            failures.append(f"after step {number} ({name}): " + " | ".join(problems))
    assert not failures, "\n".join(failures)


# -- 2. minimal re-rendering ---------------------------------------------------------------------


def test_a_build_with_nothing_changed_renders_and_writes_nothing(site):
    folder, _ = site
    before = mtimes(folder / "output")
    report = incremental(folder)
    assert (report.rendered, report.written, report.removed) == (0, 0, 0)
    assert report.unchanged == len(before) - 1  # every file but the manifest
    assert changed_files(before, mtimes(folder / "output")) == set()


def test_editing_a_body_renders_only_the_pages_that_show_the_body(site):
    folder, specs = site
    output = folder / "output"
    spec = specs[31]
    assert len(spec.paragraphs) >= 2 and not spec.paragraphs[-1].startswith("-")
    own = article_page(output, spec)
    showing_old_body = files_containing(output, spec.paragraphs[-1])
    assert own in showing_old_body
    # Far from it in date and in another category: neither a neighbour nor related.
    unrelated = next(
        s for s in specs[:8] if s.category != spec.category and set(s.tags).isdisjoint(spec.tags)
    )
    unrelated_page = article_page(output, unrelated)
    before = mtimes(output)

    # Same number of words: the word count (which list templates may show) stays the same.
    words = spec.paragraphs[-1].rstrip(".").split()
    marker = "Zanzibarquux"
    last = " ".join([marker, *words[1:]]) + "."
    write_spec(folder, spec.with_(paragraphs=(*spec.paragraphs[:-1], last)))
    report = incremental(folder)

    showing_body = showing_old_body | files_containing(output, marker)
    assert showing_body == showing_old_body, "the body is shown by the same pages as before"
    changed = changed_files(before, mtimes(output))
    assert changed == showing_body
    assert report.parsed == 1
    assert report.rendered <= len(showing_body), (
        f"editing one article's body rendered {report.rendered} pages; only "
        f"{len(showing_body)} show its body: {sorted(showing_body)}"
    )
    assert (output / unrelated_page).stat().st_mtime_ns == before[unrelated_page]


def test_editing_a_title_renders_the_pages_that_show_it_and_few_others(site):
    folder, specs = site
    output = folder / "output"
    spec = specs[30]
    assert spec.slug, "a fixed slug keeps the URL when the title changes"
    position = len(specs) - 1 - 30  # newest first
    showing_title = files_containing(output, spec.title)
    own = article_page(output, spec)
    newer, older = article_page(output, specs[31]), article_page(output, specs[29])
    home_page = f"page/{position // PER_PAGE + 1}/index.html" if position >= PER_PAGE else ""
    home_page = home_page or "index.html"
    assert {own, newer, older, home_page} <= showing_title
    before = mtimes(output)

    write_spec(folder, spec.with_(title="Story 0030: Entirely different words"))
    report = incremental(folder)

    changed = changed_files(before, mtimes(output))
    assert changed >= showing_title, "every page that shows the title shows the new one"
    assert report.rendered >= len(showing_title)
    assert report.rendered <= len(showing_title) + 2, (
        f"{report.rendered} rendered for {len(showing_title)} pages showing the title"
    )
    assert report.rendered < report.pages // 4


def test_editing_the_article_template_renders_every_article_page_and_no_list_page(site):
    folder, specs = site
    output = folder / "output"
    article_pages = {article_page(output, spec) for spec in specs}
    before = mtimes(output)
    template = folder / "templates" / OWN_TEMPLATE
    text = template.read_text("utf-8")
    assert "<h1>" in text
    template.write_text(text.replace("<h1>", '<h1 class="headline">', 1), "utf-8")

    report = incremental(folder)

    assert report.rendered == report.articles == N
    changed = changed_files(before, mtimes(output))
    assert changed == article_pages
    for rel in changed:
        assert b'<h1 class="headline">' in (output / rel).read_bytes()
    untouched = set(before) - changed - set(MANIFESTS)
    assert "index.html" in untouched and "category/science/index.html" in untouched


def test_changing_a_setting_renders_every_page(site):
    folder, _ = site
    set_config(folder, "description", '"Every story, kept."')
    report = incremental(folder)
    assert report.rendered == report.pages
    assert report.parsed == 0


def test_changing_per_page_renders_every_page_and_removes_surplus_list_pages(site, tmp_path):
    folder, _ = site
    output = folder / "output"
    assert (output / "page/12/index.html").is_file()
    set_config(folder, "per_page", "20")
    report = incremental(folder)
    assert report.rendered == report.pages
    assert not (output / "page/12").exists()
    clean_build(folder, tmp_path / "clean")
    assert tree_difference(output_tree(output), output_tree(tmp_path / "clean")) == ""


# -- 3. the parse cache --------------------------------------------------------------------------


def test_a_second_build_parses_nothing(site):
    folder, _ = site
    edit_template(folder)
    report = incremental(folder)
    assert (report.parsed, report.reused) == (0, N)
    assert (folder / CACHE_DIR / CACHE_FILE).is_file()


def test_touched_but_unchanged_sources_are_reused_by_content_hash(site):
    folder, _ = site
    later = time.time_ns() + 4_000_000_000  # from now: the first build may have taken seconds
    for path in (folder / "content").rglob("*.md"):
        os.utime(path, ns=(later, later))
    before = mtimes(folder / "output")
    report = incremental(folder)
    assert (report.parsed, report.reused) == (0, N)
    assert (report.rendered, report.written) == (0, 0)
    assert changed_files(before, mtimes(folder / "output")) == set()
    again = incremental(folder)
    assert (again.parsed, again.rendered) == (0, 0), "the memo knows the racy files' bytes"
    edit_template(folder)
    planned = incremental(folder)
    assert (planned.parsed, planned.reused) == (0, N)


def test_changing_markdown_extensions_parses_everything_again(site, tmp_path):
    folder, specs = site
    output = folder / "output"
    set_config(folder, "markdown_extensions", '["extra", "sane_lists", "toc"]')
    report = incremental(folder)
    assert (report.parsed, report.reused) == (N, 0)
    assert b'<h2 id="background-7">' in (output / article_page(output, specs[7])).read_bytes()
    clean_build(folder, tmp_path / "clean")
    assert tree_difference(output_tree(output), output_tree(tmp_path / "clean")) == ""
    assert incremental(folder).parsed == 0
    set_config(folder, "markdown_extensions", '["extra", "sane_lists"]')
    assert incremental(folder).parsed == N
    assert incremental(folder).parsed == 0


def test_clean_removes_the_cache_and_written_files_but_keeps_user_files(site):
    folder, _ = site
    output = folder / "output"
    (output / "notes.txt").write_text("mine\n", "utf-8")
    (output / "static" / "user.css").write_text("/* mine */\n", "utf-8")
    (output / "2019" / "keep-me.html").write_text("<p>mine</p>\n", "utf-8")
    assert (folder / CACHE_DIR / CACHE_FILE).is_file()

    result = ok(masthead("clean", "--site", folder))

    assert not (folder / CACHE_DIR / CACHE_FILE).exists()
    assert not (folder / CACHE_DIR).exists()
    assert sorted(output_tree(output, ignore=())) == [
        "2019/keep-me.html",
        "notes.txt",
        "static/user.css",
    ]
    assert "the cache" in result.stdout
    report = incremental(folder)  # and the site builds again from nothing
    assert report.parsed == N and report.rendered == report.pages
    assert (output / "notes.txt").read_text("utf-8") == "mine\n"


def test_cache_dir_puts_the_cache_there(site, tmp_path):
    folder, _ = site
    elsewhere = tmp_path / "caches" / "gazette"
    edit_template(folder)  # the output is current: without a change the memo answers
    first = ok(masthead("build", "--site", folder, "--cache-dir", elsewhere, "-v"))
    assert (elsewhere / CACHE_FILE).is_file()
    assert f"{N} parsed, 0 from the cache" in first.stdout
    edit_template(folder)
    second = ok(masthead("build", "--site", folder, "--cache-dir", elsewhere, "-v"))
    assert f"0 parsed, {N} from the cache" in second.stdout
    db = sqlite3.connect(elsewhere / CACHE_FILE)
    try:
        assert db.execute("SELECT count(*) FROM sources").fetchone()[0] == N
    finally:
        db.close()

    ok(masthead("clean", "--site", folder, "--cache-dir", elsewhere))
    assert not (elsewhere / CACHE_FILE).exists()
    assert (folder / CACHE_DIR / CACHE_FILE).is_file(), "only the named cache is removed"


def test_no_cache_neither_reads_nor_writes_the_cache(tmp_path):
    folder = tmp_path / "site"
    generate_site(folder, 12, per_page=PER_PAGE)
    report = build(folder, BuildOptions(jobs=1, use_cache=False))
    assert report.parsed == 12 and not report.errors
    assert not (folder / CACHE_DIR).exists()


def _garbage(data: bytes) -> bytes:
    return bytes((i * 151 + 7) % 256 for i in range(len(data)))


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "garbage": _garbage,
    "truncated": lambda data: data[: len(data) // 2],
    "garbage after the header": lambda data: data[:100] + _garbage(data[100:]),
    "header only": lambda data: data[:100],
    "empty": lambda data: b"",
    "garbage in the rows": lambda data: data[:8192] + _garbage(data[8192:]),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupted_cache_is_discarded_and_the_build_still_succeeds(site, tmp_path, corruption):
    folder, _ = site
    cache_file = folder / CACHE_DIR / CACHE_FILE
    cache_file.write_bytes(CORRUPTIONS[corruption](cache_file.read_bytes()))
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_file}{suffix}").unlink(missing_ok=True)
    # Every article page must be rendered again, so the build needs every body.
    template = folder / "templates" / OWN_TEMPLATE
    template.write_text(template.read_text("utf-8").replace("<h1>", "<h1 >", 1), "utf-8")

    report = build(folder, BuildOptions(jobs=1))

    assert not report.errors, report.errors
    assert report.parsed == N
    clean_build(folder, tmp_path / "clean")
    assert tree_difference(output_tree(folder / "output"), output_tree(tmp_path / "clean")) == ""
    assert incremental(folder).parsed == 0, "the rebuilt cache is used next time"


def test_a_cache_from_another_program_is_replaced(site, tmp_path):
    folder, _ = site
    cache_file = folder / CACHE_DIR / CACHE_FILE
    cache_file.unlink()
    db = sqlite3.connect(cache_file)
    db.execute("CREATE TABLE sources (name TEXT, value INTEGER)")
    db.execute("INSERT INTO sources VALUES ('x', 1)")
    db.commit()
    db.close()
    edit_template(folder)
    report = incremental(folder)
    assert report.parsed == N
    edit_template(folder)
    assert incremental(folder).parsed == 0


def test_the_theme_copy_used_as_override_renders_like_the_theme(tmp_path):
    """Sanity check of the fixture: an unchanged copy of article.html changes no byte."""
    with_copy, without = tmp_path / "a", tmp_path / "b"
    generate_site(with_copy, 8, per_page=PER_PAGE, own_templates=(OWN_TEMPLATE,))
    generate_site(without, 8, per_page=PER_PAGE)
    clean_build(with_copy, tmp_path / "out-a")
    clean_build(without, tmp_path / "out-b")
    assert output_tree(tmp_path / "out-a") == output_tree(tmp_path / "out-b")
    copy_theme_template(without, "list.html")
    clean_build(without, tmp_path / "out-c")
    assert output_tree(tmp_path / "out-c") == output_tree(tmp_path / "out-b")


def _related_section(output: Path, rel: str) -> bytes:
    data = (output / rel).read_bytes()
    start = data.find(b'<section class="related"')
    return data[start : data.find(b"</section>", start)] if start >= 0 else b""


def test_a_related_list_change_renders_that_page_and_no_other_article_page(site):
    """Two far-apart articles that come to share four rare tags become each other's first
    related article: their pages change, and no other article page is written. (Positions
    of the related articles are refs: a page is fingerprinted by the articles its related
    list shows, so a changed list renders that page, and an unchanged one does not.)"""
    folder, specs = site
    output = folder / "output"
    far, near = specs[50], specs[10]
    write_spec(folder, far.with_(tags=(*far.tags, "Zebra", "Quagga", "Okapi", "Tapir")))
    incremental(folder)
    pages = {spec.rel: article_page(output, spec) for spec in specs}
    related_before = {rel: _related_section(output, page) for rel, page in pages.items()}
    before = mtimes(output)
    tree_before = output_tree(output)

    write_spec(folder, near.with_(tags=(*near.tags, "Zebra", "Quagga", "Okapi", "Tapir")))
    report = incremental(folder)

    changed = changed_files(before, mtimes(output))
    tree_after = output_tree(output)
    differs = {
        rel
        for rel in set(tree_before) | set(tree_after)
        if tree_before.get(rel) != tree_after.get(rel)
    }
    assert changed == differs, "every page written has new bytes"
    related_after = {rel: _related_section(output, page) for rel, page in pages.items()}
    moved = {pages[rel] for rel in pages if related_before[rel] != related_after[rel]}
    assert moved == {pages[near.rel], pages[far.rel]}
    assert far.title.encode() in related_after[near.rel]
    assert changed & set(pages.values()) == moved
    # Rendered again: the pages written, and those that show the edited article (whose
    # fingerprint holds its tags; their bytes stay the same, so they are not written).
    showing_near = files_containing(output, near.title)
    assert report.rendered <= len(changed | showing_near)


def test_a_build_gives_what_it_froze_back_to_the_collector(site, monkeypatch):
    """Saved state read back is frozen while the build runs (collections would walk it for
    nothing) and returned to the collector at its end, with the thresholds as they were."""
    import gc

    folder, specs = site
    gc.unfreeze()
    thresholds = gc.get_threshold()
    froze = []
    real_freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: froze.append(1) or real_freeze())
    write_spec(folder, specs[4].with_(title="A new title"))
    assert incremental(folder).parsed == 1
    assert froze, "the records read back were not frozen"
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


def test_a_session_that_keeps_frozen_what_builds_froze(site):
    """The preview server freezes its session after each build: its builds leave what
    they froze frozen (thawing it would make the server's next collection walk it all)."""
    import gc

    folder, specs = site
    gc.unfreeze()
    session = Session(keeps_frozen=True)
    write_spec(folder, specs[5].with_(title="Another new title"))
    assert build(folder, BuildOptions(jobs=1), None, session).parsed == 1
    assert gc.get_freeze_count() > 0


def test_freezing_saved_state_never_keeps_garbage(site):
    """What is frozen is what lives: garbage made before saved state is read back (here a
    cycle left between two preview rebuilds) is still collected."""
    import gc
    import weakref

    folder, specs = site
    gc.unfreeze()
    session = Session(keeps_frozen=True)
    assert not build(folder, BuildOptions(jobs=1), None, session).errors
    gc.collect()
    gc.freeze()  # as the preview server does after each build

    class Node:
        pass

    node = Node()
    node.itself = node
    alive = weakref.ref(node)
    del node
    source = folder / "content" / specs[6].rel
    os.utime(source, ns=(time.time_ns(), time.time_ns()))  # same bytes: its row is read back
    assert build(folder, BuildOptions(jobs=1), None, session).reused == N
    gc.collect()
    assert alive() is None


def test_a_build_leaves_frozen_what_its_caller_froze(site):
    import gc

    folder, specs = site
    gc.unfreeze()
    gc.freeze()
    frozen = gc.get_freeze_count()
    write_spec(folder, specs[7].with_(title="Yet another title"))
    assert incremental(folder).parsed == 1
    assert gc.get_freeze_count() >= frozen
