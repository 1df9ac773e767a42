"""The permission table against GitHub's REST description and against what the gateway really sends.

Each gateway call is made against the fake GitHub; every request it sent must be an operation of its row in
`bot.github_permissions.GATEWAY_CALLS`, and every operation in the table must exist in `@octokit/openapi`,
be enabled for GitHub Apps, and sit in a category that fits its permission. Together with the unit test that
the manifest grants `required_permissions()`, a new REST call cannot ship without the permission it needs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from bot.github import ClientOptions, PyGithubGateway
from bot.github_auth import StaticTokenProvider
from bot.github_permissions import CATEGORIES, GATEWAY_CALLS
from tests.fakes.github_openapi import find_description, operation
from tests.fakes.github_server import FakeGitHub
from tests.unit.bot.test_github_permissions import protocol_methods

pytestmark = pytest.mark.integration
REPO = "octo/demo"
WORKFLOW = b"on:\n  workflow_dispatch:\n    inputs:\n      run_id: {required: true}\n"


@pytest.mark.skipif(find_description() is None, reason="no @octokit/openapi (see tests/fakes/github_openapi.py)")
@pytest.mark.parametrize(("call", "index"), [(c, i) for c, ops in GATEWAY_CALLS.items() for i in range(len(ops))])
def test_each_operation_is_in_the_rest_description_and_fits_its_permission(call: str, index: int) -> None:
    op = GATEWAY_CALLS[call][index]
    found = operation(op.method, op.path)
    assert found is not None, f"{call}: {op.method} {op.path} is not a REST operation"
    meta = found.get("x-github", {})
    assert meta.get("enabledForGitHubApps") is True, f"{call}: {found['operationId']} is not open to Apps"
    assert meta.get("category") in CATEGORIES[op.permission], (
        f"{call}: {found['operationId']} is in category {meta.get('category')!r}, not one {op.permission} covers"
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("r.json", "{}")
    return buffer.getvalue()


def test_the_requests_each_call_sends_are_in_its_row() -> None:
    fake = FakeGitHub().start()
    try:
        fake.add_repo(REPO, files={"README.md": b"hi\n", ".github/workflows/intern.yml": WORKFLOW})
        big = b"x" * (1024 * 1024 + 10)  # over 1 MB: read through the blob API
        gateway = PyGithubGateway(
            StaticTokenProvider(fake.token),
            1,
            bot_login=fake.bot_login,
            base_url=fake.api,
            options=ClientOptions.for_tests(),
        )
        sent: dict[str, set[tuple[str, str | None]]] = {}

        def record(call: str, action: Callable[[], Any]) -> Any:
            before = len(fake.exchanges)
            result = action()
            sent.setdefault(call, set()).update((e.method, e.template) for e in fake.exchanges[before:])
            return result

        base = record("branch_sha", lambda: gateway.branch_sha(REPO, "main"))
        head = record("commit_files", lambda: gateway.commit_files(REPO, "b", base, {"big.bin": big}, "m"))
        head = record(
            "commit_files",
            lambda: gateway.commit_files(REPO, "b", head, {".github/workflows/intern.yml": WORKFLOW}, "m"),
        )
        record("read_file", lambda: gateway.read_file(REPO, "big.bin", "b"))
        record("read_file", lambda: gateway.read_file(REPO, "README.md", "b"))
        record("permission", lambda: gateway.permission(REPO, "al"))
        record("default_branch", lambda: gateway.default_branch(REPO))
        pull = record("open_pull", lambda: gateway.open_pull(REPO, "b", "main", "t", "b"))
        record("get_pull", lambda: gateway.get_pull(REPO, pull.number))
        record("pull_commits", lambda: gateway.pull_commits(REPO, pull.number))
        fake.require_last_push_approval(REPO, "main")
        record("last_push_approval_required", lambda: gateway.last_push_approval_required(REPO, "main"))
        record("get_issue", lambda: gateway.get_issue(REPO, pull.number))
        comment = record("upsert_comment", lambda: gateway.upsert_comment(REPO, pull.number, "<!--m-->", "<!--m--> 1"))
        record("upsert_comment", lambda: gateway.upsert_comment(REPO, pull.number, "<!--m-->", "<!--m--> 2"))
        record("upsert_comment", lambda: gateway.upsert_comment(REPO, pull.number, "<!--m-->", "<!--m--> 3", comment))
        record("add_reaction", lambda: gateway.add_reaction(REPO, comment, "eyes"))
        check = record("create_check_run", lambda: gateway.create_check_run(REPO, head, "s", "queued", None, "t", "s"))
        record("update_check_run", lambda: gateway.update_check_run(REPO, check, "completed", "success", "t", "s"))
        record("dispatch_workflow", lambda: gateway.dispatch_workflow(REPO, "intern.yml", "b", {"run_id": "1"}))
        (artifact,) = fake.add_workflow_run(REPO, 5, head, "success", {"r": _zip()})
        record("list_run_artifacts", lambda: gateway.list_run_artifacts(REPO, 5))
        record("download_artifact", lambda: gateway.download_artifact(REPO, artifact))
    finally:
        fake.stop()

    assert set(sent) == protocol_methods(), "a gateway call was not exercised"
    for call, requests in sent.items():
        allowed = {(op.method, op.path) for op in GATEWAY_CALLS[call]}
        assert requests <= allowed, f"{call} sent {sorted(requests - allowed, key=str)}, missing from its row"
