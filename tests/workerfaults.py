"""Worker processes that fail on purpose, for tests/test_workers.py.

A module of its own, so that worker processes (forkserver or spawn) can import it without
importing pytest. ``FaultyWorker(fault).run`` fails as ``fault`` says, in the worker; run it
through ``masthead.workers.run_batches`` as the job, with the fault as its setup.
"""

from __future__ import annotations

import os
import sys


class Unpicklable(Exception):
    """Pickles, but cannot be unpickled: its constructor wants two arguments."""

    def __init__(self, first: object, second: object):
        super().__init__(f"{first}/{second}")


class FaultyWorker:
    """Returns its items unchanged, unless ``fault`` makes it fail (``init``: when made)."""

    def __init__(self, fault: str):
        if fault == "init":
            raise RuntimeError("the initializer failed")
        self.fault = fault

    def run(self, items: list) -> list:
        if self.fault == "raise":
            raise LookupError("an ordinary exception")
        if self.fault == "raise-unpicklable":
            raise Unpicklable(1, 2)
        if self.fault == "exit":
            os._exit(3)
        if self.fault == "sys-exit":
            sys.exit(4)
        return list(items)


class CollectorReport:
    """Reports, for each item, how the worker's garbage collector stands once the job is
    made from its setup: whether it runs, and whether the setup was frozen."""

    def __init__(self, setup: list):
        import gc

        self.setup = setup
        self.setup_frozen = gc.get_freeze_count() > 0

    def run(self, items: list) -> list:
        import gc

        return [(gc.isenabled(), self.setup_frozen, gc.get_freeze_count() > 0) for _ in items]
