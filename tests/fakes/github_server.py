"""A fake GitHub REST API on 127.0.0.1 (ephemeral port), in memory, for PyGithub to talk to over loopback.

    fake = FakeGitHub(); fake.start()          # or the `fake_github` pytest fixture below
    fake.add_repo("octo/demo", files={"data.csv": b"text,label\n"}, collaborators={"alice": "write"})
    tokens = StaticTokenProvider(fake.token)
    gateway = PyGithubGateway(tokens, 1, bot_login=fake.bot_login, base_url=fake.api)

What it keeps: repos (default branch, collaborators), refs, blobs, trees, commits, contents, issues and
comments (paginated with Link headers), reactions, pulls (create, get, merge), reviews, check runs,
workflow dispatches (checked against the workflow's `workflow_dispatch.inputs`), workflow runs and artifacts
(the zip download answers 302 to a `localhost` storage URL, as GitHub redirects to blob storage), and the
App's installation access tokens (the JWT is verified with the key given to `trust_app_key`).
`rate_limit()` makes the next requests fail the way GitHub's primary or secondary limits do, `fail_next()`
with any status. Every exchange is recorded in `exchanges`; the fixture checks them all against GitHub's
REST API description when `@octokit/openapi` is installed (see `github_openapi.py`). HTTP in `github_http.py`,
routes in `github_routes*.py`, bodies in `github_payloads*.py`, state in `github_state.py`.
"""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from tests.fakes import github_app_manifests, github_routes, github_routes_actions, github_routes_git
from tests.fakes import github_payloads as P
from tests.fakes.github_http import Exchange, Handler, RateLimit, RateLimitKind
from tests.fakes.github_state import (
    Artifact,
    CheckRun,
    Comment,
    Counter,
    Dispatch,
    FakeGitHubError,
    Issue,
    Pull,
    Reaction,
    Repo,
    Review,
    WorkflowRun,
    now_iso,
)

_REGISTERED = (
    github_routes,
    github_routes_git,
    github_routes_actions,
    github_app_manifests,
)  # importing them registers the routes


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed bot, in the durability bench) is not a fake bug."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class FakeGitHub:
    app_slug: str = "ml-intern"
    app_id: int = 4242
    token: str = "test-installation-token"
    installations: set[int] = field(default_factory=lambda: {1})
    repos: dict[str, Repo] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    storage_requests: list[dict[str, Any]] = field(default_factory=list)
    comment_edits: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.next_id = Counter(1000)
        self._numbers: dict[str, int] = {}
        self.lock = threading.RLock()
        self.tokens: dict[str, tuple[str, float]] = {self.token: (self.bot_login, float("inf"))}
        self.app_key: str | None = None
        self.pending_rate_limit: RateLimit | None = None
        self.pending_failures: list[tuple[int, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.issued_tokens: list[str] = []
        self.manifest_codes: dict[str, tuple[dict[str, Any], str | None, float]] = {}
        self.latency_s = 0.0  # added to every API request (a slower GitHub, for durability benchmarks)
        self.fault_every = 0  # with inject_faults(): every n-th API request fails
        self.fault_statuses: tuple[int, ...] = ()
        self.api_requests = 0
        self.injected_faults: list[tuple[str, str, int]] = []
        self.apps_created: list[dict[str, Any]] = []

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        handler = type("BoundHandler", (Handler,), {"fake": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "call start() first"
        return int(self._server.server_address[1])

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bot_login(self) -> str:
        return f"{self.app_slug}[bot]"

    # --- test helpers: arrange ---------------------------------------------------------------------------
    def add_repo(
        self,
        full_name: str,
        default_branch: str = "main",
        files: dict[str, bytes] | None = None,
        collaborators: dict[str, str] | None = None,
        private: bool = False,
    ) -> Repo:
        with self.lock:
            repo = Repo(full_name, P.stable_id(full_name), default_branch, private, dict(collaborators or {}))
            repo.commit_files(default_branch, files or {"README.md": b"# demo\n"}, "Initial commit", repo.owner)
            self.repos[full_name] = repo
            return repo

    def set_permission(self, repo: str, user: str, permission: str) -> None:
        """`admin`, `maintain`, `write`, `triage`, `read`, or `none` to remove the collaborator."""
        with self.lock:
            if permission == "none":
                self.repo(repo).collaborators.pop(user, None)
            else:
                self.repo(repo).collaborators[user] = permission

    def require_last_push_approval(self, repo: str, branch: str, ruleset_id: int = 1) -> None:
        """A repository ruleset on `branch` with GitHub's "require approval of the most recent reviewable push"."""
        parameters = {
            "dismiss_stale_reviews_on_push": True,
            "require_code_owner_review": False,
            "require_last_push_approval": True,
            "required_approving_review_count": 1,
            "required_review_thread_resolution": False,
        }
        rule = {
            "type": "pull_request",
            "parameters": parameters,
            "ruleset_source_type": "Repository",
            "ruleset_source": repo,
            "ruleset_id": ruleset_id,
        }
        with self.lock:
            self.repo(repo).branch_rules.setdefault(branch, []).append(rule)

    def push(
        self, repo: str, branch: str, files: dict[str, bytes], message: str = "push", author: str = "alice"
    ) -> str:
        """A commit on `branch` as a human would push it (creates the branch from nothing when missing)."""
        with self.lock:
            return self.repo(repo).commit_files(branch, files, message, author)

    def add_issue(self, repo: str, title: str, body: str = "", author: str = "alice") -> int:
        with self.lock:
            handle = self.repo(repo)
            number = self.next_number(handle)
            handle.issues[number] = Issue(number, title, body, author)
            return number

    def add_comment(self, repo: str, issue_number: int, user: str, body: str) -> int:
        with self.lock:
            stamp = now_iso()
            item = Comment(self.next_id(), issue_number, user, body, stamp, stamp)
            self.repo(repo).comments[item.id] = item
            return item.id

    def add_review(
        self, repo: str, pull_number: int, user: str, state: str = "APPROVED", commit_id: str | None = None
    ) -> int:
        with self.lock:
            handle = self.repo(repo)
            sha = commit_id or handle.pulls[pull_number].head_sha
            item = Review(self.next_id(), pull_number, user, state, "", sha)
            handle.reviews[item.id] = item
            return item.id

    def add_workflow_run(
        self,
        repo: str,
        run_id: int,
        head_sha: str,
        conclusion: str | None,
        artifacts: dict[str, bytes] | None = None,
        *,
        head_branch: str = "main",
        path: str = ".github/workflows/intern.yml",
        event: str = "pull_request",
    ) -> dict[int, str]:
        """A finished (or, with conclusion None, running) run; returns {artifact id: name}."""
        with self.lock:
            handle = self.repo(repo)
            status = "completed" if conclusion else "in_progress"
            name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            handle.runs[run_id] = WorkflowRun(
                run_id, head_sha, head_branch, path, name, event, status, conclusion, len(handle.runs) + 1
            )
            ids = {}
            for artifact_name, data in (artifacts or {}).items():
                item = Artifact(self.next_id(), run_id, artifact_name, data)
                handle.artifacts[item.id] = item
                ids[item.id] = artifact_name
            return ids

    def merge_pull(self, repo: str, number: int, merged_by: str = "alice") -> str:
        with self.lock:
            handle = self.repo(repo)
            return self.merge(handle, handle.pulls[number], merged_by, None)

    def trust_app_key(self, public_key_pem: str) -> None:
        """Accept App JWTs signed with this key's private half at `/app/installations/{id}/access_tokens`."""
        self.app_key = public_key_pem

    def rate_limit(
        self,
        kind: RateLimitKind = "primary",
        times: int = 1,
        retry_after: int | None = None,
        reset_in: int = 1,
    ) -> None:
        """Answer the next `times` API requests with a rate-limit refusal (403 or 429, as GitHub does)."""
        self.pending_rate_limit = RateLimit(kind, times, retry_after, reset_in)

    def inject_faults(self, every: int, statuses: tuple[int, ...] = (502, 429), latency_s: float = 0.0) -> None:
        """Until called with `every=0`: every `every`-th API request fails, cycling through `statuses` (a 502
        "Server Error", or a 429 with `Retry-After: 1`, as GitHub's front end answers), and each request takes
        `latency_s` longer. What failed is listed in `injected_faults`."""
        with self.lock:
            self.fault_every, self.fault_statuses, self.latency_s = every, statuses, latency_s
            self.api_requests = 0

    def fail_next(self, status: int, message: str, times: int = 1) -> None:
        """Answer the next `times` API requests with `status` and GitHub's error body carrying `message`."""
        self.pending_failures = [(status, message)] * times

    # --- test helpers: assert ----------------------------------------------------------------------------
    def repo(self, full_name: str) -> Repo:
        if full_name not in self.repos:
            raise FakeGitHubError(404, "Not Found")
        return self.repos[full_name]

    def comments(self, repo: str, issue_number: int | None = None) -> list[Comment]:
        items = sorted(self.repo(repo).comments.values(), key=lambda c: c.id)
        return [c for c in items if issue_number is None or c.issue_number == issue_number]

    def reactions(self, repo: str) -> list[Reaction]:
        return list(self.repo(repo).reactions)

    def check_runs(self, repo: str) -> list[CheckRun]:
        return list(self.repo(repo).check_runs.values())

    def dispatches(self, repo: str) -> list[Dispatch]:
        return list(self.repo(repo).dispatches)

    def pulls(self, repo: str) -> list[Pull]:
        return list(self.repo(repo).pulls.values())

    def files(self, repo: str, ref: str) -> dict[str, bytes]:
        """Every file at a branch or commit."""
        return self.repo(repo).files_at(ref)

    def commit(self, repo: str, sha: str) -> Any:
        return self.repo(repo).commits[sha]

    def requests(self, method: str | None = None, template: str | None = None) -> list[Exchange]:
        return [
            e
            for e in self.exchanges
            if (method is None or e.method == method) and (template is None or e.template == template)
        ]

    # --- used by the routes ------------------------------------------------------------------------------
    def next_number(self, repo: Repo) -> int:
        self._numbers[repo.full_name] = self._numbers.get(repo.full_name, 0) + 1
        return self._numbers[repo.full_name]

    def merge(self, repo: Repo, item: Pull, login: str, expected_sha: str | None) -> str:
        if item.state != "open":
            raise FakeGitHubError(405, "Pull Request is not mergeable")
        head = repo.refs[f"refs/heads/{item.head_ref}"]
        if expected_sha and expected_sha != head:
            raise FakeGitHubError(409, "Head branch was modified. Review and try the merge again.")
        base = repo.refs[f"refs/heads/{item.base_ref}"]
        signature = {"name": login, "email": f"{login}@example.com", "date": now_iso()}
        message = f"Merge pull request #{item.number} from {repo.owner}/{item.head_ref}"
        commit = repo.put_commit(repo.commits[head].tree, [base, head], message, signature)
        repo.refs[f"refs/heads/{item.base_ref}"] = commit.sha
        stamp = now_iso()
        item.state, item.merged, item.merged_by, item.head_sha = "closed", True, login, head
        item.merge_commit_sha, item.merged_at, item.closed_at, item.updated_at = (
            commit.sha,
            stamp,
            stamp,
            stamp,
        )
        return commit.sha

    def storage_url(self, artifact_id: int) -> str:
        return f"http://localhost:{self.port}/_storage/artifacts/{artifact_id}.zip?sig={uuid.uuid4().hex}"

    def issue_installation_token(self, installation_id: int) -> tuple[str, str]:
        if installation_id not in self.installations:
            raise FakeGitHubError(404, "Not Found")
        token = f"ghs_{uuid.uuid4().hex}"
        expires = datetime.now(UTC) + timedelta(hours=1)
        self.tokens[token] = (self.bot_login, expires.timestamp())
        self.issued_tokens.append(token)
        return token, expires.strftime("%Y-%m-%dT%H:%M:%SZ")

    def serve_storage(self, path: str, authorized: bool) -> bytes | None:
        artifact_id = int(path.rsplit("/", 1)[-1].split(".", 1)[0])
        self.storage_requests.append({"artifact_id": artifact_id, "authorization": authorized})
        for repo in self.repos.values():
            if artifact_id in repo.artifacts:
                return repo.artifacts[artifact_id].data
        return None


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A started fake GitHub; at teardown every response it sent is checked against GitHub's REST API
    description when `@octokit/openapi` is installed (see `github_openapi.find_description`)."""
    from tests.fakes.github_openapi import conformance_errors, find_description

    fake = FakeGitHub().start()
    try:
        yield fake
    finally:
        fake.stop()
    if find_description() is not None:
        errors = conformance_errors(fake.exchanges)
        assert not errors, "the fake GitHub sent responses that break the REST API description:\n" + "\n".join(errors)
