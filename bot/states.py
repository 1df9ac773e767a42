"""The run state machine, pure: states, allowed transitions, and what counts as active.

```
planned -> pr_opened -> smoke_running -> awaiting_approval -> training -> evaluated -> merged -> published
                            |   ^                                 |
                            v   |  (fix pushed / retry)           v
                         smoke_failed                           failed       (+ cancelled from any active state)
```
A new push (`synchronize`) sends an approved or evaluated run back to `smoke_running`: the approval was for
the old head SHA. `published -> published` is allowed so `/intern publish` can be re-run (publishing is idempotent).
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import IllegalTransitionError


class RunState(StrEnum):
    PLANNED = "planned"
    PR_OPENED = "pr_opened"
    SMOKE_RUNNING = "smoke_running"
    SMOKE_FAILED = "smoke_failed"
    AWAITING_APPROVAL = "awaiting_approval"
    TRAINING = "training"
    EVALUATED = "evaluated"
    MERGED = "merged"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = RunState

TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    S.PLANNED: frozenset({S.PR_OPENED, S.FAILED, S.CANCELLED}),
    S.PR_OPENED: frozenset({S.SMOKE_RUNNING, S.SMOKE_FAILED, S.AWAITING_APPROVAL, S.FAILED, S.CANCELLED}),
    S.SMOKE_RUNNING: frozenset({S.SMOKE_RUNNING, S.SMOKE_FAILED, S.AWAITING_APPROVAL, S.FAILED, S.CANCELLED}),
    S.SMOKE_FAILED: frozenset({S.SMOKE_RUNNING, S.AWAITING_APPROVAL, S.FAILED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.TRAINING, S.SMOKE_RUNNING, S.MERGED, S.CANCELLED}),
    S.TRAINING: frozenset({S.EVALUATED, S.FAILED, S.CANCELLED, S.SMOKE_RUNNING}),
    S.EVALUATED: frozenset({S.MERGED, S.TRAINING, S.SMOKE_RUNNING, S.CANCELLED}),
    S.MERGED: frozenset({S.PUBLISHED, S.FAILED}),
    S.PUBLISHED: frozenset({S.PUBLISHED}),
    S.FAILED: frozenset({S.SMOKE_RUNNING, S.TRAINING, S.MERGED, S.PUBLISHED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

ACTIVE_STATES = frozenset(set(RunState) - {S.PUBLISHED, S.CANCELLED})


def can_transition(current: RunState, target: RunState) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: RunState, target: RunState) -> RunState:
    """`target` when the move is allowed, else IllegalTransitionError."""
    if not can_transition(current, target):
        raise IllegalTransitionError(current.value, target.value)
    return target


def retry_target(current: RunState) -> RunState | None:
    """Where `/intern retry` sends a run: re-run the stage that failed, None when nothing to retry."""
    return {S.SMOKE_FAILED: S.SMOKE_RUNNING, S.FAILED: S.SMOKE_RUNNING}.get(current)
