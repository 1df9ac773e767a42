"""A failed smoke test: diagnose the log, push a fix commit that says what it changed and why, re-run.

The step is the CLI's (`runner.selfheal.loop.next_repair`): diagnosis, then the catalogue fix; the bot applies
catalogue fixes only (no LLM patches). At most `MAX_ATTEMPTS` fixes;
then (or when no fix is known) the run waits in `smoke_failed` for a human, with the diagnosis in the sticky
comment.
"""

from __future__ import annotations

import logging

from bot.context import Ctx
from bot.errors import CommandError
from bot.runs import approval, lifecycle, results
from bot.runs.status_comment import CheckOutput, Move, advance
from bot.states import RunState
from bot.store import Run
from runner.data.columns import ColumnChoice
from runner.render.markdown import details, fence
from runner.schemas import InspectReport, SmokeReport
from runner.selfheal.fixes import ProposedFix
from runner.selfheal.loop import MAX_ATTEMPTS, next_repair

log = logging.getLogger(__name__)
FIXABLE_SUFFIXES = (".py", ".yaml", ".yml", ".txt")
MAX_DIFF_CHARS = 20000


def _project_files(ctx: Ctx, run: Run) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in run.data.files:
        if path.endswith(FIXABLE_SUFFIXES) and run.head_sha:
            content = ctx.gateway.read_file(run.repo, path, run.head_sha)
            if content is not None:
                files[path] = content.decode("utf-8", "replace")
    return files


def _proposal(ctx: Ctx, run: Run, report: SmokeReport | None, attempt: int) -> ProposedFix | None:
    """The shared self-heal step (`runner.selfheal.loop.next_repair`) on the branch's files: catalogue fixes
    only, the bot asks no LLM for patches."""
    if report is None or attempt > MAX_ATTEMPTS:
        return None
    repair = next_repair(
        _project_files(ctx, run), report.log_tail, attempt, columns=lambda: _inspected_columns(ctx, run)
    )
    return repair.fix


def _inspected_columns(ctx: Ctx, run: Run) -> ColumnChoice | None:
    """The columns the data report found (reports/inspect.json on the branch), for the missing-column fix."""
    if not run.head_sha:
        return None
    raw = ctx.gateway.read_file(run.repo, "reports/inspect.json", run.head_sha)
    if raw is None:
        return None
    try:
        report = InspectReport.model_validate_json(raw)
    except ValueError:
        return None
    return ColumnChoice(text=report.text_column, label=report.label_column, reason="from reports/inspect.json")


def _push_fix(ctx: Ctx, run: Run, fix: ProposedFix, attempt: int, text: str) -> Run:
    assert run.branch is not None and run.head_sha is not None
    changed = {path: content.encode("utf-8") for path, content in fix.changes.items()}
    message = (
        f"ML Intern smoke fix {attempt}/{MAX_ATTEMPTS}: {fix.error_class}\n\n{fix.reason}\n\n"
        f"Changed: {', '.join(sorted(fix.changes))}"
    )
    sha = ctx.gateway.commit_files(run.repo, run.branch, run.head_sha, changed, message)
    run = lifecycle.remember_bot_commit(ctx, run, sha)
    return advance(
        ctx,
        run,
        move=Move(
            RunState.SMOKE_RUNNING,
            f"smoke fix {attempt} pushed",
            detail=fix.reason,
            head_sha=sha,
            smoke_attempts=attempt,
        ),
        notice=f"Smoke fix {attempt}/{MAX_ATTEMPTS} pushed (`{fix.error_class}`): {fix.reason}",
        sections={"smoke": f"{text}\n\n{details(f'Fix {attempt}', fence(fix.diff[:MAX_DIFF_CHARS], 'diff'))}"},
        checks=(CheckOutput("smoke", "in_progress", "Smoke test re-running", fix.reason),),
    )


def handle_smoke_failure(ctx: Ctx, run: Run, report: SmokeReport | None, url: str) -> Run:
    text = results.render_smoke_md(report) if report else f"The smoke workflow failed without a report: {url}"
    attempt = run.smoke_attempts + 1
    fix = _proposal(ctx, run, report, attempt)
    why = "no known fix applies" if attempt <= MAX_ATTEMPTS else f"{MAX_ATTEMPTS} automatic fixes did not help"
    if fix is not None and run.branch and run.head_sha:
        try:
            approval.check_commit_budget(ctx, run)
        except CommandError as exc:
            why = str(exc)
        else:
            return _push_fix(ctx, run, fix, attempt, text)
    return advance(
        ctx,
        run,
        move=Move(RunState.SMOKE_FAILED, "smoke failed", detail=url, smoke_attempts=min(attempt, MAX_ATTEMPTS)),
        sections={"smoke": text},
        checks=(CheckOutput("smoke", "completed", "Smoke test failed", text, "failure"),),
        next_step=f"a human needs to look ({why}): push a fix to the branch, or comment `/intern retry`.",
    )
