"""Issue #9, item 1: the `local` backend's sandbox. PR code must not read the bot's environment or files.

The user-switching tests need root (they run a child as `nobody`) and are skipped otherwise, saying so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.compute.local import run_stage, subprocess_env
from bot.compute.sandbox import (
    Sandbox,
    copy_regular_tree,
    hand_over,
    popen_kwargs,
    prepare_workdir,
    read_regular_file,
    resolve_sandbox,
)
from bot.runs.local_tasks import collect_reports

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="switching to another user needs root: run the suite as root to check the sandbox for real",
)


def _python_for(sandbox: Sandbox) -> str:
    """An interpreter the sandbox user may execute (the bot's venv may live under root's 0700 home)."""
    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        try:
            probe = subprocess.run(
                [candidate, "-I", "-c", "pass"],
                capture_output=True,
                check=False,
                **popen_kwargs(sandbox),  # type: ignore[arg-type]
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate
    pytest.skip(f"no Python interpreter that {sandbox.describe()} may execute")


PROBE = r"""
import json, os, sys
out = {"uid": os.getuid(), "env": sorted(os.environ)}
for what, path in (("secret", sys.argv[1]), ("parent_environ", f"/proc/{os.getppid()}/environ")):
    try:
        with open(path, "rb") as handle:
            handle.read()
        out[what] = "read"
    except OSError as exc:
        out[what] = type(exc).__name__
with open("written-by-sandbox.txt", "w") as handle:
    handle.write("ok")
print(json.dumps(out))
"""


@pytest.fixture
def bot_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A bot-only secret file (0600 in a 0700 dir, like the key and `.env`) and a workdir outside it."""
    monkeypatch.setenv("INTERN_WEBHOOK_SECRET", "webhook-secret-0123456789abcdef")
    monkeypatch.setenv("HF_TOKEN", "hf_bot_token_never_in_the_sandbox")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_never_in_the_sandbox")
    with tempfile.TemporaryDirectory(prefix="intern-bot-") as root:
        base = Path(root)
        os.chmod(base, 0o755)
        private = base / "private"
        private.mkdir(mode=0o700)
        secret = private / "app-key.pem"
        secret.write_text("-----BEGIN PRIVATE KEY-----\n")
        os.chmod(secret, 0o600)
        yield secret, base / "work"


def _probe(sandbox: Sandbox, secret: Path, workdir: Path) -> dict[str, object]:
    project = workdir / "run-1"
    prepare_workdir(workdir, project, sandbox)
    hand_over(project, sandbox)
    result = subprocess.run(
        [_python_for(sandbox), "-I", "-c", PROBE, str(secret)],
        cwd=project,
        env=subprocess_env(os.environ, project),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        **popen_kwargs(sandbox),  # type: ignore[arg-type]
    )
    assert (project / "written-by-sandbox.txt").read_text() == "ok"  # its own working dir is writable
    return dict(json.loads(result.stdout))


@needs_root
def test_a_sandboxed_stage_cannot_read_the_bots_files_or_environment(bot_dirs: tuple[Path, Path]) -> None:
    secret, workdir = bot_dirs
    sandbox = resolve_sandbox("nobody", unsandboxed=False)
    seen = _probe(sandbox, secret, workdir)
    assert seen["uid"] == sandbox.uid != 0
    assert seen["secret"] == "PermissionError"
    assert seen["parent_environ"] == "PermissionError"
    env = seen["env"]
    assert isinstance(env, list)
    assert not [name for name in env if name.startswith(("INTERN_", "GITHUB_")) or name == "HF_TOKEN"]


def test_the_environment_is_an_allowlist_even_unsandboxed(bot_dirs: tuple[Path, Path]) -> None:
    secret, workdir = bot_dirs
    seen = _probe(resolve_sandbox(None, unsandboxed=True), secret, workdir)
    env = seen["env"]
    assert isinstance(env, list)
    assert "HF_TOKEN" not in env and "GITHUB_TOKEN" not in env and "INTERN_WEBHOOK_SECRET" not in env
    assert "HOME" in env and "PATH" in env


def test_no_sandbox_configured_means_no_local_backend() -> None:
    from bot.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="INTERN_LOCAL_RUN_AS"):
        resolve_sandbox(None, unsandboxed=False)


def test_symlinks_out_of_the_sandbox_are_never_read_back(tmp_path: Path) -> None:
    """`reports/eval.md -> the bot's key` must not be committed to the PR, nor `model/` links published."""
    secret = tmp_path / "app-key.pem"
    secret.write_text("KEY")
    project = tmp_path / "run-1"
    (project / "reports").mkdir(parents=True)
    (project / "reports" / "eval.json").write_text("{}")
    (project / "reports" / "eval.md").symlink_to(secret)
    (project / "model").symlink_to(tmp_path)  # a whole directory link
    (project / "weights").mkdir()
    (project / "weights" / "model.safetensors").symlink_to(secret)
    assert collect_reports(project) == {"eval.json": b"{}"}
    assert read_regular_file(project, "reports/../app-key.pem", 100) is None
    assert read_regular_file(project, "reports/eval.json", 1) is None  # over the cap
    skipped = copy_regular_tree(project, tmp_path / "copy")
    assert sorted(skipped) == ["model", "reports/eval.md", "weights/model.safetensors"]
    assert not (tmp_path / "copy" / "model").exists()
    assert (tmp_path / "copy" / "reports" / "eval.json").read_text() == "{}"


def test_the_stage_runs_in_its_own_session_and_leaves_nothing_running(tmp_path: Path) -> None:
    project = tmp_path / "run-1"
    prepare_workdir(tmp_path, project, Sandbox())
    (project / "intern.yaml").write_text("not: [valid\n")
    with pytest.raises(Exception, match="failed"):
        run_stage("train", project, timeout_s=120, env=subprocess_env(os.environ, project))
    assert popen_kwargs(Sandbox())["start_new_session"] is True
    assert (tmp_path / "run-1.train.log").is_file()  # the log is the bot's, outside the sandbox's dir


def test_a_runner_package_planted_in_the_project_is_not_imported(tmp_path: Path) -> None:
    """`intern publish` runs as the bot with the Hub token in the project's copy: a `runner/` the PR's code
    left there must not be what `from runner.cli import main` imports."""
    project = tmp_path / "run-1"
    prepare_workdir(tmp_path, project, Sandbox())
    marker = tmp_path / "pwned"
    (project / "runner").mkdir()
    (project / "runner" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    (project / "runner" / "cli.py").write_text("def main():\n    return 0\n")
    with pytest.raises(Exception, match="failed"):
        run_stage(
            "publish", project, timeout_s=120, env=subprocess_env(os.environ, project), extra=("--repo-id", "o/n")
        )
    assert not marker.exists()
