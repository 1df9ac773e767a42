"""JSON bodies of the fake GitHub, shaped like the REST API description (`@octokit/openapi`).

Each function renders one schema of `components/schemas` from the in-memory state; the conformance test
validates what the server sends against the operation's response schema.
"""

from __future__ import annotations

import urllib.parse
import zlib
from typing import Any

from tests.fakes.github_state import (
    LEGACY_PERMISSION,
    Comment,
    Issue,
    Pull,
    Reaction,
    Repo,
    Review,
)

HTML = "https://github.com"
_REPO_URLS = """
archive assignees blobs branches collaborators comments commits compare contents contributors deployments
downloads events forks git_commits git_refs git_tags hooks issue_comment issue_events issues keys labels
languages merges milestones notifications pulls releases stargazers statuses subscribers subscription tags
teams trees
"""
_USER_URLS = "events followers following gists organizations received_events repos starred subscriptions"


def stable_id(text: str) -> int:
    return zlib.crc32(text.encode()) % 90_000_000 + 1_000_000


def user(api: str, login: str) -> dict[str, Any]:
    """A simple user; URLs escape the login as GitHub does (`ml-intern%5Bbot%5D`), and an App's bot user
    links to the App's page."""
    escaped = urllib.parse.quote(login, safe="")
    is_bot = login.endswith("[bot]")
    body: dict[str, Any] = {
        "login": login,
        "id": stable_id(login),
        "node_id": f"U_{stable_id(login)}",
        "avatar_url": f"{HTML}/avatars/{escaped}",
        "gravatar_id": "",
        "url": f"{api}/users/{escaped}",
        "html_url": f"{HTML}/apps/{login.removesuffix('[bot]')}" if is_bot else f"{HTML}/{escaped}",
        "type": "Bot" if is_bot else "User",
        "site_admin": False,
    }
    body.update({f"{name}_url": f"{api}/users/{escaped}/{name}" for name in _USER_URLS.split()})
    return body


def repository(api: str, repo: Repo, *, full: bool = True) -> dict[str, Any]:
    url = f"{api}/repos/{repo.full_name}"
    body: dict[str, Any] = {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(api, repo.owner),
        "private": repo.private,
        "html_url": f"{HTML}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": url,
    }
    body.update({f"{name}_url": f"{url}/{name}" for name in _REPO_URLS.split()})
    if not full:
        return body
    body.update(
        {
            "clone_url": f"{HTML}/{repo.full_name}.git",
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "svn_url": f"{HTML}/{repo.full_name}",
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "default_branch": repo.default_branch,
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "license": None,
            "visibility": "private" if repo.private else "public",
            "size": sum(len(b) for b in repo.blobs.values()) // 1024,
            "forks": 0,
            "forks_count": 0,
            "open_issues": len([i for i in repo.issues.values() if i.state == "open"]),
            "open_issues_count": len([i for i in repo.issues.values() if i.state == "open"]),
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "network_count": 0,
            "subscribers_count": 0,
            "pushed_at": repo.created_at,
            "created_at": repo.created_at,
            "updated_at": repo.created_at,
        }
    )
    return body


def collaborator_permission(api: str, repo: Repo, login: str) -> dict[str, Any]:
    role = repo.role_of(login)
    return {
        "permission": LEGACY_PERMISSION.get(role, "none"),
        "role_name": role,
        "user": {**user(api, login), "role_name": role},
    }


def issue(api: str, repo: Repo, item: Issue) -> dict[str, Any]:
    url = f"{api}/repos/{repo.full_name}/issues/{item.number}"
    body: dict[str, Any] = {
        "id": stable_id(f"{repo.full_name}#{item.number}"),
        "node_id": f"I_{item.number}",
        "url": url,
        "repository_url": f"{api}/repos/{repo.full_name}",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{HTML}/{repo.full_name}/issues/{item.number}",
        "number": item.number,
        "state": item.state,
        "title": item.title,
        "body": item.body,
        "user": user(api, item.user),
        "labels": [],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "comments": len([c for c in repo.comments.values() if c.issue_number == item.number]),
        "closed_at": item.closed_at,
        "created_at": item.created_at,
        "updated_at": item.created_at,
        "author_association": "OWNER" if item.user == repo.owner else "NONE",
    }
    if item.number in repo.pulls:
        body["pull_request"] = {
            "url": f"{api}/repos/{repo.full_name}/pulls/{item.number}",
            "html_url": f"{HTML}/{repo.full_name}/pull/{item.number}",
            "diff_url": f"{HTML}/{repo.full_name}/pull/{item.number}.diff",
            "patch_url": f"{HTML}/{repo.full_name}/pull/{item.number}.patch",
            "merged_at": repo.pulls[item.number].merged_at,
        }
    return body


def _association(repo: Repo, login: str) -> str:
    if login == repo.owner:
        return "OWNER"
    return "COLLABORATOR" if login in repo.collaborators else "NONE"


def comment(api: str, repo: Repo, item: Comment) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": f"IC_{item.id}",
        "url": f"{api}/repos/{repo.full_name}/issues/comments/{item.id}",
        "html_url": f"{HTML}/{repo.full_name}/issues/{item.issue_number}#issuecomment-{item.id}",
        "issue_url": f"{api}/repos/{repo.full_name}/issues/{item.issue_number}",
        "body": item.body,
        "user": user(api, item.user),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "author_association": _association(repo, item.user),
    }


def reaction(api: str, item: Reaction) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": f"REA_{item.id}",
        "user": user(api, item.user),
        "content": item.content,
        "created_at": item.created_at,
    }


def _branch(api: str, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(api, repo.owner),
        "repo": repository(api, repo),
    }


def pull(api: str, repo: Repo, item: Pull) -> dict[str, Any]:
    url = f"{api}/repos/{repo.full_name}/pulls/{item.number}"
    issue_url = f"{api}/repos/{repo.full_name}/issues/{item.number}"
    html = f"{HTML}/{repo.full_name}/pull/{item.number}"
    links = {
        "self": url,
        "html": html,
        "issue": issue_url,
        "comments": f"{issue_url}/comments",
        "review_comments": f"{url}/comments",
        "review_comment": f"{api}/repos/{repo.full_name}/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": f"{api}/repos/{repo.full_name}/statuses/{item.head_sha}",
    }
    return {
        "id": stable_id(f"{repo.full_name}!{item.number}"),
        "node_id": f"PR_{item.number}",
        "number": item.number,
        "url": url,
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_url,
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "_links": {name: {"href": href} for name, href in links.items()},
        "state": item.state,
        "locked": False,
        "title": item.title,
        "body": item.body,
        "user": user(api, item.user),
        "labels": [],
        "milestone": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "merged_at": item.merged_at,
        "merge_commit_sha": item.merge_commit_sha,
        "head": _branch(api, repo, item.head_ref, item.head_sha),
        "base": _branch(api, repo, item.base_ref, item.base_sha),
        "author_association": _association(repo, item.user),
        "auto_merge": None,
        "draft": False,
        "merged": item.merged,
        "mergeable": None if item.merged else True,
        "mergeable_state": "clean" if item.state == "open" else "unknown",
        "merged_by": user(api, item.merged_by) if item.merged_by else None,
        "maintainer_can_modify": False,
        "comments": len([c for c in repo.comments.values() if c.issue_number == item.number]),
        "review_comments": 0,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": 0,
    }


def review(api: str, repo: Repo, item: Review) -> dict[str, Any]:
    html = f"{HTML}/{repo.full_name}/pull/{item.pull_number}#pullrequestreview-{item.id}"
    pull_url = f"{api}/repos/{repo.full_name}/pulls/{item.pull_number}"
    return {
        "id": item.id,
        "node_id": f"PRR_{item.id}",
        "user": user(api, item.user),
        "body": item.body,
        "state": item.state,
        "commit_id": item.commit_id,
        "html_url": html,
        "pull_request_url": pull_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "submitted_at": item.submitted_at,
        "author_association": _association(repo, item.user),
    }


def error(message: str, status: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": str(status),
    }
    if status == 422:
        body["errors"] = [{"resource": "Request", "code": "custom", "message": message}]
    return body
