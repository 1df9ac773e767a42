"""hf-jobs results come back into the PR: the real app and worker, PyGithub against the fake GitHub, the real
`runner.adapters.hub` client against the fake Hub (Jobs API + results repo).

approval -> a Hugging Face Job is submitted -> RUNNING: the watcher re-queues itself, nothing is posted ->
the job's `intern upload-results` lands in `<ns>/intern-runs` -> COMPLETED: results on the PR, run `evaluated`;
or ERROR with only a log uploaded: the PR says the job failed, and why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from bot import queue
from bot.app import create_app
from bot.compute.actions import ActionsBackend
from bot.compute.hf_jobs import HfJobsBackend
from bot.compute.local import LocalBackend
from bot.github import ClientOptions, PyGithubGateway
from bot.github_auth import StaticTokenProvider
from bot.router import Services
from bot.store import Run, Store
from bot.wiring import make_planner
from runner.adapters.hub import make_hub_client
from runner.schemas import EpochRecord
from runner.stages.results_upload import upload_results
from tests.fakes import sample_reports
from tests.fakes.github_server import FakeGitHub
from tests.fakes.hub_server import FakeHub
from tests.integration.bot.live_server import send, serve, settings_for_fakes, wait_for
from tests.integration.bot.test_bot_journey import SECRET, smoke_zip, tickets_csv
from tests.unit.bot import payloads

pytestmark = pytest.mark.integration

REPO = "octo/tickets"
World = tuple[str, httpx2.Client, Services]


@pytest.fixture
def world(
    tmp_path: Path,
    fake_github: FakeGitHub,
    fake_hub: FakeHub,
) -> Iterator[World]:
    fake_github.add_repo(
        REPO,
        files={"README.md": b"# tickets\n", "data/tickets.csv": tickets_csv()},
        collaborators={"alice": "admin"},
    )
    settings = settings_for_fakes(SECRET, fake_github, fake_hub, tmp_path, compute="hf-jobs", hf_job_poll_s=0.1)
    store = Store(settings.database_url)
    gateway = PyGithubGateway(
        StaticTokenProvider(fake_github.token),
        1,
        bot_login=fake_github.bot_login,
        base_url=fake_github.api,
        options=ClientOptions.for_tests(),
    )
    actions = ActionsBackend()
    hub = HfJobsBackend(lambda: make_hub_client(fake_hub.token, fake_hub.url), fallback=actions)
    services = Services(
        settings=settings,
        planner=make_planner(settings),
        store=store,
        gateway_for=lambda _id: gateway,
        backends={"actions": actions, "local": LocalBackend(), "hf-jobs": hub},
        environment=dict(os.environ),
    )
    with serve(create_app(settings, services)) as base, httpx2.Client(timeout=30) as client:
        yield base, client, services


def _state(services: Services, issue: int) -> str | None:
    run = services.store.latest_run(REPO, issue)
    return run.state if run else None


def _run(services: Services, issue: int) -> Run:
    run = services.store.latest_run(REPO, issue)
    assert run is not None
    return run


def _approved_and_running(world: World, fake_github: FakeGitHub, fake_hub: FakeHub) -> tuple[Run, str]:
    """Comment -> PR -> smoke passed -> approval -> a submitted job, seen RUNNING by the watcher."""
    base, client, services = world
    issue = fake_github.add_issue(REPO, "Classify support tickets", "Route tickets.")
    command = "/intern train dataset=data/tickets.csv text=text label=label model=scratch:tiny epochs=1"
    comment = fake_github.add_comment(REPO, issue, "alice", command)
    send(
        client, base, SECRET, "issue_comment", payloads.issue_comment(REPO, issue, command, "alice", comment_id=comment)
    )
    wait_for(lambda: _state(services, issue) in ("pr_opened", "failed"), timeout=60, what="the PR")
    pull = fake_github.pulls(REPO)[0]
    fake_github.add_workflow_run(
        REPO, 501, pull.head_sha, "success", {"intern-smoke-reports": smoke_zip()},
        head_branch=pull.head_ref, event="pull_request",
    )  # fmt: skip
    send(client, base, SECRET, "workflow_run", payloads.workflow_run(REPO, 501, pull.head_ref, pull.head_sha))
    wait_for(lambda: _run(services, issue).state == "awaiting_approval", what="awaiting approval")
    review = payloads.review(REPO, pull.number, pull.head_ref, pull.head_sha, "alice")
    send(client, base, SECRET, "pull_request_review", review)
    wait_for(lambda: _state(services, issue) != "awaiting_approval", what="the job submission")
    job = next(iter(fake_hub.state.jobs.values()))
    run = _run(services, issue)
    assert run.state == "training" and run.compute == "hf-jobs" and run.data.external_job_id == job.id
    assert job.environment["INTERN_SHA"] == pull.head_sha and job.environment["INTERN_RESULTS_PREFIX"] == (
        f"runs/{run.id}"
    )
    assert job.environment["HF_ENDPOINT"] == fake_hub.url
    assert job.command[:2] == ["bash", "-c"] and pull.head_ref not in job.command[2]
    fake_hub.state.set_job_stage(job.id, "RUNNING")

    def polls() -> int:
        return sum(1 for method, path in fake_hub.state.requests if method == "GET" and path.endswith(job.id))

    wait_for(lambda: polls() >= 3, what="the watcher polling the running job")
    run = _run(services, issue)
    assert run.state == "training" and run.head_sha == pull.head_sha  # nothing committed or posted yet
    wait_for(lambda: queue.count(services.store, queue.QUEUED) == 1, what="the watcher waiting for its next turn")
    assert "Test split (" not in _sticky(fake_github, run) and _train_check(fake_github) is None
    return run, job.id


def _sticky(fake_github: FakeGitHub, run: Run) -> str:
    assert run.pr_number is not None
    bodies = [c.body for c in fake_github.comments(REPO, run.pr_number) if f"intern-bot:run:{run.id}" in c.body]
    assert len(bodies) == 1
    return bodies[0]


def _train_check(fake_github: FakeGitHub) -> str | None:
    return next(c.conclusion for c in reversed(fake_github.check_runs(REPO)) if c.name == "ML Intern: train")


def _job_uploads(tmp_path: Path, fake_hub: FakeHub, run: Run, *, reports: bool) -> None:
    """What the job's last step does: `intern upload-results project --log intern-job.log`."""
    project = tmp_path / "job" / "project"
    if reports:
        folder = project / "reports"
        folder.mkdir(parents=True)
        epochs = [EpochRecord(epoch=e, train_loss=1.0 / e, eval_loss=0.9 / e, accuracy=0.7, macro_f1=0.6 + e / 10,
                              seconds=5.0) for e in (1, 2)]  # fmt: skip
        (folder / "train.jsonl").write_text("".join(e.model_dump_json() + "\n" for e in epochs))
        (folder / "train.json").write_text(sample_reports.train_summary().model_dump_json())
        (folder / "eval.json").write_text(sample_reports.eval_report().model_dump_json())
        (folder / "stress.json").write_text(sample_reports.stress_report().model_dump_json())
    log = tmp_path / "job" / "intern-job.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("epoch 1/2\nRuntimeError: CUDA out of memory in train.py line 88\n")
    client = make_hub_client(fake_hub.token, fake_hub.url)
    upload_results(client, project, "intern-user/intern-runs", f"runs/{run.id}", log)


def test_completed_job_results_reach_the_pr(
    tmp_path: Path,
    world: World,
    fake_github: FakeGitHub,
    fake_hub: FakeHub,
) -> None:
    services = world[2]
    run, job_id = _approved_and_running(world, fake_github, fake_hub)
    _job_uploads(tmp_path, fake_hub, run, reports=True)
    fake_hub.state.set_job_stage(job_id, "COMPLETED")
    wait_for(lambda: _run(services, run.issue_number).state in ("evaluated", "failed"), what="the results")
    done = _run(services, run.issue_number)
    assert done.state == "evaluated", services.store.audit_log(run.id)[-1].detail
    assert done.head_sha is not None and done.head_sha != run.head_sha
    committed = fake_github.files(REPO, done.head_sha)
    assert {"reports/train.jsonl", "reports/eval.json", "reports/stress.json"} <= set(committed)
    assert "reports/job.log" not in committed
    wait_for(lambda: "`evaluated`" in _sticky(fake_github, done), what="the comment update")
    body = _sticky(fake_github, done)
    assert "Test split (30 rows): **accuracy 0.8000**" in body and "negation" in body and "`evaluated`" in body
    assert _train_check(fake_github) == "success"
    actions = [(entry.action, entry.to_state) for entry in services.store.audit_log(run.id)]
    assert ("hugging face job completed", None) in actions and ("training results ingested", "evaluated") in actions
    wait_for(lambda: queue.count(services.store, queue.QUEUED) == 0, what="the watcher to stop")


def test_failed_job_is_reported_with_its_log(
    tmp_path: Path,
    world: World,
    fake_github: FakeGitHub,
    fake_hub: FakeHub,
) -> None:
    services = world[2]
    run, job_id = _approved_and_running(world, fake_github, fake_hub)
    _job_uploads(tmp_path, fake_hub, run, reports=False)
    fake_hub.state.set_job_stage(job_id, "ERROR", "exit code 1")
    wait_for(lambda: _run(services, run.issue_number).state in ("evaluated", "failed"), what="the failure")
    done = _run(services, run.issue_number)
    assert done.state == "failed"
    wait_for(lambda: "`failed`" in _sticky(fake_github, done), what="the comment update")
    body = _sticky(fake_github, done)
    assert "ended `ERROR`: exit code 1" in body and "CUDA out of memory" in body and job_id in body
    assert _train_check(fake_github) == "failure"
    assert fake_hub.token not in body
    failed = [entry for entry in services.store.audit_log(run.id) if entry.to_state == "failed"]
    assert len(failed) == 1 and "ERROR" in failed[0].detail
    wait_for(lambda: queue.count(services.store, queue.QUEUED) == 0, what="the watcher to stop")
