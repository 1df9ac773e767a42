"""The `local` backend: the bot's worker runs the runner CLI in a subprocess on a checkout of the PR branch.

Off unless the operator allows it (`INTERN_COMPUTE_ALLOWED`). The checkout is materialised through the gateway
(the files the bot committed plus the dataset), so it needs no git credentials. Training stages run the PR's
code: they run in the sandbox of `bot.compute.sandbox` (an unprivileged user, a scrubbed environment, a
private working dir the bot fills before handing it over, every process of that user killed at the end).
`intern publish` runs as the bot with the Hub token, on a copy of the regular files the sandbox wrote (no
symlink followed), with `python -P` (no import from the project dir).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from bot.compute.base import ComputeContext, Dispatched
from bot.compute.sandbox import Sandbox, kill_group, kill_user, popen_kwargs, read_regular_file, sandbox_env
from bot.errors import ComputeError
from bot.gateway import GitHubGateway
from runner.render.markdown import LOG_TAIL_CHARS

if TYPE_CHECKING:
    from bot.store import Run

TRAIN_STAGES = ("train", "evaluate", "stress", "card")
POLL_S = 1.0


class LocalBackend:
    name = "local"

    def start_training(self, ctx: ComputeContext, run: Run, flavour: str) -> Dispatched:
        ctx.enqueue_task("local_train", run, flavour=flavour)
        return Dispatched(backend=self.name, flavour="local-cpu")

    def start_publish(self, ctx: ComputeContext, run: Run) -> Dispatched:
        ctx.enqueue_task("local_publish", run)
        return Dispatched(backend=self.name, flavour="local-cpu")


def safe_relative(path: str) -> PurePosixPath:
    """A repo path that stays inside the checkout (no absolute paths, no `..`)."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ComputeError(f"refusing to check out {path!r}: not a relative path inside the repository")
    return pure


def checkout(gateway: GitHubGateway, repo: str, ref: str, paths: list[str], dest: Path) -> Path:
    """Write `paths` of `repo` at `ref` under `dest` (the bot's, not yet handed over: see `sandbox`); a missing
    file is a ComputeError. No write follows a symlink, should one be there all the same."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in paths:
        content = gateway.read_file(repo, path, ref)
        if content is None:
            raise ComputeError(f"{path} is missing on {repo}@{ref[:12]}: was it deleted from the branch?")
        target = dest / safe_relative(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(target, flags, 0o644)
        except OSError as exc:
            raise ComputeError(f"refusing to write {path}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
    return dest


def subprocess_env(parent: Mapping[str, str], home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An allowlisted environment from `parent` (no INTERN_*, HF_TOKEN, GITHUB_* or other secret), plus `extra`."""
    return sandbox_env(parent, home, extra)


def runner_command(stage: str, project_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-P",  # no import from the project dir the PR controls (sys.path[0] is not prepended)
        "-c",
        "import sys; from runner.cli import main; sys.exit(main())",
        stage,
        str(project_dir),
        *extra,
    ]


class StageFailed(ComputeError):
    def __init__(self, stage: str, returncode: int, log_tail: str) -> None:
        super().__init__(f"`intern {stage}` failed with exit code {returncode}")
        self.stage = stage
        self.log_tail = log_tail


class StageCancelled(ComputeError):
    """The run stopped wanting this stage (cancelled, or sent back to the smoke test by a push)."""


def run_stage(
    stage: str,
    project_dir: Path,
    *,
    timeout_s: float,
    env: Mapping[str, str],
    extra: tuple[str, ...] = (),
    on_tick: Callable[[], None] | None = None,
    sandbox: Sandbox | None = None,
    log_dir: Path | None = None,
    command: list[str] | None = None,
) -> str:
    """Run one runner stage (as `sandbox`'s user when given); returns its log tail, raises StageFailed (with
    the tail) on failure. The log is written by the bot into `log_dir` (default: the bot-owned parent of
    `project_dir`), never into a file the sandboxed code could swap for a symlink. An exception from `on_tick`
    (StageCancelled: the run was cancelled) stops the stage. When the stage ends, however it ends, its process
    group is killed and, sandboxed, every process of the sandbox user (a `setsid()` child too); one that
    survives that is a ComputeError."""
    log_path = (log_dir or project_dir.parent) / f"{project_dir.name}.{stage}.log"
    deadline = time.monotonic() + timeout_s
    with log_path.open("wb") as log_file:
        try:
            process = subprocess.Popen(  # type: ignore[call-overload]
                command or runner_command(stage, project_dir, *extra),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env),
                cwd=project_dir,
                **popen_kwargs(sandbox or Sandbox()),
            )
        except OSError as exc:  # e.g. the sandbox user may not execute the bot's interpreter
            raise ComputeError(f"could not start `intern {stage}` ({exc.strerror}: {exc.filename})") from None
        try:
            while True:
                try:
                    process.wait(timeout=POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if on_tick is not None:
                        on_tick()
                    if time.monotonic() > deadline:
                        process.kill()
                        process.wait()
                        raise StageFailed(stage, -9, f"timed out after {timeout_s:.0f} s") from None
        finally:
            kill_group(process.pid)
            survivors = kill_user(sandbox or Sandbox())
    if survivors:
        raise ComputeError(f"processes of the sandbox user survived the stage {stage!r}: {survivors[:10]}")
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
    if process.returncode != 0:
        raise StageFailed(stage, process.returncode, tail)
    return tail


def project_dir_for(workdir: Path, run_id: int) -> Path:
    return workdir / f"run-{run_id}"


def read_output(project_dir: Path, relative: str, max_bytes: int) -> bytes | None:
    """A file the stage wrote, refused when it is a symlink or not a regular file (see `sandbox`)."""
    return read_regular_file(project_dir, relative, max_bytes)
