"""`issue_comment` created: parse `/intern` commands, check who may run them, and run them.

Bots (including this App) are ignored; read-only commands (help, status) are open to anyone; the others need
write or admin permission, asked of the API. A refused or unknown command gets a polite reply, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.command_parser import READ_ONLY, Command, Rejection, Request, parse_commands, render_help_md
from bot.comments import render_template, reply_marker
from bot.context import Ctx
from bot.errors import BotError, CommandError, IllegalTransitionError
from bot.events import IssueCommentEvent
from bot.runs import lifecycle, start_run
from bot.states import RunState, retry_target

log = logging.getLogger(__name__)


def reply(ctx: Ctx, request: Request, text: str) -> None:
    ctx.post(request.repo, request.number, reply_marker(request.comment_id), text)


def do_help(ctx: Ctx, request: Request, _command: Command) -> None:
    reply(ctx, request, render_help_md())


def do_status(ctx: Ctx, request: Request, _command: Command) -> None:
    run = ctx.store.latest_run(request.repo, request.number)
    entries = ctx.store.audit_log(run.id) if run else []
    reply(ctx, request, render_template("status.md.j2", run=run, entries=entries))


def _active(ctx: Ctx, request: Request) -> lifecycle.Run:
    run = ctx.store.active_run(request.repo, request.number)
    if run is None:
        raise CommandError("there is no active ML Intern run here: start one with `/intern train` in an issue")
    return run


def do_cancel(ctx: Ctx, request: Request, _command: Command) -> None:
    run = _active(ctx, request)
    lifecycle.cancel(ctx, run, request.author)
    reply(ctx, request, f"Cancelled run #{run.id}. Nothing more will be dispatched for it.")


def do_smoke(ctx: Ctx, request: Request, _command: Command) -> None:
    run = _active(ctx, request)
    lifecycle.rerun_smoke(ctx, run, request.author, reason="smoke test requested")
    reply(ctx, request, f"Re-running the smoke test for run #{run.id}.")


def do_retry(ctx: Ctx, request: Request, _command: Command) -> None:
    run = _active(ctx, request)
    if retry_target(run.run_state) is None:
        raise CommandError(f"run #{run.id} is `{run.state}`: there is no failed stage to retry")
    if run.run_state is RunState.FAILED and run.data.failed_stage == "publish":
        lifecycle.publish(ctx, run, request.author)
        reply(ctx, request, f"Retrying the publish of run #{run.id}.")
        return
    lifecycle.rerun_smoke(ctx, run, request.author, reason="retry requested", reset_attempts=True)
    reply(ctx, request, f"Retrying run #{run.id} from the smoke test (training still needs an approval).")


def do_publish(ctx: Ctx, request: Request, _command: Command) -> None:
    run = ctx.store.latest_run(request.repo, request.number)
    if run is None or run.run_state not in (RunState.MERGED, RunState.PUBLISHED, RunState.FAILED):
        raise CommandError("publishing happens once the PR is merged: merge it, or train first")
    if run.run_state is RunState.FAILED and run.data.failed_stage != "publish":
        raise CommandError(f"run #{run.id} failed before it was merged: use `/intern retry`")
    lifecycle.publish(ctx, run, request.author)
    reply(ctx, request, f"Publishing run #{run.id} (idempotent: an unchanged model is not uploaded twice).")


def do_train(ctx: Ctx, request: Request, command: Command) -> None:
    start_run.start_run(ctx, request, command.args)


COMMAND_HANDLERS: dict[str, Callable[[Ctx, Request, Command], None]] = {
    "help": do_help,
    "status": do_status,
    "train": do_train,
    "smoke": do_smoke,
    "retry": do_retry,
    "cancel": do_cancel,
    "publish": do_publish,
}


def run_commands(ctx: Ctx, request: Request, body: str | None, react: bool = True) -> int:
    """Run every command in `body`; returns how many were run (refusals and rejections not counted)."""
    parsed = parse_commands(body)
    done = 0
    for item in parsed:
        if isinstance(item, Rejection):
            reply(ctx, request, render_help_md(item))
            continue
        if item.verb not in READ_ONLY and not ctx.may_write(request.repo, request.author):
            ctx.store.audit(
                request.repo,
                request.author,
                f"refused /intern {item.verb}: no write permission",
                ctx.delivery_id,
            )
            reply(
                ctx,
                request,
                render_template("refusal.md.j2", login=request.author, verb=f"/intern {item.verb}"),
            )
            continue
        if item.verb not in READ_ONLY and react:
            try:
                ctx.gateway.add_reaction(request.repo, request.comment_id, "eyes")
            except BotError as exc:  # cosmetic: the command still runs
                log.warning("could not react to comment %s: %s", request.comment_id, exc)
        try:
            COMMAND_HANDLERS[item.verb](ctx, request, item)
        except (CommandError, IllegalTransitionError) as exc:
            reply(ctx, request, f"I could not run `/intern {item.verb}`: {exc}")
            continue
        done += 1
    return done


def on_comment(ctx: Ctx, event: IssueCommentEvent) -> None:
    if ctx.is_bot(event.comment.user) or ctx.is_bot(event.sender):
        return
    request = Request(
        repo=event.repository.full_name,
        number=event.issue.number,
        is_pr=event.issue.is_pull_request,
        author=event.comment.user.login,
        comment_id=event.comment.id,
        installation_id=event.installation_id,
        title=event.issue.title,
        body=event.issue.body or "",
    )
    run_commands(ctx, request, event.comment.body)


ROUTES = {("issue_comment", "created"): on_comment}
