"""An in-memory `GitHubGateway` for unit tests: repos with branches and commits, PRs, comments, checks, runs.

It keeps the rules the real gateway meets on GitHub (tests/integration/bot/test_gateway_contract.py runs the same
cases against both): a branch only fast-forwards, a missing base commit is GitHubNotFound, `upsert_comment` needs
its marker in the body and edits only a comment the App itself wrote.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from bot.errors import BotError, GitHubConflict, GitHubFileTooLarge, GitHubNotFound
from bot.gateway import ArtifactInfo, CheckConclusion, CheckStatus, CommitInfo, IssueInfo, Permission, PullInfo


@dataclass
class FakeRepo:
    default_branch: str = "main"
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    commit_messages: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    issues: dict[int, IssueInfo] = field(default_factory=dict)
    pulls: dict[int, PullInfo] = field(default_factory=dict)
    comments: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> (issue number, body)
    comment_authors: dict[int, str] = field(default_factory=dict)
    reactions: list[tuple[int, str]] = field(default_factory=list)
    checks: dict[int, dict[str, object]] = field(default_factory=dict)
    dispatches: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    artifacts: dict[int, list[tuple[ArtifactInfo, bytes]]] = field(default_factory=dict)
    commit_authors: dict[str, str | None] = field(default_factory=dict)  # sha -> login (absent: the app)
    pull_shas: dict[int, list[str]] = field(default_factory=dict)  # PR number -> its commits, oldest first
    last_push_rule: set[str] = field(default_factory=set)  # branches whose ruleset requires last-push approval


PULL_COMMITS_CAP = 250


class FakeGateway:
    bot_login = "ml-intern[bot]"

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self._ids = 100
        self.calls: list[str] = []
        self.comment_searches = 0  # upserts that had to look for the marker

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    def add_repo(self, name: str, files: dict[str, bytes], branch: str = "main") -> FakeRepo:
        repo = FakeRepo(default_branch=branch)
        sha = hashlib.sha1(repr(sorted(files.items())).encode()).hexdigest()
        repo.commits[sha] = dict(files)
        repo.branches[branch] = sha
        self.repos[name] = repo
        return repo

    # --- Protocol ------------------------------------------------------------------------------------------
    def permission(self, repo: str, user: str) -> Permission:
        self.calls.append(f"permission {user}")
        return self.repos[repo].permissions.get(user, "read")

    def add_reaction(self, repo: str, comment_id: int, content: str) -> None:
        self.repos[repo].reactions.append((comment_id, content))

    def get_issue(self, repo: str, number: int) -> IssueInfo:
        return self.repos[repo].issues[number]

    def default_branch(self, repo: str) -> str:
        return self.repos[repo].default_branch

    def branch_sha(self, repo: str, branch: str) -> str | None:
        return self.repos[repo].branches.get(branch)

    def read_file(self, repo: str, path: str, ref: str, max_bytes: int | None = None) -> bytes | None:
        data = self.repos[repo]
        sha = data.branches.get(ref, ref)
        content = data.commits.get(sha, {}).get(path)
        if content is not None and max_bytes is not None and len(content) > max_bytes:
            raise GitHubFileTooLarge(f"{path} in {repo} is {len(content)} bytes, over the {max_bytes}-byte cap")
        return content

    def _descends(self, data: FakeRepo, sha: str, ancestor: str) -> bool:
        current: str | None = sha
        while current is not None:
            if current == ancestor:
                return True
            current = data.parents.get(current)
        return False

    def commit_files(self, repo: str, branch: str, base_sha: str, files: dict[str, bytes], message: str) -> str:
        if not files:
            raise ValueError("commit_files needs at least one file")
        data = self.repos[repo]
        if base_sha not in data.commits:
            raise GitHubNotFound(f"committing to {branch!r} in {repo}: No commit found for the ref {base_sha}", 404)
        head = data.branches.get(branch)
        if head is not None and not self._descends(data, base_sha, head):
            raise GitHubConflict(f"fast-forwarding branch {branch!r} in {repo}: Update is not a fast forward", 422)
        tree = {**data.commits[base_sha], **files}
        sha = hashlib.sha1(f"{base_sha}{message}{sorted(files.items())!r}{self._next()}".encode()).hexdigest()
        data.commits[sha] = tree
        data.commit_messages[sha] = message
        data.parents[sha] = base_sha
        data.branches[branch] = sha
        for number, pull in data.pulls.items():
            if pull.head_ref == branch:
                data.pulls[number] = pull.model_copy(update={"head_sha": sha})
                data.pull_shas.setdefault(number, []).append(sha)
        return sha

    def open_pull(self, repo: str, head: str, base: str, title: str, body: str) -> PullInfo:
        data = self.repos[repo]
        number = self._next()
        pull = PullInfo(
            number=number,
            url=f"https://github.com/{repo}/pull/{number}",
            state="open",
            merged=False,
            head_ref=head,
            head_sha=data.branches[head],
            head_repo=repo,
            base_ref=base,
        )
        data.pulls[number] = pull
        data.pull_shas[number] = [pull.head_sha]
        data.issues[number] = IssueInfo(number=number, title=title, body=body, author="ml-intern[bot]")
        return pull

    def get_pull(self, repo: str, number: int) -> PullInfo:
        return self.repos[repo].pulls[number]

    def pull_commits(self, repo: str, number: int) -> list[CommitInfo]:
        data = self.repos[repo]
        shas = data.pull_shas.get(number, [])[:PULL_COMMITS_CAP]  # GitHub lists the first 250, no more
        logins = {sha: data.commit_authors.get(sha, "ml-intern[bot]") for sha in shas}
        return [CommitInfo(sha=sha, author_login=logins[sha], committer_login=logins[sha]) for sha in shas]

    def last_push_approval_required(self, repo: str, branch: str) -> bool:
        return branch in self.repos[repo].last_push_rule

    def upsert_comment(
        self, repo: str, issue_number: int, marker: str, body: str, comment_id: int | None = None
    ) -> int:
        if marker not in body:
            raise ValueError("the comment body must contain its marker, or the next upsert cannot find it")
        data = self.repos[repo]
        if comment_id is not None and comment_id in data.comments:
            data.comments[comment_id] = (data.comments[comment_id][0], body)
            return comment_id
        self.comment_searches += 1
        for comment_id, (number, text) in data.comments.items():
            ours = data.comment_authors.get(comment_id, self.bot_login) == self.bot_login
            if number == issue_number and ours and marker in text:
                data.comments[comment_id] = (number, body)
                return comment_id
        return self.add_comment(repo, issue_number, self.bot_login, body)

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
        check_id = self._next()
        self.repos[repo].checks[check_id] = {
            "name": name,
            "head_sha": head_sha,
            "status": status,
            "conclusion": conclusion,
            "title": title,
            "summary": summary,
        }
        return check_id

    def update_check_run(
        self,
        repo: str,
        check_run_id: int,
        status: CheckStatus,
        conclusion: CheckConclusion | None,
        title: str,
        summary: str,
    ) -> None:
        self.repos[repo].checks[check_run_id].update(status=status, conclusion=conclusion, title=title, summary=summary)

    def dispatch_workflow(self, repo: str, workflow_file: str, ref: str, inputs: dict[str, str]) -> None:
        if "/" in workflow_file:  # GitHub takes a file name or an id; a path is a 404
            raise GitHubNotFound(f"dispatching workflow {workflow_file}: Not Found", 404)
        self.repos[repo].dispatches.append((workflow_file, ref, dict(inputs)))

    def list_run_artifacts(self, repo: str, run_id: int) -> list[ArtifactInfo]:
        return [info for info, _ in self.repos[repo].artifacts.get(run_id, [])]

    def download_artifact(self, repo: str, artifact_id: int, max_bytes: int = 50 * 1024 * 1024) -> bytes:
        self.calls.append(f"download {artifact_id}")
        for entries in self.repos[repo].artifacts.values():
            for info, data in entries:
                if info.id == artifact_id:
                    if len(data) > max_bytes:
                        raise BotError(f"artifact {artifact_id} is over {max_bytes} bytes")
                    return data
        raise KeyError(artifact_id)

    # --- helpers for tests ------------------------------------------------------------------------------------
    def add_issue(self, repo: str, title: str, body: str = "", author: str = "alice") -> int:
        number = self._next()
        self.repos[repo].issues[number] = IssueInfo(number=number, title=title, body=body, author=author)
        return number

    def add_comment(self, repo: str, issue_number: int, user: str, body: str) -> int:
        comment_id = self._next()
        self.repos[repo].comments[comment_id] = (issue_number, body)
        self.repos[repo].comment_authors[comment_id] = user
        return comment_id

    def add_artifact(self, repo: str, run_id: int, name: str, data: bytes) -> None:
        info = ArtifactInfo(id=self._next(), name=name, size_in_bytes=len(data))
        self.repos[repo].artifacts.setdefault(run_id, []).append((info, data))

    def push_as(
        self, repo: str, branch: str, login: str | None, files: dict[str, bytes], *, author: str | None = ""
    ) -> str:
        """`login` pushes a commit to `branch`; its author and committer are `author` (default: `login`; None:
        an address no account claims), as git lets anyone write any name and e-mail into a commit."""
        base = self.repos[repo].branches[branch]
        sha = self.commit_files(repo, branch, base, files, f"push by {login}")
        self.repos[repo].commit_authors[sha] = login if author == "" else author
        return sha

    def comments_on(self, repo: str, number: int) -> list[str]:
        return [body for n, body in self.repos[repo].comments.values() if n == number]
