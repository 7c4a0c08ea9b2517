"""The default theme ships inside the wheel: a site made with ``masthead init`` builds with
an installed masthead, far from this repository."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and unpacks a wheel

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory):
    """masthead's wheel, built from this checkout and unpacked into a folder."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
    )
    [wheel] = wheels.glob("masthead-*.whl")
    target = tmp_path_factory.mktemp("installed")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_wheel_carries_the_theme(unpacked_wheel):
    theme = unpacked_wheel / "masthead" / "theme"
    for name in ("base.html", "article.html", "list.html", "atom.xml", "static/style.css"):
        assert (theme / name).is_file(), name


def _run_installed(wheel_root: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run masthead from the unpacked wheel only: isolated mode, the wheel first on sys.path."""
    code = (
        f"import sys; sys.path.insert(0, {str(wheel_root)!r}); "
        "from masthead.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-I", "-c", code, *args], cwd=cwd, capture_output=True, text=True
    )


def test_init_and_build_with_the_installed_package_alone(unpacked_wheel, tmp_path):
    site = tmp_path / "newsroom"
    assert _run_installed(unpacked_wheel, tmp_path, "init", str(site)).returncode == 0
    built = _run_installed(unpacked_wheel, tmp_path, "build", "--site", str(site))
    assert built.returncode == 0, built.stderr
    assert (site / "output" / "index.html").is_file()
    assert (site / "output" / "static" / "style.css").is_file()
    probe = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(unpacked_wheel)!r}); "
            "import masthead.themefiles as r; print(r.theme_path())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == str(unpacked_wheel / "masthead" / "theme")
