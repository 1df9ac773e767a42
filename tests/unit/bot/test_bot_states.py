from __future__ import annotations

import itertools

import pytest

from bot.errors import IllegalTransitionError
from bot.states import (
    ACTIVE_STATES,
    TRANSITIONS,
    RunState,
    can_transition,
    check_transition,
    retry_target,
)

S = RunState
HAPPY_PATH = [
    S.PLANNED,
    S.PR_OPENED,
    S.SMOKE_RUNNING,
    S.AWAITING_APPROVAL,
    S.TRAINING,
    S.EVALUATED,
    S.MERGED,
    S.PUBLISHED,
]


def test_the_journey_is_allowed() -> None:
    for current, target in itertools.pairwise(HAPPY_PATH):
        assert check_transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PLANNED, S.TRAINING),  # no training before a PR and a smoke test
        (S.SMOKE_RUNNING, S.TRAINING),  # no training without approval
        (S.SMOKE_FAILED, S.TRAINING),
        (S.PR_OPENED, S.MERGED),
        (S.AWAITING_APPROVAL, S.PUBLISHED),  # nothing published without training
        (S.TRAINING, S.PUBLISHED),
        (S.CANCELLED, S.SMOKE_RUNNING),  # cancelled is final
        (S.CANCELLED, S.CANCELLED),
        (S.PUBLISHED, S.TRAINING),
        (S.MERGED, S.TRAINING),
        (S.MERGED, S.CANCELLED),
    ],
)
def test_illegal_transitions_raise(current: RunState, target: RunState) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransitionError, match=f"'{current.value}' cannot move to '{target.value}'"):
        check_transition(current, target)


def test_a_new_push_sends_approved_and_evaluated_runs_back_to_smoke() -> None:
    for state in (S.AWAITING_APPROVAL, S.EVALUATED, S.TRAINING):
        assert can_transition(state, S.SMOKE_RUNNING)


def test_every_active_state_can_be_cancelled_or_finishes() -> None:
    for state in ACTIVE_STATES:
        assert S.CANCELLED in TRANSITIONS[state] or state in (S.MERGED,)
    assert S.PUBLISHED not in ACTIVE_STATES and S.CANCELLED not in ACTIVE_STATES
    assert S.FAILED in ACTIVE_STATES  # a failed run still blocks a second run on the PR until cancelled


def test_publish_can_be_repeated() -> None:
    assert can_transition(S.PUBLISHED, S.PUBLISHED)


def test_retry_targets() -> None:
    assert retry_target(S.SMOKE_FAILED) is S.SMOKE_RUNNING
    assert retry_target(S.FAILED) is S.SMOKE_RUNNING
    assert retry_target(S.TRAINING) is None
