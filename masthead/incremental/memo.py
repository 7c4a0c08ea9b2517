"""The build memo: proof that nothing a build reads has changed since the last build.

Every build plans every page, which at archive scale costs seconds even when nothing
changed. A successful build records a fingerprint of all it read (settings, options, the
stat of every source, template and static file) and until when its time-dependent output
(scheduled articles, the news sitemap window) stays valid. A build whose inputs match, at a
time inside that validity, and whose output files are all intact, has nothing to do: it
reports the recorded figures and returns. The memo lives in the output manifest: a build
that writes anything rewrites the manifest first without it, so a crash cannot leave a stale
memo. A missing or damaged memo means a normal build.

The URL ledger is an input that the build itself rewrites: the memo holds a hash of its
bytes as the build leaves them, so a build that adds URLs to it is remembered too.

A file modified moments before a build may change again without its stat changing (git
calls it "racily clean"; a fresh clone or checkout makes every file so). Its stat alone
proves nothing, so the memo also records a hash of its bytes as this build found them, and
the next build compares those bytes, as git does, instead of distrusting the memo.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .. import __version__
from ..config import CONFIG_FILE, SiteConfig
from ..ledger import LEDGER_FILE
from ..model import WARNING, Article, BuildOptions, BuildReport, Problem
from ..sources import discover_sources, is_unlisted_folder
from .fingerprint import digest
from .stamps import Stamp, is_racy, racy_since, stamp_of


@dataclass(frozen=True)
class Memo:
    """What a successful build read and reported."""

    inputs: str
    valid_from: str
    """The reference time ("now") of the build: its output holds from then..."""
    valid_until: str | None
    """... until this moment (None: for ever)."""
    articles: int
    pages: int
    skipped_drafts: int
    skipped_future: int
    warnings: tuple[Problem, ...]
    racy: dict[str, str]
    """The hash of each input modified too close to the build's start to trust its stat,
    by path."""
    ledger: str
    """The hash of the URL ledger's bytes as the build left them."""


@dataclass(frozen=True)
class Inputs:
    """The fingerprint of everything a build reads."""

    fingerprint: str
    sources: dict[str, Stamp | None]
    """Every source found, with its stat: the load stage reuses them instead of walking and
    stat-ing the content folder a second time."""
    racy: dict[str, str]
    """The hash of the bytes of each input whose stat cannot be trusted yet, by path."""
    ledger: str
    """The hash of the URL ledger's bytes."""
    unseen: frozenset[str] = frozenset()
    """What a watcher of the content folder cannot vouch for: the sources that are symbolic
    links (their targets change unseen) and the folders that could not be listed. A build
    that trusts the watcher still checks these."""
    changed: frozenset[str] | None = None
    """When a watcher vouched for the rest: the only sources that may differ from what the
    last build of this process read (None: any may)."""


def read_inputs(
    site_path: Path,
    config: SiteConfig,
    options: BuildOptions,
    template_paths: tuple[Path, ...],
    started_ns: int = 0,
    since: tuple[Inputs, frozenset[str]] | None = None,
) -> Inputs:
    """Stat every source, template and static file; fingerprint them with the settings.

    The bytes of each file modified within the racy window before ``started_ns`` are hashed
    (see the module's docstring). ``since``: the inputs the last build of this process read
    and the only sources that changed since (a watcher vouches for the rest): the stat of
    just those (and of every link) is taken again, unless one of them is now a folder."""
    parts = [
        __version__,
        repr(config),
        repr((options.drafts, options.future, options.base_url, options.output, options.preview)),
    ]
    racy: list[str] = []

    def add(kind: str, name: str, path: str, stamp: Stamp | None) -> None:
        _add_stamp(parts, kind, name, stamp)
        if stamp is not None and is_racy(stamp.mtime_ns, started_ns):
            racy.append(path)

    content_path = site_path / config.content_dir
    folder = str(content_path)
    restated = restat_sources(folder, *since) if since else None
    if restated is not None:
        sources, unseen = restated, since[0].unseen
    else:
        sources, unseen = source_stamps(content_path)
    parts += _stamp_parts("c", sources.items())  # all at once: one per source of the archive
    racy_after = racy_since(started_ns)
    racy += [
        os.path.join(folder, rel)
        for rel, stamp in sources.items()
        if stamp is not None and stamp.mtime_ns >= racy_after
    ]
    for number, root in enumerate(template_paths):
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                add(f"t{number}", os.path.relpath(path, root), path, stamp_of(path))
    path = site_path / CONFIG_FILE
    if path.is_file():
        add("p", CONFIG_FILE, str(path), stamp_of(path))
    return Inputs(
        digest(*parts),
        sources,
        {path: file_digest(path) for path in racy},
        file_digest(site_path / LEDGER_FILE),
        unseen,
        since[1] if restated is not None else None,
    )


def source_stamps(content_path: Path) -> tuple[dict[str, Stamp | None], frozenset[str]]:
    """Every source below the content folder with its stat (None when it has none), in
    discovery's order, and what a watcher cannot vouch for (see ``Inputs.unseen``)."""
    sources: dict[str, Stamp | None] = {}
    unseen: list[str] = []
    if content_path.is_dir():
        folder = str(content_path)
        for rel in discover_sources(content_path, unseen):
            sources[rel] = stamp_of(os.path.join(folder, rel))
            if is_unlisted_folder(rel):
                unseen.append(rel)
    return sources, frozenset(unseen)


def restat_sources(
    folder: str, last: Inputs, changed: frozenset[str]
) -> dict[str, Stamp | None] | None:
    """The sources ``last`` found, with the stat of those ``changed`` (and of what a watcher
    cannot see, ``last.unseen``) taken again: a changed one that is gone is left out, a new
    one is added in discovery's order. None when one of them is now a folder, or a new
    link: only discovery can tell what they hold."""
    sources = dict(last.sources)
    added = False
    for rel in changed | last.unseen:
        path = os.path.join(folder, rel)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            sources.pop(rel, None)
            continue
        if stat.S_ISDIR(mode) or (stat.S_ISLNK(mode) and rel not in last.unseen):
            return None
        added = added or rel not in sources
        sources[rel] = stamp_of(path)
    return dict(sorted(sources.items())) if added else sources


def file_digest(path: str | os.PathLike) -> str:
    """A hash of a regular file's bytes, read in chunks ("missing" when it cannot be read,
    "special" for a FIFO, a device or a folder, which are never opened for reading: a FIFO
    would block)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return "missing"
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            return "special"
        with open(descriptor, "rb") as file:  # closes the descriptor
            return hashlib.file_digest(file, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
    except OSError:
        return "missing"


def bytes_digest(data: bytes) -> str:
    """A hash of some bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def unchanged_by_bytes(memo: Memo, site_path: Path) -> bool:
    """True when the ledger, and every input the memo could not trust by its stat, still
    have the bytes the memoised build left."""
    if file_digest(site_path / LEDGER_FILE) != memo.ledger:
        return False
    return all(file_digest(path) == known for path, known in memo.racy.items())


def valid_until(articles: tuple[Article, ...], window_days: int, now: datetime) -> datetime | None:
    """The first moment at which the same inputs would give other output: a scheduled article
    falls due, or one enters or leaves the news sitemap's window."""
    window = timedelta(days=window_days)
    entered = now - window  # an article dated after this is inside the window now
    moments = []
    for article in articles:
        date = article.date
        if date > now:
            moments.append(date)
        elif date > entered:
            moments.append(date + window)
    return min(moments, default=None)


_COUNTS = ("articles", "pages", "skipped_drafts", "skipped_future")


def memo_from(data: object) -> Memo | None:
    """The memo recorded in the output manifest, or None: also for one that is damaged or
    hand-edited in any way (a memo is trusted only when every field is as a build wrote it),
    which then simply means a normal build."""
    if not isinstance(data, dict) or set(data) != set(Memo.__dataclass_fields__):
        return None
    counts_ok = all(type(data[name]) is int and data[name] >= 0 for name in _COUNTS)
    times_ok = _instant(data["valid_from"]) is not None and (
        data["valid_until"] is None or _instant(data["valid_until"]) is not None
    )
    if not (counts_ok and times_ok and isinstance(data["inputs"], str)):
        return None
    racy = data["racy"]
    if not isinstance(data["ledger"], str):
        return None
    if not isinstance(racy, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in racy.items()
    ):
        return None
    warnings = _warnings(data["warnings"])
    if warnings is None:
        return None
    return Memo(**{**data, "warnings": warnings})


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _warnings(value: object) -> tuple[Problem, ...] | None:
    """The memo's warnings, or None unless each is a well-formed warning."""
    if not isinstance(value, list):
        return None
    found = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"path", "line", "message", "severity"}:
            return None
        line = item["line"]
        if not (isinstance(item["path"], str) and isinstance(item["message"], str)):
            return None
        if item["severity"] != WARNING or not (line is None or type(line) is int):
            return None
        found.append(Problem(**item))
    return tuple(found)


def is_current(memo: Memo | None, inputs: Inputs, now: datetime) -> bool:
    """True when ``memo`` describes these very inputs and its output holds at ``now`` (which
    may lie after the memoised build's reference time, never before it: an earlier ``--now``
    can change which articles are published)."""
    if memo is None or memo.inputs != inputs.fingerprint:
        return False
    valid_from = _instant(memo.valid_from)
    if valid_from is None or now < valid_from:
        return False
    if memo.valid_until is None:
        return True
    until = _instant(memo.valid_until)
    return until is not None and now < until


def memo_to_record(memo: Memo) -> dict:
    """The memo as stored in the manifest."""
    return asdict(memo)


def _add_stamp(parts: list[str], kind: str, name: str, stamp: Stamp | None) -> None:
    parts += _stamp_parts(kind, [(name, stamp)])


def _stamp_parts(kind: str, stamps: Iterable[tuple[str, Stamp | None]]) -> list[str]:
    """How the inputs' fingerprint spells each file's stamp."""
    return [
        f"{kind}:{name}:missing"
        if stamp is None
        else f"{kind}:{name}:{stamp.mtime_ns}:{stamp.size}"
        for name, stamp in stamps
    ]


def memo_of(
    inputs: Inputs,
    now: datetime,
    until: datetime | None,
    report: BuildReport,
    warnings: tuple[Problem, ...],
    ledger: str | None = None,
) -> Memo:
    """The memo of a successful build with these inputs, reference time, figures and
    warnings; ``ledger`` is the hash of the ledger the build writes (None: it leaves the
    ledger as it found it)."""
    return Memo(
        inputs=inputs.fingerprint,
        valid_from=now.isoformat(),
        valid_until=until.isoformat() if until else None,
        articles=report.articles,
        pages=report.pages,
        skipped_drafts=report.skipped_drafts,
        skipped_future=report.skipped_future,
        warnings=tuple(p for p in warnings if not p.is_error),
        racy=inputs.racy,
        ledger=inputs.ledger if ledger is None else ledger,
    )


def memoised_report(memo: Memo, files: int) -> BuildReport:
    """The report of a build that found nothing changed since the memoised one (its own
    warnings and timings are the caller's to add)."""
    return BuildReport(
        articles=memo.articles,
        pages=memo.pages,
        unchanged=files,
        skipped_drafts=memo.skipped_drafts,
        skipped_future=memo.skipped_future,
        problems=memo.warnings,
    )
