"""A one-line progress bar for terminals, shown only once a build has run for a second."""

from __future__ import annotations

import time
from typing import TextIO

DELAY = 1.0
INTERVAL = 0.1
WIDTH = 30


class ProgressBar:
    """Call with (label, done, total); redraws at most ten times a second."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < DELAY or (now - self.last < INTERVAL and done < total):
            return
        self.last = now
        filled = WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r{label:<10} [{bar}] {done}/{total}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the bar before the summary is printed."""
        if self.shown:
            self.stream.write("\r" + " " * (WIDTH + 40) + "\r")
            self.stream.flush()
