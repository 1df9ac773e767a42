"""Issue #17, M2: one publish gate, inside the publish use case, whatever path asks for publishing.

Before: a merge of another head than the approved commit moved the run to `merged` with a refusal comment,
and `/intern publish` or `/intern retry` then published without the check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.router import Services
from bot.run_record import RunRecord
from bot.states import RunState
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import BRANCH, REPO, deliver, make_services, seed_repo, seed_run
from tests.unit.bot.fake_gateway import FakeGateway


@pytest.fixture
def gateway() -> FakeGateway:
    gw = FakeGateway()
    seed_repo(gw)
    return gw


@pytest.fixture
def services(tmp_path: Path, gateway: FakeGateway) -> Services:
    return make_services(tmp_path, gateway)


def _publishes(gateway: FakeGateway) -> list[dict[str, str]]:
    return [inputs for _, _, inputs in gateway.repos[REPO].dispatches if inputs["mode"] == "publish"]


def _comment(services: Services, number: int, body: str) -> None:
    deliver(services, "issue_comment", payloads.issue_comment(REPO, number, body, "alice", on_pr=True))


def _merge(services: Services, number: int, head: str) -> None:
    deliver(services, "pull_request", payloads.pull_request(REPO, number, "closed", BRANCH, head, "root", merged=True))


def test_a_refused_merge_cannot_be_published_by_command_or_retry(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.EVALUATED)
    number = run.pr_number or 0
    other = gateway.push_as(REPO, BRANCH, "alice", {"train.py": b"print('not what was trained')\n"})
    _merge(services, number, other)
    assert _publishes(gateway) == []
    for command in ("/intern publish", "/intern retry"):
        _comment(services, number, command)
        assert _publishes(gateway) == [], command
    merged = services.store.get_run(run.id)
    assert merged is not None and merged.data.merged_head_sha == other
    # a failed publish retried later goes through the same gate
    services.store.transition(run.id, RunState.FAILED, actor="t", action="publish failed", delivery_id=None)
    services.store.update_run(run.id, record=RunRecord(failed_stage="publish"))
    for command in ("/intern retry", "/intern publish"):
        _comment(services, number, command)
        assert _publishes(gateway) == [], command
    text = "\n".join(gateway.comments_on(REPO, number))
    assert "not published: the merged head" in text
    refusals = [e for e in services.store.audit_log(run.id) if e.action == "publish refused"]
    assert len(refusals) >= 4


def test_a_run_merged_before_its_training_finished_is_never_published(services: Services, gateway: FakeGateway) -> None:
    """Approved, training failed, then merged: the approved SHA is the merged head, but nothing was trained."""
    run = seed_run(services, gateway, RunState.TRAINING)
    services.store.transition(run.id, RunState.FAILED, actor="t", action="training failed", delivery_id=None)
    _merge(services, run.pr_number or 0, run.head_sha or "")
    _comment(services, run.pr_number or 0, "/intern publish")
    assert _publishes(gateway) == []
    assert "no training of the approved commit" in "\n".join(gateway.comments_on(REPO, run.pr_number or 0))


def test_a_redelivered_merge_of_the_trained_commit_publishes_once(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.EVALUATED)
    event = payloads.pull_request(REPO, run.pr_number or 0, "closed", BRANCH, run.head_sha or "", "root", merged=True)
    deliver(services, "pull_request", event)
    deliver(services, "pull_request", event)  # a new delivery id: the run is no longer active, nothing happens
    assert len(_publishes(gateway)) == 1
    _comment(services, run.pr_number or 0, "/intern publish")  # re-publishing the same trained commit is fine
    assert len(_publishes(gateway)) == 2
