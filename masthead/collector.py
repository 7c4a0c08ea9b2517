"""When the garbage collector runs during a build, in one place.

A build makes millions of small, long-lived records without reference cycles. The
collector finds nothing in them, yet each full collection walks every one of them again:
these context managers keep it from doing so while they are made or unpickled, and freeze
(``gc.freeze``) what survives, for the processes that keep it."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the collector less often while a build makes its records; with the default
    thresholds it would walk them again and again, which costs a third of an incremental
    build's time."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), max(before[1], 20), max(before[2], 20))
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextlib.contextmanager
def no_collections() -> Iterator[None]:
    """No garbage collection while saved state is unpickled (cached records, a saved
    plan, a render worker's setup): it holds no reference cycles, so a collection finds
    nothing, yet each one walks every object made so far (0.8 s of an edit's build at
    100,000 articles). Afterwards every object made so far is frozen (``gc.freeze``), or
    the next collections would walk it all the same; the young generations are collected
    first, so that no garbage made before is frozen with it. ``thawed_at_the_end``
    returns what was frozen."""
    enabled = gc.isenabled()
    gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextlib.contextmanager
def thawed_at_the_end(keep_frozen: bool = False) -> Iterator[None]:
    """Run a build (or a load of the sources outside one): at its end, what
    ``no_collections`` froze goes back to the collector's oldest generation, so a process
    that builds now and then still collects it in its own time. Unless ``keep_frozen`` (a
    process that freezes what each build leaves, as the preview server does), or the caller
    had frozen objects itself before (which ``gc.unfreeze`` would thaw too)."""
    thaw = not keep_frozen and gc.get_freeze_count() == 0  # counting walks what is frozen
    try:
        yield
    finally:
        if thaw:
            gc.unfreeze()


def settle() -> None:
    """Collect the last build's garbage, then exempt what survives from later collections:
    for a process that keeps what each build leaves (the preview server's session, half a
    million objects at 10,000 articles), where walking it costs a third of a second and a
    collection would otherwise land in the middle of some rebuild."""
    gc.collect()
    gc.freeze()
