"""`pull_request`: a new push invalidates an approval; a merge publishes; a close without merge cancels."""

from __future__ import annotations

import logging

from bot.context import Ctx
from bot.events import PullRequestEvent
from bot.run_record import RunRecord
from bot.runs import approval, lifecycle
from bot.runs.publish_gate import PublishRefused
from bot.runs.status_comment import CheckOutput, Move, advance
from bot.states import RunState, can_transition
from bot.store import Columns

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
    late = sha in run.data.unseen_heads  # an earlier push, reported after a later one: only who pushed it counts
    run = approval.record_push(ctx, run, event)  # who pushed, before anything else (an approval depends on it)
    if sha == run.head_sha or late:
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
    if run.run_state is RunState.MERGED:  # the same merge reported again: `/intern publish` is the way to retry
        return
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
    run = ctx.store.update_run(run.id, record=RunRecord(merged_head_sha=pull.head.sha))
    if not trained:
        advance(ctx, run, notice="Merged before training finished: there is no model to publish.")
        return
    try:
        lifecycle.publish(ctx, run, actor)
    except PublishRefused as refused:
        advance(ctx, run, notice=f"{str(refused)[0].upper()}{str(refused)[1:]}.")


ROUTES = {
    ("pull_request", "synchronize"): on_synchronize,
    ("pull_request", "closed"): on_closed,
}
