"""A failed smoke test: diagnose the log, push a fix commit that says what it changed and why, re-run.

Known failures get the runner's catalogue fix (`runner.selfheal.fixes.propose_fix`). At most `MAX_ATTEMPTS` fixes;
then (or when no fix is known) the run waits in `smoke_failed` for a human, with the diagnosis in the sticky
comment.
"""

from __future__ import annotations

import logging

from bot.context import Ctx
from bot.runs import lifecycle, results, status_comment
from bot.states import RunState
from bot.store import Run
from runner.data.columns import ColumnChoice
from runner.render.markdown import fence
from runner.schemas import InspectReport, SmokeReport
from runner.selfheal.diagnose import classify_failure
from runner.selfheal.fixes import ProposedFix, propose_fix

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
FIXABLE_SUFFIXES = (".py", ".yaml", ".yml", ".txt")


def _project_files(ctx: Ctx, run: Run) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in run.data.get("files", []):
        if path.endswith(FIXABLE_SUFFIXES) and run.head_sha:
            content = ctx.gateway.read_file(run.repo, path, run.head_sha)
            if content is not None:
                files[path] = content.decode("utf-8", "replace")
    return files


def _proposal(ctx: Ctx, run: Run, report: SmokeReport | None, attempt: int) -> ProposedFix | None:
    if report is None or attempt > MAX_ATTEMPTS:
        return None
    return propose_fix(
        _project_files(ctx, run), classify_failure(report.log_tail), attempt, columns=_inspected_columns(ctx, run)
    )


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
    run = ctx.store.transition(
        run.id,
        RunState.SMOKE_RUNNING,
        actor="intern-bot",
        action=f"smoke fix {attempt} pushed",
        delivery_id=ctx.delivery_id,
        detail=fix.reason,
        head_sha=sha,
        smoke_attempts=attempt,
    )
    run = status_comment.add_notice(
        ctx, run, f"Smoke fix {attempt}/{MAX_ATTEMPTS} pushed (`{fix.error_class}`): {fix.reason}"
    )
    fold = f"<details><summary>Fix {attempt}</summary>\n\n{fence(fix.diff[:20000], 'diff')}\n\n</details>"
    run = status_comment.set_section(ctx, run, "smoke", f"{text}\n\n{fold}")
    run = status_comment.check(ctx, run, "smoke", "in_progress", None, "Smoke test re-running", fix.reason)
    status_comment.refresh(ctx, run.id)
    return run


def handle_smoke_failure(ctx: Ctx, run: Run, report: SmokeReport | None, url: str) -> Run:
    text = results.render_smoke_md(report) if report else f"The smoke workflow failed without a report: {url}"
    run = status_comment.set_section(ctx, run, "smoke", text)
    attempt = run.smoke_attempts + 1
    fix = _proposal(ctx, run, report, attempt)
    if fix is not None and run.branch and run.head_sha:
        return _push_fix(ctx, run, fix, attempt, text)
    run = ctx.store.transition(
        run.id,
        RunState.SMOKE_FAILED,
        actor="intern-bot",
        action="smoke failed",
        delivery_id=ctx.delivery_id,
        detail=url,
        smoke_attempts=min(attempt, MAX_ATTEMPTS),
    )
    run = status_comment.check(ctx, run, "smoke", "completed", "failure", "Smoke test failed", text)
    why = "no known fix applies" if attempt <= MAX_ATTEMPTS else f"{MAX_ATTEMPTS} automatic fixes did not help"
    run = status_comment.set_next_step(
        ctx, run, f"a human needs to look ({why}): push a fix to the branch, or comment `/intern retry`."
    )
    status_comment.refresh(ctx, run.id)
    return run
