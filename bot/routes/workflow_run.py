"""`workflow_run` completed: smoke results (on `pull_request` runs), training and publish results (dispatch runs).

The run is matched by the artifact name (`intern-train-reports-<run id>`), else by branch, and smoke results
count only for the run's current head SHA (results of an older push are ignored).
"""

from __future__ import annotations

import logging

from bot.context import Ctx
from bot.events import WorkflowRunEvent
from bot.gateway import ArtifactInfo
from bot.repo_settings import priced
from bot.runs import lifecycle, results, smoke_repair, status_comment
from bot.states import RunState
from bot.store import Run
from runner.schemas import Projection as SmokeProjection

log = logging.getLogger(__name__)

WORKFLOW_PATH = ".github/workflows/intern.yml"
SMOKE_ARTIFACT = "intern-smoke-reports"
TRAIN_PREFIX = "intern-train-reports-"
PUBLISH_PREFIX = "intern-publish-reports-"


def _run_from_artifacts(ctx: Ctx, artifacts: list[ArtifactInfo]) -> tuple[str, Run, ArtifactInfo] | None:
    for artifact in artifacts:
        for prefix, kind in ((TRAIN_PREFIX, "train"), (PUBLISH_PREFIX, "publish")):
            suffix = artifact.name.removeprefix(prefix)
            if artifact.name.startswith(prefix) and suffix.isdigit():
                run = ctx.store.get_run(int(suffix))
                if run is not None:
                    return kind, run, artifact
    return None


def _download(ctx: Ctx, run: Run, artifact: ArtifactInfo) -> dict[str, bytes]:
    return results.read_zip_reports(ctx.gateway.download_artifact(run.repo, artifact.id))


def smoke_completed(ctx: Ctx, run: Run, event: WorkflowRunEvent, artifacts: list[ArtifactInfo]) -> None:
    workflow = event.workflow_run
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
    reports = _download(ctx, run, artifact) if artifact else {}
    report = results.parse_smoke(reports)
    if report is not None:  # written by the PR's code: only known flavours, priced by the bot
        trusted = [
            SmokeProjection.model_validate(p.model_dump()) for p in priced(x.model_dump() for x in report.projections)
        ]
        report = report.model_copy(update={"projections": trusted})
    if report is not None and report.ok and workflow.conclusion == "success":
        run = status_comment.set_section(
            ctx,
            run,
            "smoke",
            results.render_smoke_md(report),
            projections=[p.model_dump() for p in report.projections],
        )
        run = ctx.store.transition(
            run.id,
            RunState.AWAITING_APPROVAL,
            actor="intern-bot",
            action="smoke passed",
            delivery_id=ctx.delivery_id,
            detail=workflow.html_url,
        )
        run = status_comment.check(
            ctx, run, "smoke", "completed", "success", "Smoke test passed", results.render_smoke_md(report)
        )
        run = status_comment.set_next_step(
            ctx,
            run,
            "approve this PR (a review with **Approve**) on the current "
            "head to start training. Nothing that costs money runs before that.",
        )
        status_comment.refresh(ctx, run.id)
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
            run = ctx.store.update_run(run.id, data={"train_workflow_run_id": workflow.id})
            lifecycle.ingest_training(ctx, run, _download(ctx, run, artifact))
        elif run.run_state in (RunState.MERGED, RunState.PUBLISHED):
            if workflow.conclusion != "success":
                lifecycle.fail(ctx, run, "publish", f"the publish workflow ended `{workflow.conclusion}`")
                return
            lifecycle.published(ctx, run, run.data.get("model_url", ""), run.data.get("space_url"))
        return
    branch = workflow.head_branch or ""
    branch_run = ctx.store.run_for_branch(repo, branch) if branch else None
    if branch_run is not None:
        smoke_completed(ctx, branch_run, event, artifacts)


ROUTES = {("workflow_run", "completed"): on_workflow_run}
