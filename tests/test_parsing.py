"""The load stage, incrementally (masthead/incremental/parsing.py): which sources are parsed
and which reused, as ``load_sources`` calls on a real parse cache; then whole builds on
hostile content folders (special files, size limits, unlistable folders).

A source is reused by its stat when the cache row has that very stat, by its content hash
when only its stat changed (a touched file, or one saved moments before the last build),
and parsed again when its row is lost; a Session keeps parsed outcomes in memory, so a
long-running process does not even unpickle them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sitegen import SETTLED_NS, SIMPLE_PYPROJECT, article_text, write_files

from masthead import sources
from masthead.config import SiteConfig
from masthead.incremental import cache as cache_module
from masthead.incremental.cache import CACHE_FILE, ParseCache
from masthead.incremental.fingerprint import parse_fingerprint
from masthead.incremental.parsing import Loaded, load_sources
from masthead.incremental.session import Session
from masthead.incremental.stamps import UNTRUSTED, stamp_of
from masthead.model import BuildOptions, Parsed
from masthead.pipeline import build

GOOD = "---\ntitle: Talks resume\ndate: 2017-09-02\ncategory: World\nsource: Wire\n---\n\nBody.\n"
CONFIG = SiteConfig()
RELS = ("2017/09/a.md", "2017/09/b.md", "2017/10/c.md")


# --- load_sources: parse, or reuse by stamp, by content hash, from the session ----------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Three articles, saved long ago."""
    folder = write_files(
        tmp_path / "site",
        {
            "content/2017/09/a.md": article_text("Story A", "2017-09-01"),
            "content/2017/09/b.md": article_text("Story B", "2017-09-02"),
            "content/2017/10/c.md": article_text("Story C", "2017-10-03"),
        },
    )
    for rel in RELS:
        settle(folder, rel)
    return folder


def settle(site: Path, rel: str, ns: int = SETTLED_NS) -> None:
    os.utime(site / "content" / rel, ns=(ns, ns))


def load(site: Path, config: SiteConfig = CONFIG, session: Session | None = None, **more) -> Loaded:
    """One build's load stage on the site's cache, which is written and closed after it."""
    cache = ParseCache(site / ".masthead-cache", parse_fingerprint(config))
    try:
        return load_sources(site, config, cache, jobs=1, session=session, **more)
    finally:
        assert cache.close() is None


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The sources read from disk (their bytes, not only their stat)."""
    seen: list[str] = []
    real = sources.read_source

    def read_source(content_path, rel, *args, **kwargs):
        seen.append(rel)
        return real(content_path, rel, *args, **kwargs)

    monkeypatch.setattr(sources, "read_source", read_source)
    return seen


@pytest.fixture
def unpickled(monkeypatch) -> list[object]:
    """The cache rows unpickled."""
    seen: list[object] = []
    real = cache_module._unpickled

    def unpickle(meta, links):
        seen.append(meta)
        return real(meta, links)

    monkeypatch.setattr(cache_module, "_unpickled", unpickle)
    return seen


def cache_rows(site: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every row of the site's cache file."""
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        return {rel: (m, s) for rel, m, s in db.execute("SELECT rel, mtime_ns, size FROM sources")}


def test_the_first_load_parses_everything_and_the_next_reuses_it_by_stamp(site, reads) -> None:
    first = load(site)
    assert (first.parsed, first.reused, first.problems) == (3, 0, ())
    assert [a.rel for a in first.articles] == list(RELS)
    assert sorted(reads) == sorted(RELS)
    reads.clear()
    second = load(site)
    assert (second.parsed, second.reused) == (0, 3)
    assert reads == [], "an unchanged stat: not even read"
    assert second.articles == first.articles


def test_a_touched_file_is_reused_by_its_content_hash_and_restamped(site, reads) -> None:
    first = load(site)
    settle(site, RELS[1], SETTLED_NS + 5_000_000_000)
    reads.clear()
    touched = load(site)
    assert (touched.parsed, touched.reused) == (0, 3)
    assert reads == [RELS[1]], "read to compare its hash, not parsed"
    assert touched.articles == first.articles
    assert cache_rows(site)[RELS[1]][0] == SETTLED_NS + 5_000_000_000
    reads.clear()
    assert load(site).reused == 3 and reads == [], "the new stamp is trusted next time"


def test_an_edited_file_is_parsed_again_and_only_it(site, reads) -> None:
    load(site)
    (site / "content" / RELS[2]).write_text(article_text("A new headline", "2017-10-03"), "utf-8")
    settle(site, RELS[2], SETTLED_NS + 5_000_000_000)
    reads.clear()
    edited = load(site)
    assert (edited.parsed, edited.reused) == (1, 2)
    assert reads == [RELS[2]]
    assert [a.title for a in edited.articles if a.rel == RELS[2]] == ["A new headline"]


def test_a_file_saved_moments_before_the_load_is_checked_by_its_hash_next_time(site, reads):
    load(site)
    path = site / "content" / RELS[0]
    path.write_text(path.read_text("utf-8") + "\nOne more line.\n", "utf-8")  # mtime: now
    assert load(site).parsed == 1
    assert cache_rows(site)[RELS[0]][0] == UNTRUSTED, "its stat may change again unseen"
    reads.clear()
    again = load(site)
    assert (again.parsed, again.reused) == (0, 3)
    assert reads == [RELS[0]]


def test_a_row_the_cache_cannot_give_back_is_parsed_again(site, reads) -> None:
    first = load(site)
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        db.execute("UPDATE sources SET meta = ? WHERE rel = ?", (b"not a pickle", RELS[1]))
    reads.clear()
    again = load(site)
    assert (again.parsed, again.reused) == (1, 2)
    assert reads == [RELS[1]]
    assert again.articles == first.articles


def test_a_removed_file_leaves_the_cache(site) -> None:
    load(site)
    (site / "content" / RELS[0]).unlink()
    after = load(site)
    assert [a.rel for a in after.articles] == list(RELS[1:])
    assert sorted(cache_rows(site)) == sorted(RELS[1:])


def test_problems_are_reused_with_the_source_that_has_them(site) -> None:
    (site / "content" / RELS[0]).write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    settle(site, RELS[0])
    first = load(site)
    assert first.parsed == 3 and len(first.problems) == 1
    again = load(site)
    assert (again.parsed, again.reused) == (0, 3)
    assert again.problems == first.problems
    assert len(again.articles) == 2


def test_a_lowered_size_limit_beats_the_cache(site) -> None:
    load(site)
    limited = SiteConfig(max_article_bytes=20)
    # Another setting: another parse fingerprint, so nothing is reused anyway; the limit is
    # checked first, on the stat, and no source is read.
    tight = load(site, limited)
    assert tight.articles == () and len(tight.problems) == 3
    assert all("over max_article_bytes (20)" in p.message for p in tight.problems)


def test_sources_already_found_are_not_looked_for_again(site, monkeypatch) -> None:
    def no_walk(content_path):
        raise AssertionError("the content folder was walked again")

    found = {rel: stamp_of(site / "content" / rel) for rel in RELS[:2]}
    monkeypatch.setattr(sources, "discover_sources", no_walk)
    loaded = load(site, found=found)
    assert [a.rel for a in loaded.articles] == list(RELS[:2])


def test_a_source_found_but_gone_is_an_error(site) -> None:
    found = {rel: stamp_of(site / "content" / rel) for rel in RELS}
    (site / "content" / RELS[2]).unlink()
    loaded = load(site, found=found)
    assert [p.path for p in loaded.problems] == ["content/" + RELS[2]]
    assert len(loaded.articles) == 2


def test_a_missing_content_folder_is_one_problem(tmp_path: Path) -> None:
    loaded = load(write_files(tmp_path / "empty", {"pyproject.toml": SIMPLE_PYPROJECT}))
    assert [(p.path, p.message) for p in loaded.problems] == [
        ("content", "content folder not found; create it and add articles")
    ]


def test_a_session_keeps_outcomes_so_that_nothing_is_unpickled(site, unpickled) -> None:
    session = Session()
    first = load(site, session=session)
    session.finish_build()
    again = load(site, session=session)
    assert (again.parsed, again.reused) == (0, 3)
    assert unpickled == [], "the session held every outcome"
    assert again.articles == first.articles
    fresh = load(site)
    assert fresh.reused == 3 and len(unpickled) == 3, "without it, each row is unpickled"


def test_no_collection_runs_while_cached_records_are_unpickled(site, monkeypatch) -> None:
    """The records hold no reference cycles: the collector is off while they are read back
    (each collection would walk every record made so far), and on again after."""
    import gc

    load(site)
    seen = []
    real = cache_module._unpickled

    def watched(meta, links):
        seen.append(gc.isenabled())
        return real(meta, links)

    monkeypatch.setattr(cache_module, "_unpickled", watched)
    assert load(site).reused == 3
    assert seen == [False] * 3 and gc.isenabled()


def test_records_read_back_are_left_out_of_later_collections(site) -> None:
    """Walking the records read back would find no garbage: they are frozen (a build
    returns them to the collector when it ends)."""
    import gc

    load(site)
    gc.unfreeze()
    assert load(site).reused == 3
    assert gc.get_freeze_count() > 0


def test_equal_links_of_different_articles_are_one_object(site) -> None:
    """Whether parsed now or read back from the cache, the articles of one build share each
    category, source, author and tag: memory per distinct link, not per mention."""
    for loaded in (load(site), load(site)):  # parsed, then all from the cache
        a, b, c = loaded.articles
        assert a.category == b.category == c.category and a.category is b.category is c.category
        assert a.source is b.source is c.source
    fresh = load(site)
    assert fresh.articles == loaded.articles  # sharing changes no value


# --- the pack: most of the archive's records in one pickle --------------------------------


@pytest.fixture
def packed(monkeypatch) -> None:
    """Three sources count as most of an archive: they are read from the pack."""
    monkeypatch.setattr(cache_module, "FEW_ROWS", 1)


def pack_blob(site: Path) -> bytes | None:
    """The pack's parts, joined."""
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        parts = [blob for (blob,) in db.execute("SELECT records FROM pack ORDER BY part")]
    return b"".join(parts) or None


def pack_parts(site: Path) -> int:
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        return db.execute("SELECT count(*) FROM pack").fetchone()[0]


def test_the_records_of_a_whole_archive_come_back_from_one_pack(site, packed, unpickled):
    first = load(site)
    assert pack_blob(site), "a build that parsed the archive packs its records"
    again = load(site)
    assert (again.parsed, again.reused) == (0, 3)
    assert unpickled == [], "no row was unpickled on its own"
    assert again.articles == first.articles
    a, b, c = again.articles
    assert a.category is b.category is c.category, "links are shared as from the rows"


def test_the_pack_is_written_and_read_in_parts(site, packed, unpickled, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "PACK_PART", 2)
    first = load(site)
    assert pack_parts(site) == 2, "three records, two to a part"
    again = load(site)
    assert again.articles == first.articles and unpickled == []
    a, b, c = again.articles
    assert a.category is b.category is c.category, "links are shared across the parts"


def test_a_record_packed_twice_is_taken_once(site, packed) -> None:
    first = load(site)
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        db.execute("INSERT INTO pack SELECT fingerprint, part + 1, records FROM pack")
    again = load(site)
    assert again.articles == first.articles and again.reused == 3


def test_what_the_pack_holds_stale_comes_from_its_row_and_one_edit_keeps_the_pack(
    site, packed, unpickled, monkeypatch
) -> None:
    monkeypatch.setattr(cache_module, "STALE_SHARE", 0.5)
    load(site)
    blob = pack_blob(site)
    (site / "content" / RELS[2]).write_text(article_text("A new headline", "2017-10-03"), "utf-8")
    settle(site, RELS[2], SETTLED_NS + 5_000_000_000)
    assert load(site).parsed == 1
    assert pack_blob(site) == blob, "one edit in three: the pack is not written again"
    again = load(site)
    assert len(unpickled) == 1, "the edited source's record comes from its row"
    assert [a.title for a in again.articles] == ["Story A", "Story B", "A new headline"]
    (site / "content" / RELS[0]).write_text(article_text("Second edit", "2017-09-01"), "utf-8")
    settle(site, RELS[0], SETTLED_NS + 5_000_000_000)
    load(site)
    assert pack_blob(site) != blob, "two stale in three: packed again"
    unpickled.clear()
    assert [a.title for a in load(site).articles] == ["Second edit", "Story B", "A new headline"]
    assert unpickled == []


def test_a_removed_source_is_not_taken_from_the_pack(site, packed) -> None:
    load(site)
    (site / "content" / RELS[0]).unlink()
    assert [a.rel for a in load(site).articles] == list(RELS[1:])


class Forged:
    """Unpickles by running a command: what a forged pack would hold."""

    def __reduce__(self):
        return (os.system, ("touch forged-pack-ran",))


@pytest.mark.parametrize(
    "blob",
    [
        b"not a pickle",
        pickle.dumps(Forged()),
        pickle.dumps(((), ("a record?",), None)),
        pickle.dumps(["records"]),
        "text",
    ],
    ids=["garbage", "forged", "not-records", "a-list", "not-bytes"],
)
def test_a_damaged_or_forged_pack_is_never_used(site, packed, blob, monkeypatch) -> None:
    """Whatever the pack holds instead of records, the rows serve, nothing in it runs, and
    the next build writes a good pack."""
    first = load(site)
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        db.execute("UPDATE pack SET records = ?", (blob,))
    monkeypatch.chdir(site)
    again = load(site)
    assert (again.parsed, again.reused) == (0, 3)
    assert again.articles == first.articles
    assert not (site / "forged-pack-ran").exists()
    assert pack_blob(site) != blob


def test_a_forged_record_in_the_pack_is_not_taken(site, packed) -> None:
    """A record whose path is not a string (unhashable, even) is skipped, not a crash."""
    first = load(site)
    record = cache_module._unpacked(pack_blob(site), {})[0]
    forged = dataclasses.replace(record, rel=["a", "list"])
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        db.execute("UPDATE pack SET records = ?", (cache_module._pickled((forged,)),))
    again = load(site)
    assert again.articles == first.articles and again.reused == 3


def test_a_pack_that_does_not_fit_costs_no_row(site, packed, monkeypatch) -> None:
    """A full disk while writing the pack: the rows of the build are in, and the warning
    says the next build reads them one by one."""

    def full(self):
        yield from ()
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ParseCache, "_pack_rows", full)
    cache = open_cache(site)
    assert load_sources(site, CONFIG, cache, jobs=1).parsed == 3
    warning = cache.close()
    assert warning is not None and warning.severity == "warning"
    assert "database or disk is full" in warning.message and "one by one" in warning.message
    assert committed_rels(site) == set(RELS)
    assert pack_blob(site) is None
    monkeypatch.undo()
    monkeypatch.setattr(cache_module, "FEW_ROWS", 1)
    assert (load(site).parsed, pack_blob(site) is not None) == (0, True), "packed next time"


def test_a_pack_made_with_other_settings_is_not_used(site, packed, unpickled) -> None:
    """Rows of these settings beside a pack of others (equal content hashes): the records
    come from the rows, and the pack is made again for these settings."""
    first = load(site)
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        db.execute("UPDATE pack SET fingerprint = 'other settings'")
    again = load(site)
    assert (again.parsed, again.reused) == (0, 3) and len(unpickled) == 3
    assert again.articles == first.articles
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        prints = {fingerprint for (fingerprint,) in db.execute("SELECT fingerprint FROM pack")}
    assert prints == {parse_fingerprint(CONFIG)}


def forge_pack(site: Path, records: tuple) -> None:
    """Put ``records``, pickled as a part of the pack, in place of the pack."""
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        db.execute("UPDATE pack SET records = ?", (pickle.dumps(records),))


def hollow_record() -> Parsed:
    """A record made without its constructor: what NEWOBJ without state unpickles to."""
    return Parsed.__new__(Parsed)


def overgrown_record(record: Parsed) -> Parsed:
    """A record with an attribute masthead never gives one (a forger's could hold a value
    nested too deep to pickle again)."""
    grown = dataclasses.replace(record)
    object.__setattr__(grown, "extra", ("forged",))
    return grown


def test_records_forged_into_the_pack_or_a_row_are_never_taken(site, packed) -> None:
    """Records in a shape masthead never writes (no fields, or one too many) are skipped
    wherever they are found: the rows serve, or the source is parsed again."""
    first = load(site)
    record = cache_module._unpacked(pack_blob(site), {})[0]
    forge_pack(site, (hollow_record(), overgrown_record(record)))
    assert load(site).articles == first.articles
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        db.execute(
            "UPDATE sources SET meta = ? WHERE rel = ?",
            (pickle.dumps(overgrown_record(record)), record.rel),
        )
        db.execute("DELETE FROM pack")
    again = load(site)
    assert again.articles == first.articles and again.parsed == 1


def test_a_pack_that_cannot_be_pickled_is_a_warning(site, packed, monkeypatch) -> None:
    """Whatever writing the pack raises, closing the cache warns; the old pack stays."""
    load(site)
    blob = pack_blob(site)

    def deep(self):
        raise RecursionError("maximum recursion depth exceeded while pickling an object")
        yield

    monkeypatch.setattr(ParseCache, "_needs_pack", lambda self: True)
    monkeypatch.setattr(ParseCache, "_pack_rows", deep)
    cache = open_cache(site)
    assert load_sources(site, CONFIG, cache, jobs=1).reused == 3
    warning = cache.close()
    assert warning is not None and "maximum recursion depth" in warning.message
    assert pack_blob(site) == blob


def open_cache(site: Path) -> ParseCache:
    return ParseCache(site / ".masthead-cache", parse_fingerprint(CONFIG))


def committed_rels(site: Path) -> set[str]:
    """The rows another connection sees: those written and committed."""
    with sqlite3.connect(site / ".masthead-cache" / CACHE_FILE) as db:
        return {rel for (rel,) in db.execute("SELECT rel FROM sources")}


def test_parsed_rows_are_written_in_batches_and_their_bodies_let_go(site, monkeypatch) -> None:
    """A cold build of a big archive holds only the bodies not written yet; the others are
    read back from the cache, equal to what was parsed."""
    expected = {rel: body_of_source(site, rel) for rel in RELS}
    monkeypatch.setattr(cache_module, "FLUSH_ROWS", 2)
    cache = open_cache(site)
    loaded = load_sources(site, CONFIG, cache, jobs=1)
    assert loaded.parsed == 3
    assert len(committed_rels(site)) == 2, "the first batch is written while the build runs"
    assert len(cache.memory_bodies) == 1, "only the body not written yet is held"
    assert {rel: cache.body(rel, digest_of(site, rel)) for rel in RELS} == expected
    assert cache.close() is None
    assert committed_rels(site) == set(RELS)
    again = open_cache(site)
    assert {rel: again.body(rel, digest_of(site, rel)) for rel in RELS} == expected
    assert load_sources(site, CONFIG, again, jobs=1).reused == 3
    assert again.close() is None


def test_a_batch_that_cannot_be_written_keeps_its_bodies_and_the_build_is_warned(
    site, monkeypatch
) -> None:
    """A full disk while writing a batch: the bodies stay in memory, nothing more is
    written, and closing the cache says the next build parses those files again."""
    expected = {rel: body_of_source(site, rel) for rel in RELS}
    monkeypatch.setattr(cache_module, "FLUSH_ROWS", 1)
    writes = []

    def full(db, gone, restamps, rows):
        writes.append(len(rows))
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(cache_module, "_write_rows", full)
    cache = open_cache(site)
    assert load_sources(site, CONFIG, cache, jobs=1).parsed == 3
    assert writes == [1], "after the first failure, no more writes are tried"
    assert {rel: cache.body(rel, digest_of(site, rel)) for rel in RELS} == expected
    warning = cache.close()
    assert warning is not None and warning.severity == "warning"
    assert "could not update the cache (database or disk is full)" in warning.message
    assert committed_rels(site) == set()


def body_of_source(site: Path, rel: str) -> str:
    """The body an article's source parses to, without any cache."""
    cache = ParseCache(None, parse_fingerprint(CONFIG))
    load_sources(site, CONFIG, cache, jobs=1)
    return cache.body(rel, digest_of(site, rel))


def digest_of(site: Path, rel: str) -> str:
    """The content hash of a source, as the cache keys its body."""
    return hashlib.sha256((site / "content" / rel).read_bytes()).hexdigest()


# --- whole builds on hostile content folders ------------------------------------------------


def messages(report) -> list[str]:
    return [str(p) for p in report.problems]


def test_a_fifo_in_the_content_folder_is_a_warning_and_the_build_goes_on(make_site):
    site = make_site({"content/2017/09/talks.md": GOOD})
    os.mkfifo(site / "content/2017/09/pipe.md")
    done = subprocess.run(
        [sys.executable, "-m", "masthead.cli", "build", "--site", str(site)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "content/2017/09/pipe.md: warning: is a named pipe (FIFO), not a regular file: skipped "
        "(replace it with a file, or move it out of the content folder)"
    ]
    assert (site / "output/2017/09/02/talks-resume/index.html").is_file()


def test_a_lowered_size_limit_applies_to_articles_the_cache_already_holds(make_site):
    site = make_site({"content/2017/09/talks.md": GOOD})
    assert build(site).errors == ()
    (site / "pyproject.toml").write_text(SIMPLE_PYPROJECT + "max_article_bytes = 50\n")
    report = build(site)
    size = (site / "content/2017/09/talks.md").stat().st_size
    assert messages(report) == [
        f"content/2017/09/talks.md: error: is {size} bytes, over max_article_bytes (50); "
        "split the article, or raise max_article_bytes in [tool.masthead] of pyproject.toml"
    ]


def test_a_folder_that_cannot_be_listed_is_an_error(make_site, monkeypatch):
    import masthead.sources as content_module

    site = make_site({"content/2017/09/talks.md": GOOD, "content/secret/x.md": GOOD})
    real_scandir = os.scandir

    def scandir(path):
        if str(path).rstrip("/").endswith("secret"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(content_module.os, "scandir", scandir)
    monkeypatch.setattr("masthead.incremental.parsing.os.scandir", scandir)
    report = build(site, BuildOptions(write=False))
    assert messages(report) == [
        "content/secret/: error: cannot read folder: Permission denied; fix its permissions, "
        "or move it out of the content folder"
    ]


def test_a_file_name_that_is_not_utf8_fails_the_build_with_one_line(make_site):
    site = make_site({"content/2017/09/talks.md": GOOD})
    path = os.fsencode(site / "content/2017/09") + b"/caf\xe9.md"
    with open(path, "wb") as handle:
        handle.write(GOOD.encode())
    report = build(site)
    assert messages(report) == [
        "content/2017/09/caf\\udce9.md: error: file name is not valid UTF-8; rename the file "
        "(URLs and messages need UTF-8 names)"
    ]
