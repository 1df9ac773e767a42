"""Fake GitHub routes: check runs, workflows and dispatches, runs and artifacts, App installation tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes import github_payloads_actions as P
from tests.fakes.github_payloads import stable_id
from tests.fakes.github_router import MAX_BODY, Reply, item_of, number_of, repo_of, require, route
from tests.fakes.github_state import CheckRun, Dispatch, FakeGitHubError, Repo, now_iso, validate_dispatch

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub


def _check_output(body: dict[str, Any]) -> dict[str, Any]:
    output = body.get("output") or {}
    if output and (not output.get("title") or not output.get("summary")):
        raise FakeGitHubError(422, "Invalid request: output needs both title and summary")
    if len(output.get("summary") or "") > MAX_BODY - 1:
        raise FakeGitHubError(422, "Invalid request: output.summary is too long (maximum is 65535 characters)")
    return dict(output)


def _apply_status(item: CheckRun, body: dict[str, Any]) -> None:
    if body.get("conclusion"):
        item.status, item.conclusion = "completed", body["conclusion"]
    elif body.get("status"):
        item.status = body["status"]
    if item.status == "completed" and item.conclusion is None:
        raise FakeGitHubError(422, "Invalid request: conclusion is required when status is completed")
    if item.status == "completed" and item.completed_at is None:
        item.completed_at = now_iso()


@route("POST", "/repos/{owner}/{repo}/check-runs")
def create_check_run(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    body = require(b, "name", "head_sha")
    if body["head_sha"] not in repo.commits:
        raise FakeGitHubError(422, f"No commit found for SHA: {body['head_sha']}")
    item = CheckRun(fake.next_id(), body["name"], body["head_sha"], "queued", None, _check_output(body))
    item.external_id, item.details_url = body.get("external_id"), body.get("details_url")
    _apply_status(item, body)
    repo.check_runs[item.id] = item
    return Reply(201, P.check_run(fake.api, repo, item, fake.app_slug))


@route("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
def get_check_run(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    return Reply(200, P.check_run(fake.api, repo, item_of(repo.check_runs, p["check_run_id"]), fake.app_slug))


@route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
def update_check_run(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    item = item_of(repo.check_runs, p["check_run_id"])
    body = require(b)
    if "output" in body:
        item.output = _check_output(body)
    _apply_status(item, body)
    return Reply(200, P.check_run(fake.api, repo, item, fake.app_slug))


def _workflow_path(repo: Repo, workflow_id: str) -> str:
    """The workflow named by its numeric id or file name, as GitHub takes it; a path (with `/`) is a 404."""
    if "/" in workflow_id:
        raise FakeGitHubError(404, "Not Found")
    for path in repo.workflow_paths():
        if workflow_id in (path.rsplit("/", 1)[-1], str(stable_id(repo.full_name + path))):
            return path
    raise FakeGitHubError(404, "Not Found")


@route("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}")
def get_workflow(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    return Reply(200, P.workflow(fake.api, repo, _workflow_path(repo, p["workflow_id"])))


@route("POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")
def dispatch(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    path = _workflow_path(repo, p["workflow_id"])
    body = require(b, "ref")
    if repo.resolve(body["ref"]) is None:
        raise FakeGitHubError(422, f"No ref found for: {body['ref']}")
    inputs_spec = repo.workflow_dispatch_inputs(path, body["ref"])
    if inputs_spec is None:
        raise FakeGitHubError(422, "Workflow does not have 'workflow_dispatch' trigger")
    inputs = dict(body.get("inputs") or {})
    validate_dispatch(inputs_spec, inputs)
    repo.dispatches.append(Dispatch(path.rsplit("/", 1)[-1], body["ref"], inputs))
    return Reply(204)


@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}")
def get_run(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    return Reply(200, P.workflow_run(fake.api, repo, item_of(repo.runs, p["run_id"])))


@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts")
def list_artifacts(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    run_id = item_of(repo.runs, p["run_id"]).id
    items = [P.artifact(fake.api, repo, a) for a in repo.artifacts.values() if a.run_id == run_id]
    return Reply(200, items, paginate=True, headers={"x-list-key": "artifacts"})


@route("GET", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}")
def get_artifact(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    return Reply(200, P.artifact(fake.api, repo, item_of(repo.artifacts, p["artifact_id"])))


@route("GET", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}")
def download_artifact(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    item = item_of(repo.artifacts, p["artifact_id"])
    if p["archive_format"] != "zip":
        raise FakeGitHubError(404, "Not Found")
    if item.expired:
        raise FakeGitHubError(410, "Artifact has expired")
    return Reply(302, None, {"Location": fake.storage_url(item.id)})


@route("POST", "/app/installations/{installation_id}/access_tokens")
def access_token(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    token, expires_at = fake.issue_installation_token(number_of(p["installation_id"]))
    return Reply(
        201,
        {
            "token": token,
            "expires_at": expires_at,
            "permissions": {
                "contents": "write",
                "pull_requests": "write",
                "issues": "write",
                "checks": "write",
            },
            "repository_selection": "all",
        },
    )
