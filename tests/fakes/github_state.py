"""In-memory state of the fake GitHub: repositories with a tiny git object store, issues, pulls and Actions.

Git objects get real git SHA-1s. Trees are kept flat (full path -> blob), which is all the bot needs: nested
paths like `.github/workflows/intern.yml` work; `GET /git/trees/{sha}` lists every blob with its full path.
The HTTP layer (`github_routes.py`) turns requests into calls here; tests read the same objects to assert.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_sha(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


class FakeGitHubError(Exception):
    """Raised by state operations; the HTTP layer answers it with `status` and GitHub's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Commit:
    sha: str
    tree: str
    parents: list[str]
    message: str
    author: dict[str, str]
    committer: dict[str, str]


@dataclass
class Comment:
    id: int
    issue_number: int
    user: str
    body: str
    created_at: str
    updated_at: str


@dataclass
class Reaction:
    id: int
    comment_id: int
    user: str
    content: str
    created_at: str


@dataclass
class Issue:
    number: int
    title: str
    body: str
    user: str
    state: str = "open"
    created_at: str = field(default_factory=now_iso)
    closed_at: str | None = None


@dataclass
class Pull:
    number: int
    title: str
    body: str
    user: str
    head_ref: str
    base_ref: str
    head_sha: str
    base_sha: str
    state: str = "open"
    merged: bool = False
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    closed_at: str | None = None
    merged_at: str | None = None


@dataclass
class Review:
    id: int
    pull_number: int
    user: str
    state: str
    body: str
    commit_id: str
    submitted_at: str = field(default_factory=now_iso)


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    output: dict[str, Any]
    started_at: str = field(default_factory=now_iso)
    completed_at: str | None = None
    external_id: str | None = None
    details_url: str | None = None


@dataclass
class Dispatch:
    workflow: str
    ref: str
    inputs: dict[str, Any]


@dataclass
class Artifact:
    id: int
    run_id: int
    name: str
    data: bytes
    expired: bool = False
    created_at: str = field(default_factory=now_iso)


@dataclass
class WorkflowRun:
    id: int
    head_sha: str
    head_branch: str
    path: str
    name: str
    event: str
    status: str
    conclusion: str | None
    run_number: int
    created_at: str = field(default_factory=now_iso)


@dataclass
class Repo:
    full_name: str
    id: int
    default_branch: str
    private: bool
    collaborators: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    reactions: list[Reaction] = field(default_factory=list)
    reviews: dict[int, Review] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    dispatches: list[Dispatch] = field(default_factory=list)
    runs: dict[int, WorkflowRun] = field(default_factory=dict)
    artifacts: dict[int, Artifact] = field(default_factory=dict)
    branch_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # branch -> active rules
    created_at: str = field(default_factory=now_iso)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    # --- git objects -------------------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        sha = git_sha("blob", data)
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: dict[str, str]) -> str:
        listing = "".join(f"100644 {path}\0{sha}\n" for path, sha in sorted(entries.items()))
        sha = git_sha("tree", listing.encode())
        self.trees[sha] = dict(entries)
        return sha

    def put_commit(self, tree: str, parents: list[str], message: str, author: dict[str, str]) -> Commit:
        if tree not in self.trees:
            raise FakeGitHubError(422, f"Tree SHA does not exist: {tree}")
        for parent in parents:
            if parent not in self.commits:
                raise FakeGitHubError(422, f"Parent SHA does not exist or is not a commit object: {parent}")
        text = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents) + f"{author}\n\n{message}"
        commit = Commit(git_sha("commit", text.encode()), tree, parents, message, author, dict(author))
        self.commits[commit.sha] = commit
        return commit

    def resolve(self, ref_or_sha: str) -> str | None:
        """A commit SHA for a branch name, a `heads/...`/`refs/heads/...` ref, or a commit SHA."""
        for candidate in (ref_or_sha, f"refs/{ref_or_sha}", f"refs/heads/{ref_or_sha}"):
            if candidate in self.refs:
                return self.refs[candidate]
        return ref_or_sha if ref_or_sha in self.commits else None

    def files_at(self, ref_or_sha: str) -> dict[str, bytes]:
        sha = self.resolve(ref_or_sha)
        if sha is None:
            raise FakeGitHubError(404, f"No commit found for the ref {ref_or_sha}")
        return {path: self.blobs[blob] for path, blob in self.trees[self.commits[sha].tree].items()}

    def is_ancestor(self, ancestor: str, sha: str) -> bool:
        pending, seen = [sha], set()
        while pending:
            current = pending.pop()
            if current == ancestor:
                return True
            if current not in seen:
                seen.add(current)
                pending.extend(self.commits[current].parents if current in self.commits else [])
        return False

    def commit_files(self, branch: str, files: dict[str, bytes], message: str, author: str = "octocat") -> str:
        """Test helper: one commit on top of `branch` (created from nothing when missing)."""
        parent = self.refs.get(f"refs/heads/{branch}")
        entries = dict(self.trees[self.commits[parent].tree]) if parent else {}
        entries.update({path: self.put_blob(data) for path, data in files.items()})
        signature = {"name": author, "email": f"{author}@example.com", "date": now_iso()}
        commit = self.put_commit(self.put_tree(entries), [parent] if parent else [], message, signature)
        self.refs[f"refs/heads/{branch}"] = commit.sha
        return commit.sha

    # --- permissions and workflows -----------------------------------------------------------------------
    def role_of(self, user: str) -> str:
        if user == self.owner:
            return "admin"
        return self.collaborators.get(user, "none" if self.private else "read")

    def workflow_paths(self) -> list[str]:
        """Workflow files known to the repo: those on any branch, as GitHub lists workflows that ran."""
        paths: set[str] = set()
        for ref, sha in self.refs.items():
            if ref.startswith("refs/heads/"):
                tree = self.trees[self.commits[sha].tree]
                paths.update(p for p in tree if p.startswith(".github/workflows/") and p.count("/") == 2)
        return sorted(paths)

    def workflow_dispatch_inputs(self, path: str, ref: str) -> dict[str, Any] | None:
        """The `workflow_dispatch.inputs` of the workflow at `ref`, or None without that trigger."""
        files = self.files_at(ref)
        if path not in files:
            raise FakeGitHubError(422, f"Workflow does not exist at ref {ref}")
        document = yaml.safe_load(files[path]) or {}
        triggers = document.get("on", document.get(True, {}))
        if isinstance(triggers, str):
            triggers = {triggers: None}
        elif isinstance(triggers, list):
            triggers = dict.fromkeys(triggers)
        if "workflow_dispatch" not in triggers:
            return None
        spec = triggers["workflow_dispatch"] or {}
        return dict(spec.get("inputs") or {})


class Counter:
    """Global ids shared by every repo, as on GitHub."""

    def __init__(self, start: int = 1000) -> None:
        self._next = itertools.count(start)

    def __call__(self) -> int:
        return next(self._next)


def validate_dispatch(inputs_spec: dict[str, Any], given: dict[str, Any]) -> None:
    unexpected = sorted(set(given) - set(inputs_spec))
    if unexpected:
        raise FakeGitHubError(422, f"Unexpected inputs provided: {unexpected}")
    for name, spec in inputs_spec.items():
        if isinstance(spec, dict) and spec.get("required") and name not in given and "default" not in spec:
            raise FakeGitHubError(422, f"Required input '{name}' not provided")
