"""Rewrite the golden expected output: ``python tests/update_golden.py``.

tests/test_golden.py builds tests/golden/site/ and compares every file with
tests/golden/expected/ byte for byte. When a change to the output is intended (a template,
the Markdown rendering, a URL rule), run this script, read the diff of tests/golden/expected/
and commit it with the change.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
SITE = GOLDEN / "site"
EXPECTED = GOLDEN / "expected"
IGNORED = frozenset({".masthead-manifest.json"})  # holds mtimes: differs on every build


def build_golden(workdir: Path) -> Path:
    """Build a copy of the golden site inside ``workdir``; return the output folder.

    The site is copied first so that nothing (a cache, say) is written into the repository.
    """
    from masthead.cli import main

    site = workdir / "site"
    shutil.copytree(SITE, site)
    output = workdir / "output"
    messages = io.StringIO()
    with contextlib.redirect_stdout(messages), contextlib.redirect_stderr(messages):
        code = main(["build", "--site", str(site), "--output", str(output)])
    if code != 0:
        raise RuntimeError(f"the golden site did not build (exit {code}):\n{messages.getvalue()}")
    return output


def output_files(root: Path) -> dict[str, bytes]:
    """Every compared file below ``root``: POSIX relative path -> bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in IGNORED
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as temp:
        files = output_files(build_golden(Path(temp)))
    old = output_files(EXPECTED) if EXPECTED.is_dir() else {}
    shutil.rmtree(EXPECTED, ignore_errors=True)
    for rel, data in files.items():
        path = EXPECTED / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    added = sorted(set(files) - set(old))
    removed = sorted(set(old) - set(files))
    changed = sorted(rel for rel in set(files) & set(old) if files[rel] != old[rel])
    print(f"{EXPECTED}: {len(files)} files")
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        for name in names:
            print(f"  {label}: {name}")
    if not (added or removed or changed):
        print("  no changes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
