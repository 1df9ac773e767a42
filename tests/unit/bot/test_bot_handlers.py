from __future__ import annotations

from pathlib import Path

import pytest

from bot.router import Services
from bot.run_record import RunRecord
from bot.states import RunState
from bot.store import Columns
from runner.schemas import (
    ConfusionMatrix,
    EpochRecord,
    EvalReport,
    LeakageCheck,
    Projection,
    SmokeReport,
)
from tests.fakes.zips import zip_files
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import (
    BRANCH,
    HF_TOKEN,
    REPO,
    deliver,
    make_services,
    seed_repo,
    seed_run,
)
from tests.unit.bot.fake_gateway import FakeGateway

CHEAP = [
    {"flavour": "cpu-basic", "hardware": "2 vCPU", "seconds": 1200.0, "cost_usd": 0.0},
    {"flavour": "t4-small", "hardware": "T4", "seconds": 300.0, "cost_usd": 0.05},
]


@pytest.fixture
def gateway() -> FakeGateway:
    gw = FakeGateway()
    seed_repo(gw)
    return gw


@pytest.fixture
def services(tmp_path: Path, gateway: FakeGateway) -> Services:
    return make_services(tmp_path, gateway)


def _comments(gateway: FakeGateway, number: int) -> str:
    return "\n".join(gateway.comments_on(REPO, number))


# --- commands --------------------------------------------------------------------------------------------------


def test_read_only_user_gets_a_polite_refusal(services: Services, gateway: FakeGateway) -> None:
    deliver(services, "issue_comment", payloads.issue_comment(REPO, 1, "/intern train dataset=data/t.csv", "reader"))
    text = _comments(gateway, 1)
    assert "Only people with **write** or **admin** permission" in text
    assert services.store.latest_run(REPO, 1) is None
    assert gateway.repos[REPO].reactions == []


def test_bot_senders_are_ignored(services: Services, gateway: FakeGateway) -> None:
    gateway.repos[REPO].permissions["ml-intern[bot]"] = "admin"
    for login, kind in (("ml-intern[bot]", "Bot"), ("dependabot[bot]", "Bot"), ("ml-intern", "User")):
        deliver(services, "issue_comment", payloads.issue_comment(REPO, 1, "/intern help", login, kind=kind))
    assert _comments(gateway, 1) == ""
    assert gateway.calls == []  # not even a permission lookup


def test_unknown_verb_gets_help_with_a_suggestion(services: Services, gateway: FakeGateway) -> None:
    deliver(services, "issue_comment", payloads.issue_comment(REPO, 1, "please\n/intern stauts", "reader"))
    text = _comments(gateway, 1)
    assert "Did you mean `/intern status`?" in text
    assert "/intern publish" in text  # the whole table follows


def test_status_shows_the_audit_log(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.AWAITING_APPROVAL)
    deliver(
        services,
        "issue_comment",
        payloads.issue_comment(REPO, run.pr_number or 0, "/intern status", "reader", on_pr=True),
    )
    text = _comments(gateway, run.pr_number or 0)
    assert f"**Run #{run.id}** is `awaiting_approval`" in text
    assert "smoke_running → awaiting_approval" in text
    assert "@seed" in text


def test_cancel_by_writer(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.AWAITING_APPROVAL)
    deliver(
        services,
        "issue_comment",
        payloads.issue_comment(REPO, run.pr_number or 0, "/intern cancel", "alice", on_pr=True, comment_id=9001),
    )
    assert services.store.get_run(run.id).state == "cancelled"  # type: ignore[union-attr]
    assert (9001, "eyes") in gateway.repos[REPO].reactions


def test_second_train_while_a_run_is_active_is_refused(services: Services, gateway: FakeGateway) -> None:
    seed_run(services, gateway, RunState.SMOKE_RUNNING)
    deliver(services, "issue_comment", payloads.issue_comment(REPO, 1, "/intern train dataset=data/t.csv", "alice"))
    assert "is already active" in _comments(gateway, 1)


# --- approvals -------------------------------------------------------------------------------------------------


def _approve(services: Services, run_pr: int, sha: str, login: str, **kwargs: object) -> None:
    deliver(services, "pull_request_review", payloads.review(REPO, run_pr, BRANCH, sha, login, **kwargs))  # type: ignore[arg-type]


def test_approval_by_a_writer_on_the_head_dispatches_training(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, projections=CHEAP)
    _approve(services, run.pr_number or 0, run.head_sha or "", "alice")
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "training" and after.approved_sha == run.head_sha
    assert gateway.repos[REPO].dispatches == [
        (
            "intern.yml",
            BRANCH,
            {"mode": "train", "run_id": str(run.id), "flavour": "t4-small", "compute": "auto", "sha": run.head_sha},
        )
    ]
    assert any(c["name"] == "ML Intern: train" for c in gateway.repos[REPO].checks.values())


@pytest.mark.parametrize(
    ("login", "kwargs", "why"),
    [
        ("reader", {}, "no write permission"),
        ("ml-intern[bot]", {"kind": "Bot"}, None),
        ("alice", {"commit_id": "0" * 40}, "approval ignored: given on"),
        ("alice", {"head_repo": "mallory/tickets"}, "PR from a fork"),
        ("alice", {"state": "commented"}, None),
    ],
)
def test_approvals_that_do_not_count(
    services: Services, gateway: FakeGateway, login: str, kwargs: dict[str, object], why: str | None
) -> None:
    gateway.repos[REPO].permissions["ml-intern[bot]"] = "admin"
    run = seed_run(services, gateway, projections=CHEAP)
    _approve(services, run.pr_number or 0, run.head_sha or "", login, **kwargs)
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "awaiting_approval"
    assert gateway.repos[REPO].dispatches == []
    actions = [entry.action for entry in services.store.audit_log(run.id)]
    if why:
        assert any(why in action for action in actions)


def test_approval_on_a_stale_sha_after_a_push(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, projections=CHEAP)
    old = run.head_sha or ""
    new = gateway.commit_files(REPO, BRANCH, old, {"train.py": b"print(2)\n"}, "human edit")
    deliver(
        services, "pull_request", payloads.pull_request(REPO, run.pr_number or 0, "synchronize", BRANCH, new, "alice")
    )
    moved = services.store.get_run(run.id)
    assert moved is not None and moved.state == "smoke_running" and moved.head_sha == new
    _approve(services, run.pr_number or 0, old, "alice", commit_id=old)
    assert services.store.get_run(run.id).state == "smoke_running"  # type: ignore[union-attr]
    assert gateway.repos[REPO].dispatches == []
    assert "no longer counts" in _comments(gateway, run.pr_number or 0)


def test_a_push_after_approval_invalidates_it(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.EVALUATED)
    new = gateway.commit_files(REPO, BRANCH, run.head_sha or "", {"train.py": b"x=1\n"}, "edit")
    deliver(
        services, "pull_request", payloads.pull_request(REPO, run.pr_number or 0, "synchronize", BRANCH, new, "alice")
    )
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "smoke_running" and after.approved_sha is None


def test_the_bots_own_push_does_not_invalidate(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.EVALUATED)
    bot_sha = run.data.bot_shas[0]
    deliver(
        services,
        "pull_request",
        payloads.pull_request(REPO, run.pr_number or 0, "synchronize", BRANCH, bot_sha, "ml-intern[bot]"),
    )
    assert services.store.get_run(run.id).state == "evaluated"  # type: ignore[union-attr]


# --- budget and compute -------------------------------------------------------------------------------------------


def test_budget_caps_come_from_the_default_branch_only(services: Services, gateway: FakeGateway) -> None:
    gateway.commit_files(
        REPO,
        "main",
        gateway.branch_sha(REPO, "main") or "",
        {".github/intern.yml": b"max_run_cost_usd: 0.01\nflavours: [t4-small]\n"},
        "caps",
    )
    expensive = [{"flavour": "t4-small", "hardware": "T4", "seconds": 600.0, "cost_usd": 3.0}]
    run = seed_run(services, gateway, projections=expensive)
    # the PR head tries to raise its own budget: ignored
    head = gateway.commit_files(
        REPO, BRANCH, run.head_sha or "", {".github/intern.yml": b"max_run_cost_usd: 99\n"}, "raise budget"
    )
    services.store.update_run(run.id, columns=Columns(head_sha=head), record=RunRecord(bot_shas=[head]))
    _approve(services, run.pr_number or 0, head, "alice")
    assert services.store.get_run(run.id).state == "awaiting_approval"  # type: ignore[union-attr]
    assert gateway.repos[REPO].dispatches == []
    assert "over the caps" in _comments(gateway, run.pr_number or 0)


def test_hf_jobs_refusal_falls_back_to_cpu_and_says_so(tmp_path: Path, gateway: FakeGateway) -> None:
    from tests.unit.bot.bot_harness import RefusingHub

    hub = RefusingHub()
    services = make_services(tmp_path, gateway, hub=hub)
    run = seed_run(services, gateway, compute="hf-jobs", projections=CHEAP)
    _approve(services, run.pr_number or 0, run.head_sha or "", "alice")
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "training" and after.flavour == "cpu-basic"
    assert hub.calls == ["t4-small"]  # one paid attempt, never retried
    assert gateway.repos[REPO].dispatches[0][2]["flavour"] == "cpu-basic"
    assert "Falling back to CPU" in _comments(gateway, run.pr_number or 0)


# --- workflow results ---------------------------------------------------------------------------------------------


def _smoke(ok: bool, log_tail: str = "") -> bytes:
    projections = [Projection(flavour="cpu-basic", hardware="2 vCPU", seconds=900, cost_usd=0.0)]
    report = SmokeReport(
        ok=ok,
        seconds=12.5,
        steps=8,
        examples=32,
        examples_per_s=20.0,
        projections=projections,
        error_class=None if ok else "LabelNotClassLabel",
        diagnosis=None if ok else log_tail,
        log_tail=log_tail,
    )
    return report.model_dump_json().encode()


def test_smoke_success_asks_for_approval(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.SMOKE_RUNNING)
    gateway.add_artifact(REPO, 555, "intern-smoke-reports", zip_files({"smoke.json": _smoke(True)}))
    deliver(services, "workflow_run", payloads.workflow_run(REPO, 555, BRANCH, run.head_sha or ""))
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "awaiting_approval"
    assert after.data.projections[0].flavour == "cpu-basic"
    text = _comments(gateway, run.pr_number or 0)
    assert "approve this PR" in text and "cpu-basic" in text


def test_smoke_result_for_an_old_sha_is_ignored(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.SMOKE_RUNNING)
    gateway.add_artifact(REPO, 556, "intern-smoke-reports", zip_files({"smoke.json": _smoke(True)}))
    deliver(services, "workflow_run", payloads.workflow_run(REPO, 556, BRANCH, "1" * 40))
    assert services.store.get_run(run.id).state == "smoke_running"  # type: ignore[union-attr]


def test_smoke_failure_never_leaks_secrets(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.SMOKE_RUNNING)
    leak = f"Traceback: HF_TOKEN={HF_TOKEN} rejected"
    gateway.add_artifact(REPO, 557, "intern-smoke-reports", zip_files({"reports/smoke.json": _smoke(False, leak)}))
    deliver(
        services, "workflow_run", payloads.workflow_run(REPO, 557, BRANCH, run.head_sha or "", conclusion="failure")
    )
    after = services.store.get_run(run.id)
    assert after is not None and after.state in ("smoke_failed", "smoke_running")
    everything = _comments(gateway, run.pr_number or 0) + str(gateway.repos[REPO].checks)
    assert HF_TOKEN not in everything
    assert "[redacted]" in everything


def test_training_results_are_committed_and_posted(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.TRAINING)
    epochs = b"\n".join(
        EpochRecord(
            epoch=e, train_loss=1.0 / e, eval_loss=0.9, accuracy=0.5 + e / 10, macro_f1=0.4 + e / 10, seconds=3.0
        )
        .model_dump_json()
        .encode()
        for e in (1, 2)
    )
    report = EvalReport(
        rows=10,
        accuracy=0.8,
        macro_f1=0.75,
        weighted_f1=0.79,
        per_class=[],
        confusion=ConfusionMatrix(labels=["a", "b"], matrix=[[4, 1], [1, 4]]),
        leakage=LeakageCheck(test_rows=10, with_duplicate_in_train=0, fraction=0.0),
        seconds=1.0,
    )
    files = {"train.jsonl": epochs, "eval.json": report.model_dump_json().encode(), "confusion_matrix.png": b"\x89PNG"}
    gateway.add_artifact(REPO, 900, f"intern-train-reports-{run.id}", zip_files(files))
    deliver(
        services,
        "workflow_run",
        payloads.workflow_run(REPO, 900, BRANCH, run.head_sha or "", event="workflow_dispatch"),
    )
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "evaluated"
    head = gateway.branch_sha(REPO, BRANCH) or ""
    assert gateway.read_file(REPO, "reports/confusion_matrix.png", head) == b"\x89PNG"
    text = _comments(gateway, run.pr_number or 0)
    assert "accuracy 0.8000" in text and "0.7000" in text  # final metrics and the epoch-2 row
    assert f"blob/{head}/reports/confusion_matrix.png" in text


def test_merge_dispatches_publish_and_close_cancels(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.EVALUATED)
    deliver(
        services,
        "pull_request",
        payloads.pull_request(REPO, run.pr_number or 0, "closed", BRANCH, run.head_sha or "", "alice", merged=True),
    )
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "merged"
    assert gateway.repos[REPO].dispatches[-1][2]["mode"] == "publish"
    assert gateway.repos[REPO].dispatches[-1][1] == "main"


def test_close_without_merge_cancels(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.AWAITING_APPROVAL)
    deliver(
        services,
        "pull_request",
        payloads.pull_request(REPO, run.pr_number or 0, "closed", BRANCH, run.head_sha or "", "alice"),
    )
    assert services.store.get_run(run.id).state == "cancelled"  # type: ignore[union-attr]


# --- self-healing smoke tests -----------------------------------------------------------------------------------


def test_a_known_smoke_failure_gets_a_fix_commit_then_a_human(services: Services, gateway: FakeGateway) -> None:
    from tests.fakes.sample_reports import config

    run = seed_run(services, gateway, RunState.SMOKE_RUNNING)
    yaml_text = config().to_yaml().replace("device: auto", "device: cuda")
    assert "device: cuda" in yaml_text
    head = gateway.commit_files(REPO, BRANCH, run.head_sha or "", {"intern.yaml": yaml_text.encode()}, "cuda")
    services.store.update_run(run.id, columns=Columns(head_sha=head), record=RunRecord(bot_shas=[head]))
    log = "Traceback...\nAssertionError: Torch not compiled with CUDA enabled\n"
    gateway.add_artifact(REPO, 601, "intern-smoke-reports", zip_files({"smoke.json": _smoke(False, log)}))
    deliver(services, "workflow_run", payloads.workflow_run(REPO, 601, BRANCH, head, conclusion="failure"))
    fixed = services.store.get_run(run.id)
    assert fixed is not None and fixed.state == "smoke_running" and fixed.smoke_attempts == 1
    assert fixed.head_sha != head
    new_yaml = gateway.read_file(REPO, "intern.yaml", fixed.head_sha or "") or b""
    assert b"device: cpu" in new_yaml
    message = gateway.repos[REPO].commit_messages[fixed.head_sha or ""]
    assert message.startswith("ML Intern smoke fix 1/3: cuda_unavailable") and "CUDA" in message
    # the same failure again on the fixed head: no known fix applies any more -> a human is asked
    gateway.add_artifact(REPO, 602, "intern-smoke-reports", zip_files({"smoke.json": _smoke(False, log)}))
    deliver(
        services, "workflow_run", payloads.workflow_run(REPO, 602, BRANCH, fixed.head_sha or "", conclusion="failure")
    )
    stuck = services.store.get_run(run.id)
    assert stuck is not None and stuck.state == "smoke_failed"
    assert "a human needs to look" in _comments(gateway, run.pr_number or 0)


def test_fix_attempts_are_capped_at_three(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.SMOKE_RUNNING)
    services.store.update_run(run.id, columns=Columns(smoke_attempts=3))
    gateway.add_artifact(
        REPO,
        603,
        "intern-smoke-reports",
        zip_files({"smoke.json": _smoke(False, "Torch not compiled with CUDA enabled")}),
    )
    deliver(
        services, "workflow_run", payloads.workflow_run(REPO, 603, BRANCH, run.head_sha or "", conclusion="failure")
    )
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "smoke_failed" and after.head_sha == run.head_sha
    assert "3 automatic fixes did not help" in _comments(gateway, run.pr_number or 0)


def test_smoke_and_retry_commands_push_a_commit_that_reruns_the_workflow(
    services: Services, gateway: FakeGateway
) -> None:
    run = seed_run(services, gateway, RunState.SMOKE_FAILED)
    deliver(
        services,
        "issue_comment",
        payloads.issue_comment(REPO, run.pr_number or 0, "/intern retry", "alice", on_pr=True),
    )
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "smoke_running" and after.head_sha != run.head_sha
    note = gateway.read_file(REPO, "reports/smoke-request.md", after.head_sha or "") or b""
    assert b"requested by @alice" in note
    assert after.head_sha in after.data.bot_shas  # its synchronize event will not count as a human push
    deliver(
        services,
        "issue_comment",
        payloads.issue_comment(REPO, run.pr_number or 0, "/intern publish", "alice", on_pr=True),
    )
    assert "publishing happens once the PR is merged" in _comments(gateway, run.pr_number or 0)


@pytest.mark.parametrize("merged_head", ["f" * 40, "bot-results"])
def test_a_merge_of_other_code_than_the_trained_commit_does_not_publish(
    services: Services, gateway: FakeGateway, merged_head: str
) -> None:
    """Issue #9, item 6: publish only when the merged head is the approved and trained commit (+ results)."""
    run = seed_run(services, gateway, RunState.EVALUATED)
    if merged_head == "bot-results":  # the bot's results commit on top of the approved one: fine
        results = gateway.commit_files(REPO, BRANCH, run.head_sha or "", {"reports/eval.json": b"{}"}, "results")
        run = services.store.update_run(
            run.id, columns=Columns(head_sha=results), record=RunRecord(bot_shas=[*run.data.bot_shas, results])
        )
        merged_head = results
    deliver(
        services,
        "pull_request",
        payloads.pull_request(REPO, run.pr_number or 0, "closed", BRANCH, merged_head, "alice", merged=True),
    )
    publishes = [d for d in gateway.repos[REPO].dispatches if d[2]["mode"] == "publish"]
    if merged_head == "f" * 40:
        assert publishes == []
        assert "Not published: the merged head `ffffffffffff`" in _comments(gateway, run.pr_number or 0)
    else:
        assert len(publishes) == 1
