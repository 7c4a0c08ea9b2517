"""One writer per output folder: an advisory lock held for the whole of a build.

The lock is ``flock`` on the output folder itself (the kernel releases it when the process
dies, however it dies, so a killed build never leaves a stale lock, and no lock file joins
the site). While it holds the lock, a build names itself in ``HOLDER_FILE`` inside its
staging folder, so that a second build can say whom it waits for. Builds into different
folders (the preview's and ``output/``) never wait for each other.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .model import printable

try:
    import fcntl
except ImportError:  # not POSIX: no lock (documented); one build at a time is up to the user
    fcntl = None  # type: ignore[assignment]

HOLDER_FILE = ".masthead-staging/holder.json"
POLL_SECONDS = 0.2


class OutputBusy(Exception):
    """Another build holds the output folder (raised with ``wait=False``)."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


@contextlib.contextmanager
def output_lock(
    output_path: Path, wait: bool = True, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the output folder's lock; create the folder if needed (OSError if impossible).

    With ``wait`` False, raise OutputBusy at once when another build holds it; otherwise
    call ``on_wait`` once with a description of the holder, and wait."""
    if fcntl is None:
        yield
        return
    output_path.mkdir(parents=True, exist_ok=True)
    fd = _acquire(output_path, wait, on_wait)
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(path: Path, wait: bool, on_wait: Callable[[str], None] | None) -> int:
    told = False
    while True:
        path.mkdir(parents=True, exist_ok=True)  # the holder may have removed it (it failed)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _holder(path)
            if not wait:
                raise OutputBusy(holder) from None
            if on_wait and not told:
                on_wait(holder)
                told = True
            time.sleep(POLL_SECONDS)
            continue
        if _same_folder(fd, path):
            return fd
        os.close(fd)  # the folder was removed and made anew meanwhile: lock the new one


def _same_folder(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def name_holder(output_path: Path) -> None:
    """Say, for builds that wait, who holds the lock (call while holding it)."""
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    path = output_path / HOLDER_FILE
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")


def _holder(output_path: Path) -> str:
    """Who holds the lock, as far as its holder said."""
    try:
        record = json.loads((output_path / HOLDER_FILE).read_text(encoding="utf-8"))
        return printable(
            f"process {int(record['pid'])} on {record['host']}, started {record['started']}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "another masthead build"


def release_folder_if_empty(output_path: Path) -> None:
    """Remove the output folder when nothing is in it (a first build that failed leaves
    no folder behind). Call while holding the lock."""
    with contextlib.suppress(OSError):
        output_path.rmdir()
