"""`pull_request`: a new push invalidates an approval; a merge publishes; a close without merge cancels."""

from __future__ import annotations

import logging

from bot.context import Ctx
from bot.events import PullRequestEvent
from bot.runs import lifecycle
from bot.runs.status_comment import CheckOutput, Move, advance
from bot.states import RunState, can_transition
from bot.store import Columns, Run

log = logging.getLogger(__name__)
INVALIDATED_BY_PUSH = frozenset(
    {
        RunState.PR_OPENED,
        RunState.SMOKE_RUNNING,
        RunState.SMOKE_FAILED,
        RunState.AWAITING_APPROVAL,
        RunState.TRAINING,
        RunState.EVALUATED,
    }
)


def is_fork(event: PullRequestEvent) -> bool:
    head_repo = event.pull_request.head.repo
    return head_repo is None or head_repo.full_name != event.repository.full_name


def on_synchronize(ctx: Ctx, event: PullRequestEvent) -> None:
    repo, pull = event.repository.full_name, event.pull_request
    run = ctx.store.active_run(repo, pull.number)
    if run is None or run.pr_number != pull.number or is_fork(event):
        return
    sha = pull.head.sha
    if sha == run.head_sha:
        return
    if sha in run.data.bot_shas:
        ctx.store.update_run(run.id, columns=Columns(head_sha=sha))
        return
    if run.run_state not in INVALIDATED_BY_PUSH:
        return
    advance(
        ctx,
        run,
        move=Move(
            RunState.SMOKE_RUNNING,
            "new push: approval invalidated, smoke test re-runs",
            actor=event.sender.login,
            head_sha=sha,
            approved_sha=None,
            smoke_attempts=0,
        ),
        notice=f"New push `{sha[:12]}` by @{event.sender.login}: any earlier approval "
        "no longer counts; the smoke test runs again.",
        checks=(CheckOutput("smoke", "in_progress", "Smoke test running", "new push"),),
    )


def on_closed(ctx: Ctx, event: PullRequestEvent) -> None:
    repo, pull = event.repository.full_name, event.pull_request
    run = ctx.store.active_run(repo, pull.number)
    if run is None or run.pr_number != pull.number:
        return
    actor = event.sender.login
    if not pull.merged:
        lifecycle.cancel(ctx, run, actor)
        return
    trained = run.run_state is RunState.EVALUATED
    if not can_transition(run.run_state, RunState.MERGED):
        lifecycle.cancel(ctx, run, actor)
        return
    run = ctx.store.transition(
        run.id,
        RunState.MERGED,
        actor=actor,
        action="PR merged",
        delivery_id=ctx.delivery_id,
        detail=pull.merge_commit_sha or "",
    )
    if not trained:
        advance(ctx, run, notice="Merged before training finished: there is no model to publish.")
        return
    why_not = publish_mismatch(run, pull.head.sha)
    if why_not is not None:
        ctx.store.audit(repo, actor, f"publish refused: {why_not}", ctx.delivery_id, run.id)
        advance(
            ctx,
            run,
            notice=f"Not published: {why_not}. The model on the Hub must be the one trained from the approved "
            "commit; train again from a new `/intern train` if the merged code is what you want.",
        )
        return
    lifecycle.publish(ctx, run, actor)


def publish_mismatch(run: Run, merged_head: str) -> str | None:
    """Why the merged head is not the commit that was approved and trained (plus the bot's results commit),
    or None when publishing may go ahead (pure)."""
    if run.approved_sha is None:
        return "no approved commit is recorded for this run"
    allowed = {run.approved_sha, run.head_sha}
    if merged_head not in allowed:
        return f"the merged head `{merged_head[:12]}` is not the approved and trained commit `{run.approved_sha[:12]}`"
    if merged_head != run.approved_sha and merged_head not in run.data.bot_shas:
        return f"the merged head `{merged_head[:12]}` was not written by the bot after training"
    return None


ROUTES = {
    ("pull_request", "synchronize"): on_synchronize,
    ("pull_request", "closed"): on_closed,
}
