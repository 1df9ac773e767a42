"""Issue #9, item 4: results are bound to their run, not matched by a name anyone can choose.

A training artifact counts only from a dispatch run of the run's repository, started by this App after the
dispatch, on the run's branch at the approved SHA; smoke results only from a `pull_request` run of the run's
repository (never a fork's branch of the same name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.router import Services
from bot.run_record import RunRecord
from bot.states import RunState
from runner.schemas import Projection, SmokeReport
from tests.fakes.zips import zip_files
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import BRANCH, REPO, deliver, make_services, seed_repo, seed_run
from tests.unit.bot.fake_gateway import FakeGateway

OTHER = "mallory/evil"
TRAIN_FILES = {"train.jsonl": b'{"epoch": 1}\n'}


@pytest.fixture
def gateway() -> FakeGateway:
    gw = FakeGateway()
    seed_repo(gw)
    gw.add_repo(OTHER, {"README.md": b"x"})
    return gw


@pytest.fixture
def services(tmp_path: Path, gateway: FakeGateway) -> Services:
    return make_services(tmp_path, gateway)


def _state(services: Services, run_id: int) -> str:
    run = services.store.get_run(run_id)
    assert run is not None
    return run.state


@pytest.mark.parametrize(
    ("where", "overrides"),
    [
        (OTHER, {}),  # another tenant names its artifact after our run
        (REPO, {"actor": "alice"}),  # a writer dispatches the workflow by hand with run_id=<ours>
        (REPO, {"sha": "f" * 40}),  # not the approved commit
        (REPO, {"branch": "intern/other"}),
        (REPO, {"created_at": "2020-01-01T00:00:00Z"}),  # an older run, before this dispatch
    ],
)
def test_training_results_from_elsewhere_are_ignored(
    services: Services, gateway: FakeGateway, where: str, overrides: dict[str, Any]
) -> None:
    run = seed_run(services, gateway, RunState.TRAINING)
    services.store.update_run(run.id, record=RunRecord(train_dispatched_at=1.7e9))
    gateway.add_artifact(where, 900, f"intern-train-reports-{run.id}", zip_files(TRAIN_FILES))
    data = payloads.workflow_run(
        where,
        900,
        overrides.get("branch", BRANCH),
        overrides.get("sha", run.head_sha or ""),
        event="workflow_dispatch",
        actor=overrides.get("actor"),
        created_at=overrides.get("created_at"),
    )
    deliver(services, "workflow_run", data)
    assert _state(services, run.id) == "training"
    assert gateway.repos[REPO].commit_messages.get(gateway.branch_sha(REPO, BRANCH) or "", "").startswith("ML Intern")


def test_the_dispatched_run_is_ingested(services: Services, gateway: FakeGateway) -> None:
    run = seed_run(services, gateway, RunState.TRAINING)
    services.store.update_run(run.id, record=RunRecord(train_dispatched_at=1.7e9))
    gateway.add_artifact(REPO, 901, f"intern-train-reports-{run.id}", zip_files(TRAIN_FILES))
    deliver(
        services,
        "workflow_run",
        payloads.workflow_run(REPO, 901, BRANCH, run.head_sha or "", event="workflow_dispatch"),
    )
    assert _state(services, run.id) == "evaluated"


def test_smoke_results_from_a_forks_branch_of_the_same_name_are_ignored(
    services: Services, gateway: FakeGateway
) -> None:
    run = seed_run(services, gateway, RunState.SMOKE_RUNNING)
    report = SmokeReport(
        ok=True,
        seconds=1,
        steps=1,
        examples=1,
        examples_per_s=1,
        train_rows_full=10,
        epochs=1,
        projections=[Projection(flavour="cpu-basic", hardware="", seconds=100, cost_usd=0)],
    )
    gateway.add_artifact(
        REPO, 902, "intern-smoke-reports", zip_files({"smoke.json": report.model_dump_json().encode()})
    )
    deliver(services, "workflow_run", payloads.workflow_run(REPO, 902, BRANCH, run.head_sha or "", head_repo=OTHER))
    assert _state(services, run.id) == "smoke_running"
    deliver(
        services,
        "workflow_run",
        payloads.workflow_run(REPO, 902, BRANCH, run.head_sha or "", event="workflow_dispatch"),
    )
    assert _state(services, run.id) == "smoke_running"
    deliver(services, "workflow_run", payloads.workflow_run(REPO, 902, BRANCH, run.head_sha or ""))
    assert _state(services, run.id) == "awaiting_approval"
