"""Full-text search: a search page per language, and a Pagefind index of the articles.

Two steps, each a function of what it is given:

- ``search_pages`` (planned with the other pages): ``search/`` in the site's language and
  ``search/<lang>/`` for every other language an article is written in. Pagefind keeps one
  index per ``<html lang>``, and its script loads the index of the page it runs on, so
  each language needs a page of its own.
- ``update_index`` (after rendering, before the commit): the article pages as this build
  commits them, indexed by the Pagefind binary into ``pagefind/``, and staged with the other
  files, so the index lands (or not) with the pages it describes and is recorded in the
  manifest as masthead's own. Only article pages are indexed; their templates mark the
  headline and body (``data-pagefind-body``), the date and section (``data-pagefind-meta``),
  the filters and the sort key.

The index is made again only when the fingerprint of what it indexes changed: the output
hashes of the article pages, the binary and the options. A missing or failing binary is a
warning; the site is built without an index, and the next build tries again.

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
from dataclasses import dataclass
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
_FORMAT = "1"
"""Changes when masthead asks the binary for a different index (options, layout)."""


def search_pages(
    articles: tuple[Article, ...], config: SiteConfig, words: Words
) -> tuple[Page, ...]:
    """A search page for the site's language and one for each other language an article
    (published or retracted) is written in; each links to the others."""
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
            values={"languages": links if len(links) > 1 else ()},
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

    def summary(self, seconds: float) -> str:
        """``search index: 61 pages, 23 files, 712,403 bytes, made in 0.21 s``."""
        if self.problem is not None:
            return "search index: not made (see the warning)"
        if not self.pages:
            return "search index: no articles to index"
        made = f"made in {seconds:.2f} s" if self.ran else "unchanged, not made again"
        return f"search index: {self.pages} pages, {self.files} files, {self.size:,} bytes, {made}"


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


def content_languages(pages: tuple[Page, ...]) -> dict[str, str]:
    """The language of each indexed page's article, where it differs from the page's own
    (an Urdu article in an English site): Pagefind files a page under its ``<html lang>``."""
    found = {}
    for page in pages:
        lang = page.values.get("content_lang", page.lang)
        if page.kind in INDEXED_KINDS and lang != page.lang:
            found[urls.output_rel(page.url)] = lang
    return found


_HTML_LANG = re.compile(rb'<html lang="[^"]*"')


def _with_html_lang(data: bytes, lang: str) -> bytes:
    """The page as Pagefind should read it: ``<html lang>`` set to its article's language."""
    return _HTML_LANG.sub(b'<html lang="' + lang.encode("ascii", "replace") + b'"', data, count=1)


def index_fingerprint(digests: dict[str, str], binary: str, binary_stamp: str) -> str:
    """The fingerprint of an index: the hashes of the pages it is made from, and the binary
    (path, size and modification time: a new version gives a new index)."""
    hasher = hashlib.sha256(f"search:{_FORMAT}\n{binary}\n{binary_stamp}\n".encode())
    for rel in sorted(digests):
        hasher.update(f"{rel}\t{digests[rel]}\n".encode())
    return hasher.hexdigest()


def bundle_rels(files: dict) -> list[str]:
    """The files of the search bundle among an output folder's manifest entries."""
    return sorted(rel for rel in files if rel.startswith(urls.SEARCH_BUNDLE))


def update_index(
    writer: OutputWriter, pages: tuple[Page, ...], binary: Path | None = None
) -> IndexOutcome:
    """Index this build's article pages (as the writer will commit them) into the search
    bundle, staged in ``writer``; keep the bundle as it is when its fingerprint is the same.
    A missing or failing binary is a warning, and no bundle is written."""
    rels = [rel for rel in indexed_rels(pages) if rel in writer.current]
    if not rels:
        return IndexOutcome()
    binary = binary or find_binary()
    if binary is None:
        return IndexOutcome(
            len(rels), problem=_warning(f"the Pagefind binary is missing: {INSTALL_HINT}")
        )
    try:
        found = binary.stat()
    except FileNotFoundError:
        return IndexOutcome(
            len(rels),
            problem=_warning(f"the Pagefind binary is missing ({binary}): {INSTALL_HINT}"),
        )
    except OSError as exc:
        return IndexOutcome(
            len(rels),
            problem=_warning(
                f"cannot run the Pagefind binary {binary}: {exc.strerror or exc}; {INSTALL_HINT}"
            ),
        )
    digests = {rel: writer.current[rel].digest for rel in rels}
    fingerprint = index_fingerprint(digests, str(binary), f"{found.st_size}:{found.st_mtime_ns}")
    previous = bundle_rels(writer.previous.files)
    if previous and writer.keep_all_if_intact(previous, fingerprint):
        size = sum(writer.previous.files[rel].size for rel in previous)
        return IndexOutcome(len(rels), len(previous), size)
    try:
        work = writer.work_folder("search")
    except OSError as exc:
        return IndexOutcome(
            len(rels), problem=_warning(f"cannot make the index: {exc.strerror or exc}")
        )
    try:
        bundle, problem = _run_pagefind(binary, writer, rels, work, content_languages(pages))
        if problem is not None:
            return IndexOutcome(len(rels), problem=problem)
        foreign = [rel for rel in bundle if writer.is_foreign(rel)]
        if foreign:
            message = (
                f"{foreign[0]} in the output folder was not written by masthead; move it "
                "away, or build with --overwrite to let masthead replace it"
            )
            return IndexOutcome(len(rels), problem=_warning(message))
        for rel, data in bundle.items():
            writer.add(rel, data, fingerprint)
        return IndexOutcome(len(rels), len(bundle), sum(map(len, bundle.values())), ran=True)
    except OSError as exc:  # reading the pages or the bundle (staging failures raise OutputError)
        return IndexOutcome(
            len(rels), problem=_warning(f"cannot make the index: {exc.strerror or exc}")
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_pagefind(
    binary: Path, writer: OutputWriter, rels: list[str], work: Path, languages: dict[str, str]
) -> tuple[dict[str, bytes], Problem | None]:
    """The bundle the binary makes from the pages (linked into a folder of their own, laid
    out as in the output), by its path in the output folder; or the problem."""
    site, out = work / "site", work / "bundle"
    for rel in rels:
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source = writer.pending_path(rel)
        if rel in languages:
            target.write_bytes(_with_html_lang(source.read_bytes(), languages[rel]))
            continue
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    command = [str(binary), "--site", str(site), "--output-path", str(out), "--quiet"]
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return {}, _warning(f"Pagefind took longer than {TIMEOUT_SECONDS} s and was stopped")
    except OSError as exc:
        return {}, _warning(
            f"cannot run the Pagefind binary {binary}: {exc.strerror or exc}; {INSTALL_HINT}"
        )
    if done.returncode != 0 or not (out / ENTRY_FILE).is_file():
        said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        last = said[-1].strip() if said else f"exit status {done.returncode}"
        return {}, _warning(
            f"Pagefind failed ({last}); {INSTALL_HINT} again, or set search = false"
        )
    bundle = {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }
    bundle = stable_bundle(bundle)
    return {urls.SEARCH_BUNDLE + rel: data for rel, data in sorted(bundle.items())}, None


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
