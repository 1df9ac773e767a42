"""`/intern train` in an issue: plan, inspect the data, open the PR with every scaffolded file in one commit.

The steps, in order: `admit` (an issue, no active run, an allowed backend), `record_run` (the run and its Hub
ids), `base_of` (the default branch and its head), `plan_project` (plan, inspect, scaffold: a failure fails
the run and is shown on the issue), `open_pull` (one commit on a new branch, the PR), `announce` (the one
state move, to `pr_opened`, with the check runs, the sticky comment and a link on the issue). A request the
bot cannot serve raises CommandError, which the command router answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.command_parser import Request
from bot.comments import marker, render_template
from bot.context import Ctx
from bot.errors import CommandError
from bot.gateway import PullInfo
from bot.repo_settings import load_repo_settings
from bot.run_record import RunRecord
from bot.runs.project_files import Project, build_project, slugify
from bot.runs.status_comment import CheckOutput, Move, advance, check
from bot.settings import workflow_options
from bot.states import RunState
from bot.store import Run
from runner.errors import InternError
from runner.render.markdown import GITHUB_TEXT_BUDGET

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Base:
    """Where the PR starts: the default branch and its head commit."""

    branch: str
    sha: str


@dataclass(frozen=True)
class Opened:
    """The PR the run opened: its branch and the bot's commit on it."""

    pull: PullInfo
    branch: str
    sha: str


def start_run(ctx: Ctx, request: Request, args: Mapping[str, str]) -> None:
    compute = admit(ctx, request, args)
    base = base_of(ctx, request.repo)
    run = record_run(ctx, request, args, compute)
    run = check(ctx, run, CheckOutput("plan", "in_progress", "Planning", "inspecting the data", head_sha=base.sha))
    try:
        project = plan_project(ctx, request, args, base)
    except (InternError, CommandError) as exc:
        fail_planning(ctx, run, request, base, ctx.redact(str(exc)))
        return
    opened = open_pull(ctx, request, run, project, base)
    announce(ctx, request, run, project, opened, base)


def admit(ctx: Ctx, request: Request, args: Mapping[str, str]) -> str:
    """The compute backend the run will use; CommandError when the request cannot start a run here."""
    if request.is_pr:
        raise CommandError("`/intern train` starts from an issue that states the objective: comment it there")
    existing = ctx.store.active_run(request.repo, request.number)
    if existing is not None:
        where = f"PR #{existing.pr_number}" if existing.pr_number else f"issue #{existing.issue_number}"
        raise CommandError(
            f"run #{existing.id} is already active ({existing.state}, {where}): `/intern cancel` it first"
        )
    repo_settings = load_repo_settings(ctx.gateway, request.repo)
    compute = args.get("compute") or repo_settings.compute or ctx.settings.compute
    allowed = [name for name in ctx.settings.allowed_compute(request.installation_id) if name in ctx.services.backends]
    if compute not in allowed:
        raise CommandError(
            f"`compute={compute}` is not enabled on this bot for this repository: use one of "
            f"{', '.join(allowed) or '(none)'} (the bot's operator chooses the backends, INTERN_COMPUTE_ALLOWED)"
        )
    return compute


def base_of(ctx: Ctx, repo: str) -> Base:
    """The default branch and its head; CommandError for a repository without a commit."""
    branch = ctx.gateway.default_branch(repo)
    sha = ctx.gateway.branch_sha(repo, branch)
    if sha is None:
        raise CommandError(f"the default branch `{branch}` has no commit yet: push one, then `/intern train` again")
    return Base(branch, sha)


def slug_of(request: Request, args: Mapping[str, str]) -> str:
    return slugify(request.title or args.get("dataset", "model"))


def record_run(ctx: Ctx, request: Request, args: Mapping[str, str], compute: str) -> Run:
    """The new run (state `planned`) with the Hub repos it will publish to."""
    namespace = ctx.settings.hf_namespace or request.repo.split("/", 1)[0]
    name = request.repo.split("/", 1)[1]
    hub_repo_id = f"{namespace}/{name}-{slug_of(request, args)}"[:96]
    endpoint = ctx.settings.hf_endpoint.rstrip("/")
    run = ctx.store.create_run(
        repo=request.repo,
        issue_number=request.number,
        created_by=request.author,
        compute=compute,
        installation_id=request.installation_id,
        delivery_id=ctx.delivery_id,
        data=RunRecord(
            args=dict(args),
            hub_repo_id=hub_repo_id,
            hub_space_id=f"{hub_repo_id}-demo",
            model_url=f"{endpoint}/{hub_repo_id}",
            space_url=f"{endpoint}/spaces/{hub_repo_id}-demo",
        ),
    )
    return advance(ctx, run, next_step="planning and inspecting the data…")


def plan_project(ctx: Ctx, request: Request, args: Mapping[str, str], base: Base) -> Project:
    """Plan, inspect and scaffold from the issue's text (InternError or CommandError when that cannot be done)."""
    return build_project(
        ctx.gateway,
        request.repo,
        base.branch,
        f"{request.title}\n\n{request.body}".strip(),
        dict(args),
        planner=ctx.services.planner,
        workflow_options=workflow_options(ctx.settings),
        max_rows=ctx.settings.inspect_max_rows,
        max_bytes=ctx.settings.max_dataset_bytes,
    )


def fail_planning(ctx: Ctx, run: Run, request: Request, base: Base, message: str) -> None:
    advance(
        ctx,
        run,
        move=Move(RunState.FAILED, "planning failed", actor=request.author, detail=message[:2000]),
        sections={"plan": f"Planning failed: {message}"},
        record=RunRecord(failed_stage="plan"),
        checks=(CheckOutput("plan", "completed", "Planning failed", message, "failure", head_sha=base.sha),),
        next_step="fix the request and comment `/intern train` again.",
    )


def open_pull(ctx: Ctx, request: Request, run: Run, project: Project, base: Base) -> Opened:
    """Commit every project file on a new branch (named after the issue) and open the PR."""
    branch = f"intern/{request.number}-{slug_of(request, run.data.args)}"
    if ctx.gateway.branch_sha(request.repo, branch) is not None:
        branch = f"{branch}-{run.id}"
    sha = ctx.gateway.commit_files(
        request.repo,
        branch,
        base.sha,
        project.files,
        f"ML Intern: training project for #{request.number}\n\nModel {project.model}, "
        f"{len(project.labels)} labels. Requested by @{request.author}.",
    )
    body = render_template(
        "pr_body.md.j2",
        issue=request.number,
        plan_md=project.plan_md,
        inspect_md=project.inspect_md,
        author=request.author,
    )
    pull = ctx.gateway.open_pull(
        request.repo,
        branch,
        base.branch,
        f"ML Intern: {request.title or 'train a classifier'}"[:120],
        ctx.redact(body)[:GITHUB_TEXT_BUDGET],
    )
    return Opened(pull, branch, sha)


def announce(ctx: Ctx, request: Request, run: Run, project: Project, opened: Opened, base: Base) -> None:
    """The one state move (`planned -> pr_opened`), the check runs, the sticky comment, a link on the issue."""
    number = opened.pull.number
    paths = sorted(project.files) + ([project.dataset_path] if project.dataset_path else [])
    run = advance(
        ctx,
        run,
        move=Move(
            RunState.PR_OPENED,
            f"PR #{number} opened",
            actor=request.author,
            pr_number=number,
            branch=opened.branch,
            head_sha=opened.sha,
        ),
        sections={"plan": project.plan_md, "inspect": project.inspect_md},
        record=RunRecord(files=paths, bot_shas=[opened.sha]),
        checks=(
            CheckOutput("plan", "completed", "Planned", f"PR #{number}", "success", head_sha=base.sha),
            CheckOutput("smoke", "in_progress", "Smoke test running", "waiting for the workflow"),
        ),
        next_step="the smoke test runs in GitHub Actions on this PR.",
    )
    ctx.post(
        request.repo,
        request.number,
        marker("issue-link", run.id),
        f"Opened {opened.pull.url} (run #{run.id}): the smoke test runs there next.",
        run=run,
    )
