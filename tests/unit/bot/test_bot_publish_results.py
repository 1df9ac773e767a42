"""Issue #17, B1: on the Actions backend a merged run reaches `published` through the workflow's real artifacts.

The bot matches a finished publish run by an artifact named `intern-publish-reports-<run id>`; the publish job
of the generated workflow uploaded none, so the run stayed `merged` (active) forever.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.settings import workflow_options
from bot.states import RunState
from runner.render.workflow import render_workflow
from tests.fakes.zips import zip_files
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import BRANCH, REPO, deliver, make_services, seed_repo, seed_run
from tests.unit.bot.fake_gateway import FakeGateway

RUN_ID_EXPRESSION = "${{ needs.validate.outputs.run_id }}"


def _publish_artifacts(workflow: str, run_id: int) -> list[str]:
    """The names the generated workflow's publish job uploads its artifacts under, for run `run_id`."""
    doc: dict[str, Any] = yaml.safe_load(workflow)
    steps = doc["jobs"]["publish"]["steps"]
    names = [str(step["with"]["name"]) for step in steps if "upload-artifact" in str(step.get("uses", ""))]
    return [name.replace(RUN_ID_EXPRESSION, str(run_id)) for name in names]


def _publish_run(run_id: int, conclusion: str) -> dict[str, Any]:
    """The publish dispatch run, started by the App on the default branch (the repo's `main`)."""
    data = payloads.workflow_run(REPO, run_id, "main", "e" * 40, event="workflow_dispatch", conclusion=conclusion)
    data["repository"]["default_branch"] = "main"
    return data


def test_an_actions_run_goes_from_merged_to_published(tmp_path: Path) -> None:
    gateway = FakeGateway()
    seed_repo(gateway)
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, RunState.EVALUATED)
    options = workflow_options(services.settings).model_copy(update={"model_repo_id": run.data.hub_repo_id})
    artifacts = _publish_artifacts(render_workflow(options), run.id)
    assert artifacts == [f"intern-publish-reports-{run.id}"]

    merged = payloads.pull_request(REPO, run.pr_number or 0, "closed", BRANCH, run.head_sha or "", "root", merged=True)
    deliver(services, "pull_request", merged)
    (dispatch,) = [d for d in gateway.repos[REPO].dispatches if d[2]["mode"] == "publish"]
    assert dispatch[1] == "main" and dispatch[2]["run_id"] == str(run.id)

    for name in artifacts:  # what the publish job uploads, as GitHub lists it for the dispatch run
        gateway.add_artifact(REPO, 950, name, zip_files({"outcome.txt": b"success\n"}))
    deliver(services, "workflow_run", _publish_run(950, "success"))
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "published"
    assert services.store.active_run(REPO, run.pr_number or 0) is None
    assert "### Published" in "\n".join(gateway.comments_on(REPO, run.pr_number or 0))


def test_a_failed_publish_run_is_reported_as_failed(tmp_path: Path) -> None:
    gateway = FakeGateway()
    seed_repo(gateway)
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, RunState.EVALUATED)
    merged = payloads.pull_request(REPO, run.pr_number or 0, "closed", BRANCH, run.head_sha or "", "root", merged=True)
    deliver(services, "pull_request", merged)
    gateway.add_artifact(REPO, 951, f"intern-publish-reports-{run.id}", zip_files({"outcome.txt": b"failure\n"}))
    deliver(services, "workflow_run", _publish_run(951, "failure"))
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "failed" and after.data.failed_stage == "publish"
