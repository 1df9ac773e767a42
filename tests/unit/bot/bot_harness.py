"""Wiring for handler tests: a store on a temp SQLite file, the in-memory gateway, real compute backends."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

from bot.compute.actions import ActionsBackend
from bot.compute.base import ComputeBackend
from bot.compute.hf_jobs import HfJobsBackend
from bot.compute.local import LocalBackend
from bot.events import parse_event
from bot.queue import ClaimedJob
from bot.router import Services, make_job_runner
from bot.run_record import RunRecord
from bot.settings import Settings
from bot.states import RunState
from bot.store import Columns, Run, Store
from bot.wiring import make_planner
from runner.adapters.hub import ComputeRefusedError, JobSpec
from tests.unit.bot.fake_gateway import FakeGateway

REPO = "octo/tickets"
BRANCH = "intern/1-classify-tickets"
SECRET = "webhook-secret-for-tests-0123456789"
HF_TOKEN = "hf_testtokenthatmustneverleak42"
HF_JOBS_TOKEN = "hf_jobs_token_for_the_results_repo_only"
_deliveries = itertools.count(1)


class RefusingHub:
    """A hub client whose paid jobs are refused, the way runner.adapters.hub reports HTTP 402."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def run_job(self, spec: JobSpec) -> Any:
        self.calls.append(spec.flavor)
        raise ComputeRefusedError("402 Payment Required: no credits left for a10g-small")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_secret": SECRET,
        "github_app_id": 1,
        "github_private_key": "-----BEGIN KEY-----abc",
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "hf_token": HF_TOKEN,
        "hf_jobs_token": HF_JOBS_TOKEN,
        "workdir": tmp_path / "work",
        "compute": "actions",
        # handler tests drive every backend; the operator's allowlist itself is tested with its real default
        "compute_allowed": ["actions", "hf-jobs", "local"],
        "local_unsandboxed": True,
        "workers": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_services(tmp_path: Path, gateway: FakeGateway, hub: Any = None, **overrides: Any) -> Services:
    settings = make_settings(tmp_path, **overrides)
    store = Store(settings.database_url)
    store.create_all()
    actions = ActionsBackend()
    backends: dict[str, ComputeBackend] = {
        "actions": actions,
        "hf-jobs": HfJobsBackend(lambda: hub or RefusingHub(), fallback=actions),
        "local": LocalBackend(),
    }
    return Services(
        settings=settings,
        store=store,
        gateway_for=lambda _id: gateway,
        backends=backends,
        planner=make_planner(settings),
        environment=dict(os.environ),
    )


def deliver(services: Services, event: str, payload: dict[str, Any]) -> str:
    """What the edge and the worker do with one delivery, minus HTTP."""
    parsed = parse_event(event, payload)
    assert parsed is not None, f"{event}.{payload.get('action')} is not handled"
    delivery = f"delivery-{next(_deliveries)}"
    make_job_runner(services)(ClaimedJob(0, event, delivery, parsed.model_dump_json(), 1))
    return delivery


def seed_repo(gateway: FakeGateway) -> None:
    gateway.add_repo(REPO, {"README.md": b"# tickets\n", "data/tickets.csv": b"text,label\na,b\n"})
    gateway.repos[REPO].permissions.update({"alice": "write", "root": "admin", "reader": "read"})


def seed_run(
    services: Services,
    gateway: FakeGateway,
    state: RunState = RunState.AWAITING_APPROVAL,
    compute: str = "actions",
    projections: list[dict[str, Any]] | None = None,
) -> Run:
    """A run whose PR is open, moved to `state` the legal way."""
    if REPO not in gateway.repos:
        seed_repo(gateway)
    base = gateway.branch_sha(REPO, "main")
    assert base is not None
    sha = gateway.commit_files(
        REPO, BRANCH, base, {"intern.yaml": b"model: x\n", "train.py": b"print(1)\n"}, "ML Intern: project"
    )
    pull = gateway.open_pull(REPO, BRANCH, "main", "ML Intern: classify", "body")
    store = services.store
    run = store.create_run(
        repo=REPO,
        issue_number=1,
        created_by="alice",
        compute=compute,
        installation_id=1,
        delivery_id="seed",
        data=RunRecord.model_validate(
            {
                "files": ["intern.yaml", "train.py"],
                "bot_shas": [sha],
                "projections": projections or [],
                "hub_repo_id": "octo/tickets-model",
            }
        ),
    )
    path = [
        RunState.PR_OPENED,
        RunState.SMOKE_RUNNING,
        RunState.AWAITING_APPROVAL,
        RunState.TRAINING,
        RunState.EVALUATED,
    ]
    if state is RunState.SMOKE_FAILED:
        path = [RunState.PR_OPENED, RunState.SMOKE_RUNNING, RunState.SMOKE_FAILED]
    run = store.transition(
        run.id,
        path[0],
        actor="seed",
        action="seed",
        delivery_id=None,
        columns=Columns(pr_number=pull.number, branch=BRANCH, head_sha=sha),
    )
    for step in path[1:]:
        if run.run_state is state:
            break
        # approved on the head, as the review handler requires
        approved = Columns(approved_sha=sha) if step is RunState.TRAINING else Columns()
        run = store.transition(run.id, step, actor="seed", action="seed", delivery_id=None, columns=approved)
    if run.run_state is RunState.EVALUATED:  # its training results came in, as `ingest_training` records
        run = store.update_run(run.id, record=RunRecord(trained_sha=sha))
    return run
