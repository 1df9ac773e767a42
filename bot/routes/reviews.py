"""`pull_request_review` submitted: an approval starts training; commands in a review body are run too.

An approval counts only when it comes from a human (not a bot, not this App) with write or admin permission,
on the PR's current head SHA, for a run awaiting approval, on a PR from this repository (never a fork), and
from a second person: someone who did not push code to the PR since it was last approved (the PR's author is
the App, so GitHub lets a writer who pushed a `train.py` approve it; the bot does not). Who pushed is what the
`synchronize` events said, never commit metadata (`bot/runs/approval.py`).
"""

from __future__ import annotations

import logging

from bot.command_parser import Request
from bot.comments import marker
from bot.context import Ctx
from bot.errors import GitHubError
from bot.events import PullRequestReviewEvent
from bot.routes import comment_commands
from bot.runs import approval, lifecycle
from bot.states import RunState

log = logging.getLogger(__name__)


def is_fork(event: PullRequestReviewEvent) -> bool:
    head_repo = event.pull_request.head.repo
    return head_repo is None or head_repo.full_name != event.repository.full_name


def last_push_rule(ctx: Ctx, repo: str, base: str) -> bool:
    """GitHub's "require approval of the most recent reviewable push" on the PR's base branch (a ruleset)."""
    try:
        return ctx.gateway.last_push_approval_required(repo, base)
    except GitHubError as exc:  # the bot's own second-person rule still applies
        log.warning("could not read the rules of %s in %s: %s", base, repo, exc)
        return False


def on_review(ctx: Ctx, event: PullRequestReviewEvent) -> None:
    review, repo, number = event.review, event.repository.full_name, event.pull_request.number
    if ctx.is_bot(review.user) or ctx.is_bot(event.sender):
        log.info("review by bot %s ignored", review.user.login)
        return
    if review.body and "/intern" in review.body.lower():
        request = Request(
            repo=repo,
            number=number,
            is_pr=True,
            author=review.user.login,
            comment_id=review.id,
            installation_id=event.installation_id,
            title="",
            body="",
        )
        comment_commands.run_commands(ctx, request, review.body, react=False)
    if review.state.lower() != "approved":
        return
    run = ctx.store.active_run(repo, number)
    if run is None or run.pr_number != number:
        return
    who = review.user.login
    if is_fork(event):
        ctx.store.audit(repo, who, "approval ignored: PR from a fork", ctx.delivery_id, run.id)
        return
    if run.run_state is not RunState.AWAITING_APPROVAL:
        ctx.store.audit(repo, who, f"approval ignored: run is {run.state}", ctx.delivery_id, run.id)
        return
    if not ctx.may_write(repo, who):
        ctx.store.audit(repo, who, "approval ignored: no write permission", ctx.delivery_id, run.id)
        return
    pull = ctx.gateway.get_pull(repo, number)
    current = pull.head_sha
    if review.commit_id != current or current != run.head_sha:
        ctx.store.audit(
            repo,
            who,
            f"approval ignored: given on {str(review.commit_id)[:12]}, head is {current[:12]}",
            ctx.delivery_id,
            run.id,
        )
        ctx.post(
            repo,
            number,
            marker("stale-approval", review.id),
            f"@{who}, this approval was given on `{str(review.commit_id)[:12]}` but the PR head is now "
            f"`{current[:12]}`. Approve again on the current head to start training.",
            run=run,
        )
        return
    why_not = approval.refusal(run.data, who, last_push_rule(ctx, repo, pull.base_ref))
    if why_not is not None:
        ctx.store.audit(repo, who, "approval ignored: not a second person", ctx.delivery_id, run.id, why_not)
        ctx.post(
            repo,
            number,
            marker("self-approval", review.id),
            f"@{who}, this approval does not start training: {why_not}. Someone else with write access who did "
            "not push to the PR has to review the code and approve it.",
        )
        return
    lifecycle.request_training(ctx, run, who, current)


ROUTES = {("pull_request_review", "submitted"): on_review}
