"""Run one command and print what it cost as one JSON line: a fresh process per measurement.

    python bench/measure.py LOGFILE WORKDIR COMMAND [ARG...]

The command's output goes to LOGFILE. ``max_rss_mb`` is getrusage(RUSAGE_CHILDREN).ru_maxrss:
the peak resident memory of the largest single process of the command (this process has no
other children, so the figure is the command's alone). ``tree_rss_mb`` is the largest sum of
resident memory over the command's whole process tree, sampled every 50 ms from /proc: it
matters for tools that start worker processes, and may miss a short peak. ``cpu_seconds``
(user + system) is the larger of getrusage's figure and the sum over every process seen in
the tree: workers that are never waited for are missing from getrusage.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.05


def sample_tree(pid: int, cpu_ticks: dict) -> int:
    """Resident memory of ``pid`` and all its descendants, in kB (0 once it has gone).

    Records each process's CPU time so far in ``cpu_ticks``, keyed by (pid, start time).
    """
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        proc = Path(f"/proc/{current}")
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cpu_ticks[(current, stat[19])] = int(stat[11]) + int(stat[12])  # utime + stime
            status = (proc / "status").read_text()
            total += next(
                (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")),
                0,
            )
            for task in (proc / "task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue  # the process ended while we looked
    return total


def main(argv: list[str]) -> int:
    log, workdir, command = argv[0], argv[1], argv[2:]
    peak = 0
    cpu_ticks: dict = {}
    done = threading.Event()
    with open(log, "wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak
            while not done.wait(SAMPLE_SECONDS):
                peak = max(peak, sample_tree(child.pid, cpu_ticks))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = child.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampled_cpu = sum(cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")
    result = {
        "seconds": round(seconds, 4),
        "cpu_seconds": round(max(usage.ru_utime + usage.ru_stime, sampled_cpu), 3),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "tree_rss_mb": round(max(peak, usage.ru_maxrss) / 1024, 1),
        "returncode": returncode,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
