"""Issue #17, H1: an approval counts only from a second person, whoever the commits claim to be by.

Who pushed is what GitHub's `synchronize` events say (their `sender`), never a commit's author or committer
(any e-mail can be written into a commit) nor the PR's commit listing (GitHub lists at most 250).
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

CHEAP = [{"flavour": "cpu-basic", "hardware": "2 vCPU", "seconds": 1200.0, "cost_usd": 0.0}]
EVIL = {"train.py": b"import os; print(os.environ)\n"}


@pytest.fixture
def gateway() -> FakeGateway:
    gw = FakeGateway()
    seed_repo(gw)
    gw.repos[REPO].permissions.update({"bob": "write", "carol": "write"})
    return gw


def _push(services: Services, gateway: FakeGateway, number: int, pusher: str, **author: str | None) -> str:
    """`pusher` pushes a commit and GitHub reports it (`synchronize`, sender = the pusher)."""
    before = gateway.branch_sha(REPO, BRANCH)
    sha = gateway.push_as(REPO, BRANCH, pusher, EVIL, **author)
    event = payloads.pull_request(REPO, number, "synchronize", BRANCH, sha, pusher, before=before)
    deliver(services, "pull_request", event)
    return sha


def _smoke_passes(services: Services, run_id: int) -> None:
    services.store.transition(
        run_id, RunState.AWAITING_APPROVAL, actor="intern-bot", action="smoke passed", delivery_id=None
    )


def _approve(services: Services, number: int, sha: str, who: str) -> str:
    deliver(services, "pull_request_review", payloads.review(REPO, number, BRANCH, sha, who))
    run = services.store.latest_run(REPO, number)
    assert run is not None
    return run.state


def test_an_approver_who_pushed_under_a_colleagues_email_cannot_launch_it(tmp_path: Path, gateway: FakeGateway) -> None:
    """H1 (a): alice writes bob's e-mail as author and committer; the commit is bob's to GitHub, the push hers."""
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, projections=CHEAP)
    number = run.pr_number or 0
    sha = _push(services, gateway, number, "alice", author="bob")
    assert {c.author_login for c in gateway.pull_commits(REPO, number)} == {"ml-intern[bot]", "bob"}
    _smoke_passes(services, run.id)
    assert _approve(services, number, sha, "alice") == "awaiting_approval"
    assert gateway.repos[REPO].dispatches == []
    assert "you pushed code to this PR" in "\n".join(gateway.comments_on(REPO, number))
    assert _approve(services, number, sha, "carol") == "training"  # a second person, who pushed nothing


def test_bot_commits_cannot_push_the_approvers_commit_out_of_the_listing(tmp_path: Path, gateway: FakeGateway) -> None:
    """H1 (b): fifty comments of five `/intern smoke` would make 250 bot commits, and GitHub lists only the first
    250 commits of a PR: alice's own commit after them was never checked. The bot caps its commits per PR, and
    who pushed comes from the push events, so the listing does not matter."""
    services = make_services(tmp_path, gateway, max_bot_commits=30)
    run = seed_run(services, gateway, projections=CHEAP)
    number = run.pr_number or 0
    for _ in range(50):
        body = "\n".join(["/intern smoke"] * 5)
        deliver(services, "issue_comment", payloads.issue_comment(REPO, number, body, "alice", on_pr=True))
    sha = _push(services, gateway, number, "alice")
    _smoke_passes(services, run.id)
    assert _approve(services, number, sha, "alice") == "awaiting_approval"
    assert gateway.repos[REPO].dispatches == []
    after = services.store.get_run(run.id)
    assert after is not None and len(after.data.bot_shas) == 30
    assert "the most one PR may have" in "\n".join(gateway.comments_on(REPO, number))


def test_a_push_never_reported_blocks_every_approval_until_it_is(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, projections=CHEAP)
    number = run.pr_number or 0
    lost = gateway.push_as(REPO, BRANCH, "alice", EVIL, author="carol")  # its event has not arrived
    head = _push(services, gateway, number, "bob")
    _smoke_passes(services, run.id)
    for who in ("alice", "carol"):
        assert _approve(services, number, head, who) == "awaiting_approval"
    assert "never reported to the bot" in "\n".join(gateway.comments_on(REPO, number))
    late = payloads.pull_request(REPO, number, "synchronize", BRANCH, lost, "alice", before=run.head_sha)
    deliver(services, "pull_request", late)  # redelivered: who pushed it is known, the head stays
    current = services.store.get_run(run.id)
    assert current is not None and current.head_sha == head and current.state == "awaiting_approval"
    assert _approve(services, number, head, "alice") == "awaiting_approval"
    assert _approve(services, number, head, "carol") == "training"


def test_githubs_last_push_rule_is_honoured(tmp_path: Path, gateway: FakeGateway) -> None:
    """With "require approval of the most recent reviewable push" on the base branch, whoever asked the bot for
    the last push (`/intern smoke`) is not the one to approve it either."""
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, projections=CHEAP)
    number = run.pr_number or 0
    gateway.repos[REPO].last_push_rule.add("main")
    deliver(services, "issue_comment", payloads.issue_comment(REPO, number, "/intern smoke", "bob", on_pr=True))
    head = gateway.branch_sha(REPO, BRANCH) or ""
    _smoke_passes(services, run.id)
    assert _approve(services, number, head, "bob") == "awaiting_approval"
    assert "most recent push to be approved by someone else" in "\n".join(gateway.comments_on(REPO, number))
    assert _approve(services, number, head, "carol") == "training"


def test_without_the_rule_a_smoke_request_is_not_a_push_of_code(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, projections=CHEAP)
    number = run.pr_number or 0
    deliver(services, "issue_comment", payloads.issue_comment(REPO, number, "/intern smoke", "bob", on_pr=True))
    _smoke_passes(services, run.id)
    assert _approve(services, number, gateway.branch_sha(REPO, BRANCH) or "", "bob") == "training"


def test_a_launched_approval_covers_the_code_up_to_it(tmp_path: Path, gateway: FakeGateway) -> None:
    """alice's push was reviewed by carol; bob pushes next: alice is a second person for bob's code."""
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, projections=CHEAP)
    number = run.pr_number or 0
    first = _push(services, gateway, number, "alice")
    _smoke_passes(services, run.id)
    assert _approve(services, number, first, "carol") == "training"
    second = _push(services, gateway, number, "bob")
    _smoke_passes(services, run.id)
    assert _approve(services, number, second, "bob") == "awaiting_approval"
    assert _approve(services, number, second, "alice") == "training"


@pytest.mark.parametrize(
    ("record", "rule", "refused"),
    [
        ({}, False, False),
        ({"pushers": ["alice"]}, False, True),
        ({"pushers": ["bob"]}, False, False),
        ({"unseen_heads": ["a" * 40]}, False, True),
        ({"last_push_by": "alice"}, False, False),
        ({"last_push_by": "alice"}, True, True),
        ({"last_push_by": "bob"}, True, False),
    ],
)
def test_refusal(record: dict[str, object], rule: bool, refused: bool) -> None:
    from bot.runs.approval import refusal

    assert (refusal(RunRecord.model_validate(record), "Alice", rule) is not None) is refused
