"""PyGithubGateway against the fake GitHub over loopback: every Protocol method, errors and retries."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.errors import GitHubConflict, GitHubError, GitHubForbidden, GitHubNotFound, GitHubRateLimited
from bot.gateway import GitHubGateway
from bot.github import ClientOptions, PyGithubGateway
from bot.github_auth import AppTokenProvider, StaticTokenProvider
from tests.fakes.github_server import FakeGitHub
from tests.fakes.zips import zip_files

pytestmark = pytest.mark.integration

REPO = "octo/demo"
WORKFLOW = b"""name: intern
on:
  pull_request:
  workflow_dispatch:
    inputs:
      run_id: {required: true, type: string}
      flavour: {default: cpu, type: string}
jobs:
  smoke: {runs-on: ubuntu-latest, steps: [{run: echo hi}]}
"""

Make = Callable[..., PyGithubGateway]


@pytest.fixture
def make(fake_github: FakeGitHub) -> Make:
    fake_github.add_repo(
        REPO,
        files={"README.md": b"# demo\n", ".github/workflows/intern.yml": WORKFLOW},
        collaborators={"alice": "write", "mo": "maintain", "tri": "triage", "reed": "read", "ada": "admin"},
    )

    def build(retries: int = 0, per_page: int = 100, token: str | None = None) -> PyGithubGateway:
        options = ClientOptions.for_tests(retries=retries).model_copy(update={"per_page": per_page})
        tokens = StaticTokenProvider(token or fake_github.token)
        return PyGithubGateway(tokens, 1, bot_login=fake_github.bot_login, base_url=fake_github.api, options=options)

    return build


def test_it_satisfies_the_protocol(make: Make) -> None:
    gateway: GitHubGateway = make()
    assert gateway.default_branch(REPO) == "main"


def test_the_last_push_approval_rule_is_read_from_the_branch_rulesets(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    assert gateway.last_push_approval_required(REPO, "main") is False
    fake_github.require_last_push_approval(REPO, "main")
    assert gateway.last_push_approval_required(REPO, "main") is True
    assert gateway.last_push_approval_required(REPO, "other") is False


def test_a_file_over_the_cap_is_refused_before_its_content_is_fetched(make: Make, fake_github: FakeGitHub) -> None:
    """Issue #17, L3: the size GitHub reports decides; a file over 1 MB is never fetched through the blob API."""
    from bot.errors import GitHubFileTooLarge

    gateway = make()
    fake_github.push(REPO, "main", {"data/big.csv": b"text,label\n" + b"x,y\n" * 400_000})
    before = len(fake_github.exchanges)
    with pytest.raises(GitHubFileTooLarge, match="over the 1000-byte cap"):
        gateway.read_file(REPO, "data/big.csv", "main", max_bytes=1000)
    assert not [e for e in fake_github.exchanges[before:] if "/git/blobs/" in (e.template or "")]
    assert gateway.read_file(REPO, "README.md", "main", max_bytes=1000) == b"# demo\n"


def test_permission_maps_maintain_to_write_and_triage_to_read(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    seen = {user: gateway.permission(REPO, user) for user in ("octo", "ada", "alice", "mo", "tri", "reed")}
    assert seen == {
        "octo": "admin",
        "ada": "admin",
        "alice": "write",
        "mo": "write",
        "tri": "read",
        "reed": "read",
    }
    fake_github.add_repo("octo/private", private=True)
    assert gateway.permission("octo/private", "stranger") == "none"
    fake_github.set_permission(REPO, "alice", "none")
    assert gateway.permission(REPO, "alice") == "read", "a public repo grants read to everyone"


def test_branches_and_files(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    main = fake_github.push(REPO, "main", {"data/big.bin": bytes(range(256)) * 4200, "data/x.csv": b"a,b\n"})
    assert gateway.branch_sha(REPO, "main") == main
    assert gateway.branch_sha(REPO, "no/such-branch") is None
    assert gateway.read_file(REPO, "data/x.csv", "main") == b"a,b\n"
    assert gateway.read_file(REPO, "data/big.bin", main) == bytes(range(256)) * 4200, "over 1 MB: via the blob"
    assert gateway.read_file(REPO, "data", "main") is None, "a directory is not a file"
    assert gateway.read_file(REPO, "missing.txt", "main") is None


def test_commit_files_makes_one_commit_with_every_file_then_fast_forwards(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    base = fake_github.files(REPO, "main")
    base_sha = gateway.branch_sha(REPO, "main")
    assert base_sha is not None
    files = {
        "train.py": b"print('hi')\n",
        ".github/workflows/intern.yml": b"on: push\n",
        "img.png": b"\x89PNG\x00\xff",
    }

    first = gateway.commit_files(REPO, "intern/run-1", base_sha, files, "Scaffold the run")

    assert gateway.branch_sha(REPO, "intern/run-1") == first
    commit = fake_github.commit(REPO, first)
    assert commit.parents == [base_sha] and commit.message == "Scaffold the run"
    assert fake_github.files(REPO, first) == {**base, **files}, "base tree kept, files added in one commit"

    second = gateway.commit_files(REPO, "intern/run-1", first, {"reports/cm.png": b"png"}, "Plot")
    assert fake_github.commit(REPO, second).parents == [first]
    assert gateway.branch_sha(REPO, "intern/run-1") == second

    with pytest.raises(GitHubConflict, match="fast forward"):
        gateway.commit_files(REPO, "intern/run-1", base_sha, {"x.txt": b"stale"}, "Stale")
    assert gateway.branch_sha(REPO, "intern/run-1") == second, "a non-fast-forward leaves the branch alone"
    with pytest.raises(GitHubNotFound):
        gateway.commit_files(REPO, "intern/run-2", "0" * 40, {"x.txt": b"x"}, "No base")


def test_pulls_open_get_and_merge_state(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    base_sha = gateway.branch_sha(REPO, "main")
    assert base_sha is not None
    head = gateway.commit_files(REPO, "intern/run-1", base_sha, {"a.txt": b"a"}, "a")

    opened = gateway.open_pull(REPO, "intern/run-1", "main", "Train a classifier", "Body")

    assert (opened.state, opened.merged, opened.head_sha, opened.head_ref, opened.base_ref) == (
        "open",
        False,
        head,
        "intern/run-1",
        "main",
    )
    assert opened.head_repo == REPO and opened.url.endswith(f"/pull/{opened.number}")
    with pytest.raises(GitHubConflict, match="already exists"):
        gateway.open_pull(REPO, "intern/run-1", "main", "Again", "")
    pushed = fake_github.push(REPO, "intern/run-1", {"b.txt": b"b"})
    assert gateway.get_pull(REPO, opened.number).head_sha == pushed
    fake_github.merge_pull(REPO, opened.number)
    merged = gateway.get_pull(REPO, opened.number)
    assert (merged.state, merged.merged) == ("closed", True)


def test_get_issue_and_react_to_a_comment(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    number = fake_github.add_issue(REPO, "Classify tickets", "/intern train", author="alice")
    assert gateway.get_issue(REPO, number).model_dump() == {
        "number": number,
        "title": "Classify tickets",
        "body": "/intern train",
        "author": "alice",
    }
    comment_id = fake_github.add_comment(REPO, number, "alice", "/intern train")
    gateway.add_reaction(REPO, comment_id, "eyes")
    gateway.add_reaction(REPO, comment_id, "eyes")
    reactions = fake_github.reactions(REPO)
    assert [(r.comment_id, r.user, r.content) for r in reactions] == [(comment_id, fake_github.bot_login, "eyes")]
    with pytest.raises(GitHubConflict):
        gateway.add_reaction(REPO, comment_id, "party")


def test_upsert_comment_finds_its_marker_across_pages_and_edits_in_place(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make(per_page=2)
    number = fake_github.add_issue(REPO, "Issue")
    marker = "<!-- ml-intern:run-7 -->"
    fake_github.add_comment(REPO, number, "mallory", f"{marker} a human quoting the marker")
    for i in range(4):
        fake_github.add_comment(REPO, number, "alice", f"chatter {i}")

    first = gateway.upsert_comment(REPO, number, marker, f"{marker}\nsmoke: running")
    for i in range(3):
        fake_github.add_comment(REPO, number, "alice", f"more chatter {i}")
    second = gateway.upsert_comment(REPO, number, marker, f"{marker}\nsmoke: passed")

    assert first == second
    ours = [c for c in fake_github.comments(REPO, number) if c.user == fake_github.bot_login]
    assert [(c.id, c.body) for c in ours] == [(first, f"{marker}\nsmoke: passed")]
    assert fake_github.comments(REPO, number)[0].body.endswith("a human quoting the marker")
    pages = [e.path for e in fake_github.requests("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")]
    assert any("page=3" in p for p in pages), f"the listing followed the Link headers: {pages}"
    assert gateway.upsert_comment(REPO, number, "<!-- other -->", "<!-- other --> x") != first
    with pytest.raises(ValueError):
        gateway.upsert_comment(REPO, number, marker, "no marker in this body")


def test_check_runs_are_created_and_updated(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    sha = gateway.branch_sha(REPO, "main")
    assert sha is not None
    check_id = gateway.create_check_run(REPO, sha, "ml-intern / smoke", "in_progress", None, "Smoke", "Running")
    gateway.update_check_run(REPO, check_id, "completed", "failure", "Smoke failed", "CUDA OOM")
    (run,) = fake_github.check_runs(REPO)
    assert (run.id, run.name, run.head_sha, run.status, run.conclusion) == (
        check_id,
        "ml-intern / smoke",
        sha,
        "completed",
        "failure",
    )
    assert run.output == {"title": "Smoke failed", "summary": "CUDA OOM"} and run.completed_at is not None
    with pytest.raises(GitHubConflict, match="No commit found"):
        gateway.create_check_run(REPO, "f" * 40, "x", "queued", None, "t", "s")


def test_dispatch_workflow_is_recorded_and_checked_against_its_inputs(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    gateway.dispatch_workflow(REPO, "intern.yml", "main", {"run_id": "7", "flavour": "gpu"})
    assert [(d.workflow, d.ref, d.inputs) for d in fake_github.dispatches(REPO)] == [
        ("intern.yml", "main", {"run_id": "7", "flavour": "gpu"})
    ]
    with pytest.raises(GitHubConflict, match="Unexpected inputs"):
        gateway.dispatch_workflow(REPO, "intern.yml", "main", {"run_id": "7", "shell": "rm -rf /"})
    with pytest.raises(GitHubConflict, match="Required input"):
        gateway.dispatch_workflow(REPO, "intern.yml", "main", {})
    with pytest.raises(GitHubNotFound):
        gateway.dispatch_workflow(REPO, "nope.yml", "main", {})
    assert len(fake_github.dispatches(REPO)) == 1


def test_artifacts_are_listed_and_downloaded_without_our_token(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make(per_page=1)
    sha = gateway.branch_sha(REPO, "main")
    assert sha is not None
    reports = zip_files({"reports/results.json": '{"accuracy": 0.91}'})
    fake_github.add_workflow_run(REPO, 555, sha, "success", {"reports": reports, "logs": zip_files({"log.txt": "ok"})})

    artifacts = gateway.list_run_artifacts(REPO, 555)

    assert sorted(a.name for a in artifacts) == ["logs", "reports"], "both pages of artifacts"
    wanted = next(a for a in artifacts if a.name == "reports")
    assert wanted.size_in_bytes == len(reports)
    data = gateway.download_artifact(REPO, wanted.id)
    assert zipfile.ZipFile(io.BytesIO(data)).read("reports/results.json") == b'{"accuracy": 0.91}'
    assert fake_github.storage_requests == [{"artifact_id": wanted.id, "authorization": False}]
    with pytest.raises(GitHubNotFound):
        gateway.list_run_artifacts(REPO, 556)
    fake_github.repo(REPO).artifacts[wanted.id].expired = True
    with pytest.raises(GitHubNotFound, match="expired"):
        gateway.download_artifact(REPO, wanted.id)


def test_errors_are_typed_and_carry_no_token(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make()
    with pytest.raises(GitHubNotFound, match="octo/missing") as missing:
        gateway.get_issue("octo/missing", 1)
    assert missing.value.status == 404
    fake_github.fail_next(403, "Resource not accessible by integration")
    with pytest.raises(GitHubForbidden, match="Resource not accessible by integration") as forbidden:
        gateway.create_check_run(REPO, "a" * 40, "x", "queued", None, "t", "s")
    with pytest.raises(GitHubForbidden, match="bad credentials") as bad:
        make(token="ghs_wrong-secret-token").default_branch(REPO)
    for caught in (missing, forbidden, bad):
        assert fake_github.token not in str(caught.value) and "wrong-secret" not in str(caught.value)
    fake_github.fail_next(500, "boom")
    with pytest.raises(GitHubError) as server_error:
        gateway.default_branch(REPO)
    assert server_error.value.status == 500 and type(server_error.value) is GitHubError


def test_primary_rate_limit_is_retried_after_the_reset(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make(retries=2)
    fake_github.rate_limit("primary", times=1, reset_in=1)
    assert gateway.default_branch(REPO) == "main"
    refused, retried = fake_github.requests("GET", "/repos/{owner}/{repo}")
    assert refused.status == 403 and retried.status == 200
    assert retried.at - refused.at >= 1.0, "waited for x-ratelimit-reset before retrying"


def test_secondary_limit_and_429_back_off_then_succeed(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make(retries=3)
    fake_github.rate_limit("secondary", times=2)
    assert gateway.default_branch(REPO) == "main"
    first, second, third = fake_github.requests("GET", "/repos/{owner}/{repo}")
    assert [first.status, second.status, third.status] == [403, 403, 200]
    assert second.at - first.at >= 0.1 and third.at - second.at >= 0.1, "secondary_rate_wait honoured"
    fake_github.rate_limit("429", times=1, retry_after=0)
    assert gateway.permission(REPO, "alice") == "write"
    assert [e.status for e in fake_github.requests("GET")][-2:] == [429, 200]


def test_rate_limits_surface_as_typed_errors(make: Make, fake_github: FakeGitHub) -> None:
    fake_github.rate_limit("primary", times=1)
    with pytest.raises(GitHubRateLimited):
        make().default_branch(REPO)
    fake_github.rate_limit("primary", times=1, reset_in=3600)
    started = time.monotonic()
    with pytest.raises(GitHubRateLimited):
        make(retries=2).default_branch(REPO)
    assert time.monotonic() - started < 2, "a reset beyond max_rate_limit_wait raises instead of sleeping"
    fake_github.rate_limit("429", times=5, retry_after=0)
    with pytest.raises(GitHubRateLimited):
        make(retries=2).default_branch(REPO)


def test_app_installation_tokens_from_the_fake_are_cached(make: Make, fake_github: FakeGitHub) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    fake_github.trust_app_key(public.decode())
    tokens = AppTokenProvider(fake_github.app_id, pem, base_url=fake_github.api)
    gateway = PyGithubGateway(
        tokens,
        1,
        bot_login=fake_github.bot_login,
        base_url=fake_github.api,
        options=ClientOptions.for_tests(),
    )

    assert gateway.default_branch(REPO) == "main"
    assert gateway.permission(REPO, "alice") == "write"
    assert len(fake_github.issued_tokens) == 1, "one token for both calls"
    with pytest.raises(GitHubNotFound):
        tokens.token(99)
    wrong = AppTokenProvider(fake_github.app_id + 1, pem, base_url=fake_github.api)
    with pytest.raises(GitHubForbidden):
        wrong.token(1)


def test_a_502_on_an_edit_is_retried_like_one_on_a_read(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make(retries=2)
    issue = fake_github.add_issue(REPO, "t")
    comment = gateway.upsert_comment(REPO, issue, "<!-- m -->", "<!-- m --> 1")
    fake_github.fail_next(502, "Server Error")  # GitHub's front end, mid-journey
    assert gateway.upsert_comment(REPO, issue, "<!-- m -->", "<!-- m --> 2", comment) == comment
    edits = fake_github.requests("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    assert [e.status for e in edits] == [502, 200]
    assert fake_github.comments(REPO, issue)[-1].body == "<!-- m --> 2"


def test_injected_faults_are_retried_with_backoff(make: Make, fake_github: FakeGitHub) -> None:
    gateway = make(retries=3)
    fake_github.inject_faults(every=2, statuses=(502, 429))
    assert [gateway.default_branch(REPO) for _ in range(4)] == ["main"] * 4
    fake_github.inject_faults(every=0)
    assert {status for _, _, status in fake_github.injected_faults} == {502, 429}
    assert [e.status for e in fake_github.requests("GET", "/repos/{owner}/{repo}")][:4] == [200, 502, 200, 429]
