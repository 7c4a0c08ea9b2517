"""The progress bar: silent for quick builds, one redrawn line for slow ones."""

import io

from masthead import progress
from masthead.progress import ProgressBar


def test_quick_builds_show_no_bar(monkeypatch):
    clock = iter([100.0, 100.2, 100.5])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar("parsing", 10, 100)
    bar("parsing", 100, 100)
    bar.clear()
    assert stream.getvalue() == ""


def test_slow_builds_redraw_one_line_with_counts_and_clear_it(monkeypatch):
    clock = iter([100.0, 101.5, 101.55, 102.0, 103.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar("parsing", 50, 100)  # after 1.5 s: shown
    bar("parsing", 60, 100)  # 50 ms later: not redrawn
    bar("rendering", 200, 200)  # done: always drawn
    shown = stream.getvalue()
    assert shown.count("\r") == 2 and "\n" not in shown
    assert "parsing" in shown and "50/100" in shown and "60/100" not in shown
    assert "rendering" in shown and "200/200" in shown
    bar.clear()
    assert stream.getvalue().endswith("\r")
