"""Which GitHub App permissions the bot needs, derived from the REST calls its gateway makes.

`GATEWAY_CALLS` maps each `GitHubGateway` method (`bot/gateway.py`) to the REST operations `PyGithubGateway`
(`bot/github.py`) sends for it, each with the App permission and level GitHub asks for. `required_permissions()`
folds the table into the manifest's `default_permissions` (`intern-bot manifest`, `intern-bot setup`), so the
manifest cannot fall behind the calls. Tests keep the table honest: every Protocol method has a row, every
operation exists in GitHub's REST description (`@octokit/openapi`) and is enabled for Apps, its category fits
the permission, and the requests the gateway really sends to the fake GitHub are all in its row.

`workflows: write` has no REST operation of its own: GitHub refuses a ref update (`POST /git/refs`,
`PATCH /git/refs/{ref}`) that brings in a file under `.github/workflows/` unless the App has it, and the bot's
first commit carries `.github/workflows/intern.yml`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

Level = Literal["read", "write"]
_RANK: Mapping[str, int] = {"read": 1, "write": 2}


class Operation(NamedTuple):
    """One REST operation: method and path as GitHub's REST description spells them, and what it needs."""

    method: str
    path: str
    permission: str
    level: Level


def _ops(permission: str, level: Level, *calls: tuple[str, str]) -> tuple[Operation, ...]:
    return tuple(Operation(method, f"/repos/{{owner}}/{{repo}}{path}", permission, level) for method, path in calls)


_WRITE_REF = (("POST", "/git/refs"), ("PATCH", "/git/refs/{ref}"))

GATEWAY_CALLS: Mapping[str, tuple[Operation, ...]] = {
    "permission": _ops("metadata", "read", ("GET", "/collaborators/{username}/permission")),
    "add_reaction": _ops("issues", "write", ("POST", "/issues/comments/{comment_id}/reactions")),
    "get_issue": _ops("issues", "read", ("GET", "/issues/{issue_number}")),
    "default_branch": _ops("metadata", "read", ("GET", "")),
    "branch_sha": _ops("contents", "read", ("GET", "/git/ref/{ref}")),
    "read_file": _ops("contents", "read", ("GET", "/contents/{path}"), ("GET", "/git/blobs/{file_sha}")),
    "commit_files": _ops(
        "contents",
        "write",
        ("POST", "/git/blobs"),
        ("GET", "/git/commits/{commit_sha}"),
        ("POST", "/git/trees"),
        ("POST", "/git/commits"),
        ("GET", "/git/ref/{ref}"),
        *_WRITE_REF,
    )
    + _ops("workflows", "write", *_WRITE_REF),  # the files may include .github/workflows/intern.yml
    "open_pull": _ops("pull_requests", "write", ("POST", "/pulls")),
    "get_pull": _ops("pull_requests", "read", ("GET", "/pulls/{pull_number}")),
    "pull_commits": _ops(
        "pull_requests", "read", ("GET", "/pulls/{pull_number}"), ("GET", "/pulls/{pull_number}/commits")
    ),
    "last_push_approval_required": _ops("metadata", "read", ("GET", "/rules/branches/{branch}")),
    "upsert_comment": _ops(
        "issues",
        "write",
        ("GET", "/issues/{issue_number}"),
        ("GET", "/issues/{issue_number}/comments"),
        ("PATCH", "/issues/comments/{comment_id}"),
        ("POST", "/issues/{issue_number}/comments"),
    ),
    "create_check_run": _ops("checks", "write", ("POST", "/check-runs")),
    "update_check_run": _ops(
        "checks", "write", ("GET", "/check-runs/{check_run_id}"), ("PATCH", "/check-runs/{check_run_id}")
    ),
    "dispatch_workflow": _ops(
        "actions",
        "write",
        ("GET", "/actions/workflows/{workflow_id}"),
        ("POST", "/actions/workflows/{workflow_id}/dispatches"),
    ),
    "list_run_artifacts": _ops(
        "actions", "read", ("GET", "/actions/runs/{run_id}"), ("GET", "/actions/runs/{run_id}/artifacts")
    ),
    "download_artifact": _ops("actions", "read", ("GET", "/actions/artifacts/{artifact_id}/{archive_format}")),
}

# The categories (`x-github.category` in GitHub's REST description) an operation may sit in for each permission.
CATEGORIES: Mapping[str, frozenset[str]] = {
    "metadata": frozenset({"repos", "collaborators"}),
    "contents": frozenset({"repos", "git"}),
    "workflows": frozenset({"git"}),
    "issues": frozenset({"issues", "reactions"}),
    "pull_requests": frozenset({"pulls"}),
    "checks": frozenset({"checks"}),
    "actions": frozenset({"actions"}),
}


def required_permissions(calls: Iterable[Operation] | None = None) -> dict[str, Level]:
    """The highest level each permission is needed at, over `calls` (default: every gateway call)."""
    operations = calls if calls is not None else (op for ops in GATEWAY_CALLS.values() for op in ops)
    needed: dict[str, Level] = {}
    for op in operations:
        if op.permission not in needed or _RANK[op.level] > _RANK[needed[op.permission]]:
            needed[op.permission] = op.level
    return dict(sorted(needed.items()))


def missing_grants(granted: Mapping[str, str], needed: Mapping[str, Level]) -> dict[str, Level]:
    """What `granted` (a manifest's `default_permissions`) lacks of `needed`, or grants too low."""
    return {name: level for name, level in needed.items() if _RANK.get(granted.get(name, ""), 0) < _RANK[level]}
