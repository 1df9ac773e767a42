"""The fake GitHub answers like GitHub: every route, success and error, checked against `@octokit/openapi`.

Skipped when the description is not installed; `.ci/run` installs it with
`npm install --no-save --prefix .cache/octokit @octokit/openapi` (see `tests/fakes/github_openapi.py`).
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bot.errors import GitHubConflict, GitHubNotFound
from bot.github import ClientOptions, PyGithubGateway
from bot.github_auth import StaticTokenProvider
from bot.manifest import build_manifest
from tests.fakes.github_app_manifests import new_app_page
from tests.fakes.github_openapi import conformance_errors, find_description, missing_format_checkers, to_json_schema
from tests.fakes.github_router import ROUTES
from tests.fakes.github_server import FakeGitHub
from tests.fakes.zips import zip_files

pytestmark = pytest.mark.integration
needs_description = pytest.mark.skipif(
    find_description() is None,
    reason="no @octokit/openapi: run `npm install --no-save --prefix .cache/octokit @octokit/openapi`",
)

REPO = "octo/demo"
WORKFLOW = b"on:\n  workflow_dispatch:\n    inputs:\n      run_id: {required: true}\n"


def _call(fake: FakeGitHub, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{fake.api}{path}", data=data, method=method)
    request.add_header("Authorization", f"token {fake.token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def _drive_every_route(fake: FakeGitHub) -> None:
    fake.add_repo(
        REPO,
        files={"README.md": b"hi\n", ".github/workflows/intern.yml": WORKFLOW},
        collaborators={"al": "write"},
    )
    gateway = PyGithubGateway(
        StaticTokenProvider(fake.token),
        1,
        bot_login=fake.bot_login,
        base_url=fake.api,
        options=ClientOptions.for_tests(),
    )
    base = gateway.branch_sha(REPO, "main")
    assert base is not None and gateway.branch_sha(REPO, "nope") is None
    assert gateway.default_branch(REPO) == "main" and gateway.permission(REPO, "al") == "write"
    first = gateway.commit_files(REPO, "intern/run-1", base, {"a/b.txt": b"b"}, "scaffold")
    head = gateway.commit_files(REPO, "intern/run-1", first, {"c.txt": b"c"}, "more")
    with pytest.raises(GitHubConflict):
        gateway.commit_files(REPO, "intern/run-1", base, {"d.txt": b"d"}, "stale")
    assert gateway.read_file(REPO, "a/b.txt", "intern/run-1") == b"b"
    assert gateway.read_file(REPO, "a", "intern/run-1") is None
    assert gateway.read_file(REPO, "zzz", "main") is None
    assert [f.path for f in gateway.list_folder(REPO, "a", "intern/run-1")] == ["a/b.txt"]  # recursive trees
    assert gateway.last_push_approval_required(REPO, "main") is False
    pull = gateway.open_pull(REPO, "intern/run-1", "main", "PR", "body")
    with pytest.raises(GitHubConflict):
        gateway.open_pull(REPO, "intern/run-1", "main", "PR", "body")
    assert gateway.get_issue(REPO, pull.number).number == pull.number
    assert [c.sha for c in gateway.pull_commits(REPO, pull.number)] == [first, head]
    comment = gateway.upsert_comment(REPO, pull.number, "<!-- m -->", "<!-- m --> 1")
    gateway.upsert_comment(REPO, pull.number, "<!-- m -->", "<!-- m --> 2")
    gateway.add_reaction(REPO, comment, "rocket")
    check = gateway.create_check_run(REPO, head, "smoke", "queued", None, "t", "s")
    gateway.update_check_run(REPO, check, "completed", "success", "t", "s")
    gateway.dispatch_workflow(REPO, "intern.yml", "intern/run-1", {"run_id": "1"})
    with pytest.raises(GitHubConflict):
        gateway.dispatch_workflow(REPO, "intern.yml", "intern/run-1", {"other": "1"})
    archive = zip_files({"results.json": "{}"})
    (artifact_id,) = fake.add_workflow_run(REPO, 77, head, "success", {"reports": archive})
    assert [a.id for a in gateway.list_run_artifacts(REPO, 77)] == [artifact_id]
    assert gateway.download_artifact(REPO, artifact_id) == archive
    with pytest.raises(GitHubNotFound):
        gateway.get_pull(REPO, 999)

    commit = fake.commit(REPO, head)
    raw_calls = [
        ("GET", f"/repos/{REPO}/issues/comments/{comment}", None, 200),
        ("GET", f"/repos/{REPO}/git/trees/{commit.tree}", None, 200),
        ("GET", f"/repos/{REPO}/git/blobs/{fake.repo(REPO).trees[commit.tree]['c.txt']}", None, 200),
        ("GET", f"/repos/{REPO}/check-runs/{check}", None, 200),
        ("GET", f"/repos/{REPO}/actions/workflows/intern.yml", None, 200),
        ("GET", f"/repos/{REPO}/actions/artifacts/{artifact_id}", None, 200),
        ("POST", f"/repos/{REPO}/pulls/{pull.number}/reviews", {"event": "APPROVE", "commit_id": head}, 200),
        ("GET", f"/repos/{REPO}/pulls/{pull.number}/reviews", None, 200),
        ("PUT", f"/repos/{REPO}/pulls/{pull.number}/merge", {"sha": "0" * 40}, 409),
        ("PUT", f"/repos/{REPO}/pulls/{pull.number}/merge", {"sha": head}, 200),
        ("PUT", f"/repos/{REPO}/pulls/{pull.number}/merge", {}, 405),
        ("GET", f"/repos/{REPO}/pulls/{pull.number}", None, 200),
        ("POST", f"/repos/{REPO}/issues/{pull.number}/comments", {"body": "x" * 70000}, 422),
        ("POST", f"/repos/{REPO}/git/refs", {"ref": "refs/heads/main", "sha": head}, 422),
        ("POST", "/app/installations/1/access_tokens", {}, 401),
    ]
    manifest = json.dumps(build_manifest("https://bot.example.org") | {"redirect_url": "http://127.0.0.1:9/cb"})
    _, headers, _ = new_app_page(fake, "/settings/apps/new", {"state": "s"}, urlencode({"manifest": manifest}).encode())
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    raw_calls += [("POST", f"/app-manifests/{code}/conversions", None, 201)]
    raw_calls += [("POST", f"/app-manifests/{code}/conversions", None, 404)]  # one use per code
    for method, path, body, status in raw_calls:
        got, _ = _call(fake, method, path, body)
        assert got == status, f"{method} {path}"


@needs_description
def test_every_route_answers_as_the_rest_api_description_says() -> None:
    fake = FakeGitHub().start()
    try:
        _drive_every_route(fake)
    finally:
        fake.stop()
    exercised = {(e.method, e.template) for e in fake.exchanges}
    assert exercised >= {(method, template) for method, template, _, _ in ROUTES}, "a route went untested"
    assert conformance_errors(fake.exchanges) == []


@needs_description
def test_the_check_catches_a_body_that_breaks_the_schema() -> None:
    fake = FakeGitHub().start()
    try:
        fake.add_repo(REPO)
        number = fake.add_issue(REPO, "t")
        assert _call(fake, "GET", f"/repos/{REPO}/issues/{number}")[0] == 200
    finally:
        fake.stop()
    broken = copy.deepcopy(fake.exchanges)
    broken[0].body["number"] = "one"
    del broken[0].body["user"]["login"]
    errors = conformance_errors(broken)
    assert len(errors) == 1 and "GET /repos/octo/demo/issues/1 -> 200" in errors[0]


def test_the_format_checkers_are_installed() -> None:
    assert missing_format_checkers() == [], "install jsonschema[format-nongpl] (the dev extra)"


@needs_description
@pytest.mark.parametrize(
    ("field", "value"),
    [
        (("user", "url"), "http://127.0.0.1:1/users/ml-intern[bot]"),  # GitHub escapes it: ml-intern%5Bbot%5D
        (("html_url",), "github.com/octo/demo/issues/1"),  # not absolute
        (("created_at",), "2026-11-27 10:00"),  # not RFC 3339
    ],
)
def test_the_check_catches_a_value_of_the_wrong_format(field: tuple[str, ...], value: str) -> None:
    fake = FakeGitHub().start()
    try:
        fake.add_repo(REPO)
        number = fake.add_issue(REPO, "t", author="ml-intern[bot]")
        assert _call(fake, "GET", f"/repos/{REPO}/issues/{number}")[0] == 200
    finally:
        fake.stop()
    assert conformance_errors(fake.exchanges) == []
    assert "%5Bbot%5D" in fake.exchanges[0].body["user"]["url"]
    broken = copy.deepcopy(fake.exchanges)
    node = broken[0].body
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = value
    errors = conformance_errors(broken)
    assert len(errors) == 1 and "is not a" in errors[0], errors


def test_nullable_becomes_a_null_type() -> None:
    converted = to_json_schema(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "nullable": True, "enum": ["x"]},
                "b": {"allOf": [{"$ref": "#/x"}], "nullable": True},
            },
        }
    )
    assert converted["properties"]["a"] == {"type": ["string", "null"], "enum": ["x", None]}
    assert converted["properties"]["b"] == {"anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]}
