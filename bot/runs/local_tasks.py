"""Internal tasks the worker runs for the `local` compute backend: train and publish with the runner CLI."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from bot.compute.local import TRAIN_STAGES, StageFailed, checkout, project_dir_for, run_stage, subprocess_env
from bot.context import Ctx, Task
from bot.errors import ComputeError
from bot.runs import lifecycle
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
    "smoke.json",
)


def _run(ctx: Ctx, payload: dict[str, Any], state: RunState) -> Run | None:
    run = ctx.store.get_run(int(payload["run_id"]))
    if run is None or run.run_state is not state:
        log.info("task for run %s skipped: not %s", payload.get("run_id"), state)
        return None
    return run


def collect_reports(project_dir: Path) -> dict[str, bytes]:
    reports = project_dir / "reports"
    return {name: (reports / name).read_bytes() for name in RESULT_FILES if (reports / name).is_file()}


def local_train(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = _run(ctx, payload, RunState.TRAINING)
    if run is None:
        return
    project = project_dir_for(ctx.settings.workdir, run.id)
    shutil.rmtree(project, ignore_errors=True)
    ref = run.approved_sha or run.head_sha
    assert ref is not None
    seen = {"epochs": 0}

    def stream() -> None:
        jsonl = project / "reports" / "train.jsonl"
        if not jsonl.is_file():
            return
        content = jsonl.read_bytes()
        lines = content.count(b"\n")
        if lines > seen["epochs"]:
            seen["epochs"] = lines
            current = ctx.store.get_run(run.id)
            if current is not None and current.run_state is RunState.TRAINING:
                lifecycle.stream_epochs(ctx, current, content)

    try:
        checkout(ctx.gateway, run.repo, ref, list(run.data.get("files", [])), project)
        env = subprocess_env()
        for stage in TRAIN_STAGES:
            run_stage(stage, project, timeout_s=ctx.settings.local_timeout_s, env=env, on_tick=stream)
    except StageFailed as failed:
        lifecycle.fail(ctx, run, "training", str(failed), ctx.redact(failed.log_tail))
        return
    except ComputeError as exc:
        lifecycle.fail(ctx, run, "training", str(exc))
        return
    current = ctx.store.get_run(run.id)
    if current is not None:
        lifecycle.ingest_training(ctx, current, collect_reports(project))


def local_publish(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = _run(ctx, payload, RunState.MERGED) or _run(ctx, payload, RunState.PUBLISHED)
    if run is None:
        return
    project = project_dir_for(ctx.settings.workdir, run.id)
    repo_id, space_id = run.data.get("hub_repo_id"), run.data.get("hub_space_id")
    if not repo_id or not (project / "model").is_dir():
        lifecycle.fail(
            ctx,
            run,
            "publish",
            "no trained model on this bot's machine for this run: train it "
            "again with the local backend, then `/intern publish`",
        )
        return
    extra = {"HF_ENDPOINT": ctx.settings.hf_endpoint, "HF_HUB_OFFLINE": "0"}  # publishing must go online
    if ctx.settings.hf_token is not None:
        extra["HF_TOKEN"] = ctx.settings.hf_token.get_secret_value()
    args = ("--repo-id", str(repo_id), *(("--space", str(space_id)) if space_id else ()))
    try:
        run_stage("publish", project, timeout_s=ctx.settings.local_timeout_s, env=subprocess_env(extra), extra=args)
    except StageFailed as failed:
        lifecycle.fail(ctx, run, "publish", str(failed), ctx.redact(failed.log_tail))
        return
    endpoint = ctx.settings.hf_endpoint.rstrip("/")
    lifecycle.published(ctx, run, f"{endpoint}/{repo_id}", f"{endpoint}/spaces/{space_id}" if space_id else None)


TASKS: dict[str, Task] = {"local_train": local_train, "local_publish": local_publish}
