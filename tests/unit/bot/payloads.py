"""Webhook payloads built from GitHub's real examples, with fields overridden.

The examples and schemas live in tests/fixtures/github-webhooks (copied from shared/fixtures; MIT, see its LICENSE).
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

_ids = itertools.count(9001)  # each new comment, review or change gets its own id, as on GitHub
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github-webhooks"
EXAMPLES = FIXTURES / "payload-examples"
SCHEMAS = FIXTURES / "payload-schemas"

BASE_FILES = {
    "issue_comment": "created.payload.json",
    "pull_request": "synchronize.payload.json",
    "pull_request_review": "submitted.payload.json",
    "workflow_run": "completed.with-pull-requests.payload.json",
    "installation": "created.payload.json",
}


@cache
def _example(event: str, name: str) -> str:
    return (EXAMPLES / event / name).read_text(encoding="utf-8")


def example(event: str, name: str | None = None) -> dict[str, Any]:
    data = json.loads(_example(event, name or BASE_FILES[event]))
    assert isinstance(data, dict)
    return data


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = copy.deepcopy(value)


def user(login: str, kind: str = "User", user_id: int = 1) -> dict[str, Any]:
    base = example("issue_comment")["sender"]
    return {**base, "login": login, "type": kind, "id": user_id}


def with_repo(data: dict[str, Any], repo: str, installation_id: int = 1) -> dict[str, Any]:
    owner, name = repo.split("/")
    data["repository"]["full_name"] = repo
    data["repository"]["name"] = name
    data["repository"]["owner"]["login"] = owner
    data["installation"] = {"id": installation_id, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}
    return data


def issue_comment(
    repo: str,
    number: int,
    body: str,
    login: str,
    *,
    kind: str = "User",
    comment_id: int | None = None,
    on_pr: bool = False,
    title: str = "Classify tickets",
) -> dict[str, Any]:
    data = with_repo(example("issue_comment"), repo)
    set_path(data, "issue.number", number)
    set_path(data, "issue.title", title)
    set_path(data, "issue.body", "Train a ticket classifier.")
    if on_pr:
        data["issue"]["pull_request"] = {
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "diff_url": f"https://github.com/{repo}/pull/{number}.diff",
            "patch_url": f"https://github.com/{repo}/pull/{number}.patch",
        }
    else:
        data["issue"].pop("pull_request", None)
    set_path(data, "comment.id", comment_id if comment_id is not None else next(_ids))
    set_path(data, "comment.body", body)
    set_path(data, "comment.user", user(login, kind))
    set_path(data, "sender", user(login, kind))
    return data


def _pull(
    data: dict[str, Any], repo: str, number: int, head_ref: str, head_sha: str, head_repo: str | None = None
) -> None:
    pr = data["pull_request"]
    pr["number"] = number
    pr["head"]["ref"] = head_ref
    pr["head"]["sha"] = head_sha
    pr["head"]["repo"]["full_name"] = head_repo or repo
    pr["head"]["repo"]["fork"] = head_repo not in (None, repo)
    pr["base"]["repo"]["full_name"] = repo


def review(
    repo: str,
    number: int,
    head_ref: str,
    head_sha: str,
    login: str,
    *,
    state: str = "approved",
    commit_id: str | None = None,
    kind: str = "User",
    head_repo: str | None = None,
    body: str | None = None,
    review_id: int | None = None,
) -> dict[str, Any]:
    data = with_repo(example("pull_request_review"), repo)
    _pull(data, repo, number, head_ref, head_sha, head_repo)
    set_path(data, "review.id", review_id if review_id is not None else next(_ids))
    set_path(data, "review.state", state)
    set_path(data, "review.body", body)
    set_path(data, "review.commit_id", commit_id or head_sha)
    set_path(data, "review.user", user(login, kind))
    set_path(data, "sender", user(login, kind))
    return data


def pull_request(
    repo: str,
    number: int,
    action: str,
    head_ref: str,
    head_sha: str,
    login: str,
    *,
    merged: bool = False,
    head_repo: str | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """`before` is the head the push replaced (`synchronize`); left out, it is the null SHA (what GitHub sends
    when there was none), which the bot ignores: any other unknown `before` is a push never reported to it."""
    name = "synchronize.payload.json" if action == "synchronize" else "closed.payload.json"
    data = with_repo(example("pull_request", name), repo)
    _pull(data, repo, number, head_ref, head_sha, head_repo)
    data["action"] = action
    if action == "synchronize":
        data["before"] = before or "0" * 40
        data["after"] = head_sha
    data["pull_request"]["merged"] = merged
    stamp = datetime(2026, 11, 27, tzinfo=UTC) + timedelta(seconds=next(_ids))
    data["pull_request"]["updated_at"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")  # moves on every change
    if merged:
        data["pull_request"]["merge_commit_sha"] = "f" * 40
        data["pull_request"]["state"] = "closed"
    set_path(data, "sender", user(login))
    return data


def workflow_run(
    repo: str,
    run_id: int,
    head_branch: str,
    head_sha: str,
    *,
    event: str = "pull_request",
    conclusion: str = "success",
    path: str = ".github/workflows/intern.yml",
    actor: str | None = None,
    head_repo: str | None = None,
    created_at: str | None = None,
    run_attempt: int = 1,
) -> dict[str, Any]:
    """A completed run; a dispatch run is started by the App (`ml-intern[bot]`) unless `actor` says otherwise."""
    data = with_repo(example("workflow_run"), repo)
    wr = data["workflow_run"]
    login = actor or ("ml-intern[bot]" if event == "workflow_dispatch" else "alice")
    kind = "Bot" if login.endswith("[bot]") else "User"
    wr.update(
        id=run_id,
        head_branch=head_branch,
        head_sha=head_sha,
        event=event,
        conclusion=conclusion,
        path=path,
        status="completed",
        actor=user(login, kind),
        triggering_actor=user(login, kind),
        created_at=created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        run_attempt=run_attempt,
    )
    wr["head_repository"] = {**wr["head_repository"], "full_name": head_repo or repo}
    wr["pull_requests"] = []
    return data


@cache
def _registry() -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    resources = []
    for path in SCHEMAS.rglob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], DRAFT7.create_resource(schema)))
    return Registry().with_resources(resources)


def schema_errors(event: str, payload: dict[str, Any]) -> list[str]:
    """Where `payload` breaks GitHub's published schema for `event.action` (empty when it conforms)."""
    from jsonschema import Draft7Validator, FormatChecker  # type: ignore[import-untyped,unused-ignore]

    registry = _registry()
    schema = registry.contents(f"{event}${payload['action']}")
    validator = Draft7Validator(schema, registry=registry, format_checker=FormatChecker())
    return [f"{error.message[:200]} at {list(error.absolute_path)}" for error in validator.iter_errors(payload)]
