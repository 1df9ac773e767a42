"""Run operations shared by the handlers: re-run smoke, approve -> train, ingest results, publish, cancel, fail.

Each one moves the run on through `status_comment.advance`: the transition (audited, checked by the state
machine), the record, the stage's check run and the sticky comment.
"""

from __future__ import annotations

import logging

from bot.context import Ctx
from bot.errors import BudgetExceededError, CommandError, ComputeError, ComputeRefusedError
from bot.repo_settings import (
    DEFAULT_FLAVOUR,
    PRICES,
    Projection,
    caps,
    choose_flavour,
    load_repo_settings,
    priced,
)
from bot.run_record import RunRecord
from bot.runs import approval, publish_gate, results
from bot.runs.status_comment import CheckOutput, Move, advance
from bot.states import RunState
from bot.store import Run, utcnow
from runner.render.markdown import details, log_block

SMOKE_REQUEST_PATH = "reports/smoke-request.md"

log = logging.getLogger(__name__)
__all__ = [
    "Run",
    "cancel",
    "fail",
    "ingest_training",
    "publish",
    "published",
    "remember_bot_commit",
    "request_training",
    "rerun_smoke",
]


remember_bot_commit = approval.remember_bot_commit


def cancel(ctx: Ctx, run: Run, actor: str) -> None:
    advance(ctx, run, move=Move(RunState.CANCELLED, "cancelled", actor=actor), next_step=None)


def rerun_smoke(ctx: Ctx, run: Run, actor: str, reason: str, reset_attempts: bool = False) -> Run:
    """Push a commit recording the request on the PR branch: the workflow's `pull_request` trigger re-runs
    the smoke test on it."""
    if run.branch is None or run.head_sha is None:
        raise CommandError(f"run #{run.id} has no PR branch yet")
    approval.check_commit_budget(ctx, run)
    note = f"Smoke test re-run requested by @{actor} at {utcnow().isoformat(timespec='seconds')}Z ({reason}).\n"
    sha = ctx.gateway.commit_files(
        run.repo,
        run.branch,
        run.head_sha,
        {SMOKE_REQUEST_PATH: note.encode("utf-8")},
        f"Re-run the ML Intern smoke test ({reason}, by @{actor})",
    )
    run = remember_bot_commit(ctx, run, sha, requested_by=actor)
    attempts = 0 if reset_attempts else run.smoke_attempts
    return advance(
        ctx,
        run,
        move=Move(
            RunState.SMOKE_RUNNING, reason, actor=actor, head_sha=sha, approved_sha=None, smoke_attempts=attempts
        ),
        checks=(CheckOutput("smoke", "in_progress", "Smoke test running", reason),),
        next_step="wait for the smoke test.",
    )


def _flavour(ctx: Ctx, run: Run) -> Projection:
    repo_settings = load_repo_settings(ctx.gateway, run.repo)
    max_cost, max_hours = caps(ctx.settings.max_run_cost_usd, ctx.settings.max_run_hours, repo_settings)
    projections = priced(p.model_dump() for p in run.data.projections)  # the PR's smoke.json: re-priced by the bot
    if not projections:
        default = repo_settings.default_flavour or DEFAULT_FLAVOUR
        if default not in PRICES:
            raise BudgetExceededError(f"`default_flavour: {default}` is not a hardware flavour this bot knows")
        return Projection(flavour=default, seconds=0, cost_usd=0)
    return choose_flavour(projections, max_cost, max_hours, repo_settings.flavours, repo_settings.default_flavour)


def request_training(ctx: Ctx, run: Run, reviewer: str, approved_sha: str) -> Run:
    """After a valid approval: check the backend is (still) allowed and the budget, dispatch training."""
    if run.compute not in ctx.settings.allowed_compute(run.installation_id):
        message = f"compute `{run.compute}` is not enabled on this bot for this repository any more"
        ctx.store.audit(run.repo, reviewer, f"approval refused: {message}", ctx.delivery_id, run.id)
        return advance(ctx, run, notice=f"Training not started: {message}.")
    try:
        projection = _flavour(ctx, run)
    except BudgetExceededError as exc:
        ctx.store.audit(run.repo, reviewer, f"approval refused by budget: {exc}", ctx.delivery_id, run.id)
        return advance(ctx, run, notice=f"Training not started: {exc}")
    try:
        dispatched = ctx.backend(run.compute).start_training(ctx, run, projection.flavour)
    except ComputeRefusedError:
        raise
    except ComputeError as exc:  # e.g. the backend is not configured well enough to run anything safely
        ctx.store.audit(run.repo, reviewer, f"approval not dispatched: {exc}", ctx.delivery_id, run.id)
        return advance(ctx, run, notice=f"Training not started: {exc}")
    return advance(
        ctx,
        run,
        move=Move(
            RunState.TRAINING,
            f"approved; training dispatched on {dispatched.backend}",
            actor=reviewer,
            detail=dispatched.notice or "",
            approved_sha=approved_sha,
            flavour=dispatched.flavour,
            compute=dispatched.backend,
        ),
        notice=dispatched.notice,
        # the code up to the approved head is reviewed: its pushers may approve what others push next
        record=RunRecord(pushers=[], external_job_id=dispatched.external_id)
        if dispatched.external_id
        else RunRecord(pushers=[]),
        checks=(
            CheckOutput(
                "train",
                "in_progress",
                "Training",
                f"approved by @{reviewer} on {approved_sha[:12]}; {dispatched.backend} / {dispatched.flavour}",
            ),
        ),
        next_step="training is running; per-epoch metrics appear below.",
    )


def stream_epochs(ctx: Ctx, run: Run, jsonl: bytes) -> Run:
    return advance(ctx, run, sections={"training": results.render_epochs_md(jsonl)})


def ingest_training(ctx: Ctx, run: Run, reports: dict[str, bytes]) -> Run:
    """Final training results: commit them (and the confusion matrix) to the branch, post them, -> evaluated."""
    if run.run_state is not RunState.TRAINING:
        log.info("training results for run %s ignored in state %s", run.id, run.state)
        return run
    assert run.branch is not None
    base = ctx.gateway.branch_sha(run.repo, run.branch) or run.head_sha
    assert base is not None
    files = {f"reports/{name}": content for name, content in sorted(reports.items())}
    sha = ctx.gateway.commit_files(run.repo, run.branch, base, files, f"Add ML Intern training results (run #{run.id})")
    run = remember_bot_commit(ctx, run, sha)
    image = results.blob_url(ctx.settings.github_api_url, run.repo, sha, "reports/confusion_matrix.png")
    return advance(
        ctx,
        run,
        move=Move(RunState.EVALUATED, "training results ingested", head_sha=sha),
        record=RunRecord(trained_sha=run.approved_sha),
        sections=results.render_result_sections(reports, image),
        checks=(CheckOutput("train", "completed", "Training finished", results.one_line_summary(reports), "success"),),
        next_step="review the results; merging the PR publishes the model and the demo.",
    )


def fail(ctx: Ctx, run: Run, stage: str, message: str, log_tail: str = "") -> Run:
    body = message + (f"\n\n{details('log tail', log_block(log_tail))}" if log_tail else "")
    return advance(
        ctx,
        run,
        move=Move(RunState.FAILED, f"{stage} failed", detail=ctx.redact(message)[:2000]),
        sections={stage: body},
        record=RunRecord(failed_stage=stage),
        checks=(
            CheckOutput("train" if stage == "training" else stage, "completed", f"{stage} failed", message, "failure"),
        ),
        next_step="fix the cause, then `/intern retry`.",
    )


def publish(ctx: Ctx, run: Run, actor: str) -> Run:
    """Dispatch publishing, after the one publish gate (`publish_gate`): raises PublishRefused (audited) when the
    merged code is not the approved, trained commit, whatever path asked (merge, command, retry, redelivery)."""
    why_not = publish_gate.refusal(ctx, run)
    if why_not is not None:
        ctx.store.audit(run.repo, actor, "publish refused", ctx.delivery_id, run.id, why_not)
        raise publish_gate.PublishRefused(
            f"not published: {why_not}. The model on the Hub must be the one trained from the approved commit; "
            "train again from a new `/intern train` if the merged code is what you want"
        )
    if run.run_state is RunState.FAILED:
        run = ctx.store.transition(
            run.id, RunState.MERGED, actor=actor, action="publish retried", delivery_id=ctx.delivery_id
        )
    dispatched = ctx.backend(run.compute).start_publish(ctx, run)
    ctx.store.audit(run.repo, actor, f"publish dispatched on {dispatched.backend}", ctx.delivery_id, run.id)
    return advance(ctx, run, next_step="publishing to the Hugging Face Hub.")


def published(ctx: Ctx, run: Run, model_url: str, space_url: str | None) -> Run:
    links = f"- Model: {model_url}\n" + (f"- Demo: {space_url}\n" if space_url else "")
    return advance(
        ctx,
        run,
        move=Move(RunState.PUBLISHED, "published", detail=model_url),
        sections={"publish": links},
        record=RunRecord(model_url=model_url, space_url=space_url),
        next_step=None,
    )
