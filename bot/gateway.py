"""What the bot needs from GitHub, as a Protocol naming only the calls we make.

`bot/github.py` implements it with PyGithub (the only module that imports PyGithub); tests use the same
implementation against the fake GitHub server in `tests/fakes/`, or a small in-memory fake for unit tests.
Repositories are named `owner/name`.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

Permission = Literal["admin", "write", "read", "none"]
CheckStatus = Literal["queued", "in_progress", "completed"]
CheckConclusion = Literal["success", "failure", "neutral", "cancelled", "skipped", "action_required"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class IssueInfo(_Frozen):
    number: int
    title: str
    body: str
    author: str


class PullInfo(_Frozen):
    number: int
    url: str
    state: Literal["open", "closed"]
    merged: bool
    head_ref: str
    head_sha: str
    head_repo: str
    base_ref: str


class CommitInfo(_Frozen):
    """A commit of a pull request and the GitHub users it is attributed to (None: no account matches)."""

    sha: str
    author_login: str | None
    committer_login: str | None


class ArtifactInfo(_Frozen):
    id: int
    name: str
    size_in_bytes: int
    expired: bool = False


class GitHubGateway(Protocol):
    def permission(self, repo: str, user: str) -> Permission:
        """The user's permission on the repo: maintain counts as write, triage as read."""
        ...

    def add_reaction(self, repo: str, comment_id: int, content: str) -> None: ...

    def get_issue(self, repo: str, number: int) -> IssueInfo: ...

    def default_branch(self, repo: str) -> str: ...

    def branch_sha(self, repo: str, branch: str) -> str | None:
        """Head commit of a branch, None when the branch does not exist."""
        ...

    def read_file(self, repo: str, path: str, ref: str, max_bytes: int | None = None) -> bytes | None:
        """File content at `ref`, None when the file does not exist there; GitHubFileTooLarge when it is over
        `max_bytes` (checked on the size GitHub reports, before the content of a big file is fetched)."""
        ...

    def commit_files(self, repo: str, branch: str, base_sha: str, files: dict[str, bytes], message: str) -> str:
        """One commit on top of `base_sha` holding `files` (git data API: blobs, tree, commit), then create or
        fast-forward `branch` to it. Returns the new commit SHA."""
        ...

    def open_pull(self, repo: str, head: str, base: str, title: str, body: str) -> PullInfo: ...

    def get_pull(self, repo: str, number: int) -> PullInfo: ...

    def pull_commits(self, repo: str, number: int) -> list[CommitInfo]:
        """The pull request's commits (those on its head and not on its base), oldest first. GitHub lists at
        most 250 and attributes them by e-mail address: never use this to decide who wrote the code."""
        ...

    def last_push_approval_required(self, repo: str, branch: str) -> bool:
        """Whether a ruleset on `branch` has GitHub's "require approval of the most recent reviewable push"
        (`pull_request` rule, `require_last_push_approval`). Rulesets are readable with `metadata: read`;
        classic branch protection needs `administration: read`, which the App does not ask for."""
        ...

    def upsert_comment(
        self, repo: str, issue_number: int, marker: str, body: str, comment_id: int | None = None
    ) -> int:
        """Edit comment `comment_id` (remembered from an earlier upsert) when given and still there; otherwise
        the comment whose body contains `marker` (posted by this app, found by listing the issue's comments),
        or create it. Returns its id."""
        ...

    def create_check_run(
        self,
        repo: str,
        head_sha: str,
        name: str,
        status: CheckStatus,
        conclusion: CheckConclusion | None,
        title: str,
        summary: str,
    ) -> int: ...

    def update_check_run(
        self,
        repo: str,
        check_run_id: int,
        status: CheckStatus,
        conclusion: CheckConclusion | None,
        title: str,
        summary: str,
    ) -> None: ...

    def dispatch_workflow(self, repo: str, workflow_file: str, ref: str, inputs: dict[str, str]) -> None: ...

    def list_run_artifacts(self, repo: str, run_id: int) -> list[ArtifactInfo]: ...

    def download_artifact(self, repo: str, artifact_id: int, max_bytes: int = 50 * 1024 * 1024) -> bytes:
        """The artifact as zip bytes; more than `max_bytes` is an error (read in chunks, never whole first)."""
        ...
