"""Full-text search: a search page per language, and a Pagefind index of the articles.

Two steps, each a function of what it is given:

- ``search_pages`` (planned with the other pages): ``search/`` in the site's language and
  ``search/<lang>/`` for every other language an article is written in. Pagefind keeps one
  index per ``<html lang>``, and its script loads the index of the page it runs on, so
  each language needs a page of its own.
- ``update_index`` (after rendering, before the commit): the article pages as this build
  commits them, indexed by the Pagefind binary into ``pagefind/<lang>/<period>/``, one
  bundle per shard (``shard_plan``), and staged with the other files, so the index lands
  (or not) with the pages it describes and is recorded in the manifest as masthead's own.
  Only article pages are indexed; their templates mark the headline and body
  (``data-pagefind-body``), the date and section (``data-pagefind-meta``), the filters and
  the sort key.

A shard is indexed again only when the fingerprint of what it indexes changed: the output
hashes of its article pages, the binary and the options; so an edit costs one shard. A
missing or failing binary is a warning; the site is built without an index, and the next
build tries again.

The binary is driven through its command line, not the ``pagefind`` package's Python API:
that API reads one reply per 0.1 s (1,000 s for 10,000 pages) and returns the bundle
through a 2 MiB pipe buffer.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import urls
from .article import rtl_direction
from .config import SiteConfig
from .i18n import Words, is_known
from .model import WARNING, Article, Link, Page, Problem
from .write import OutputWriter

SEARCH_TEMPLATE = "search.html"
INDEXED_KINDS = frozenset({"article"})
"""The kinds of page whose text is searched: articles, never listings."""
ENTRY_FILE = "pagefind-entry.json"
TIMEOUT_SECONDS = 1800
INSTALL_HINT = "pip install 'pagefind[bin]'"
SHARD_ARTICLES = 2500
"""The most articles a shard holds where a year can be cut (into halves, quarters, months):
an edit indexes at most about this many pages again (about 1 s), and a search loads one
small part of the index per shard."""
SHARD_SPLITS = (1, 2, 4, 12)
_FORMAT = "2"
"""Changes when masthead asks the binary for a different index (options, layout)."""


def search_pages(
    articles: tuple[Article, ...], plan: dict[str, Shard], config: SiteConfig, words: Words
) -> tuple[Page, ...]:
    """A search page for the site's language and one for each other language an article
    (published or retracted) is written in; each links to the others and merges the shards
    of its language in ``plan`` (``shard_plan`` of the indexed articles)."""
    site = config.language
    written = {
        (a.lang or site).lower(): a.lang or site for a in sorted(articles, key=lambda a: a.rel)
    }
    written.pop(site.lower(), None)
    languages = [site, *(written[key] for key in sorted(written))]
    links = tuple(Link(_language_name(lang), urls.search_url(lang, site)) for lang in languages)
    return tuple(
        Page(
            url=urls.search_url(lang, site),
            template=SEARCH_TEMPLATE,
            kind="search",
            title=words.of(lang)("Search"),
            lang=lang,
            dir=rtl_direction(lang),
            values={
                "languages": links if len(links) > 1 else (),
                "bundle": language_folder(lang),
                "shards": language_shards(plan, lang),
            },
        )
        for lang in languages
    )


def _language_name(lang: str) -> str:
    """A language's name in itself (``اردو``), or its tag when CLDR does not know it."""
    if not is_known(lang):
        return lang
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(lang, sep="-").get_display_name(lang) or lang
    except (UnknownLocaleError, ValueError):
        return lang
    return name[:1].upper() + name[1:]


# -- the index ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexOutcome:
    """What ``update_index`` did, for the report."""

    pages: int = 0
    files: int = 0
    size: int = 0
    ran: bool = False
    problem: Problem | None = None
    shards: int = 0
    remade: int = 0
    """How many shards were indexed again (the others were kept)."""
    remade_pages: int = 0

    def summary(self, seconds: float) -> str:
        """``search index: 61 pages in 2 shards, 23 files, 712,403 bytes; 1 shard (40 pages)
        indexed again in 0.21 s``."""
        if self.problem is not None:
            return "search index: not made (see the warning)"
        if not self.pages:
            return "search index: no articles to index"
        shards = f"{self.shards} shard{'s' if self.shards != 1 else ''}"
        head = (
            f"search index: {self.pages} pages in {shards}, {self.files} files, {self.size:,} bytes"
        )
        if not self.ran:
            return f"{head}; unchanged, not made again"
        again = f"{self.remade} shard{'s' if self.remade != 1 else ''} ({self.remade_pages} pages)"
        return f"{head}; {again} indexed in {seconds:.2f} s"


def find_binary() -> Path | None:
    """The Pagefind binary: ``PAGEFIND_BINARY_PATH``, else the one the ``pagefind[bin]``
    package ships, else ``pagefind`` on the PATH."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        found = os.environ.get("PAGEFIND_BINARY_PATH") or shutil.which("pagefind")
        return Path(found) if found else None
    try:
        return get_executable()
    except (OSError, ValueError):
        return None


def indexed_rels(pages: tuple[Page, ...]) -> tuple[str, ...]:
    """The output files the index is made from: the article pages, in order."""
    return tuple(urls.output_rel(p.url) for p in pages if p.kind in INDEXED_KINDS)


# -- shards ------------------------------------------------------------------------------
#
# Pagefind has no incremental mode: it indexes every page it is given, every time. So the
# index is cut into shards, one Pagefind bundle each, by the article's language and date:
# an edit indexes its shard again and no other, and the search page merges the shards of
# its language (Pagefind's mergeIndex). A shard is a year, or a half, quarter or month of
# a year that holds more than SHARD_ARTICLES articles. Every article page carries its month
# as a filter, so the search page can ask one shard at a time (by its months) for results
# in date order: Pagefind orders merged results by score, which for a date sort is a rank
# within one shard.


@dataclass(frozen=True, order=True)
class Shard:
    """One Pagefind bundle: the articles of one language in one period."""

    lang: str
    key: str
    """``2017``, ``2017-h1``, ``2017-q3`` or ``2017-05``: in date order as text."""

    @property
    def folder(self) -> str:
        """Where its bundle is, in the output folder: ``pagefind/en/2017/``."""
        return f"{language_folder(self.lang)}{self.key}/"


def language_folder(lang: str) -> str:
    """The folder of one language's shards: ``pagefind/en/``."""
    return f"{urls.SEARCH_BUNDLE}{lang.lower()}/"


def _period(year: int, month: int, parts: int) -> str:
    if parts == 1:
        return str(year)
    if parts == 12:
        return f"{year}-{month:02d}"
    letter = "h" if parts == 2 else "q"
    return f"{year}-{letter}{(month - 1) * parts // 12 + 1}"


def _parts(count: int) -> int:
    """Into how many periods a year of ``count`` articles is cut."""
    for parts in SHARD_SPLITS:
        if count <= SHARD_ARTICLES * parts:
            return parts
    return SHARD_SPLITS[-1]


def shard_plan(articles: tuple[Article, ...], site_language: str) -> dict[str, Shard]:
    """The shard of each indexed article, by its URL: its language (the article's, else the
    site's, in lower case) and the period of its date."""

    def language(article: Article) -> str:  # "ur" and "UR" are one language, one folder
        return (article.lang or site_language).lower()

    counts = Counter((language(a), a.date.year) for a in articles)
    plan = {}
    for article in articles:
        lang = language(article)
        parts = _parts(counts[lang, article.date.year])
        plan[article.url] = Shard(lang, _period(article.date.year, article.date.month, parts))
    return plan


def language_shards(plan: dict[str, Shard], lang: str) -> tuple[str, ...]:
    """The keys of one language's shards, oldest first (what its search page merges)."""
    return tuple(sorted({s.key for s in plan.values() if s.lang == lang.lower()}))


def index_fingerprint(digests: dict[str, str], binary: str, binary_stamp: str) -> str:
    """The fingerprint of a shard: the hashes of the pages it is made from, and the binary
    (path, size and modification time: a new version gives a new index)."""
    hasher = hashlib.sha256(f"search:{_FORMAT}\n{binary}\n{binary_stamp}\n".encode())
    for rel in sorted(digests):
        hasher.update(f"{rel}\t{digests[rel]}\n".encode())
    return hasher.hexdigest()


def bundle_rels(files: dict, folder: str = urls.SEARCH_BUNDLE) -> list[str]:
    """The files of the search bundle (or of one shard's folder) among an output folder's
    manifest entries."""
    return sorted(rel for rel in files if rel.startswith(folder))


@dataclass(frozen=True)
class _Job:
    """One shard to index: its pages (output paths) and fingerprint."""

    shard: Shard
    rels: tuple[str, ...]
    fingerprint: str
    engine: bool
    """Whether the bundle keeps Pagefind's script and WebAssembly: only the newest shard of
    each language does, as the search page loads the others through it."""


def update_index(
    writer: OutputWriter,
    pages: tuple[Page, ...],
    plan: dict[str, Shard],
    binary: Path | None = None,
    workers: int = 1,
) -> IndexOutcome:
    """Index this build's article pages (as the writer will commit them) into the search
    bundle, one shard at a time, staged in ``writer``; a shard whose fingerprint is the
    same is kept as it is. A missing or failing binary is a warning, and no bundle is
    written."""
    by_shard: dict[Shard, list[str]] = {}
    for page in pages:
        rel = urls.output_rel(page.url)
        if page.kind in INDEXED_KINDS and page.url in plan and rel in writer.current:
            by_shard.setdefault(plan[page.url], []).append(rel)
    count = sum(map(len, by_shard.values()))
    if not count:
        return IndexOutcome()
    binary = binary or find_binary()
    stamp, problem = _binary_stamp(binary)
    if problem is not None:
        return IndexOutcome(count, problem=problem)
    newest = {shard.lang: shard for shard in sorted(by_shard)}
    jobs, kept_files, kept_size = [], 0, 0
    for shard in sorted(by_shard):
        rels = tuple(by_shard[shard])
        digests = {rel: writer.current[rel].digest for rel in rels}
        engine = newest[shard.lang] == shard
        fingerprint = index_fingerprint(digests, str(binary), f"{stamp}:{engine}")
        previous = bundle_rels(writer.previous.files, shard.folder)
        if previous and writer.keep_all_if_intact(previous, fingerprint):
            kept_files += len(previous)
            kept_size += sum(writer.previous.files[rel].size for rel in previous)
        else:
            jobs.append(_Job(shard, rels, fingerprint, engine))
    if not jobs:
        return IndexOutcome(count, kept_files, kept_size, shards=len(by_shard))
    try:
        work = writer.work_folder("search")
    except OSError as exc:
        return IndexOutcome(
            count, problem=_warning(f"cannot make the index: {exc.strerror or exc}")
        )
    try:
        made = _index_shards(binary, writer, jobs, workers, work)
        if isinstance(made, Problem):
            return IndexOutcome(count, problem=made)
        files, size = kept_files, kept_size
        for job, bundle in zip(jobs, made, strict=True):
            for rel, data, path in bundle:
                if path is None:
                    writer.add(rel, data, job.fingerprint)
                else:  # moved into the staging area, not written a second time
                    writer.add_file(rel, data, path, job.fingerprint)
                files, size = files + 1, size + len(data)
    except OSError as exc:  # reading the pages or the bundle (staging failures raise OutputError)
        return IndexOutcome(
            count, problem=_warning(f"cannot make the index: {exc.strerror or exc}")
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return IndexOutcome(
        count,
        files,
        size,
        ran=True,
        shards=len(by_shard),
        remade=len(jobs),
        remade_pages=sum(len(job.rels) for job in jobs),
    )


def _binary_stamp(binary: Path | None) -> tuple[str, Problem | None]:
    """The binary's size and modification time (a new version gives new shards), or the
    warning that it cannot be run."""
    if binary is None:
        return "", _warning(f"the Pagefind binary is missing: {INSTALL_HINT}")
    try:
        found = binary.stat()
    except FileNotFoundError:
        return "", _warning(f"the Pagefind binary is missing ({binary}): {INSTALL_HINT}")
    except OSError as exc:
        return "", _warning(
            f"cannot run the Pagefind binary {binary}: {exc.strerror or exc}; {INSTALL_HINT}"
        )
    return f"{found.st_size}:{found.st_mtime_ns}", None


def _index_shards(
    binary: Path, writer: OutputWriter, jobs: list[_Job], workers: int, work: Path
) -> list[list[tuple[str, bytes, Path | None]]] | Problem:
    """The bundle of each shard (see ``_index_shard``), made in ``work``, in the order of
    ``jobs``; or the first problem. Shards are indexed side by side, ``workers`` at a time
    (each Pagefind run is a process of its own)."""
    run = partial(_index_shard, binary, writer, work)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        made = list(pool.map(run, range(len(jobs)), jobs))
    for bundle in made:
        if isinstance(bundle, Problem):
            return bundle
    for bundle in made:
        foreign = [rel for rel, _, _ in bundle if writer.is_foreign(rel)]
        if foreign:
            return _warning(
                f"{foreign[0]} in the output folder was not written by masthead; move it "
                "away, or build with --overwrite to let masthead replace it"
            )
    return made


def _index_shard(
    binary: Path, writer: OutputWriter, work: Path, number: int, job: _Job
) -> list[tuple[str, bytes, Path | None]] | Problem:
    """One shard's bundle: its pages linked into a folder of their own, laid out as in the
    output, and indexed as the shard's language. Each file comes as its path in the output,
    its bytes and the file Pagefind wrote (None when masthead rewrote the bytes)."""
    site, out = work / str(number) / "site", work / str(number) / "bundle"
    for rel in job.rels:
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source = writer.pending_path(rel)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    command = [str(binary), "--site", str(site), "--output-path", str(out), "--quiet"]
    command += ["--force-language", job.shard.lang]
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return _warning(f"Pagefind took longer than {TIMEOUT_SECONDS} s and was stopped")
    except OSError as exc:
        return _warning(
            f"cannot run the Pagefind binary {binary}: {exc.strerror or exc}; {INSTALL_HINT}"
        )
    if done.returncode != 0 or not (out / ENTRY_FILE).is_file():
        said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        last = said[-1].strip() if said else f"exit status {done.returncode}"
        return _warning(f"Pagefind failed ({last}); {INSTALL_HINT} again, or set search = false")
    written = {
        path.relative_to(out).as_posix(): path
        for path in sorted(out.rglob("*"))
        if path.is_file() and _shipped(path.relative_to(out).as_posix(), job.engine)
    }
    raw = {rel: path.read_bytes() for rel, path in written.items()}
    bundle = stable_bundle(raw)
    return [
        (job.shard.folder + rel, data, written[rel] if raw.get(rel) is data else None)
        for rel, data in sorted(bundle.items())
    ]


_UNUSED = re.compile(r"pagefind-(ui|modular-ui|component-ui|highlight)\.(js|css)")
"""Pagefind's ready-made interfaces: the search page has its own (static/search.js)."""
_ENGINE = re.compile(r"pagefind\.js|pagefind-worker\.js|wasm\.[^/]*\.pagefind")


def _shipped(rel: str, engine: bool) -> bool:
    """Whether a file Pagefind wrote belongs in the output."""
    if _UNUSED.fullmatch(rel):
        return False
    return engine or _ENGINE.fullmatch(rel) is None


# -- the same bytes from the same pages ---------------------------------------------------------
#
# Pagefind writes the values of each filter, the list of filters and the languages of its
# entry file in the order of a Rust hash map, which is seeded at random: two runs on the same
# pages give different filter files (and so different names for them, and for the language's
# meta file that names them). The search is the same; masthead's promise of byte-identical
# output is not. ``stable_bundle`` puts them in order: it decodes the filter and meta files
# (gzip, a "pagefind_dcd" signature, CBOR), sorts, encodes them again and names them after
# their new contents, as Pagefind does. A bundle it does not understand is left as it is.

SIGNATURE = b"pagefind_dcd"


def stable_bundle(bundle: dict[str, bytes]) -> dict[str, bytes]:
    """The bundle (paths relative to its folder -> bytes) with everything Pagefind writes in
    hash-map order put in a stable order, and the files renamed to match."""
    try:
        return _stable_bundle(dict(bundle))
    except (ValueError, KeyError, IndexError, TypeError, EOFError, OSError):
        return bundle


def _stable_bundle(bundle: dict[str, bytes]) -> dict[str, bytes]:
    entry = json.loads(bundle[ENTRY_FILE])
    languages = entry["languages"]
    for info in languages.values():
        old = info["hash"]
        prefix = old.rpartition("_")[0]
        meta = _read_packed(bundle.pop(f"pagefind.{old}.pf_meta"))
        named = []
        for name, filter_hash in meta[3]:
            values = _read_packed(bundle.pop(f"filter/{filter_hash}.pf_filter"))
            values[1] = sorted(values[1], key=lambda value: value[0])
            data, digest = _packed(values)
            new_hash = f"{prefix}_{digest[:7]}"
            bundle[f"filter/{new_hash}.pf_filter"] = data
            named.append([name, new_hash])
        meta[3] = sorted(named)
        data, digest = _packed(meta)
        info["hash"] = f"{prefix}_{digest[:10]}"
        bundle[f"pagefind.{info['hash']}.pf_meta"] = data
    entry["languages"] = dict(sorted(languages.items()))
    bundle[ENTRY_FILE] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
    return bundle


def _read_packed(data: bytes) -> list:
    raw = gzip.decompress(data)
    if not raw.startswith(SIGNATURE):
        raise ValueError("not a Pagefind data file")
    value, end = _cbor_decode(raw, len(SIGNATURE))
    if end != len(raw) or not isinstance(value, list):
        raise ValueError("not a Pagefind data file")
    return value


def _packed(value: list) -> tuple[bytes, str]:
    """A Pagefind data file holding ``value``, and the hash of its contents."""
    raw = SIGNATURE + _cbor_encode(value)
    return gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()


class _Raw(bytes):
    """A CBOR item kept as its bytes (a float, true, false, null): written back as it was."""


def _cbor_decode(data: bytes, at: int) -> tuple[object, int]:
    """The CBOR item at ``at`` and where it ends: integers, text, bytes, arrays, maps (as
    lists of pairs), and simple values kept as they are."""
    start = at
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if info < 24:
        number = info
    elif info <= 27:
        size = 1 << (info - 24)
        number = int.from_bytes(data[at : at + size], "big")
        if at + size > len(data):
            raise ValueError("truncated CBOR")
        at += size
    else:
        raise ValueError("indefinite or reserved CBOR length")
    if major == 0:
        return number, at
    if major == 1:
        return -1 - number, at
    if major in (2, 3):
        chunk = data[at : at + number]
        if len(chunk) != number:
            raise ValueError("truncated CBOR")
        return (chunk.decode("utf-8") if major == 3 else bytes(chunk)), at + number
    if major in (4, 5):
        items = []
        for _ in range(number if major == 4 else 2 * number):
            item, at = _cbor_decode(data, at)
            items.append(item)
        if major == 5:
            return ("map", [items[i : i + 2] for i in range(0, len(items), 2)]), at
        return items, at
    if major == 7:
        return _Raw(data[start:at]), at
    raise ValueError("CBOR tags are not expected here")


def _cbor_encode(value: object) -> bytes:
    if isinstance(value, _Raw):
        return bytes(value)
    if isinstance(value, bool):
        raise TypeError("booleans are kept raw")
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _cbor_head(3, len(encoded)) + encoded
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, tuple) and value[:1] == ("map",):
        pairs = value[1]
        return _cbor_head(5, len(pairs)) + b"".join(_cbor_encode(x) for p in pairs for x in p)
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(map(_cbor_encode, value))
    raise TypeError(f"cannot encode {type(value).__name__}")


def _cbor_head(major: int, number: int) -> bytes:
    """A CBOR head in its shortest form (as Pagefind writes them)."""
    if number < 24:
        return bytes([major << 5 | number])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if number < 1 << (8 * size):
            return bytes([major << 5 | info]) + number.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def _warning(message: str) -> Problem:
    return Problem(
        "pyproject.toml",
        None,
        f"search: {message}; the site was built without a search index",
        WARNING,
    )
