"""Issue #9, item 1: who decides where a PR's code runs, and whose approval launches it.

`compute=` is a user argument; the backends are the operator's allowlist (`local` off by default). An approval
does not count from someone who pushed code to the PR (the PR's author is the App, so GitHub allows it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.router import Services
from bot.settings import Settings, load_settings
from bot.states import RunState
from bot.wiring import require_serving_with_compute
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import BRANCH, REPO, SECRET, deliver, make_services, seed_repo, seed_run
from tests.unit.bot.fake_gateway import FakeGateway

CHEAP = [{"flavour": "cpu-basic", "hardware": "2 vCPU", "seconds": 1200.0, "cost_usd": 0.0}]


@pytest.fixture
def gateway() -> FakeGateway:
    gw = FakeGateway()
    seed_repo(gw)
    return gw


def _train(services: Services, args: str, installation_id: int = 1) -> None:
    data = payloads.issue_comment(REPO, 1, f"/intern train dataset=data/tickets.csv {args}".strip(), "alice")
    data["installation"]["id"] = installation_id
    deliver(services, "issue_comment", data)


def test_compute_local_from_a_comment_is_refused_by_default(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway, compute_allowed=["actions"])
    _train(services, "compute=local")
    assert services.store.latest_run(REPO, 1) is None
    assert "`compute=local` is not enabled on this bot" in "\n".join(gateway.comments_on(REPO, 1))


def test_hf_jobs_is_opt_in_per_installation(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(
        tmp_path, gateway, compute_allowed=["actions"], compute_by_installation={7: ["actions", "hf-jobs"]}
    )
    _train(services, "compute=hf-jobs", installation_id=1)
    assert services.store.latest_run(REPO, 1) is None
    assert services.settings.allowed_compute(7) == ["actions", "hf-jobs"]
    assert services.settings.allowed_compute(1) == ["actions"]


def test_a_backend_the_operator_revoked_is_not_dispatched(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway, compute_allowed=["actions"])
    run = seed_run(services, gateway, compute="local", projections=CHEAP)  # created while `local` was allowed
    deliver(
        services, "pull_request_review", payloads.review(REPO, run.pr_number or 0, BRANCH, run.head_sha or "", "root")
    )
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "awaiting_approval"
    assert any("not enabled" in entry.action for entry in services.store.audit_log(run.id))


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"INTERN_COMPUTE_ALLOWED": "actions,local"}, "INTERN_LOCAL_RUN_AS"),
        ({"INTERN_COMPUTE_ALLOWED": "actions,local", "INTERN_LOCAL_RUN_AS": "root"}, "root or the bot's own user"),
        ({"INTERN_COMPUTE_ALLOWED": "actions,local", "INTERN_LOCAL_RUN_AS": "no-such-user-x"}, "no such user"),
        ({"INTERN_COMPUTE_BY_INSTALLATION": '{"5": ["local"]}'}, "INTERN_LOCAL_RUN_AS"),
    ],
)
def test_serving_refuses_local_without_a_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], problem: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(
        _env_file=None, webhook_secret=SECRET, github_app_id=1, github_private_key="k" * 20, actions_ref="a" * 40
    )
    with pytest.raises(ConfigurationError, match=problem):
        require_serving_with_compute(settings)


def test_the_default_backend_must_be_allowed() -> None:
    with pytest.raises(ConfigurationError, match="INTERN_COMPUTE"):
        load_settings(_env_file=None, compute="local")
    assert load_settings(_env_file=None).compute_allowed == ["actions"]


# --- approvals ---------------------------------------------------------------------------------------------------


def _awaiting_after_push(services: Services, gateway: FakeGateway, login: str | None) -> tuple[int, int, str]:
    """alice (or an unattributable address) pushes code; the smoke test passes again on it."""
    run = seed_run(services, gateway, projections=CHEAP)
    sha = gateway.push_as(REPO, BRANCH, login, {"train.py": b"import os; print(os.environ)\n"})
    deliver(
        services, "pull_request", payloads.pull_request(REPO, run.pr_number or 0, "synchronize", BRANCH, sha, "alice")
    )
    services.store.transition(
        run.id, RunState.AWAITING_APPROVAL, actor="intern-bot", action="smoke passed", delivery_id=None
    )
    return run.id, run.pr_number or 0, sha


def test_an_approver_who_pushed_code_cannot_launch_it(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway)
    run_id, number, sha = _awaiting_after_push(services, gateway, "alice")
    deliver(services, "pull_request_review", payloads.review(REPO, number, BRANCH, sha, "alice"))
    run = services.store.get_run(run_id)
    assert run is not None and run.state == "awaiting_approval" and gateway.repos[REPO].dispatches == []
    assert "Someone else with write access" in "\n".join(gateway.comments_on(REPO, number))
    # another maintainer, who pushed nothing, can
    deliver(services, "pull_request_review", payloads.review(REPO, number, BRANCH, sha, "root", review_id=778))
    run = services.store.get_run(run_id)
    assert run is not None and run.state == "training" and run.approved_sha == sha
