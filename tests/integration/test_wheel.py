"""The built wheel carries every file `intern` and `intern-bot` need: built offline from this checkout, unpacked
on its own (no editable install, no checkout on the path), it scaffolds a project from another folder and renders
the bot's templates."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.fakes.datasets import make_rows, write_rows

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("src") / "ml-intern"
    # Build from a copy of the tracked tree, as a release does from a clean checkout (no stale build/ or runs/).
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    for name in files.stdout.splitlines():
        path = ROOT / name
        if path.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes(path.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("ml_intern_bot-*.whl")
    return built


def test_the_wheel_lists_every_template_and_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        path.relative_to(ROOT).as_posix()
        for folder in ("runner/render/templates", "bot/templates")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected and expected <= names, sorted(expected - names)
    assert {"runner/py.typed", "bot/py.typed"} <= names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "intern = runner.cli:main" in text and "intern-bot = bot.cli:main" in text


def test_intern_scaffold_runs_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    work = tmp_path / "elsewhere"
    rows, _ = make_rows(8)
    data = write_rows(work / "tickets.csv", rows)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(site),  # the unpacked wheel, and not this checkout
        "HF_HUB_OFFLINE": "1",
        "CI": "1",
        "INTERN_ACTIONS_REF": SHA,
    }
    check = (
        "import runner, bot, sys; assert runner.__file__.startswith(sys.argv[1]), runner.__file__; "
        "assert bot.__file__.startswith(sys.argv[1]), bot.__file__; "
        "from bot.command_parser import render_help_md; assert '/intern train' in render_help_md()"
    )
    imported = subprocess.run(
        [sys.executable, "-c", check, str(site)], cwd=work, env=env, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr
    result = subprocess.run(
        [sys.executable, "-m", "runner.cli", "scaffold", "tickets.csv", "--out", "project", "--model", "scratch:tiny"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    project = work / "project"
    for name in ("intern.yaml", "train.py", "app.py", "requirements.txt", "reports/inspect.md", "reports/inspect.json"):
        assert (project / name).is_file(), name
    workflow = (project / ".github" / "workflows" / "intern.yml").read_text(encoding="utf-8")
    assert f"ml-intern/ml-intern-bot/actions/setup@{SHA}" in workflow
    assert f"ml-intern-bot[train] @ git+https://github.com/ml-intern/ml-intern-bot@{SHA}" in workflow
    compile((project / "train.py").read_text(encoding="utf-8"), "train.py", "exec")
    assert "placeholder" not in result.stderr  # INTERN_ACTIONS_REF is set
    assert data.is_file()
