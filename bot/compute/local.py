"""The `local` backend: the bot's worker runs the runner CLI in a subprocess on a checkout of the PR branch.

For a self-hosted bot (and the journey test). The checkout is materialised through the gateway (the files the
bot committed plus the dataset), so it needs no git credentials. The subprocess gets an environment without
the bot's secrets, except the Hub token for `intern publish`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from bot.compute.base import Dispatched
from bot.errors import ComputeError
from bot.gateway import GitHubGateway

if TYPE_CHECKING:
    from bot.context import Ctx
    from bot.store import Run

TRAIN_STAGES = ("train", "evaluate", "stress", "card")
LOG_TAIL_CHARS = 6000
POLL_S = 1.0


class LocalBackend:
    name = "local"

    def start_training(self, ctx: Ctx, run: Run, flavour: str) -> Dispatched:
        ctx.enqueue_task("local_train", run, flavour=flavour)
        return Dispatched(backend=self.name, flavour="local-cpu")

    def start_publish(self, ctx: Ctx, run: Run) -> Dispatched:
        ctx.enqueue_task("local_publish", run)
        return Dispatched(backend=self.name, flavour="local-cpu")


def safe_relative(path: str) -> PurePosixPath:
    """A repo path that stays inside the checkout (no absolute paths, no `..`)."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ComputeError(f"refusing to check out {path!r}: not a relative path inside the repository")
    return pure


def checkout(gateway: GitHubGateway, repo: str, ref: str, paths: list[str], dest: Path) -> Path:
    """Write `paths` of `repo` at `ref` under `dest`; a missing file is a ComputeError."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in paths:
        content = gateway.read_file(repo, path, ref)
        if content is None:
            raise ComputeError(f"{path} is missing on {repo}@{ref[:12]}: was it deleted from the branch?")
        target = dest / safe_relative(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return dest


def subprocess_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent environment without the bot's INTERN_* settings (secrets), plus `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("INTERN_")}
    env.pop("HF_TOKEN", None)
    env.update(extra or {})
    return env


def runner_command(stage: str, project_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
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


def run_stage(
    stage: str,
    project_dir: Path,
    *,
    timeout_s: float,
    env: Mapping[str, str],
    extra: tuple[str, ...] = (),
    on_tick: Callable[[], None] | None = None,
) -> str:
    """Run one runner stage; returns its log tail, raises StageFailed (with the tail) on failure."""
    log_path = project_dir / f".intern-{stage}.log"
    deadline = time.monotonic() + timeout_s
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            runner_command(stage, project_dir, *extra),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=project_dir,
        )
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
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
    if process.returncode != 0:
        raise StageFailed(stage, process.returncode, tail)
    return tail


def project_dir_for(workdir: Path, run_id: int) -> Path:
    return workdir / f"run-{run_id}"
