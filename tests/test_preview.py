"""The preview server's state: one build at a time, requests held while it runs and
released with its result, live reload by build generation and the long poll; then the small
pure helpers of ``masthead serve`` (addresses, options, the preview folder, the log line).
"""

from __future__ import annotations

import io
import queue
import threading
import time
from pathlib import Path

import pytest
from serving import DEADLINE, make_preview
from sitegen import tiny_site

from masthead.model import BuildOptions, BuildReport, Problem
from masthead.preview import httpd, serve, watch
from masthead.preview.watch import CONTENT, Change

# --- The build lock and the long poll -------------------------------------------------------


def test_requests_wait_while_a_build_runs(preview_root: Path, monkeypatch) -> None:
    building, release = threading.Event(), threading.Event()

    def slow_build(*args: object) -> BuildReport:
        building.set()
        assert release.wait(DEADLINE)
        return BuildReport(written=1)

    monkeypatch.setattr(watch, "build", slow_build)
    preview = make_preview(preview_root)
    builder = threading.Thread(target=preview.rebuild)
    builder.start()
    assert building.wait(DEADLINE)
    answers: queue.Queue[httpd.Response] = queue.Queue()
    reader = threading.Thread(target=lambda: answers.put(httpd.file_response(preview, "/")))
    reader.start()
    with pytest.raises(queue.Empty):
        answers.get(timeout=0.3)
    release.set()
    response = answers.get(timeout=DEADLINE)
    builder.join()
    assert response.status == 200
    assert b"since = 1;" not in response.body
    assert b"since = 1," in response.body, "the request saw the build that it waited for"


def test_requests_wait_for_the_first_build(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(watch, "build", lambda *args: BuildReport(written=1))
    preview = watch.Preview(
        preview_root.parent.parent, BuildOptions(output=str(preview_root)), built=False
    )
    answers: queue.Queue[httpd.Response] = queue.Queue()
    reader = threading.Thread(target=lambda: answers.put(httpd.file_response(preview, "/")))
    reader.start()
    with pytest.raises(queue.Empty):
        answers.get(timeout=0.3)
    preview.rebuild()
    assert answers.get(timeout=DEADLINE).status == 200
    reader.join()


def test_a_build_waits_for_requests_being_read(preview_root: Path, monkeypatch) -> None:
    built = threading.Event()
    monkeypatch.setattr(watch, "build", lambda *args: built.set() or BuildReport())
    preview = make_preview(preview_root)
    with preview.reading():
        builder = threading.Thread(target=preview.rebuild)
        builder.start()
        assert not built.wait(0.3)
    assert built.wait(DEADLINE)
    builder.join()


def test_a_failed_build_keeps_its_problems_and_a_fixed_one_clears_them(
    preview_root: Path, monkeypatch
) -> None:
    problem = Problem("content/a.md", 2, "front matter is not valid YAML")
    reports = iter([BuildReport(problems=(problem,)), BuildReport(), BuildReport(written=3)])
    monkeypatch.setattr(watch, "build", lambda *args: next(reports))
    preview = make_preview(preview_root)
    assert preview.rebuild().errors == (problem,)
    assert (preview.state.generation, preview.state.problems) == (1, (problem,))
    preview.rebuild()  # fixed back to what was built before: nothing written, yet the page changes
    assert (preview.state.generation, preview.state.problems) == (2, ())
    preview.rebuild()
    assert preview.state.generation == 3


def test_a_build_that_changes_nothing_reloads_no_tab(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(watch, "build", lambda *args: BuildReport(unchanged=5))
    preview = make_preview(preview_root)
    preview.rebuild()
    assert preview.state.generation == 0


def test_a_crashing_build_becomes_a_problem(preview_root: Path, monkeypatch) -> None:
    def broken(*args: object) -> BuildReport:
        raise RuntimeError("boom")

    monkeypatch.setattr(watch, "build", broken)
    outcome = make_preview(preview_root).rebuild()
    assert "internal error: RuntimeError: boom" in str(outcome.errors[0])
    assert outcome.crash == ""  # the traceback only with --debug


def test_a_preview_that_cannot_be_written_is_one_line(preview_root: Path, monkeypatch) -> None:
    def full(*args: object) -> BuildReport:
        raise OSError(28, "No space left on device", "/site/.masthead-cache/preview/x.tmp")

    monkeypatch.setattr(watch, "build", full)
    outcome = make_preview(preview_root).rebuild()
    assert [str(p) for p in outcome.errors] == [
        "/site/.masthead-cache/preview/x.tmp: error: cannot write the preview: No space left "
        "on device; free some space or fix the permissions, then save again"
    ]
    assert outcome.crash == "", "no traceback"


def test_the_long_poll(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(watch, "build", lambda *args: BuildReport(written=1))
    preview = make_preview(preview_root)
    server_id = preview.state.server_id
    started = time.monotonic()
    assert preview.wait_for_change(0, server_id, 0.2).generation == 0
    assert time.monotonic() - started >= 0.19
    other_server = httpd.wait_response(preview, "since=0&server=restarted")
    assert b'"reload": true' in other_server.body
    threading.Timer(0.1, preview.rebuild).start()
    answer = httpd.wait_response(preview, f"since=0&server={server_id}")
    assert b'"reload": true' in answer.body and b'"generation": 1' in answer.body
    preview.stop()
    assert preview.wait_for_change(1, server_id, DEADLINE).generation == 1


# --- Small helpers of masthead serve ----------------------------------------------------


def test_local_urls() -> None:
    assert serve.local_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert serve.local_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert serve.local_url("::1", 9) == "http://[::1]:9/"
    assert serve.local_url("localhost", 80) == "http://localhost:80/"


def test_the_port_option() -> None:
    from masthead.cli import make_parser

    parser = make_parser()
    args = parser.parse_args(["serve"])
    assert (args.port, args.host, args.open_browser) == (8000, "127.0.0.1", True)
    args = parser.parse_args(["serve", "--port", "0", "--no-open", "--drafts", "--future"])
    assert (args.port, args.open_browser, args.drafts, args.future) == (0, False, True, True)
    for bad in ("-1", "65536", "http"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--port", bad])


def test_a_second_server_gets_a_temporary_preview_folder(tmp_path: Path) -> None:
    site = tiny_site(tmp_path / "site")
    with serve.preview_folder(site) as first, serve.preview_folder(site) as second:
        assert first == site / ".masthead-cache" / "preview"
        assert second != first and not second.is_relative_to(site)
        assert second.is_dir()
    assert not second.exists()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LocalHost.", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("example.org", False),
        ("128.0.0.1", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback


def test_the_host_option_takes_brackets() -> None:
    from masthead.cli import make_parser

    args = make_parser().parse_args(["serve", "--host", "[::1]"])
    assert args.host == "::1"


def test_file_names_in_the_terminal_log_are_printable() -> None:
    out, err = io.StringIO(), io.StringIO()
    outcome = watch.Outcome(BuildReport(articles=1, pages=2), (), 0.1)
    changes = (Change(CONTENT, "content/a\x1b]0;pwned\x07\nb.md"),)
    serve._report(outcome, changes, (), out, err)
    line = out.getvalue()
    assert line.count("\n") == 1 and "\x1b" not in line and "\x07" not in line
    assert "content/a\\x1b]0;pwned\\x07\\x0ab.md: rebuilt" in line
