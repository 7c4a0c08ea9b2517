"""Property test: whatever a source file holds, masthead answers in one-line messages.

Random front matter (YAML-ish token soup, random mappings dumped as YAML, TOML-ish text) and
random bytes are written into a small site next to a good article, then run through
``masthead check`` and ``masthead build`` in-process (``masthead.cli.main``, for speed) and,
for a few examples, as a subprocess. Never a traceback, exit code 0, 1 or 2, and every line
on stderr of the form ``path[:line]: error|warning: message``.

In CI (``CI=true``) the examples are derandomised, so that a run is reproducible; elsewhere
each run explores new ones. ``MASTHEAD_PROPERTY_SCALE=20`` runs twenty times as many.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sitegen import write_files

from masthead import matter
from masthead.cli import main
from masthead.fields import KNOWN_FIELDS

pytestmark = pytest.mark.slow  # hundreds of random sources through check and build

LINE = re.compile(r"^[^\n]+?(:\d+)?: (error|warning): .+$")
PYPROJECT = '[tool.masthead]\ntimezone = "Asia/Karachi"\nbase_url = "https://example.org/"\n'
GOOD = b"---\ntitle: Talks resume\ndate: 2017-09-02\ncategory: World\nsource: Wire\n---\n\nBody.\n"
CI = os.environ.get("CI") == "true"
SCALE = int(os.environ.get("MASTHEAD_PROPERTY_SCALE", "1"))  # more examples for a deeper run

YAML_TOKENS = [
    *KNOWN_FIELDS, ":", ": ", " ", "  ", "\n", "\n  ", "- ", "[", "]", "{", "}", ",", "? ",
    "&a ", "*a", "&b ", "*b", "!!binary ", "!!set ", "!!timestamp ", "!!int ", "!!float ",
    "!!bool ", "!!str ", "!!map ", "!!omap ", "!foo ", "|", ">-", '"', "'", "\\", "\\x",
    "\\ud800", "\\U0010FFFF", "#", "<<: ", "%YAML 1.1\n---\n", "\t", "\x01", "\x85",
    "\u2028", "\ufeff", "2017-09-23", "0001-01-01", "9999-12-31T23:59:59-12:00", "1850-01-01",
    "99999999999999999999", "0x_", "1:20", ".nan", ".inf", "1e400", "~", "yes", "...",
    "---", "=", "a", "é", "پاکستان", "日本", "/old/", "v1.2", "a" * 300, "پاکستان-" * 40,
]  # fmt: skip
TOML_TOKENS = [
    *KNOWN_FIELDS, " = ", "=", '"', "'", '"""', "[", "]", "{", "}", ",", "\n", "[[x]]\n",
    "[x]\n", "1", "nan", "inf", "2017-09-23", "T10:00:00", "+05:00", "0001-01-01T00:00:00",
    ".", "#", "\\", "true", "9" * 30, "a" * 300,
]  # fmt: skip

token_yaml = st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map(
    lambda parts: ("---\n" + "".join(parts) + "\n---\n\nBody.\n").encode("utf-8", "replace")
)
token_toml = st.lists(st.sampled_from(TOML_TOKENS), max_size=30).map(
    lambda parts: ("+++\n" + "".join(parts) + "\n+++\n\nBody.\n").encode("utf-8", "replace")
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**120), max_value=10**120),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2017-09-23", "0999-12-31", "9998-12-31T23:00:00-12:00", "2017-09-23T10:00Z"]),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
mappings = st.dictionaries(
    st.one_of(st.sampled_from(KNOWN_FIELDS), st.text(max_size=10)), values, max_size=10
)


names = st.one_of(
    st.sampled_from(
        ["World", "Dawn News", "پاکستان", "C++", "a" * 300, "x-" * 200, "東京の天気 " * 30]
    ),
    st.text(min_size=1, max_size=40),
)
articles = st.fixed_dictionaries(
    {
        "title": names,
        "date": st.one_of(
            st.sampled_from(["2017-09-02", "1000-01-01", "9998-12-31", "1850-06-01T10:00:00"]),
            st.datetimes().map(lambda d: d.isoformat()),
        ),
        "category": names,
        "source": names,
    },
    optional={
        "tags": st.lists(names, max_size=4),
        "authors": st.one_of(names, st.lists(names, max_size=3)),
        "slug": st.one_of(names, st.text(alphabet="abc-._~/\\\x00", max_size=300)),
        "aliases": st.lists(
            st.one_of(names.map(lambda n: "/old/" + n), st.text(max_size=30)), max_size=3
        ),
        "summary": st.text(max_size=50),
        "updated": st.datetimes().map(lambda d: d.isoformat()),
        "lang": st.sampled_from(["ur", "en-GB", "english", ""]),
        "source_url": st.sampled_from(["https://example.com/a", "http://[::1", "http://x:99999/"]),
        "image": st.text(max_size=30),
        "draft": st.one_of(st.booleans(), scalars),
        "location": names,
        "extra": values,
    },
)


def _dumped(mapping: dict) -> bytes:
    text = yaml.dump(mapping, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False)
    return ("---\n" + text + "---\n\nBody.\n").encode("utf-8", "surrogatepass")


sources = st.one_of(
    token_yaml,
    token_toml,
    mappings.map(_dumped),
    articles.map(_dumped),
    st.binary(max_size=200),
    st.binary(max_size=120).map(lambda b: b"---\ntitle: " + b + b"\n---\n"),
)


def _site(root: Path, source: bytes) -> Path:
    return write_files(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "content/2017/09/good.md": GOOD,
            "content/2017/09/random.md": source,
        },
    )


def _assert_well_formed(code: int, stderr: str) -> None:
    assert code in (0, 1, 2), (code, stderr)
    assert "Traceback" not in stderr, stderr
    for line in stderr.splitlines():
        assert LINE.match(line), repr(line)


def _run_in_process(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


SETTINGS = {
    "deadline": None,
    "derandomize": CI,
    "database": None if CI else settings.default.database,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@settings(max_examples=300 * SCALE, **SETTINGS)
@given(sources)
def test_check_answers_any_source_in_one_line_messages(source):
    with tempfile.TemporaryDirectory() as folder:
        site = _site(Path(folder), source)
        _assert_well_formed(*_run_in_process("check", "--site", str(site), "--no-cache", "-j", "1"))


@settings(max_examples=80 * SCALE, **SETTINGS)
@given(st.one_of(articles.map(_dumped), sources))
def test_build_answers_any_source_in_one_line_messages(source):
    with tempfile.TemporaryDirectory() as folder:
        site = _site(Path(folder), source)
        _assert_well_formed(*_run_in_process("build", "--site", str(site), "-j", "1"))
        # A second build reads the cache the first one wrote: the same answer, still no crash.
        _assert_well_formed(*_run_in_process("build", "--site", str(site), "-j", "1"))


@settings(max_examples=6 * SCALE, **SETTINGS)
@given(sources)
def test_the_command_answers_any_source_without_a_traceback(source):
    with tempfile.TemporaryDirectory() as folder:
        site = _site(Path(folder), source)
        done = subprocess.run(
            [sys.executable, "-m", "masthead.cli", "build", "--site", str(site)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="backslashreplace",
            timeout=60,
            check=False,
        )
        _assert_well_formed(done.returncode, done.stderr)


def _front_matter_outcome(text: str) -> tuple:
    try:
        return matter.load_yaml(text)
    except matter.Refused as exc:
        return ("refused", exc.message, exc.line)


front_matter_texts = st.one_of(
    st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join),
    st.one_of(mappings, articles).map(
        lambda mapping: yaml.dump(mapping, Dumper=yaml.SafeDumper, allow_unicode=True)
    ),
)


@settings(max_examples=500 * SCALE, **SETTINGS)
@given(front_matter_texts)
def test_front_matter_reads_the_same_with_and_without_libyaml(text):
    # The fast way (libyaml's events) must give what the pure-Python parser gives.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matter, "_FastLoader", None)
        pure = _front_matter_outcome(text)
    assert repr(_front_matter_outcome(text)) == repr(pure)  # repr: nan is not nan
