"""A failed smoke test: diagnose the log, push a fix commit that says what it changed and why, re-run.

At most `MAX_ATTEMPTS` fixes; then (or when no fix is known) the run waits in `smoke_failed` for a human,
with the diagnosis in the sticky comment.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.handlers import lifecycle, progress, results
from bot.handlers.context import Ctx
from bot.states import RunState
from bot.store import Run
from runner.schemas import SmokeReport

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def _propose(files: dict[str, str], log_tail: str, attempt: int) -> Any:
    """runner.selfheal's fix for this failure, or None (also when the module is not available)."""
    try:
        from runner.diagnose import classify_failure
        from runner.selfheal import propose_fix  # type: ignore[import-not-found,attr-defined,unused-ignore]
    except ImportError:
        return None
    return propose_fix(files, classify_failure(log_tail), attempt)


def _project_files(ctx: Ctx, run: Run) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in run.data.get("files", []):
        if path.endswith((".py", ".yaml", ".yml", ".txt")) and run.head_sha:
            content = ctx.gateway.read_file(run.repo, path, run.head_sha)
            if content is not None:
                files[path] = content.decode("utf-8", "replace")
    return files


def handle_smoke_failure(ctx: Ctx, run: Run, report: SmokeReport | None, url: str) -> Run:
    text = results.render_smoke_md(report) if report else f"The smoke workflow failed without a report: {url}"
    run = progress.set_section(ctx, run, "smoke", text)
    attempt = run.smoke_attempts + 1
    fix = (
        _propose(_project_files(ctx, run), report.log_tail if report else "", attempt)
        if attempt <= MAX_ATTEMPTS
        else None
    )
    if fix is not None and getattr(fix, "files", None) and run.branch and run.head_sha:
        changed = {path: str(content).encode("utf-8") for path, content in fix.files.items()}
        why = str(getattr(fix, "message", None) or getattr(fix, "summary", None) or "automatic fix")
        sha = ctx.gateway.commit_files(
            run.repo,
            run.branch,
            run.head_sha,
            changed,
            f"ML Intern smoke fix {attempt}/{MAX_ATTEMPTS}: {why}",
        )
        run = lifecycle.remember_bot_commit(ctx, run, sha)
        run = ctx.store.transition(
            run.id,
            RunState.SMOKE_RUNNING,
            actor="intern-bot",
            action=f"smoke fix {attempt} pushed",
            delivery_id=ctx.delivery_id,
            detail=why,
            head_sha=sha,
            smoke_attempts=attempt,
        )
        run = progress.add_notice(ctx, run, f"Smoke fix {attempt}/{MAX_ATTEMPTS} pushed: {why}")
        progress.refresh(ctx, run.id)
        return run
    run = ctx.store.transition(
        run.id,
        RunState.SMOKE_FAILED,
        actor="intern-bot",
        action="smoke failed",
        delivery_id=ctx.delivery_id,
        detail=url,
        smoke_attempts=attempt,
    )
    run = progress.check(ctx, run, "smoke", "completed", "failure", "Smoke test failed", text)
    run = progress.set_next_step(
        ctx, run, "a human needs to look at the diagnosis above; push a fix or comment `/intern retry`."
    )
    progress.refresh(ctx, run.id)
    return run
