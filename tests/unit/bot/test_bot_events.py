from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.errors import MalformedPayloadError
from bot.events import HANDLED, IssueCommentEvent, PullRequestEvent, identity, load_event, parse_event
from bot.router import _routes
from tests.unit.bot import payloads


def test_every_real_example_parses_or_is_ignored() -> None:
    parsed = 0
    for event in HANDLED:
        for path in sorted((payloads.EXAMPLES / event).glob("*.json")):
            raw = json.loads(path.read_text(encoding="utf-8"))
            model = parse_event(event, raw)
            if raw.get("action") in HANDLED[event][1]:
                assert model is not None, path
                assert load_event(event, model.model_dump_json()) == model  # what the worker rebuilds
                parsed += 1
            else:
                assert model is None, path
    assert parsed >= 8


def test_the_edge_enqueues_exactly_what_has_a_handler() -> None:
    routed = set(_routes())
    declared = {(event, action) for event, (_, actions) in HANDLED.items() for action in actions}
    assert declared == routed


def test_fields_we_read() -> None:
    comment = parse_event("issue_comment", payloads.issue_comment("o/r", 4, "/intern status", "alice", on_pr=True))
    assert isinstance(comment, IssueCommentEvent)
    assert comment.issue.is_pull_request and comment.comment.body == "/intern status"
    assert comment.installation_id == 1
    merged = parse_event(
        "pull_request",
        json.loads((payloads.FIXTURES / "extra-payload-examples/pull_request/closed.merged.payload.json").read_text()),
    )
    assert isinstance(merged, PullRequestEvent) and merged.pull_request.merged is True
    assert parse_event("check_run", {"action": "created"}) is None
    assert parse_event("issue_comment", {"action": "deleted"}) is None


def test_wrong_shape_is_malformed() -> None:
    with pytest.raises(MalformedPayloadError, match="issue_comment payload"):
        parse_event("issue_comment", {"action": "created", "comment": {"id": "x"}})


def _identity(event: str, payload: dict[str, Any]) -> str | None:
    parsed = parse_event(event, payload)
    assert parsed is not None
    return identity(parsed)


def test_identity_is_the_same_for_a_replay_and_differs_for_another_event() -> None:
    comment = payloads.issue_comment("o/r", 1, "/intern help", "alice", comment_id=5)
    assert _identity("issue_comment", comment) == _identity("issue_comment", copy.deepcopy(comment))
    assert _identity("issue_comment", comment) != _identity(
        "issue_comment", payloads.issue_comment("o/r", 1, "/intern help", "alice", comment_id=6)
    )
    review = payloads.review("o/r", 2, "b", "a" * 40, "alice", review_id=9)
    assert _identity("pull_request_review", review) == "pull_request_review:submitted:o/r:9"
    run = payloads.workflow_run("o/r", 77, "b", "a" * 40)
    rerun = payloads.workflow_run("o/r", 77, "b", "a" * 40, run_attempt=2)  # "Re-run jobs" keeps the run id
    assert _identity("workflow_run", run) != _identity("workflow_run", rerun)
    push = payloads.pull_request("o/r", 2, "synchronize", "b", "a" * 40, "alice")
    push_back = payloads.pull_request("o/r", 2, "synchronize", "b", "a" * 40, "alice")  # A -> B -> A again
    assert _identity("pull_request", push) != _identity("pull_request", push_back)
    del push["pull_request"]["updated_at"]
    assert _identity("pull_request", push) is None
