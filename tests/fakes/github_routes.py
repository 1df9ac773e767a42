"""Fake GitHub routes: repositories, permissions, issues, comments, reactions, pulls and reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes import github_payloads as P
from tests.fakes.github_router import MAX_BODY, REACTIONS, Reply, item_of, number_of, repo_of, require, route
from tests.fakes.github_state import Comment, FakeGitHubError, Issue, Pull, Reaction, Repo, Review, now_iso

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub


@route("GET", "/repos/{owner}/{repo}")
def get_repo(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    return Reply(200, P.repository(fake.api, repo_of(fake, p)))


@route("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")
def get_permission(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    return Reply(200, P.collaborator_permission(fake.api, repo_of(fake, p), p["username"]))


@route("GET", "/repos/{owner}/{repo}/rules/branches/{branch}")
def get_branch_rules(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    """The rules of every active ruleset that applies to the branch (empty for a branch with none)."""
    repo = repo_of(fake, p)
    return Reply(200, [dict(rule) for rule in repo.branch_rules.get(p["branch"], [])], paginate=True)


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}")
def get_issue(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    number = number_of(p["issue_number"])
    if number in repo.pulls and number not in repo.issues:
        pr = repo.pulls[number]
        repo.issues[number] = Issue(number, pr.title, pr.body, pr.user, pr.state, pr.created_at, pr.closed_at)
    if number not in repo.issues:
        raise FakeGitHubError(404, "Not Found")
    return Reply(200, P.issue(fake.api, repo, repo.issues[number]))


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def list_comments(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    number = number_of(p["issue_number"])
    if number not in repo.issues and number not in repo.pulls:
        raise FakeGitHubError(404, "Not Found")
    items = sorted((c for c in repo.comments.values() if c.issue_number == number), key=lambda c: c.id)
    return Reply(200, [P.comment(fake.api, repo, c) for c in items], paginate=True)


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def create_comment(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    number = number_of(p["issue_number"])
    if number not in repo.issues and number not in repo.pulls:
        raise FakeGitHubError(404, "Not Found")
    text = _check_body(require(b, "body")["body"])
    stamp = now_iso()
    item = Comment(fake.next_id(), number, login, text, stamp, stamp)
    repo.comments[item.id] = item
    return Reply(201, P.comment(fake.api, repo, item))


def _check_body(text: Any) -> str:
    if not isinstance(text, str):
        raise FakeGitHubError(422, "Invalid request.\n\nFor 'properties/body', it is not a string.")
    if len(text) > MAX_BODY:
        raise FakeGitHubError(422, f"Body is too long (maximum is {MAX_BODY} characters)")
    return text


@route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def get_comment(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    return Reply(200, P.comment(fake.api, repo, item_of(repo.comments, p["comment_id"])))


@route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def edit_comment(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    item = item_of(repo.comments, p["comment_id"])
    if item.user != login and repo.role_of(login) not in ("admin", "maintain", "write"):
        raise FakeGitHubError(403, "Resource not accessible by integration")
    item.body = _check_body(require(b, "body")["body"])
    item.updated_at = now_iso()
    fake.comment_edits.append(item.id)
    return Reply(200, P.comment(fake.api, repo, item))


@route("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions")
def create_reaction(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    item = item_of(repo.comments, p["comment_id"])
    content = require(b, "content")["content"]
    if content not in REACTIONS:
        raise FakeGitHubError(422, f"Validation Failed: content {content!r} is not a valid reaction")
    for existing in repo.reactions:
        if (existing.comment_id, existing.user, existing.content) == (item.id, login, content):
            return Reply(200, P.reaction(fake.api, existing))
    created = Reaction(fake.next_id(), item.id, login, content, now_iso())
    repo.reactions.append(created)
    return Reply(201, P.reaction(fake.api, created))


@route("POST", "/repos/{owner}/{repo}/pulls")
def create_pull(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    body = require(b, "head", "base", "title")
    head = body["head"].split(":", 1)[-1]
    head_sha, base_sha = repo.resolve(f"heads/{head}"), repo.resolve(f"heads/{body['base']}")
    if head_sha is None or base_sha is None:
        missing = "head" if head_sha is None else "base"
        raise FakeGitHubError(422, f"Validation Failed: {missing} ref does not exist")
    if head_sha == base_sha or repo.is_ancestor(head_sha, base_sha):
        raise FakeGitHubError(422, f"No commits between {body['base']} and {head}")
    if any(x.head_ref == head and x.state == "open" for x in repo.pulls.values()):
        raise FakeGitHubError(422, f"A pull request already exists for {repo.owner}:{head}.")
    number = fake.next_number(repo)
    item = Pull(number, body["title"], body.get("body") or "", login, head, body["base"], head_sha, base_sha)
    repo.pulls[number] = item
    return Reply(201, P.pull(fake.api, repo, item))


def _pull(repo: Repo, p: dict[str, str]) -> Pull:
    number = number_of(p["pull_number"])
    if number not in repo.pulls:
        raise FakeGitHubError(404, "Not Found")
    item = repo.pulls[number]
    if item.state == "open":
        item.head_sha = repo.resolve(f"heads/{item.head_ref}") or item.head_sha
    return item


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}")
def get_pull(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    return Reply(200, P.pull(fake.api, repo, _pull(repo, p)))


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits")
def list_pull_commits(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    """Commits reachable from the head and not from the base, oldest first (GitHub caps this at 250)."""
    from tests.fakes.github_payloads_git import pull_commit

    repo = repo_of(fake, p)
    item = _pull(repo, p)
    base = repo.resolve(f"heads/{item.base_ref}") or item.base_sha
    found, pending = [], [item.head_sha]
    while pending:
        sha = pending.pop()
        if sha in found or repo.is_ancestor(sha, base):
            continue
        found.append(sha)
        pending.extend(repo.commits[sha].parents)
    found.reverse()
    return Reply(200, [pull_commit(fake.api, repo, repo.commits[sha]) for sha in found], paginate=True)


@route("PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge")
def merge_pull(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    item = _pull(repo, p)
    expected = (b or {}).get("sha")
    sha = fake.merge(repo, item, login, expected)
    return Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
def list_reviews(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    number = _pull(repo, p).number
    items = [r for r in repo.reviews.values() if r.pull_number == number]
    return Reply(200, [P.review(fake.api, repo, r) for r in items], paginate=True)


@route("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
def create_review(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    item = _pull(repo, p)
    body = b if isinstance(b, dict) else {}
    event = body.get("event", "COMMENT")
    states = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
    if event not in states:
        raise FakeGitHubError(422, f"Unprocessable Entity: event {event!r}")
    created = Review(
        fake.next_id(),
        item.number,
        login,
        states[event],
        body.get("body") or "",
        body.get("commit_id") or item.head_sha,
    )
    repo.reviews[created.id] = created
    return Reply(200, P.review(fake.api, repo, created))
