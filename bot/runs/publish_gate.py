"""The one publish gate (issue #17, M2): what is published is the model trained from the approved commit.

Every way to publish (`pull_request` closed as merged, `/intern publish`, `/intern retry` of a failed publish, a
redelivered event) goes through `lifecycle.publish`, which asks `refusal` first: the run was trained on its
approved commit, the PR is merged, and its merged head is that commit or the bot's results commit on top of it.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.errors import CommandError, GitHubError
from bot.store import Run


class PublishRefused(CommandError):
    """Publishing this run would put on the Hub a model that is not the approved, trained code's."""


def mismatch(run: Run, merged_head: str) -> str | None:
    """Why the merged head is not the commit that was approved and trained (plus the bot's results commit),
    or None when publishing may go ahead (pure)."""
    if run.approved_sha is None:
        return "no approved commit is recorded for this run"
    if run.data.trained_sha != run.approved_sha:
        return f"no training of the approved commit `{run.approved_sha[:12]}` finished"
    allowed = {run.approved_sha, run.head_sha}
    if merged_head not in allowed:
        return f"the merged head `{merged_head[:12]}` is not the approved and trained commit `{run.approved_sha[:12]}`"
    if merged_head != run.approved_sha and merged_head not in run.data.bot_shas:
        return f"the merged head `{merged_head[:12]}` was not written by the bot after training"
    return None


def merged_head(ctx: Ctx, run: Run) -> str | None:
    """The PR's head when it was merged: as the `closed` event said, else asked of GitHub; None if not merged."""
    if run.data.merged_head_sha is not None:
        return run.data.merged_head_sha
    if run.pr_number is None:
        return None
    try:
        pull = ctx.gateway.get_pull(run.repo, run.pr_number)
    except GitHubError:
        return None
    return pull.head_sha if pull.merged else None


def refusal(ctx: Ctx, run: Run) -> str | None:
    head = merged_head(ctx, run)
    if head is None:
        return "the pull request is not merged"
    return mismatch(run, head)
