"""Issue #9, item 3: `reports/smoke.json` is written by the PR's code, so it does not decide what is spent.

Flavours outside the bot's table are dropped, costs are recomputed from the bot's prices, and an `hf-jobs` job's
hard timeout comes from the caps at the bot's price, not from the projection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.router import Services
from bot.states import RunState
from runner.adapters.hub import JobSpec
from runner.schemas import Projection, SmokeReport
from tests.fakes.zips import zip_files
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import BRANCH, REPO, deliver, make_services, seed_repo, seed_run
from tests.unit.bot.fake_gateway import FakeGateway

FORGED = [
    {"flavour": "my-own-h100", "hardware": "H100", "seconds": 10.0, "cost_usd": 0.0},
    {"flavour": "a100-large", "hardware": "A100", "seconds": 7200.0, "cost_usd": 0.0},
    {"flavour": "cpu-basic", "hardware": "2 vCPU", "seconds": 4 * 3600.0, "cost_usd": 0.0},
]


class RecordingHub:
    def __init__(self) -> None:
        self.jobs: list[JobSpec] = []

    def run_job(self, spec: JobSpec) -> Any:
        self.jobs.append(spec)
        return type("Job", (), {"id": "job-1", "namespace": "octo", "url": "https://hf.co/jobs/octo/job-1"})()


@pytest.fixture
def gateway() -> FakeGateway:
    gw = FakeGateway()
    seed_repo(gw)
    return gw


def _approve(services: Services, number: int, sha: str) -> None:
    deliver(services, "pull_request_review", payloads.review(REPO, number, BRANCH, sha, "alice"))


def test_forged_flavours_and_prices_are_not_dispatched(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway, max_run_cost_usd=1.0)
    run = seed_run(services, gateway, projections=FORGED)
    _approve(services, run.pr_number or 0, run.head_sha or "")
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "training"
    # a100-large really costs $5 for 2 h at the bot's price, over the $1 cap; the made-up flavour is dropped
    assert [inputs["flavour"] for _, _, inputs in gateway.repos[REPO].dispatches] == ["cpu-basic"]


def test_the_smoke_comment_shows_the_bots_prices(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, RunState.SMOKE_RUNNING)
    report = SmokeReport(
        ok=True,
        seconds=5,
        steps=2,
        examples=8,
        examples_per_s=10,
        train_rows_full=100,
        epochs=1,
        projections=[Projection.model_validate(p) for p in FORGED],
    )
    gateway.add_artifact(
        REPO, 901, "intern-smoke-reports", zip_files({"smoke.json": report.model_dump_json().encode()})
    )
    deliver(services, "workflow_run", payloads.workflow_run(REPO, 901, BRANCH, run.head_sha or ""))
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "awaiting_approval"
    stored = {p.flavour: p for p in after.data.projections}
    assert sorted(stored) == ["a100-large", "cpu-basic"] and stored["a100-large"].cost_usd == 5.0
    assert "my-own-h100" not in "\n".join(gateway.comments_on(REPO, run.pr_number or 0))


def test_an_hf_job_cannot_outspend_the_caps(tmp_path: Path, gateway: FakeGateway) -> None:
    hub = RecordingHub()
    services = make_services(tmp_path, gateway, hub=hub, max_run_cost_usd=5.0, max_run_hours=6.0)
    cheap_claim = [{"flavour": "a100-large", "hardware": "A100", "seconds": 100.0, "cost_usd": 0.0}]
    run = seed_run(services, gateway, compute="hf-jobs", projections=cheap_claim)
    _approve(services, run.pr_number or 0, run.head_sha or "")
    assert [job.flavor for job in hub.jobs] == ["a100-large"]
    assert hub.jobs[0].timeout == 2 * 3600  # $5 at the bot's $2.50/h, not the 6 h cap
