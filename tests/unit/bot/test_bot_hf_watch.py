"""The hf-jobs watcher's stop rules, with a hand-written Jobs client: a job that runs past the cap is cancelled and
the run failed; a cancelled run cancels its job; a superseded watcher does nothing; Hub errors are retried a
few times, then reported."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import update

from bot import queue
from bot.router import Ctx
from bot.run_record import RunRecord
from bot.runs.hf_watch import GRACE_S, MAX_HUB_ERRORS, poll_hf_job
from bot.runs.lifecycle import cancel
from bot.states import RunState
from bot.store import Job, Run
from tests.unit.bot.bot_harness import make_services, seed_run
from tests.unit.bot.fake_gateway import FakeGateway


class FakeJobs:
    def __init__(self, stage: str = "RUNNING", fail_inspect: bool = False) -> None:
        self.stage = stage
        self.fail_inspect = fail_inspect
        self.inspected: list[str] = []
        self.cancelled: list[str] = []

    def inspect_job(self, job_id: str, *, namespace: str | None = None) -> Any:
        self.inspected.append(job_id)
        if self.fail_inspect:
            raise RuntimeError("the Hub failed (503). Retry later.")
        return SimpleNamespace(stage=self.stage, message=None)

    def cancel_job(self, job_id: str, *, namespace: str | None = None) -> None:
        self.cancelled.append(job_id)

    def list_repo_files(self, repo_id: str, *, repo_type: str = "model") -> list[Any]:
        raise RuntimeError("404 not found")


def _setup(tmp_path: Path, hub: FakeJobs) -> tuple[Ctx, Run, dict[str, Any]]:
    gateway = FakeGateway()
    services = make_services(tmp_path, gateway, hub=hub, hf_job_poll_s=60, max_run_hours=1)
    run = seed_run(services, gateway, state=RunState.TRAINING, compute="hf-jobs")
    run = services.store.update_run(run.id, record=RunRecord(external_job_id="job-1"))
    payload = {
        "run_id": run.id,
        "job_id": "job-1",
        "namespace": "intern-user",
        "job_url": "https://hub.test/jobs/intern-user/job-1",
        "results_repo": "intern-user/intern-runs",
        "results_prefix": f"runs/{run.id}",
        "started": time.time(),
    }
    return Ctx(services, gateway, "d-1"), run, payload


def _state(ctx: Ctx, run: Run) -> str:
    current = ctx.store.get_run(run.id)
    assert current is not None
    return current.state


def _queued_payloads(ctx: Ctx) -> list[dict[str, Any]]:
    """Take every queued job, delayed ones included (made due first)."""
    with ctx.store.session() as session:
        session.execute(update(Job).where(Job.state == queue.QUEUED).values(not_before=None))
    found = []
    while (job := queue.claim(ctx.store, "peek", 60)) is not None:
        found.append(json.loads(job.payload))
    return found


def test_a_running_job_is_polled_again_later(tmp_path: Path) -> None:
    hub = FakeJobs("RUNNING")
    ctx, run, payload = _setup(tmp_path, hub)
    poll_hf_job(ctx, payload)
    assert hub.inspected == ["job-1"] and _state(ctx, run) == "training"
    assert queue.claim(ctx.store, "w", 60) is None  # queued 60 s later, not now
    again = _queued_payloads(ctx)
    assert len(again) == 1 and again[0]["job_id"] == "job-1" and again[0]["run_id"] == run.id


def test_a_job_past_the_cap_is_cancelled_and_the_run_failed(tmp_path: Path) -> None:
    hub = FakeJobs("RUNNING")
    ctx, run, payload = _setup(tmp_path, hub)
    poll_hf_job(ctx, {**payload, "started": time.time() - 3600 - GRACE_S - 1})
    assert hub.cancelled == ["job-1"] and _state(ctx, run) == "failed"
    assert "cap" in ctx.store.audit_log(run.id)[-1].detail and _queued_payloads(ctx) == []


def test_a_cancelled_run_cancels_its_job(tmp_path: Path) -> None:
    hub = FakeJobs("RUNNING")
    ctx, run, payload = _setup(tmp_path, hub)
    cancel(ctx, run, "alice")
    poll_hf_job(ctx, payload)
    assert hub.cancelled == ["job-1"] and hub.inspected == [] and _queued_payloads(ctx) == []
    assert ctx.store.audit_log(run.id)[-1].action == "hugging face job cancelled: run is cancelled"


def test_a_superseded_watcher_stops_quietly(tmp_path: Path) -> None:
    hub = FakeJobs("COMPLETED")
    ctx, run, payload = _setup(tmp_path, hub)
    ctx.store.update_run(run.id, record=RunRecord(external_job_id="job-2"))
    poll_hf_job(ctx, payload)
    assert hub.inspected == [] and hub.cancelled == [] and _state(ctx, run) == "training"
    assert _queued_payloads(ctx) == []


def test_hub_errors_are_retried_then_reported(tmp_path: Path) -> None:
    hub = FakeJobs(fail_inspect=True)
    ctx, run, payload = _setup(tmp_path, hub)
    for attempt in range(1, MAX_HUB_ERRORS):
        poll_hf_job(ctx, payload)
        (payload,) = _queued_payloads(ctx)
        assert payload["errors"] == attempt and _state(ctx, run) == "training"
    poll_hf_job(ctx, payload)
    assert _state(ctx, run) == "failed" and _queued_payloads(ctx) == []
    assert "503" in ctx.store.audit_log(run.id)[-1].detail


def test_a_completed_job_without_results_fails_the_run(tmp_path: Path) -> None:
    hub = FakeJobs("COMPLETED")
    ctx, run, payload = _setup(tmp_path, hub)
    poll_hf_job(ctx, payload)
    assert _state(ctx, run) == "failed"
    assert "completed but left no training results" in ctx.store.audit_log(run.id)[-1].detail
