"""`/intern train` in an issue: plan, inspect the data, open the PR with every scaffolded file in one commit."""

from __future__ import annotations

import logging

from bot.comments import render_template
from bot.context import Ctx
from bot.errors import CommandError
from bot.repo_settings import load_repo_settings
from bot.run_record import RunRecord
from bot.runs.project_files import build_project, slugify
from bot.runs.status_comment import CheckOutput, Move, advance, check
from bot.settings import workflow_options
from bot.states import RunState
from runner.render.markdown import GITHUB_TEXT_BUDGET

log = logging.getLogger(__name__)


def start_run(
    ctx: Ctx,
    repo: str,
    number: int,
    is_pr: bool,
    author: str,
    installation_id: int | None,
    title: str,
    body: str,
    args: dict[str, str],
) -> None:
    from runner.errors import InternError

    if is_pr:
        raise CommandError("`/intern train` starts from an issue that states the objective: comment it there")
    existing = ctx.store.active_run(repo, number)
    if existing is not None:
        where = f"PR #{existing.pr_number}" if existing.pr_number else f"issue #{existing.issue_number}"
        raise CommandError(
            f"run #{existing.id} is already active ({existing.state}, {where}): `/intern cancel` it first"
        )
    repo_settings = load_repo_settings(ctx.gateway, repo)
    compute = args.get("compute") or repo_settings.compute or ctx.settings.compute
    allowed = [name for name in ctx.settings.allowed_compute(installation_id) if name in ctx.services.backends]
    if compute not in allowed:
        raise CommandError(
            f"`compute={compute}` is not enabled on this bot for this repository: use one of "
            f"{', '.join(allowed) or '(none)'} (the bot's operator chooses the backends, INTERN_COMPUTE_ALLOWED)"
        )
    owner, name = repo.split("/", 1)
    slug = slugify(title or args.get("dataset", "model"))
    namespace = ctx.settings.hf_namespace or owner
    hub_repo_id = f"{namespace}/{name}-{slug}"[:96]
    run = ctx.store.create_run(
        repo=repo,
        issue_number=number,
        created_by=author,
        compute=compute,
        installation_id=installation_id,
        delivery_id=ctx.delivery_id,
        data=RunRecord(
            args=args,
            hub_repo_id=hub_repo_id,
            hub_space_id=f"{hub_repo_id}-demo",
            model_url=f"{ctx.settings.hf_endpoint.rstrip('/')}/{hub_repo_id}",
            space_url=f"{ctx.settings.hf_endpoint.rstrip('/')}/spaces/{hub_repo_id}-demo",
        ),
    )
    run = advance(ctx, run, next_step="planning and inspecting the data…")
    default = ctx.gateway.default_branch(repo)
    base_sha = ctx.gateway.branch_sha(repo, default)
    assert base_sha is not None
    run = check(ctx, run, CheckOutput("plan", "in_progress", "Planning", "inspecting the data", head_sha=base_sha))
    objective = f"{title}\n\n{body}".strip()
    try:
        project = build_project(
            ctx.gateway,
            repo,
            default,
            objective,
            args,
            planner=ctx.services.planner,
            workflow_options=workflow_options(ctx.settings),
            max_rows=ctx.settings.inspect_max_rows,
            max_bytes=ctx.settings.max_dataset_bytes,
        )
    except (InternError, CommandError) as exc:
        message = ctx.redact(str(exc))
        advance(
            ctx,
            run,
            move=Move(RunState.FAILED, "planning failed", actor=author, detail=message[:2000]),
            sections={"plan": f"Planning failed: {message}"},
            record={"failed_stage": "plan"},
            checks=(CheckOutput("plan", "completed", "Planning failed", message, "failure", head_sha=base_sha),),
            next_step="fix the request and comment `/intern train` again.",
        )
        return
    branch = f"intern/{number}-{slug}"
    if ctx.gateway.branch_sha(repo, branch) is not None:
        branch = f"{branch}-{run.id}"
    sha = ctx.gateway.commit_files(
        repo,
        branch,
        base_sha,
        project.files,
        f"ML Intern: training project for #{number}\n\nModel {project.model}, "
        f"{len(project.labels)} labels. Requested by @{author}.",
    )
    pr_body = render_template(
        "pr_body.md.j2", issue=number, plan_md=project.plan_md, inspect_md=project.inspect_md, author=author
    )
    pull = ctx.gateway.open_pull(
        repo,
        branch,
        default,
        f"ML Intern: {title or 'train a classifier'}"[:120],
        ctx.redact(pr_body)[:GITHUB_TEXT_BUDGET],
    )
    paths = sorted(project.files) + ([project.dataset_path] if project.dataset_path else [])
    run = ctx.store.transition(
        run.id,
        RunState.PR_OPENED,
        actor=author,
        action=f"PR #{pull.number} opened",
        delivery_id=ctx.delivery_id,
        pr_number=pull.number,
        branch=branch,
        head_sha=sha,
    )
    run = advance(
        ctx,
        run,
        move=Move(RunState.SMOKE_RUNNING, "smoke test started"),
        sections={"plan": project.plan_md, "inspect": project.inspect_md},
        record={"files": paths, "bot_shas": [sha]},
        checks=(
            CheckOutput("plan", "completed", "Planned", f"PR #{pull.number}", "success", head_sha=base_sha),
            CheckOutput("smoke", "in_progress", "Smoke test running", "waiting for the workflow"),
        ),
        next_step="the smoke test runs in GitHub Actions on this PR.",
    )
    ctx.post(
        repo,
        number,
        f"<!-- intern-bot:issue-link:{run.id} -->",
        f"Opened {pull.url} (run #{run.id}): the smoke test runs there next.",
        run=run,
    )
