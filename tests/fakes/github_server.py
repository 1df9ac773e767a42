"""A fake GitHub REST API on 127.0.0.1 (ephemeral port), in memory, for PyGithub to talk to over loopback.

    fake = FakeGitHub(); fake.start()          # or the `fake_github` pytest fixture below
    fake.add_repo("octo/demo", files={"data.csv": b"text,label\n"}, collaborators={"alice": "write"})
    gateway = PyGithubGateway(StaticTokenProvider(fake.token), 1, bot_login=fake.bot_login, base_url=fake.api)

What it keeps: repos (default branch, collaborators), refs, blobs, trees, commits, contents, issues and comments
(paginated with Link headers), reactions, pulls (create, get, merge), reviews, check runs, workflow dispatches
(checked against the workflow's `workflow_dispatch.inputs`), workflow runs and artifacts (the zip download
answers 302 to a `localhost` storage URL, as GitHub redirects to blob storage), and the App's installation
access tokens (the JWT is verified with the key given to `trust_app_key`). `rate_limit()` makes the next
requests fail the way GitHub's primary or secondary limits do. Every exchange is recorded in `exchanges`; the
fixture checks them all against GitHub's REST API description when `@octokit/openapi` is installed (see
`github_openapi.py`). Routes live in `github_routes.py`, bodies in `github_payloads.py`, state in `github_state.py`.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import jwt
import pytest

from tests.fakes import github_payloads as P
from tests.fakes import github_routes, github_routes_actions, github_routes_git
from tests.fakes.github_router import ROUTES, Reply
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

_REGISTERED = (github_routes, github_routes_git, github_routes_actions)  # importing them registers the routes
RateLimitKind = Literal["primary", "secondary", "429"]


@dataclass
class Exchange:
    """One request the fake answered, for assertions and the OpenAPI conformance check."""

    method: str
    path: str
    template: str | None
    status: int
    body: Any
    headers: dict[str, str]
    at: float
    authorization: bool


@dataclass
class _RateLimit:
    kind: RateLimitKind
    remaining: int
    retry_after: int | None
    reset_in: int


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
        self._lock = threading.RLock()
        self._tokens: dict[str, tuple[str, float]] = {self.token: (self.bot_login, float("inf"))}
        self._app_key: str | None = None
        self._rate_limit: _RateLimit | None = None
        self._failures: list[tuple[int, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.issued_tokens: list[str] = []

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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
        with self._lock:
            repo = Repo(full_name, P.stable_id(full_name), default_branch, private, dict(collaborators or {}))
            repo.commit_files(
                default_branch, files or {"README.md": b"# demo\n"}, "Initial commit", repo.owner
            )
            self.repos[full_name] = repo
            return repo

    def set_permission(self, repo: str, user: str, permission: str) -> None:
        """`admin`, `maintain`, `write`, `triage`, `read`, or `none` to remove the collaborator."""
        with self._lock:
            if permission == "none":
                self.repo(repo).collaborators.pop(user, None)
            else:
                self.repo(repo).collaborators[user] = permission

    def push(
        self, repo: str, branch: str, files: dict[str, bytes], message: str = "push", author: str = "alice"
    ) -> str:
        """A commit on `branch` as a human would push it (creates the branch from nothing when missing)."""
        with self._lock:
            return self.repo(repo).commit_files(branch, files, message, author)

    def add_issue(self, repo: str, title: str, body: str = "", author: str = "alice") -> int:
        with self._lock:
            handle = self.repo(repo)
            number = self.next_number(handle)
            handle.issues[number] = Issue(number, title, body, author)
            return number

    def add_comment(self, repo: str, issue_number: int, user: str, body: str) -> int:
        with self._lock:
            stamp = now_iso()
            item = Comment(self.next_id(), issue_number, user, body, stamp, stamp)
            self.repo(repo).comments[item.id] = item
            return item.id

    def add_review(
        self, repo: str, pull_number: int, user: str, state: str = "APPROVED", commit_id: str | None = None
    ) -> int:
        with self._lock:
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
        with self._lock:
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
        with self._lock:
            handle = self.repo(repo)
            return self.merge(handle, handle.pulls[number], merged_by, None)

    def trust_app_key(self, public_key_pem: str) -> None:
        """Accept App JWTs signed by the matching private key at `POST /app/installations/{id}/access_tokens`."""
        self._app_key = public_key_pem

    def rate_limit(
        self,
        kind: RateLimitKind = "primary",
        times: int = 1,
        retry_after: int | None = None,
        reset_in: int = 1,
    ) -> None:
        """Answer the next `times` API requests with a rate-limit refusal (403 or 429, as GitHub does)."""
        self._rate_limit = _RateLimit(kind, times, retry_after, reset_in)

    def fail_next(self, status: int, message: str, times: int = 1) -> None:
        """Answer the next `times` API requests with `status` and GitHub's error body carrying `message`."""
        self._failures = [(status, message)] * times

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
        self._tokens[token] = (self.bot_login, expires.timestamp())
        self.issued_tokens.append(token)
        return token, expires.strftime("%Y-%m-%dT%H:%M:%SZ")

    def login_for(self, path: str, authorization: str) -> str:
        scheme, _, credential = authorization.partition(" ")
        if path.startswith("/app/"):
            if scheme.lower() != "bearer" or self._app_key is None:
                raise FakeGitHubError(401, "A JSON web token could not be decoded")
            try:
                claims = jwt.decode(
                    credential,
                    self._app_key,
                    algorithms=["RS256"],
                    options={"require": ["iat", "exp", "iss"]},
                )
            except jwt.PyJWTError as exc:
                raise FakeGitHubError(
                    401, f"A JSON web token could not be decoded ({type(exc).__name__})"
                ) from exc
            if str(claims["iss"]) != str(self.app_id) or claims["exp"] > time.time() + 600 + 30:
                raise FakeGitHubError(
                    401, "'Issuer' claim ('iss') must be an Integer, or 'exp' is too far in the future"
                )
            return self.app_slug
        login, expires = self._tokens.get(credential, ("", 0.0))
        if scheme.lower() not in ("token", "bearer") or not login or expires < time.time():
            raise FakeGitHubError(401, "Bad credentials")
        return login

    def take_rate_limit(self) -> Reply | None:
        limit = self._rate_limit
        if limit is None or limit.remaining <= 0:
            return None
        limit.remaining -= 1
        reset = str(int(time.time()) + limit.reset_in)
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-used": "5000", "x-ratelimit-reset": reset}
        if limit.kind == "secondary":
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            )
            headers["x-ratelimit-remaining"] = "4000"
        else:
            message = "API rate limit exceeded for installation ID 1."
            headers["x-ratelimit-remaining"] = "0"
        if limit.retry_after is not None:
            headers["retry-after"] = str(limit.retry_after)
        status = 429 if limit.kind == "429" else 403
        return Reply(
            status, {"message": message, "documentation_url": "https://docs.github.com/rest"}, headers
        )

    # --- dispatch ----------------------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[Reply, str | None]:
        parsed = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(parsed.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        template = None
        for verb, candidate, pattern, handler in ROUTES:
            match = pattern.match(path)
            if verb == method and match:
                template = candidate
                break
        try:
            limited = self.take_rate_limit()
            if limited is not None:
                return limited, template
            login = self.login_for(path, headers.get("authorization", ""))
            if self._failures:
                raise FakeGitHubError(*self._failures.pop())
            if template is None:
                raise FakeGitHubError(404, "Not Found")
            body = json.loads(raw_body) if raw_body.strip() else None
            with self._lock:
                reply = handler(self, match.groupdict() if match else {}, query, body, login)
            return (self._paginate(reply, query, path) if reply.paginate else reply), template
        except FakeGitHubError as exc:
            return Reply(exc.status, P.error(exc.message, exc.status)), template
        except json.JSONDecodeError:
            return Reply(400, P.error("Problems parsing JSON", 400)), template

    def _paginate(self, reply: Reply, query: dict[str, str], path: str) -> Reply:
        items = list(reply.body)
        per_page = max(1, min(100, int(query.get("per_page", 30))))
        page = max(1, int(query.get("page", 1)))
        last = max(1, -(-len(items) // per_page))
        links = []
        for rel, number in (("prev", page - 1), ("next", page + 1), ("first", 1), ("last", last)):
            if 1 <= number <= last and (rel in ("prev", "next") or page != number):
                url = f"{self.api}{path}?{urllib.parse.urlencode({**query, 'per_page': per_page, 'page': number})}"
                links.append(f'<{url}>; rel="{rel}"')
        headers = {k: v for k, v in reply.headers.items() if k != "x-list-key"}
        if links:
            headers["Link"] = ", ".join(links)
        chunk = items[(page - 1) * per_page : page * per_page]
        key = reply.headers.get("x-list-key")
        body: Any = {"total_count": len(items), key: chunk} if key else chunk
        return Reply(reply.status, body, headers)

    def serve_storage(self, path: str, authorized: bool) -> bytes | None:
        artifact_id = int(path.rsplit("/", 1)[-1].split(".", 1)[0])
        self.storage_requests.append({"artifact_id": artifact_id, "authorization": authorized})
        for repo in self.repos.values():
            if artifact_id in repo.artifacts:
                return repo.artifacts[artifact_id].data
        return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # one write per response: no Nagle/delayed-ACK stalls on keep-alive connections
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path.startswith("/_storage/"):
            data = self.fake.serve_storage(urllib.parse.urlsplit(self.path).path, "authorization" in headers)
            self._send(200 if data is not None else 404, data or b"", {"Content-Type": "application/zip"})
            return
        reply, template = self.fake.handle(self.command, self.path, headers, raw_body)
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        out = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Request-Id": uuid.uuid4().hex[:16].upper(),
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            **reply.headers,
        }
        self.fake.exchanges.append(
            Exchange(
                self.command,
                self.path,
                template,
                reply.status,
                reply.body,
                out,
                time.monotonic(),
                "authorization" in headers,
            )
        )
        self._send(reply.status, payload, out)

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


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
        assert not errors, (
            "the fake GitHub sent responses that break the REST API description:\n" + "\n".join(errors)
        )
