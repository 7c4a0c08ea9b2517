"""Golden output: the sample site in tests/golden/site/ must build to exactly the files in
tests/golden/expected/, byte for byte, with either Markdown engine (``markdown_engine =
"pyromark"`` writes the same files). After an intended change to the output, run
``python tests/update_golden.py`` and commit the new expected files."""

from __future__ import annotations

import difflib

import pytest
import update_golden as golden

UPDATE = "python tests/update_golden.py"


@pytest.fixture(scope="module", params=golden.ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, engine: str) -> dict[str, bytes]:
    workdir = tmp_path_factory.mktemp(f"golden-{engine}")
    return golden.output_files(golden.build_golden(workdir, engine))


@pytest.fixture(scope="module")
def expected(engine: str) -> dict[str, bytes]:
    folder = golden.expected_folder(engine)
    assert folder.is_dir(), f"no expected output: run {UPDATE}"
    return golden.output_files(folder)


def _first_diff(rel: str, old: bytes, new: bytes, limit: int = 40) -> str:
    try:
        lines = difflib.unified_diff(
            old.decode("utf-8").splitlines(),
            new.decode("utf-8").splitlines(),
            f"expected/{rel}",
            f"built/{rel}",
            lineterm="",
        )
    except UnicodeDecodeError:
        return f"{rel}: binary files differ"
    return "\n".join(list(lines)[:limit])


def test_golden_output_matches_byte_for_byte(
    built: dict[str, bytes], expected: dict[str, bytes], engine: str
) -> None:
    missing = sorted(set(expected) - set(built))
    extra = sorted(set(built) - set(expected))
    differing = sorted(rel for rel in set(built) & set(expected) if built[rel] != expected[rel])
    if missing or extra or differing:
        folder = golden.expected_folder(engine).relative_to(golden.TESTS.parent).as_posix()
        report = [f"the golden site's output differs from {folder}/ ({UPDATE}):"]
        report += [f"  not built any more: {rel}" for rel in missing]
        report += [f"  built but not expected: {rel}" for rel in extra]
        report += [f"  differs: {rel}" for rel in differing]
        if differing:
            report.append(_first_diff(differing[0], expected[differing[0]], built[differing[0]]))
        pytest.fail("\n".join(report), pytrace=False)


def test_golden_site_covers_what_it_should(expected: dict[str, bytes]) -> None:
    """The sample site exercises pagination, an alias, tags, both categories and RTL."""
    assert "page/2/index.html" in expected and "page/3/index.html" in expected
    assert "category/city/page/2/index.html" in expected
    assert "category/science/index.html" in expected
    assert "old/harbour-bridge.html" in expected
    assert "tag/transport/index.html" in expected
    assert not any("unfinished-story" in rel for rel in expected), "the draft was built"
    urdu = next(data for rel, data in expected.items() if "/book-fair-opens/" in rel)
    assert b'lang="ur"' in urdu and b'dir="rtl"' in urdu
    # 20:30 UTC on 20 January is 01:30 on the 21st in Karachi: dated in the site's time zone.
    assert any(rel.startswith("2023/01/21/tram-fares-frozen-for-another-year/") for rel in expected)
