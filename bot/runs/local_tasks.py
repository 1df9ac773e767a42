"""Internal tasks the worker runs for the `local` compute backend: train and publish with the runner CLI."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.compute.local import (
    TRAIN_STAGES,
    StageCancelled,
    StageFailed,
    checkout,
    project_dir_for,
    read_output,
    run_stage,
    subprocess_env,
)
from bot.compute.sandbox import (
    Sandbox,
    copy_regular_tree,
    hand_over,
    kill_user,
    prepare_workdir,
    resolve_sandbox,
    sandbox_lock,
    sweep_user_files,
    take_back,
)
from bot.context import Ctx, Task
from bot.errors import ComputeError, ConfigurationError
from bot.runs import lifecycle
from bot.runs.results import MAX_REPORT_BYTES
from bot.states import RunState
from bot.store import Run

log = logging.getLogger(__name__)
RESULT_FILES = (
    "train.jsonl",
    "train.json",
    "eval.json",
    "eval.md",
    "stress.json",
    "stress.md",
    "confusion_matrix.png",
    "coverage_curve.png",
    "epochs.png",
    "per_label_f1.png",
    "smoke.json",
)


def _run(ctx: Ctx, payload: dict[str, Any], state: RunState) -> Run | None:
    run = ctx.store.get_run(int(payload["run_id"]))
    if run is None or run.run_state is not state:
        log.info("task for run %s skipped: not %s", payload.get("run_id"), state)
        return None
    return run


def collect_reports(project_dir: Path) -> dict[str, bytes]:
    """The result files the stages wrote; symlinks, special files and files over the cap are left out."""
    found = {name: read_output(project_dir, f"reports/{name}", MAX_REPORT_BYTES) for name in RESULT_FILES}
    return {name: content for name, content in found.items() if content is not None}


def _sandbox(ctx: Ctx, run: Run) -> Sandbox | None:
    """The sandbox for the run's PR code, or None (the run is failed, saying why) when the bot has none."""
    if "local" not in ctx.settings.allowed_compute(run.installation_id):
        lifecycle.fail(ctx, run, "training", "the local compute backend is not enabled on this bot")
        return None
    try:
        return resolve_sandbox(ctx.settings.local_run_as, ctx.settings.local_unsandboxed)
    except ConfigurationError as exc:
        log.error("local backend has no sandbox: %s", exc)
        lifecycle.fail(ctx, run, "training", f"the local compute backend is not usable: {exc}")
        return None


def local_train(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = _run(ctx, payload, RunState.TRAINING)
    if run is None:
        return
    sandbox = _sandbox(ctx, run)
    if sandbox is None:
        return
    project = project_dir_for(ctx.settings.workdir, run.id)
    ref = run.approved_sha or run.head_sha
    assert ref is not None
    seen = {"epochs": 0}

    def stream() -> None:
        """Every second of a stage: stop it when the run was cancelled, else post new epochs."""
        current = ctx.store.get_run(run.id)
        if current is None or current.run_state is not RunState.TRAINING:
            raise StageCancelled(f"run #{run.id} is {current.state if current else 'gone'}: training stopped")
        content = read_output(project, "reports/train.jsonl", MAX_REPORT_BYTES)
        if content is None:
            return
        lines = content.count(b"\n")
        if lines > seen["epochs"]:
            seen["epochs"] = lines
            lifecycle.stream_epochs(ctx, current, content)

    try:
        with sandbox_lock(ctx.settings.workdir):
            _train_in_sandbox(ctx, run, ref, project, sandbox, stream)
    except StageCancelled as stopped:
        log.info("%s", stopped)
        return
    except StageFailed as failed:
        lifecycle.fail(ctx, run, "training", str(failed), ctx.redact(failed.log_tail))
        return
    except ComputeError as exc:
        lifecycle.fail(ctx, run, "training", str(exc))
        return
    current = ctx.store.get_run(run.id)
    if current is not None:
        lifecycle.ingest_training(ctx, current, collect_reports(project))


def _train_in_sandbox(
    ctx: Ctx, run: Run, ref: str, project: Path, sandbox: Sandbox, on_tick: Callable[[], None]
) -> None:
    """Holding the host's sandbox lock: nothing of an earlier run still running, a fresh project the bot fills
    before the sandbox user gets it, the stages, then every process of that user killed and the project the
    bot's again."""
    left = kill_user(sandbox)
    if left:
        raise ComputeError(f"processes of the sandbox user could not be stopped: {left[:10]}")
    sweep_user_files(sandbox)
    prepare_workdir(ctx.settings.workdir, project, sandbox)
    checkout(ctx.gateway, run.repo, ref, list(run.data.files), project)
    hand_over(project, sandbox)
    env = subprocess_env(ctx.services.environment, project)
    try:
        for stage in TRAIN_STAGES:
            run_stage(stage, project, timeout_s=ctx.settings.local_timeout_s, env=env, on_tick=on_tick, sandbox=sandbox)
    finally:
        kill_user(sandbox)
        sweep_user_files(sandbox)
        take_back(project, sandbox)


def local_publish(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = _run(ctx, payload, RunState.MERGED) or _run(ctx, payload, RunState.PUBLISHED)
    if run is None:
        return
    project = project_dir_for(ctx.settings.workdir, run.id)
    repo_id, space_id = run.data.hub_repo_id, run.data.hub_space_id
    if not repo_id or not _is_real_dir(project / "model"):
        lifecycle.fail(
            ctx,
            run,
            "publish",
            "no trained model on this bot's machine for this run: train it "
            "again with the local backend, then `/intern publish`",
        )
        return
    # The sandbox wrote `project`: publish from a bot-owned copy of its regular files (a symlink to the bot's
    # key must not be uploaded), with the token in this process only.
    staging = ctx.settings.workdir / f"publish-{run.id}"
    shutil.rmtree(staging, ignore_errors=True)
    skipped = copy_regular_tree(project, staging / "project")
    if skipped:
        log.warning("publish of run %s skipped non-regular files: %s", run.id, ", ".join(skipped[:20]))
    extra = {"HF_ENDPOINT": ctx.settings.hf_endpoint, "HF_HUB_OFFLINE": "0"}  # publishing must go online
    if ctx.settings.hf_token is not None:
        extra["HF_TOKEN"] = ctx.settings.hf_token.get_secret_value()
    args = ("--repo-id", str(repo_id), *(("--space", str(space_id)) if space_id else ()))
    try:
        run_stage(
            "publish",
            staging / "project",
            timeout_s=ctx.settings.local_timeout_s,
            env=subprocess_env(ctx.services.environment, staging, extra),
            extra=args,
        )
    except StageFailed as failed:
        lifecycle.fail(ctx, run, "publish", str(failed), ctx.redact(failed.log_tail))
        return
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    endpoint = ctx.settings.hf_endpoint.rstrip("/")
    lifecycle.published(ctx, run, f"{endpoint}/{repo_id}", f"{endpoint}/spaces/{space_id}" if space_id else None)


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


TASKS: dict[str, Task] = {"local_train": local_train, "local_publish": local_publish}
