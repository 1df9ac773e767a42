"""The GitHub adapter: `PyGithubGateway` implements `bot.gateway.GitHubGateway` with PyGithub.

This is the only module in the project that imports PyGithub (`github`). One gateway talks for one App
installation; its PyGithub client asks the `TokenProvider` for a token on every request, so a cached
installation token is refreshed without rebuilding the client.

Every `GithubException` becomes one of ours, keyed by HTTP status (`bot.errors.error_for_status`, the
`GitHubError` tree in `bot/errors.py`); tokens never appear in messages or logs.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from github import Auth, Github, GithubException, GithubRetry, InputGitTreeElement
from pydantic import BaseModel, ConfigDict, Field

from bot.errors import GitHubError, GitHubFileTooLarge, GitHubNotFound, error_for_status, response_header
from bot.gateway import ArtifactInfo, CheckConclusion, CheckStatus, CommitInfo, IssueInfo, Permission, PullInfo

if TYPE_CHECKING:
    from bot.github_auth import TokenProvider

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
_ROLES = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}
_PERMISSIONS = cast(Mapping[str, Permission], _ROLES)


def _github_message(data: Any) -> str:
    if isinstance(data, dict):
        text = str(data.get("message") or "no message")
        details = data.get("errors")
        if isinstance(details, list) and details:
            text += ": " + "; ".join(
                str(e.get("message") or e.get("code")) if isinstance(e, dict) else str(e) for e in details
            )
        return text
    return str(data)[:200] if data else "no message"


class ClientOptions(BaseModel):
    """How the PyGithub client behaves: timeouts, paging, throttling and rate-limit retries."""

    model_config = ConfigDict(frozen=True)

    timeout_s: float = Field(default=15.0, gt=0)
    per_page: int = Field(default=100, ge=1, le=100)
    retries: int = Field(default=5, ge=0, description="0 disables retries")
    backoff_factor: float = Field(default=1.0, ge=0)
    secondary_rate_wait_s: float = Field(default=60.0, ge=0)
    max_rate_limit_wait_s: float = Field(default=300.0, ge=0, description="longer waits raise instead")
    throttle: bool = Field(default=True, description="PyGithub's pause between requests and between writes")

    @classmethod
    def for_tests(cls, retries: int = 0) -> ClientOptions:
        """No throttling and, unless asked, no retries: fast tests against the fake server."""
        return cls(
            retries=retries,
            backoff_factor=0.05,
            secondary_rate_wait_s=0.1,
            max_rate_limit_wait_s=5,
            throttle=False,
        )


RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def build_retry(options: ClientOptions) -> GithubRetry | None:
    """A urllib3 retry that backs off on rate-limit 403/429 responses and 5xx, or None when disabled."""
    if options.retries == 0:
        return None
    return GithubRetry(
        secondary_rate_wait=options.secondary_rate_wait_s,
        max_rate_limit_wait=options.max_rate_limit_wait_s,
        total=options.retries,
        backoff_factor=options.backoff_factor,
        status_forcelist=[429, *range(500, 600)],
        # urllib3 leaves PATCH out: our edits (comment body, check run, fast-forward with force=false) are
        # idempotent, so a 502/429 on them is retried like one on a read
        allowed_methods=RETRIED_METHODS,
        raise_on_status=False,
    )


class _InstallationAuth(Auth.Auth):
    """PyGithub auth asking the provider for the installation token on every request (it caches)."""

    def __init__(self, tokens: TokenProvider, installation_id: int) -> None:
        self._tokens = tokens
        self._installation_id = installation_id

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._tokens.token(self._installation_id)

    @property
    def _masked_token(self) -> str:
        return "token (removed)"


class PyGithubGateway:
    """`GitHubGateway` for one App installation, over PyGithub."""

    def __init__(
        self,
        tokens: TokenProvider,
        installation_id: int,
        *,
        bot_login: str,
        base_url: str = DEFAULT_API_URL,
        options: ClientOptions | None = None,
    ) -> None:
        self.bot_login = bot_login
        self.installation_id = installation_id
        opts = options or ClientOptions()
        self._timeout_s = opts.timeout_s
        self._client = Github(
            auth=_InstallationAuth(tokens, installation_id),
            base_url=base_url.rstrip("/"),
            timeout=int(opts.timeout_s),
            per_page=opts.per_page,
            retry=build_retry(opts),
            seconds_between_requests=0.25 if opts.throttle else None,
            seconds_between_writes=1.0 if opts.throttle else None,
            lazy=True,
            user_agent="ml-intern-bot",
        )

    def close(self) -> None:
        self._client.close()

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except GithubException as exc:
            error = error_for_status(exc.status, f"{what}: {_github_message(exc.data)}", exc.headers)
            level = logging.DEBUG if exc.status == 404 else logging.WARNING
            logger.log(level, "GitHub call failed: %s (HTTP %s)", what, exc.status)
            raise error from None
        except OSError as exc:  # requests' ConnectionError/Timeout derive from OSError
            raise GitHubError(
                f"{what}: could not reach GitHub ({type(exc).__name__}); check INTERN_GITHUB_API_URL"
            ) from None

    def _repo(self, repo: str) -> Any:
        return self._client.get_repo(repo)

    def permission(self, repo: str, user: str) -> Permission:
        try:
            with self._calling(f"reading {user}'s permission on {repo}"):
                raw = self._repo(repo).get_collaborator_permission(user)
        except GitHubNotFound:
            return "none"
        return _PERMISSIONS.get(str(raw), "none")

    def add_reaction(self, repo: str, comment_id: int, content: str) -> None:
        with self._calling(f"reacting {content!r} to comment {comment_id} in {repo}"):
            url = f"{self._repo(repo).url}/issues/comments/{comment_id}/reactions"
            self._client.requester.requestJsonAndCheck("POST", url, input={"content": content})

    def get_issue(self, repo: str, number: int) -> IssueInfo:
        with self._calling(f"reading issue #{number} in {repo}"):
            issue = self._repo(repo).get_issue(number)
            return IssueInfo(number=issue.number, title=issue.title, body=issue.body or "", author=issue.user.login)

    def default_branch(self, repo: str) -> str:
        with self._calling(f"reading the default branch of {repo}"):
            return str(self._repo(repo).default_branch)

    def branch_sha(self, repo: str, branch: str) -> str | None:
        try:
            with self._calling(f"reading branch {branch!r} of {repo}"):
                return str(self._repo(repo).get_git_ref(f"heads/{branch}").object.sha)
        except GitHubNotFound:
            return None

    def read_file(self, repo: str, path: str, ref: str, max_bytes: int | None = None) -> bytes | None:
        try:
            with self._calling(f"reading {path} at {ref} in {repo}"):
                handle = self._repo(repo)
                content = handle.get_contents(path, ref=ref)
                if isinstance(content, list) or content.type != "file":
                    return None
                if max_bytes is not None and content.size > max_bytes:
                    raise GitHubFileTooLarge(f"{path} in {repo} is {content.size} bytes, over the {max_bytes}-byte cap")
                if content.encoding == "base64":
                    return cast(bytes, content.decoded_content)
                blob = handle.get_git_blob(content.sha)  # files over 1 MB come without inline content
                return base64.b64decode(blob.content)
        except GitHubNotFound:
            return None

    def commit_files(self, repo: str, branch: str, base_sha: str, files: dict[str, bytes], message: str) -> str:
        if not files:
            raise ValueError("commit_files needs at least one file")
        with self._calling(f"committing {len(files)} file(s) to {branch!r} in {repo}"):
            handle = self._repo(repo)
            elements = []
            for path, data in sorted(files.items()):
                blob = handle.create_git_blob(base64.b64encode(data).decode("ascii"), "base64")
                elements.append(InputGitTreeElement(path, "100644", "blob", sha=blob.sha))
            parent = handle.get_git_commit(base_sha)
            tree = handle.create_git_tree(elements, base_tree=parent.tree)
            commit = handle.create_git_commit(message, tree, [parent])
            sha = str(commit.sha)
        if self.branch_sha(repo, branch) is None:
            with self._calling(f"creating branch {branch!r} in {repo}"):
                handle.create_git_ref(ref=f"refs/heads/{branch}", sha=sha)
        else:
            with self._calling(f"fast-forwarding branch {branch!r} in {repo} to {sha[:12]}"):
                url = f"{handle.url}/git/refs/heads/{urllib.parse.quote(branch)}"
                self._client.requester.requestJsonAndCheck("PATCH", url, input={"sha": sha, "force": False})
        return sha

    def open_pull(self, repo: str, head: str, base: str, title: str, body: str) -> PullInfo:
        with self._calling(f"opening a pull request {head} -> {base} in {repo}"):
            return _pull_info(self._repo(repo).create_pull(base, head, title=title, body=body))

    def get_pull(self, repo: str, number: int) -> PullInfo:
        with self._calling(f"reading pull request #{number} in {repo}"):
            return _pull_info(self._repo(repo).get_pull(number))

    def pull_commits(self, repo: str, number: int) -> list[CommitInfo]:
        with self._calling(f"listing the commits of pull request #{number} in {repo}"):
            return [
                CommitInfo(
                    sha=commit.sha,
                    author_login=commit.author.login if commit.author is not None else None,
                    committer_login=commit.committer.login if commit.committer is not None else None,
                )
                for commit in self._repo(repo).get_pull(number).get_commits()
            ]

    def last_push_approval_required(self, repo: str, branch: str) -> bool:
        with self._calling(f"reading the rules of branch {branch!r} in {repo}"):
            url = f"{self._repo(repo).url}/rules/branches/{urllib.parse.quote(branch, safe='')}"
            _headers, data = self._client.requester.requestJsonAndCheck("GET", url, parameters={"per_page": 100})
        return requires_last_push_approval(data)

    def upsert_comment(
        self, repo: str, issue_number: int, marker: str, body: str, comment_id: int | None = None
    ) -> int:
        if marker not in body:
            raise ValueError("the comment body must contain its marker, or the next upsert cannot find it")
        if comment_id is not None:  # one PATCH, instead of paging through every comment of the issue
            try:
                with self._calling(f"editing comment {comment_id} on #{issue_number} in {repo}"):
                    url = f"{self._repo(repo).url}/issues/comments/{comment_id}"
                    self._client.requester.requestJsonAndCheck("PATCH", url, input={"body": body})
                return comment_id
            except GitHubNotFound:
                logger.info("comment %s on #%s in %s is gone; searching for the marker", comment_id, issue_number, repo)
        with self._calling(f"posting the comment on #{issue_number} in {repo}"):
            issue = self._repo(repo).get_issue(issue_number)
            for comment in issue.get_comments():
                if comment.user.login == self.bot_login and marker in (comment.body or ""):
                    comment.edit(body)
                    return int(comment.id)
            return int(issue.create_comment(body).id)

    def create_check_run(
        self,
        repo: str,
        head_sha: str,
        name: str,
        status: CheckStatus,
        conclusion: CheckConclusion | None,
        title: str,
        summary: str,
    ) -> int:
        extra: dict[str, Any] = {"conclusion": conclusion} if conclusion is not None else {}
        with self._calling(f"creating check run {name!r} on {head_sha[:12]} in {repo}"):
            run = self._repo(repo).create_check_run(
                name, head_sha, status=status, output={"title": title, "summary": summary}, **extra
            )
            return int(run.id)

    def update_check_run(
        self,
        repo: str,
        check_run_id: int,
        status: CheckStatus,
        conclusion: CheckConclusion | None,
        title: str,
        summary: str,
    ) -> None:
        extra: dict[str, Any] = {"conclusion": conclusion} if conclusion is not None else {}
        with self._calling(f"updating check run {check_run_id} in {repo}"):
            run = self._repo(repo).get_check_run(check_run_id)
            run.edit(status=status, output={"title": title, "summary": summary}, **extra)

    def dispatch_workflow(self, repo: str, workflow_file: str, ref: str, inputs: dict[str, str]) -> None:
        with self._calling(f"dispatching workflow {workflow_file} on {ref!r} in {repo}"):
            self._repo(repo).get_workflow(workflow_file).create_dispatch(ref=ref, inputs=inputs, throw=True)

    def list_run_artifacts(self, repo: str, run_id: int) -> list[ArtifactInfo]:
        with self._calling(f"listing the artifacts of run {run_id} in {repo}"):
            return [
                ArtifactInfo(id=a.id, name=a.name, size_in_bytes=a.size_in_bytes, expired=bool(a.expired))
                for a in self._repo(repo).get_workflow_run(run_id).get_artifacts()
            ]

    def download_artifact(self, repo: str, artifact_id: int, max_bytes: int = 50 * 1024 * 1024) -> bytes:
        what = f"downloading artifact {artifact_id} from {repo}"
        with self._calling(what):
            url = f"{self._repo(repo).url}/actions/artifacts/{artifact_id}/zip"
            status, headers, output = self._client.requester.requestJson("GET", url)
        if status >= 400:
            raise error_for_status(status, f"{what}: {_github_message(_parse_json(output))}", headers)
        location = response_header(headers, "location")
        if status != 302 or not location:
            raise GitHubError(f"{what}: expected a 302 redirect to the archive, got HTTP {status}", status)
        return _download_unauthenticated(location, what, self._timeout_s, max_bytes)


def _parse_json(text: Any) -> Any:
    with contextlib.suppress(ValueError):
        return json.loads(text) if isinstance(text, str) and text else None
    return None


def _read_capped(response: Any, what: str, max_bytes: int) -> bytes:
    """The body in chunks, refused as soon as it passes `max_bytes` (a declared Content-Length too)."""
    declared = response.headers.get("Content-Length") if response.headers else None
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise GitHubError(f"{what}: the archive is {int(declared)} bytes, over the {max_bytes}-byte limit")
    chunks: list[bytes] = []
    size = 0
    while chunk := cast(bytes, response.read(1024 * 1024)):
        size += len(chunk)
        if size > max_bytes:
            raise GitHubError(f"{what}: the archive is over the {max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _download_unauthenticated(url: str, what: str, timeout_s: float, max_bytes: int) -> bytes:
    """Fetch the signed storage URL GitHub redirected to, without our token (it must not leave GitHub)."""
    request = urllib.request.Request(url, headers={"User-Agent": "ml-intern-bot"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return _read_capped(response, what, max_bytes)
    except urllib.error.HTTPError as exc:
        raise error_for_status(exc.code, f"{what}: the archive storage answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise GitHubError(f"{what}: could not fetch the archive ({type(exc).__name__})") from None


def requires_last_push_approval(rules: Any) -> bool:
    """Whether GitHub's "rules for a branch" answer holds a `pull_request` rule with `require_last_push_approval`
    (pure)."""
    if not isinstance(rules, list):
        return False
    return any(
        isinstance(rule, dict)
        and rule.get("type") == "pull_request"
        and isinstance(rule.get("parameters"), dict)
        and rule["parameters"].get("require_last_push_approval") is True
        for rule in rules
    )


def _pull_info(pull: Any) -> PullInfo:
    head_repo = pull.head.repo
    return PullInfo(
        number=pull.number,
        url=pull.html_url,
        state=pull.state,
        merged=bool(pull.merged),
        head_ref=pull.head.ref,
        head_sha=pull.head.sha,
        head_repo=head_repo.full_name if head_repo is not None else "",
        base_ref=pull.base.ref,
    )
