"""What a long-running process remembers from one build to the next.

``masthead build`` starts from the disk every time (the parse cache and the output manifest
carry what one build leaves the next). The preview server builds again on every save, and
at archive scale even reading that state back and planning every page again costs seconds.
A ``Session`` keeps the results of the pipeline's pure steps in memory: a step called with
inputs equal to last time's (usually the very same objects, which compare instantly) gets
its previous result back. Nothing is ever reused on a guess: equal inputs, same result.

Only results used by the latest build are kept, so memory stays that of one build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from .stamps import file_key

T = TypeVar("T")


class Table:
    """Results of one step, by key (a source path, a page URL), each with its inputs."""

    def __init__(self, previous: dict[Hashable, tuple[Any, Any]]):
        self.previous = previous
        self.current: dict[Hashable, tuple[Any, Any]] = {}

    def get(self, key: Hashable, inputs: Any, compute: Callable[[], T]) -> T:
        """The result stored under ``key`` if it was computed from equal inputs, else
        ``compute()`` (remembered for the next build)."""
        entry = self._matching(key, inputs)
        value = entry[1] if entry else compute()
        self.current[key] = (inputs, value)
        return value

    def put(self, key: Hashable, inputs: Any, value: Any) -> None:
        """Remember a result computed elsewhere."""
        self.current[key] = (inputs, value)

    def lookup(self, key: Hashable, inputs: Any) -> Any | None:
        """The result stored under ``key`` for equal inputs, or None; kept for the next build
        only when found (or ``put`` again)."""
        entry = self._matching(key, inputs)
        if entry is None:
            return None
        self.current[key] = entry
        return entry[1]

    def carry(self, key: Hashable) -> tuple[Any, Any] | None:
        """The entry (inputs, result) stored under ``key``, whatever its inputs, kept for
        the next build; None when there is none. The caller checks the inputs."""
        entry = self.current.get(key) or self.previous.get(key)
        if entry is not None:
            self.current[key] = entry
        return entry

    def _matching(self, key: Hashable, inputs: Any) -> tuple[Any, Any] | None:
        entry = self.current.get(key) or self.previous.get(key)
        if entry is not None and (entry[0] is inputs or entry[0] == inputs):
            return entry
        return None

    def last(self, key: Hashable) -> Any | None:
        """The result the previous build stored under ``key``, whatever its inputs."""
        entry = self.previous.get(key)
        return None if entry is None else entry[1]


class Session:
    """Memory of earlier builds in this process; a fresh Session remembers nothing.

    A Session is the reusing ``model.Memoizer``: ``call(step, *args)`` gives back the last
    build's result of ``step`` when its arguments are equal, so what a step depends on is
    exactly what it is given, never a list kept beside it."""

    def __init__(self, keeps_frozen: bool = False, lasting: bool = True) -> None:
        """``keeps_frozen``: the process freezes what each build leaves (``gc.freeze``, as
        the preview server does), so a build leaves frozen what it froze; otherwise a
        build returns it to the collector when it ends. ``lasting`` False: the session of
        one command, whose later builds (if any: the rerun after ``--accept-url-changes``)
        may read from disk again what a step would keep only for them."""
        self.keeps_frozen = keeps_frozen
        self.lasting = lasting
        self._previous: dict[str, dict[Hashable, tuple[Any, Any]]] = {}
        self._tables: dict[str, Table] = {}
        self._unchecked: frozenset[str] | None = None
        self._vouched = False

    def saw_changes(self, sources: frozenset[str] | None) -> None:
        """What a watcher saw before the next build: the only sources (relative to the
        content folder) that changed since the last one, or None when it cannot vouch for
        the rest. Changes add up until a build has checked them (see ``unchecked``); a
        build that no watcher vouched for checks every source."""
        if sources is None or self._unchecked is None:
            self._unchecked = None
        else:
            self._unchecked |= sources
        self._vouched = True

    def unchecked(self) -> frozenset[str] | None:
        """The only sources that may have changed since the last build checked every
        source's stat; None when any may have: no build checked them in this session, or
        no watcher vouched for every change since."""
        return self._unchecked if self._vouched else None

    def checked(self) -> None:
        """The build under way has the stat of every source as it is now: from here on,
        only what a watcher reports before the next build may differ."""
        self._unchecked = frozenset()
        self._vouched = False

    def table(self, name: str) -> Table:
        """The table of step ``name`` for the build under way."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = Table(self._previous.get(name, {}))
        return table

    def call(self, step: Callable[..., T], *args: Any) -> T:
        """``step(*args)``, or the last build's result of ``step`` for equal arguments."""
        return self.table(_name(step)).get(None, args, lambda: step(*args))

    def each(self, step: Callable[..., T], key: Hashable, *args: Any) -> T:
        """``step(*args)`` for one of many items, or the last build's result for ``key``
        and equal arguments."""
        return self.table(_name(step)).get(key, args, lambda: step(*args))

    def same(self, name: str, value: T) -> T:
        """The value the last build had under ``name`` if it equals ``value``, else
        ``value``: equal inputs become the very same object, which later compare instantly."""
        return self.table(name).get(None, value, lambda: value)

    def file(
        self,
        path: os.PathLike,
        read: Callable[[os.PathLike], T],
        missing: T,
        also: tuple[os.PathLike, ...] = (),
    ) -> T:
        """``read(path)``, or what the last build read from it while the file is unchanged
        (same inode, size and mtime), and so are the files ``also`` that ``read`` reads
        besides; ``missing`` when there is no file at ``path``."""
        key = _stamps(path, also)
        if key is None:
            return missing
        return self.table("file").get(str(path), key, lambda: read(path))

    def wrote_file(self, path: os.PathLike, value: Any, also: tuple[os.PathLike, ...] = ()) -> None:
        """Remember what this build wrote to ``path`` (and the files ``also``), as if read
        back from it."""
        key = _stamps(path, also)
        if key is not None:
            self.table("file").put(str(path), key, value)
            self.table(WROTE).put(str(path), None, value)

    def wrote_last(self, path: os.PathLike, value: Any) -> bool:
        """True when ``value`` (as ``file`` gave it) is what this process itself wrote to
        ``path`` last, and the file is unchanged since: nobody else wrote it after."""
        return self.table(WROTE).lookup(str(path), None) is value

    def finish_build(self) -> None:
        """Keep what this build used for the next one. A step the build did not reach (it
        stopped at an error) keeps what it had."""
        for name, table in self._tables.items():
            self._previous[name] = table.current
        self._tables = {}


WROTE = "wrote"
"""The table of what this process wrote to each file (``wrote_file``)."""


def _stamps(path: os.PathLike, also: tuple[os.PathLike, ...]) -> tuple | None:
    """The file keys of ``path`` and of ``also`` (None for one that is missing); None when
    ``path`` itself is missing."""
    key = file_key(path)
    if key is None:
        return None
    return (key, *map(file_key, also)) if also else key


def _name(step: Callable) -> str:
    return f"{step.__module__}.{step.__qualname__}"
