"""Worker processes: they die with the build, and what fails in them comes back to it.

- Orphans: ``masthead build`` is killed with SIGKILL while its workers render (a site
  template makes every page take far longer than the test waits), and every process it
  started (forkserver, workers, resource tracker) must be gone within seconds. Processes
  are found through /proc; a failing test kills what it found, so nothing burns on.
- I/O errors while a worker stages a file come back as ``Rendered.error``, page by page,
  in one process and in the pool alike; the pool carries on.
- Any other failure in a worker (an exception the parent cannot unpickle, a worker that
  exits, ``sys.exit()``, a failing initializer) ends the build promptly with one exception,
  and nothing is printed: each case runs in a subprocess with a deadline.
"""

from __future__ import annotations

import errno
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import jinja2
import pytest
from sitegen import REPO, copy_theme_template, generate_site

from masthead import workers
from masthead.clean import _remove_bytecode
from masthead.config import SiteConfig
from masthead.jobs import RenderSetup, RenderTask, render_tasks
from masthead.model import Archive, Page
from masthead.render import make_environment, render_page
from masthead.taxonomy import KINDS as TAXONOMIES
from masthead.workers import POOL_THRESHOLD
from masthead.write import Slot

TESTS = Path(__file__).resolve().parent
GONE_WITHIN = 5.0  # seconds for every descendant to exit once the build is killed
DEADLINE = 60.0

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


# --- Orphans ------------------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, str, int]]:
    """Every process: pid -> (parent pid, state, start time in clock ticks)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as stat:
                text = stat.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
        table[int(name)] = (int(fields[1]), fields[0], int(fields[19]))
    return table


def descendants(root: int) -> dict[int, int]:
    """The living descendants of ``root``: pid -> start time (to tell a reused pid)."""
    table = process_table()
    found, grew = {root}, True
    while grew:
        grew = False
        for pid, (parent, _, _) in table.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return {pid: table[pid][2] for pid in found - {root} if table[pid][1] != "Z"}


def still_alive(processes: dict[int, int]) -> list[int]:
    """Which of ``processes`` still run (zombies waiting for a reaper do not)."""
    table = process_table()
    return [
        pid
        for pid, started in processes.items()
        if pid in table and table[pid][2] == started and table[pid][1] != "Z"
    ]


def slow_site(root: Path) -> Path:
    """Too few sources for the parse pool, but many pages, each taking minutes to render."""
    generate_site(root, 60, per_page=5)
    template = copy_theme_template(root, "article.html")
    text = template.read_text("utf-8")
    template.write_text(
        text.replace("<h1>", "{% for _ in range(10 ** 10) %}{% endfor %}<h1>", 1), "utf-8"
    )
    return root


SPAWN_BUILD = """\
import multiprocessing, sys
from masthead import workers
from masthead.clean import _remove_bytecode
workers._context = lambda: multiprocessing.get_context("spawn")
from masthead.cli import main
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_workers_exit_when_the_build_is_killed(tmp_path: Path, start_method: str) -> None:
    site = slow_site(tmp_path / "site")
    args = ["build", "--site", str(site), "--no-cache", "--jobs", "2"]
    if start_method == "spawn":
        script = tmp_path / "spawn_build.py"
        script.write_text(SPAWN_BUILD, "utf-8")
        command = [sys.executable, str(script), *args]
    else:
        command = [sys.executable, "-m", "masthead.cli", *args]
    log = (tmp_path / "build.log").open("w")  # not a pipe: an orphan would hold it open
    build = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    # Two workers, and the forkserver that forks them: then rendering has begun.
    expected = 3 if start_method == "forkserver" else 2
    seen: dict[int, int] = {}
    try:
        deadline = time.monotonic() + DEADLINE
        while len(pool_processes(seen)) < expected:
            assert build.poll() is None, (tmp_path / "build.log").read_text()
            assert time.monotonic() < deadline, f"the pool did not start: {seen}"
            time.sleep(0.05)
            seen.update(descendants(build.pid))
        time.sleep(0.3)  # let them get into their pages
        seen.update(descendants(build.pid))
        build.kill()
        build.wait(timeout=DEADLINE)
        killed = time.monotonic()
        while (alive := still_alive(seen)) and time.monotonic() - killed < GONE_WITHIN:
            time.sleep(0.05)
        assert not alive, f"still running {GONE_WITHIN:.0f} s after the build was killed: " + (
            ", ".join(f"{pid} {cmdline(pid)}" for pid in alive)
        )
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
        for pid in still_alive(seen):
            os.kill(pid, signal.SIGKILL)
        log.close()


def pool_processes(processes: dict[int, int]) -> list[int]:
    """The living ``processes`` other than multiprocessing's resource tracker."""
    return [pid for pid in still_alive(processes) if "resource_tracker" not in cmdline(pid)]


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")[:160]
    except OSError:
        return "?"


# --- I/O errors while staging -------------------------------------------------------------


@pytest.fixture
def render_setup(tmp_path: Path) -> RenderSetup:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "plain.txt").write_text("{{ page.title }}\n", "utf-8")
    archive = Archive((), {kind: () for kind in TAXONOMIES}, (), (), ())
    return RenderSetup((templates,), SiteConfig(), (), (), archive, tmp_path)


def staging_tasks(folder: Path, n: int) -> tuple[list[RenderTask], dict[int, int]]:
    """``n`` pages to stage in ``folder``; some of their slots cannot be written. Returns
    the tasks and, for the failing ones, the errno each must come back with."""
    folder.mkdir(exist_ok=True)
    (folder / "a-file").write_text("not a folder")
    (folder / "a-folder.tmp").mkdir()
    broken = {
        3: (folder / "missing" / "x.tmp", errno.ENOENT),
        40: (folder / ("n" * 300 + ".tmp"), errno.ENAMETOOLONG),
        77: (folder / "a-file" / "x.tmp", errno.ENOTDIR),
        101: (folder / "a-folder.tmp", errno.EISDIR),
    }
    if Path("/dev/full").exists():
        broken[130] = (Path("/dev/full"), errno.ENOSPC)  # opened, written, never removed
    tasks = []
    for i in range(n):
        temp = broken[i][0] if i in broken else folder / f"{i}.tmp"
        page = Page(
            url=f"p{i}.txt", template="plain.txt", kind="robots", title=f"page {i}", lang="en"
        )
        slot = Slot(f"p{i}.txt", str(temp), str(folder / "out" / f"p{i}.txt"), None)
        tasks.append(RenderTask(page, {}, "", slot))
    return tasks, {i: code for i, (_, code) in broken.items()}


@pytest.mark.parametrize("jobs", [1, 2])
def test_staging_errors_come_back_as_values(
    render_setup: RenderSetup, tmp_path: Path, jobs: int
) -> None:
    tasks, failing = staging_tasks(tmp_path / "staging", POOL_THRESHOLD + 40)
    results = list(render_tasks(tasks, render_setup, jobs, None))
    assert [r.url for r in results] == [t.page.url for t in tasks], "in order, all"
    for i, result in enumerate(results):
        if i in failing:
            assert result.staged is None and result.problem is None, i
            assert isinstance(result.error, OSError) and result.error.errno == failing[i], (
                i,
                result.error,
            )
            assert result.error.filename == tasks[i].slot.temp
        else:
            assert result.error is None and result.problem is None, (i, result)
            assert result.staged and result.staged.written
            assert Path(tasks[i].slot.temp).read_text("utf-8") == f"page {i}\n"


@pytest.mark.parametrize("jobs", [1, 2])
def test_items_are_prepared_only_a_few_batches_ahead_of_their_results(jobs: int) -> None:
    """``prepare`` (which gives a render task its bodies) runs a batch at a time as batches
    are sent: what the prepared items hold is in memory for the batches under way, not for
    every item at once (Executor.map sends every batch at the start)."""
    sys.path.insert(0, str(TESTS))
    import workerfaults

    prepared: list[int] = []

    def prepare(item: int) -> int:
        prepared.append(item)
        return item * 2

    total = workers.CHUNK * 20
    ahead = []
    results = workers.run_batches(
        list(range(total)), workerfaults.FaultyWorker, "none", jobs, None, "testing", prepare
    )
    for seen, result in enumerate(results, start=1):
        assert result == (seen - 1) * 2, "prepared items, in order"
        ahead.append(len(prepared) - seen)
    assert prepared == list(range(total)), "each item prepared once"
    in_flight = 1 if jobs == 1 else jobs * workers.AHEAD
    assert max(ahead) < in_flight * workers.CHUNK, ahead


def test_a_worker_freezes_its_setup_and_keeps_collecting() -> None:
    """A worker unpickles its setup (a render job's holds the archive) with the collector
    off, then freezes it, so that collections while it renders do not walk the archive; the
    collector runs again for what the job makes."""
    sys.path.insert(0, str(TESTS))
    import workerfaults

    setup = [list(range(10)) for _ in range(1000)]
    items = list(range(POOL_THRESHOLD))
    results = list(
        workers.run_batches(items, workerfaults.CollectorReport, setup, 2, None, "testing")
    )
    assert set(results) == {(True, False, True)}, set(results)


def test_a_rendered_page_comes_back_without_the_bodies_it_was_sent(
    render_setup: RenderSetup, tmp_path: Path
) -> None:
    """What a worker sends back names the page and its slot; the bodies stay behind."""
    tasks, _ = staging_tasks(tmp_path / "staging", 2)
    body = "x" * 100_000
    heavy = [RenderTask(task.page, {0: body}, "print", task.slot) for task in tasks]
    results = list(render_tasks(heavy, render_setup, 1, None))
    assert [(r.url, r.slot, r.fingerprint) for r in results] == [
        (t.page.url, t.slot, "print") for t in heavy
    ]
    assert all(len(pickle.dumps(result)) < 10_000 for result in results)


def test_an_unwritable_template_cache_only_means_compiling(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "plain.txt").write_text("{{ page.title }}\n", "utf-8")
    archive = Archive((), {kind: () for kind in TAXONOMIES}, (), (), ())
    page = Page(url="p.txt", template="plain.txt", kind="robots", title="T", lang="en")
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("")
    for bytecode in (not_a_folder, not_a_folder / "templates"):
        env = make_environment((templates,), SiteConfig(), (), (), bytecode)
        assert render_page(env, page, archive) == b"T\n"
    cache = tmp_path / "bytecode"
    env = make_environment((templates,), SiteConfig(), (), (), cache)
    assert render_page(env, page, archive) == b"T\n"
    for compiled in cache.iterdir():
        compiled.write_bytes(compiled.read_bytes()[:20])  # truncated, as by a full disk
    env = make_environment((templates,), SiteConfig(), (), (), cache)
    assert render_page(env, page, archive) == b"T\n"


# --- Other failures in workers ------------------------------------------------------------

FAULT_RUN = """\
import sys
sys.path.insert(0, {tests!r})
import workerfaults
from masthead import workers
from masthead.clean import _remove_bytecode

if __name__ == "__main__":
    try:
        results = workers.run_batches(
            list(range(300)), workerfaults.FaultyWorker, sys.argv[1], 2, None, "testing",
        )
        print("results", len(list(results)))
    except BaseException as exc:
        print("raised", type(exc).__name__ + ":", exc)
"""

FAULTS = {
    "none": "results 300",
    "raise": "raised LookupError: an ordinary exception",
    "raise-unpicklable": "raised WorkerError: Unpicklable in a worker process: 1/2",
    "exit": "raised WorkerError: a worker process stopped unexpectedly while testing "
    "(killed, or out of memory?); rerun with --jobs 1 to build in one process",
    "sys-exit": "raised WorkerError: a worker process was asked to exit (SystemExit: 4)",
    "init": "raised RuntimeError: the initializer failed",
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failing_worker_ends_the_build_promptly_and_quietly(tmp_path: Path, fault: str) -> None:
    script = tmp_path / "run.py"
    script.write_text(FAULT_RUN.format(tests=str(TESTS)), "utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(script), fault],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == FAULTS[fault]
    assert result.stderr == "", "nothing printed: no traceback, no warning"
    assert time.monotonic() - started < DEADLINE / 2


def test_a_worker_error_pickles_with_its_details() -> None:
    error = workers._portable(workerfaults_unpicklable())
    assert isinstance(error, workers.WorkerError)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == "Unpicklable in a worker process: 1/2"
    assert "Traceback" in copy.details and "\n" not in str(copy)


def workerfaults_unpicklable() -> Exception:
    sys.path.insert(0, str(TESTS))
    import workerfaults

    try:
        raise workerfaults.Unpicklable(1, 2)
    except workerfaults.Unpicklable as exc:
        return exc


def test_templates_compiled_by_another_compiler_are_never_loaded(tmp_path: Path) -> None:
    """A masthead before the escaped-text compiler (or Jinja itself) names its compiled
    templates __jinja2_*.cache in the same folder: neither side loads the other's code,
    whose calls the other may not have."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("<p>{{ page.title }}</p>\n", "utf-8")
    cache = tmp_path / "bytecode"
    cache.mkdir()
    other = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache)),
        autoescape=True,
    )
    other.get_template("page.html")  # compiled the way earlier releases compiled it
    env = make_environment((templates,), SiteConfig(), (), (), cache)
    compiled = env.get_template("page.html")
    assert "masthead_escaped_text" in compiled.root_render_func.__code__.co_names
    names = sorted(path.name for path in cache.iterdir())
    assert len(names) == 2 and names[0].startswith("__jinja2_")
    assert names[1].startswith("__masthead_escaped_text_")
    again = make_environment((templates,), SiteConfig(), (), (), cache)
    assert (
        "masthead_escaped_text"
        in again.get_template("page.html").root_render_func.__code__.co_names
    )
    _remove_bytecode(cache)  # masthead clean: both kinds go, and the emptied folder
    assert not cache.exists()
