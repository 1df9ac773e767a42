"""A run's visible progress: the sticky comment (rebuilt from the stored run every time) and check runs.

Level-triggered: `refresh` renders the whole comment from the run row, so a replayed event does no harm.
"""

from __future__ import annotations

from typing import Any

from bot.comments import Section, render_sections, render_template, run_marker
from bot.context import Ctx
from bot.gateway import CheckConclusion, CheckStatus
from bot.store import Run

SECTION_ORDER = ("plan", "inspect", "smoke", "training", "evaluation", "stress", "publish")
FOLDED = frozenset({"plan", "inspect", "stress"})
TITLES = {
    "plan": "Plan",
    "inspect": "Data report",
    "smoke": "Smoke test",
    "training": "Training",
    "evaluation": "Evaluation",
    "stress": "Stress tests",
    "publish": "Published",
}


def render_run_comment(run: Run) -> str:
    """The sticky comment of a run (pure: from the run row only)."""
    data = run.data
    header = render_template(
        "run_header.md.j2",
        run=run,
        state=run.state,
        notices=data.get("notices", []),
        next_step=data.get("next_step"),
    )
    stored: dict[str, str] = data.get("sections", {})
    sections = [Section(TITLES[name], stored[name], name in FOLDED) for name in SECTION_ORDER if stored.get(name)]
    return render_sections(header, sections)


def refresh(ctx: Ctx, run_id: int) -> Run:
    """Post or edit the run's sticky comment on its PR (or on the issue before the PR exists)."""
    run = ctx.store.get_run(run_id)
    assert run is not None
    ctx.post(run.repo, run.pr_number or run.issue_number, run_marker(run.id), render_run_comment(run), run=run)
    return run


def set_section(ctx: Ctx, run: Run, name: str, markdown: str, **data: Any) -> Run:
    return ctx.store.update_run(run.id, data=data, merge={"sections": {name: markdown}})


def add_notice(ctx: Ctx, run: Run, text: str) -> Run:
    return ctx.store.update_run(run.id, append={"notices": [text]}, keep_last=10)


def set_next_step(ctx: Ctx, run: Run, text: str | None) -> Run:
    return ctx.store.update_run(run.id, data={"next_step": text})


def check(
    ctx: Ctx,
    run: Run,
    stage: str,
    status: CheckStatus,
    conclusion: CheckConclusion | None,
    title: str,
    summary: str,
    head_sha: str | None = None,
) -> Run:
    """Create or update the check run of `stage` ("ML Intern: <stage>") on the run's head SHA."""
    checks: dict[str, list[Any]] = run.data.get("checks", {})
    sha = head_sha or run.head_sha
    if sha is None:
        return run
    summary = ctx.redact(summary)[:60000]
    existing = checks.get(stage)
    if existing and existing[1] == sha:
        ctx.gateway.update_check_run(run.repo, int(existing[0]), status, conclusion, title, summary)
        return run
    check_id = ctx.gateway.create_check_run(run.repo, sha, f"ML Intern: {stage}", status, conclusion, title, summary)
    return ctx.store.update_run(run.id, merge={"checks": {stage: [check_id, sha]}})
