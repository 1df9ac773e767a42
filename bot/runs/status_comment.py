"""A run's visible progress: the sticky comment (rebuilt from the stored run every time) and check runs.

Level-triggered: `refresh` renders the whole comment from the run row, so a replayed event does no harm.
`advance` is the one way a handler moves a run on: an optional state transition (`Move`), then the record
(sections, a notice, the next step), then the stage's check run (`CheckOutput`), then the sticky comment.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bot.comments import Section, render_sections, render_template, run_marker
from bot.context import Ctx
from bot.gateway import CheckConclusion, CheckStatus
from bot.run_record import RunRecord
from bot.states import RunState
from bot.store import BOT_ACTOR, Columns, Run
from runner.render.markdown import GITHUB_TEXT_BUDGET

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
MAX_NOTICES = 10


class _Keep(enum.Enum):
    KEEP = enum.auto()


KEEP: Final = _Keep.KEEP
"""`next_step=KEEP` leaves the next step as it is (None clears it)."""


@dataclass(frozen=True)
class CheckOutput:
    """The check run "ML Intern: <stage>" as it should look now (on `head_sha`, else the run's head)."""

    stage: str
    status: CheckStatus
    title: str
    summary: str
    conclusion: CheckConclusion | None = None
    head_sha: str | None = None


@dataclass(frozen=True)
class Move(Columns):
    """A state transition with the columns it sets (keywords, `Columns`); audited under `actor` with `action`
    and `detail`."""

    to: RunState
    action: str
    actor: str = BOT_ACTOR
    detail: str = ""


def render_run_comment(run: Run) -> str:
    """The sticky comment of a run (pure: from the run row only)."""
    record = run.data
    header = render_template(
        "run_header.md.j2", run=run, state=run.state, notices=record.notices, next_step=record.next_step
    )
    stored = record.sections
    sections = [Section(TITLES[name], stored[name], name in FOLDED) for name in SECTION_ORDER if stored.get(name)]
    return render_sections(header, sections)


def refresh(ctx: Ctx, run_id: int) -> Run:
    """Post or edit the run's sticky comment on its PR (or on the issue before the PR exists)."""
    run = ctx.store.get_run(run_id)
    assert run is not None
    ctx.post(run.repo, run.pr_number or run.issue_number, run_marker(run.id), render_run_comment(run), run=run)
    return run


def check(ctx: Ctx, run: Run, output: CheckOutput) -> Run:
    """Create or update the check run of `output.stage` ("ML Intern: <stage>") on its head SHA."""
    sha = output.head_sha or run.head_sha
    if sha is None:
        return run
    summary = ctx.redact(output.summary)[:GITHUB_TEXT_BUDGET]
    existing = run.data.checks.get(output.stage)
    if existing and existing[1] == sha:
        ctx.gateway.update_check_run(run.repo, existing[0], output.status, output.conclusion, output.title, summary)
        return run
    check_id = ctx.gateway.create_check_run(
        run.repo, sha, f"ML Intern: {output.stage}", output.status, output.conclusion, output.title, summary
    )
    return ctx.store.update_run(run.id, merge=RunRecord(checks={output.stage: (check_id, sha)}))


def advance(
    ctx: Ctx,
    run: Run,
    *,
    move: Move | None = None,
    sections: Mapping[str, str] | None = None,
    record: RunRecord | None = None,
    notice: str | None = None,
    checks: tuple[CheckOutput, ...] = (),
    next_step: str | _Keep | None = KEEP,
) -> Run:
    """Move the run on and show it: transition, record changes, check runs, then the sticky comment."""
    if move is not None:
        run = ctx.store.transition(
            run.id,
            move.to,
            actor=move.actor,
            action=move.action,
            delivery_id=ctx.delivery_id,
            detail=move.detail,
            columns=move,
        )
    if not isinstance(next_step, _Keep):
        record = (record or RunRecord()).model_copy(update={"next_step": next_step})
    if record is not None or sections or notice:
        run = ctx.store.update_run(
            run.id,
            record=record,
            merge=RunRecord(sections=dict(sections)) if sections else None,
            append=RunRecord(notices=[notice]) if notice else None,
            keep_last=MAX_NOTICES,
        )
    for output in checks:
        run = check(ctx, run, output)
    return refresh(ctx, run.id)
