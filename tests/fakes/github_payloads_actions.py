"""JSON bodies of the fake GitHub's checks and Actions APIs (check runs, workflows, runs, artifacts)."""

from __future__ import annotations

from typing import Any

from tests.fakes.github_payloads import HTML, repository, stable_id
from tests.fakes.github_state import Artifact, CheckRun, Repo, WorkflowRun, now_iso


def check_run(api: str, repo: Repo, item: CheckRun, app_slug: str) -> dict[str, Any]:
    url = f"{api}/repos/{repo.full_name}/check-runs/{item.id}"
    return {
        "id": item.id,
        "node_id": f"CR_{item.id}",
        "head_sha": item.head_sha,
        "external_id": item.external_id,
        "url": url,
        "html_url": f"{HTML}/{repo.full_name}/runs/{item.id}",
        "details_url": item.details_url,
        "status": item.status,
        "conclusion": item.conclusion,
        "started_at": item.started_at,
        "completed_at": item.completed_at,
        "output": {
            "title": item.output.get("title"),
            "summary": item.output.get("summary"),
            "text": item.output.get("text"),
            "annotations_count": 0,
            "annotations_url": f"{url}/annotations",
        },
        "name": item.name,
        "check_suite": {"id": stable_id(item.head_sha)},
        "app": None,
        "pull_requests": [],
    }


def workflow(api: str, repo: Repo, path: str) -> dict[str, Any]:
    workflow_id = stable_id(repo.full_name + path)
    return {
        "id": workflow_id,
        "node_id": f"W_{workflow_id}",
        "name": path.rsplit("/", 1)[-1].rsplit(".", 1)[0],
        "path": path,
        "state": "active",
        "created_at": repo.created_at,
        "updated_at": repo.created_at,
        "url": f"{api}/repos/{repo.full_name}/actions/workflows/{workflow_id}",
        "html_url": f"{HTML}/{repo.full_name}/blob/{repo.default_branch}/{path}",
        "badge_url": f"{HTML}/{repo.full_name}/workflows/{path.rsplit('/', 1)[-1]}/badge.svg",
    }


def workflow_run(api: str, repo: Repo, item: WorkflowRun) -> dict[str, Any]:
    url = f"{api}/repos/{repo.full_name}/actions/runs/{item.id}"
    workflow_id = stable_id(repo.full_name + item.path)
    minimal = repository(api, repo, full=False)
    return {
        "id": item.id,
        "name": item.name,
        "node_id": f"WFR_{item.id}",
        "head_branch": item.head_branch,
        "head_sha": item.head_sha,
        "path": item.path,
        "display_title": item.name,
        "run_number": item.run_number,
        "run_attempt": 1,
        "event": item.event,
        "status": item.status,
        "conclusion": item.conclusion,
        "workflow_id": workflow_id,
        "url": url,
        "html_url": f"{HTML}/{repo.full_name}/actions/runs/{item.id}",
        "pull_requests": [],
        "created_at": item.created_at,
        "updated_at": now_iso(),
        "jobs_url": f"{url}/jobs",
        "logs_url": f"{url}/logs",
        "check_suite_url": f"{api}/repos/{repo.full_name}/check-suites/{stable_id(item.head_sha)}",
        "artifacts_url": f"{url}/artifacts",
        "cancel_url": f"{url}/cancel",
        "rerun_url": f"{url}/rerun",
        "workflow_url": f"{api}/repos/{repo.full_name}/actions/workflows/{workflow_id}",
        "head_commit": None,
        "repository": minimal,
        "head_repository": minimal,
    }


def artifact(api: str, repo: Repo, item: Artifact) -> dict[str, Any]:
    url = f"{api}/repos/{repo.full_name}/actions/artifacts/{item.id}"
    return {
        "id": item.id,
        "node_id": f"A_{item.id}",
        "name": item.name,
        "size_in_bytes": len(item.data),
        "url": url,
        "archive_download_url": f"{url}/zip",
        "expired": item.expired,
        "created_at": item.created_at,
        "expires_at": item.created_at,
        "updated_at": item.created_at,
        "workflow_run": {"id": item.run_id, "head_sha": repo.runs[item.run_id].head_sha},
    }
