"""Who pushed what to a PR, and whether an approval comes from a second person (issue #17, H1).

GitHub lets a writer approve a PR whose author is the App, so the bot decides itself whether an approver is a
second person. It does not look at commit metadata (the author and committer of a commit are whatever e-mail
the pusher wrote into it) nor list the PR's commits (GitHub lists at most 250): it records the sender of every
`pull_request` `synchronize` event (the account that pushed) and every commit it made itself. An approval does
not count when the approver pushed code since the last approval that launched training, when a push was never
reported (its `before` SHA is unknown: who pushed it is unknown), or, where a ruleset on the base branch has
GitHub's "require approval of the most recent reviewable push", when the approver made or asked for the most
recent push.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.errors import CommandError
from bot.events import PullRequestEvent
from bot.run_record import RunRecord
from bot.store import BOT_ACTOR, Run

NULL_SHA = "0" * 40
KEPT_SHAS = 1000  # bot_shas and pushed_shas kept per run: above any commit cap


def known_heads(run: Run) -> set[str]:
    data = run.data
    return {*data.bot_shas, *data.pushed_shas, *([run.head_sha] if run.head_sha else [])}


def record_push(ctx: Ctx, run: Run, event: PullRequestEvent) -> Run:
    """Remember who pushed the PR's new head (`event.sender`), and any earlier push no event has shown."""
    sha, data = event.pull_request.head.sha, run.data
    unseen = [head for head in data.unseen_heads if head != sha]
    before = event.before
    if before and before != NULL_SHA and before not in known_heads(run) and before not in unseen:
        unseen.append(before)
    if sha in data.bot_shas:
        return ctx.store.update_run(run.id, record=RunRecord(unseen_heads=unseen))
    pusher = event.sender.login.lower()
    pushers = [*data.pushers, *([] if pusher in data.pushers else [pusher])]
    return ctx.store.update_run(
        run.id,
        record=RunRecord(pushers=pushers, unseen_heads=unseen, last_push_by=pusher),
        append=RunRecord(pushed_shas=[sha]),
        keep_last=KEPT_SHAS,
        actor=pusher,
        action=f"pushed {sha[:12]}",
        delivery_id=ctx.delivery_id,
    )


def check_commit_budget(ctx: Ctx, run: Run) -> None:
    """Refuse one more bot commit on a PR that already has `max_bot_commits` of them (CommandError)."""
    cap = ctx.settings.max_bot_commits
    if len(run.data.bot_shas) >= cap:
        raise CommandError(
            f"run #{run.id} already has {len(run.data.bot_shas)} commits by the bot, the most one PR may have "
            f"(INTERN_MAX_BOT_COMMITS={cap}): push a fix yourself, or start a new run with `/intern train`"
        )


def remember_bot_commit(ctx: Ctx, run: Run, sha: str, requested_by: str = BOT_ACTOR) -> Run:
    """Record a commit the bot pushed, and who asked for it (the last push, for GitHub's last-push rule)."""
    return ctx.store.update_run(
        run.id,
        record=RunRecord(last_push_by=requested_by.lower()),
        append=RunRecord(bot_shas=[sha]),
        keep_last=KEPT_SHAS,
    )


def refusal(record: RunRecord, approver: str, last_push_rule: bool) -> str | None:
    """Why `approver` is not a second person for the PR's current code, or None when they are (pure)."""
    who = approver.lower()
    if record.unseen_heads:
        shas = ", ".join(f"`{sha[:12]}`" for sha in record.unseen_heads[:5])
        return (
            f"push(es) {shas} on this PR were never reported to the bot, so it cannot tell who pushed them "
            "(redeliver the missing `pull_request` events from the App's advanced settings)"
        )
    if who in record.pushers:
        return "you pushed code to this PR since it was last approved for training"
    if last_push_rule and record.last_push_by == who:
        return (
            "this repository requires the most recent push to be approved by someone else (a ruleset with "
            '"require approval of the most recent reviewable push"), and you made or asked for it'
        )
    return None
