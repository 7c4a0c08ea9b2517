"""Worker processes: run a job over batches of items, with results in input order.

This module knows nothing of what the jobs do (jobs.py has parsing and rendering). A job is
made in each worker from a setup sent through the pool initializer's arguments (pickled, so
any start method works, and so could a cluster's); nothing relies on state inherited by
fork. Small batches run in the calling process, where starting a pool would cost more than
it saves.

Workers never outlive the build: each holds the read end of a pipe (the "lifeline") whose
write end only the building process has, and a thread in each worker exits the process
when that pipe reaches its end, which the kernel makes happen however the parent died
(kill -9 included). Once the workers are gone the forkserver, which stays up only while a
client holds its "alive" pipe, ends too. What goes wrong in a job comes back as a value (the
job's own business) or as an exception the parent can always unpickle (``WorkerError``);
a worker that dies is a ``WorkerError`` too.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any, Protocol

from . import status
from .collector import no_collections

CHUNK = 64
POOL_THRESHOLD = 2 * CHUNK
Progress = Callable[[str, int, int], None]
ORPHAN_EXIT = status.INTERNAL
"""Exit status of a worker whose parent died (as in an internal error: nobody reads it)."""

# The state of a worker process, set once by the pool initializer (never in the parent).
_WORKER: dict[str, Any] = {}


class Job(Protocol):
    """What runs in a worker: made once per process from a picklable setup, then given
    batches of picklable items; ``run`` returns one result per item, in order."""

    def __init__(self, setup: Any) -> None: ...

    def run(self, items: Sequence[Any]) -> list[Any]:
        """The results of a batch of items."""
        ...


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class WorkerError(Exception):
    """A worker process failed other than through a template: it died, or raised an
    exception that could not be sent back as it was. ``str()`` is one line saying which and
    why; ``details`` holds the worker's traceback, when there is one (for ``--debug``)."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message, details)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


def _start_worker(job: type[Job], setup: list[bytes], lifeline: Connection) -> None:
    """The pool initializer: watch the parent, then make the job from its pickled setup. A
    failure here is kept for the first batch to raise (concurrent.futures would print a
    traceback and break the pool).

    The setup (a render job's holds the whole archive: millions of objects, no reference
    cycles) is unpickled with the collector off, and everything made by then is frozen
    (``gc.freeze``): otherwise every full collection while the job runs walks it all again,
    which at 100,000 articles made each page cost a fifth more to render. The pickle comes
    in a list, emptied here: the pool keeps its initializer's arguments for the worker's
    life, and would keep the bytes too."""
    _watch_parent(lifeline)
    try:
        with no_collections():
            _WORKER["run"] = job(pickle.loads(setup.pop())).run
    except Exception as exc:
        _WORKER["failed"] = _portable(exc)


def _watch_parent(lifeline: Connection) -> None:
    """Exit this process as soon as the parent is gone: a blocked read, no cost per task."""

    def wait() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()  # the parent never writes: this returns at its death
        os._exit(ORPHAN_EXIT)

    threading.Thread(target=wait, name="masthead-lifeline", daemon=True).start()


def _run_chunk(chunk: Sequence[Any]) -> list[Any]:
    failed = _WORKER.get("failed")
    if failed is not None:
        raise failed
    try:
        return _WORKER["run"](chunk)
    except Exception as exc:
        raise _portable(exc) from None
    except SystemExit as exc:  # a plug-in calling sys.exit() must not stop the parent
        raise WorkerError(f"a worker process was asked to exit (SystemExit: {exc})") from None


def _portable(exc: Exception) -> Exception:
    """``exc`` if the parent can unpickle it as it is; else a WorkerError that says what it
    was, with the worker's traceback in its message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        details = "".join(traceback.format_exception(exc)).rstrip()
        return WorkerError(f"{type(exc).__name__} in a worker process: {exc}", details)
    return exc


def run_batches(
    items: Sequence,
    job: type[Job],
    setup: Any,
    jobs: int,
    progress: Progress | None,
    label: str,
    prepare: Callable[[Any], Any] | None = None,
) -> Iterator:
    """Run ``job`` over ``items`` in batches, in ``jobs`` worker processes (in this one for
    few items), yielding results in the order of ``items``; ``progress(label, done, total)``
    after each batch. Raises WorkerError when a worker dies.

    ``prepare`` turns an item into what the job is given, a batch at a time just before
    the batch is sent (a render task gets its pages' bodies then): with only a few batches
    under way at once, what they carry is in memory for those few, not for every item."""
    spans = [(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)]

    def batch(span: tuple[int, int]) -> list:
        chosen = items[span[0] : span[1]]
        return [prepare(item) for item in chosen] if prepare else list(chosen)

    if jobs <= 1 or len(items) < POOL_THRESHOLD:
        run = job(setup).run
        results = (run(batch(span)) for span in spans)
        yield from _collect(spans, results, len(items), progress, label)
        return
    # The write end stays here; a worker sees the read end close when this process dies.
    lifeline, keep_alive = multiprocessing.Pipe(duplex=False)
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_context(),
        initializer=_start_worker,
        initargs=(job, [pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL)], lifeline),
    )
    try:
        results = _in_flight(pool, map(batch, spans), jobs * AHEAD)
        yield from _collect(spans, results, len(items), progress, label)
    except BrokenProcessPool as exc:
        raise WorkerError(
            f"a worker process stopped unexpectedly while {label} (killed, or out of memory?); "
            f"rerun with --jobs 1 to build in one process"
        ) from exc
    finally:
        pool.shutdown(cancel_futures=True)
        keep_alive.close()
        lifeline.close()


AHEAD = 3
"""Batches sent ahead per worker: enough that none waits for the next, few enough that the
batches under way hold little memory (``Executor.map`` would send every batch at once)."""


def _in_flight(pool: ProcessPoolExecutor, batches: Iterator[list], limit: int) -> Iterator:
    """The results of ``_run_chunk`` over ``batches``, in order, with at most ``limit``
    batches submitted and not yet collected."""
    waiting: collections.deque[Future] = collections.deque()
    for chunk in batches:
        waiting.append(pool.submit(_run_chunk, chunk))
        if len(waiting) >= limit:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


def _collect(
    spans: list, results: Iterator, total: int, progress: Progress | None, label: str
) -> Iterator:
    done = 0
    for (start, end), chunk_results in zip(spans, results, strict=True):
        done += end - start
        if progress:
            progress(label, done, total)
        yield from chunk_results


def _context() -> multiprocessing.context.BaseContext:
    """forkserver, so that workers do not inherit the parent's threads (the preview server
    has some); spawn where there is none, or where it cannot start: it listens on a Unix
    socket in the temporary folder, and the system caps such a path at about a hundred
    bytes (a long TMPDIR)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        try:
            forkserver.ensure_running()
            return multiprocessing.get_context("forkserver")
        except OSError:
            pass
    return multiprocessing.get_context("spawn")
