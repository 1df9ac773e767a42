"""`workflow_run` completed: smoke results (on `pull_request` runs), training and publish results (dispatch runs).

The run is matched by the artifact name (`intern-train-reports-<run id>`), else by branch, and then bound to it
(`dispatch_mismatch`, `smoke_mismatch`): a dispatch run counts only when it ran in the run's repository, was
started by this App after the bot dispatched it, on the run's branch at the approved SHA (publish: on the default
branch); a smoke run only for a `pull_request` run of the run's repository (not a fork), branch, PR and current
head SHA. Anything else is logged and ignored: a writer who dispatches the workflow by hand, or another
repository that names an artifact after someone else's run, cannot inject results.
"""

from __future__ import annotations

import logging

from bot.context import Ctx
from bot.errors import BotError
from bot.events import WorkflowRunEvent
from bot.gateway import ArtifactInfo
from bot.repo_settings import priced
from bot.run_record import RunRecord
from bot.runs import lifecycle, results, smoke_repair
from bot.runs.status_comment import CheckOutput, Move, advance
from bot.states import RunState
from bot.store import Run
from runner.schemas import PUBLISH_REPORTS_ARTIFACT_PREFIX as PUBLISH_PREFIX
from runner.schemas import SMOKE_ARTIFACT, WORKFLOW_PATH
from runner.schemas import TRAIN_REPORTS_ARTIFACT_PREFIX as TRAIN_PREFIX
from runner.schemas import Projection as SmokeProjection

log = logging.getLogger(__name__)

CLOCK_SKEW_S = 120.0


def _run_from_artifacts(ctx: Ctx, artifacts: list[ArtifactInfo]) -> tuple[str, Run, ArtifactInfo] | None:
    for artifact in artifacts:
        for prefix, kind in ((TRAIN_PREFIX, "train"), (PUBLISH_PREFIX, "publish")):
            suffix = artifact.name.removeprefix(prefix)
            if artifact.name.startswith(prefix) and suffix.isdigit():
                run = ctx.store.get_run(int(suffix))
                if run is not None:
                    return kind, run, artifact
    return None


def _started_by_app(ctx: Ctx, event: WorkflowRunEvent) -> bool:
    workflow = event.workflow_run
    actor = workflow.triggering_actor or workflow.actor
    return actor is not None and actor.login.lower() == f"{ctx.settings.github_app_slug}[bot]".lower()


def dispatch_mismatch(ctx: Ctx, run: Run, kind: str, event: WorkflowRunEvent) -> str | None:
    """Why this dispatch run is not the one the bot dispatched for `run`, or None when it is."""
    workflow = event.workflow_run
    if event.repository.full_name != run.repo:
        return f"it ran in {event.repository.full_name}, the run is in {run.repo}"
    if not _started_by_app(ctx, event):
        actor = workflow.triggering_actor or workflow.actor
        return f"it was started by {actor.login if actor else 'nobody known'}, not by this App"
    dispatched_at = run.data.train_dispatched_at if kind == "train" else run.data.publish_dispatched_at
    created = workflow.created_at.timestamp() if workflow.created_at is not None else None
    if dispatched_at is not None and created is not None and created < float(dispatched_at) - CLOCK_SKEW_S:
        return "it was created before the bot dispatched this run"
    if kind == "train":
        expected_sha = run.approved_sha or run.head_sha
        if workflow.head_branch != run.branch or workflow.head_sha != expected_sha:
            return f"it ran on {workflow.head_branch}@{workflow.head_sha[:12]}, approved was {str(expected_sha)[:12]}"
    elif workflow.head_branch != event.repository.default_branch:
        return f"it ran on {workflow.head_branch}, not on the default branch"
    return None


def smoke_mismatch(run: Run, event: WorkflowRunEvent) -> str | None:
    """Why this run's smoke results are not for `run` (its repo, branch, PR and current head), or None."""
    workflow = event.workflow_run
    head_repo = workflow.head_repository.full_name if workflow.head_repository else None
    if workflow.event != "pull_request":
        return f"it was a {workflow.event} run"
    if event.repository.full_name != run.repo or head_repo != run.repo:
        return f"its head is in {head_repo}, the run is in {run.repo}"
    if workflow.head_branch != run.branch:
        return f"it ran on {workflow.head_branch}"
    numbers = [pull.number for pull in workflow.pull_requests]
    if numbers and run.pr_number not in numbers:
        return f"it ran for PR(s) {numbers}"
    return None


def _download(ctx: Ctx, run: Run, artifact: ArtifactInfo) -> dict[str, bytes] | None:
    """The artifact's reports; None (logged) when it is over the size limits or not a readable zip."""
    limit = ctx.settings.max_artifact_bytes
    if artifact.size_in_bytes > limit:
        log.warning(
            "artifact %s of run %s refused: %d bytes > %d", artifact.name, run.id, artifact.size_in_bytes, limit
        )
        return None
    try:
        return results.read_zip_reports(ctx.gateway.download_artifact(run.repo, artifact.id, max_bytes=limit))
    except (results.ArtifactRejected, BotError) as exc:
        log.warning("artifact %s of run %s refused: %s", artifact.name, run.id, exc)
        return None


def smoke_completed(ctx: Ctx, run: Run, event: WorkflowRunEvent, artifacts: list[ArtifactInfo]) -> None:
    workflow = event.workflow_run
    mismatch = smoke_mismatch(run, event)
    if mismatch is not None:
        log.warning("smoke results of workflow run %s ignored for run %s: %s", workflow.id, run.id, mismatch)
        return
    if run.run_state not in (RunState.SMOKE_RUNNING, RunState.PR_OPENED) or workflow.head_sha != run.head_sha:
        log.info(
            "smoke result for %s ignored (run %s is %s at %s)",
            workflow.head_sha,
            run.id,
            run.state,
            run.head_sha,
        )
        return
    artifact = next((a for a in artifacts if a.name == SMOKE_ARTIFACT and not a.expired), None)
    reports = (_download(ctx, run, artifact) or {}) if artifact else {}
    report = results.parse_smoke(reports)
    if report is not None:  # written by the PR's code: only known flavours, priced by the bot
        trusted = [
            SmokeProjection.model_validate(p.model_dump()) for p in priced(x.model_dump() for x in report.projections)
        ]
        report = report.model_copy(update={"projections": trusted})
    if report is not None and report.ok and workflow.conclusion == "success":
        smoke_md = results.render_smoke_md(report)
        advance(
            ctx,
            run,
            move=Move(RunState.AWAITING_APPROVAL, "smoke passed", detail=workflow.html_url),
            sections={"smoke": smoke_md},
            record=RunRecord(projections=report.projections),
            checks=(CheckOutput("smoke", "completed", "Smoke test passed", smoke_md, "success"),),
            next_step="approve this PR (a review with **Approve**) on the current "
            "head to start training. Nothing that costs money runs before that.",
        )
        return
    smoke_repair.handle_smoke_failure(ctx, run, report, workflow.html_url)


def on_workflow_run(ctx: Ctx, event: WorkflowRunEvent) -> None:
    workflow = event.workflow_run
    if workflow.path.split("@")[0] != WORKFLOW_PATH:
        return
    repo = event.repository.full_name
    artifacts = ctx.gateway.list_run_artifacts(repo, workflow.id)
    if workflow.event == "workflow_dispatch":
        found = _run_from_artifacts(ctx, artifacts)
        if found is None:
            log.warning("dispatch run %s has no ML Intern artifact", workflow.id)
            return
        kind, run, artifact = found
        mismatch = dispatch_mismatch(ctx, run, kind, event)
        if mismatch is not None:
            log.warning("%s results of workflow run %s ignored for run %s: %s", kind, workflow.id, run.id, mismatch)
            ctx.store.audit(run.repo, "intern-bot", f"{kind} results ignored: {mismatch}", ctx.delivery_id, run.id)
            return
        if kind == "train":
            if workflow.conclusion != "success" or run.run_state is not RunState.TRAINING:
                if run.run_state is RunState.TRAINING:
                    lifecycle.fail(
                        ctx,
                        run,
                        "training",
                        f"the training workflow ended `{workflow.conclusion}`: {workflow.html_url}",
                    )
                return
            reports = _download(ctx, run, artifact)
            if reports is None:
                limits = f"{ctx.settings.max_artifact_bytes} bytes, {results.MAX_ZIP_ENTRIES} files"
                lifecycle.fail(ctx, run, "training", f"the training artifact was refused (limits: {limits})")
                return
            run = ctx.store.update_run(run.id, record=RunRecord(train_workflow_run_id=workflow.id))
            lifecycle.ingest_training(ctx, run, reports)
        elif run.run_state in (RunState.MERGED, RunState.PUBLISHED):
            if workflow.conclusion != "success":
                lifecycle.fail(ctx, run, "publish", f"the publish workflow ended `{workflow.conclusion}`")
                return
            lifecycle.published(ctx, run, run.data.model_url or "", run.data.space_url)
        return
    branch = workflow.head_branch or ""
    branch_run = ctx.store.run_for_branch(repo, branch) if branch else None
    if branch_run is not None:
        smoke_completed(ctx, branch_run, event, artifacts)


ROUTES = {("workflow_run", "completed"): on_workflow_run}
