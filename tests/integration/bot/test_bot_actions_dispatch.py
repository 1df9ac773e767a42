"""The `actions` backend through PyGithub against the fake GitHub: it dispatches the generated workflow by file name.

GitHub's `workflow_id` is the numeric id or the file name (`intern.yml`); a path such as
`.github/workflows/intern.yml` gets a 404, and so it does from the fake.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bot.compute.actions import ActionsBackend
from bot.github import ClientOptions, GitHubNotFound, PyGithubGateway
from bot.github_auth import StaticTokenProvider
from bot.router import Ctx
from bot.run_record import RunRecord
from bot.states import RunState
from bot.store import Columns
from runner.render.workflow import render_workflow
from runner.workflow_options import WorkflowOptions
from tests.fakes.github_server import FakeGitHub
from tests.unit.bot.bot_harness import make_services

pytestmark = pytest.mark.integration

REPO = "octo/tickets"
BRANCH = "intern/1-tickets"


def _workflow() -> bytes:
    options = WorkflowOptions(model_repo_id="octo/tickets-model", actions_ref="a" * 40)
    return render_workflow(options).encode()


def _setup(fake: FakeGitHub, tmp_path: Path) -> tuple[Ctx, PyGithubGateway]:
    fake.add_repo(REPO, files={"README.md": b"# t\n", ".github/workflows/intern.yml": _workflow()})
    gateway = PyGithubGateway(
        StaticTokenProvider(fake.token),
        1,
        bot_login=fake.bot_login,
        base_url=fake.api,
        options=ClientOptions.for_tests(),
    )
    base = gateway.branch_sha(REPO, "main")
    assert base is not None
    gateway.commit_files(REPO, BRANCH, base, {"train.py": b"print(1)\n"}, "project")
    services = make_services(tmp_path, gateway)  # type: ignore[arg-type]
    return Ctx(services, gateway, "delivery-1"), gateway


def test_training_and_publish_dispatch_the_workflow_by_file_name(fake_github: FakeGitHub, tmp_path: Path) -> None:
    ctx, gateway = _setup(fake_github, tmp_path)
    head = gateway.branch_sha(REPO, BRANCH)
    run = ctx.store.create_run(
        repo=REPO,
        issue_number=1,
        created_by="alice",
        compute="actions",
        installation_id=1,
        delivery_id="d",
        data=RunRecord(train_workflow_run_id=991),
    )
    run = ctx.store.transition(
        run.id,
        RunState.PR_OPENED,
        actor="t",
        action="t",
        delivery_id=None,
        columns=Columns(branch=BRANCH, head_sha=head),
    )
    backend = ActionsBackend()
    dispatched = backend.start_training(ctx, run, "cpu-basic")
    assert (dispatched.backend, dispatched.flavour) == ("actions", "cpu-basic")
    backend.start_publish(ctx, run)
    got = [(d.workflow, d.ref, d.inputs) for d in fake_github.dispatches(REPO)]
    assert got == [
        (  # training is pinned to the commit that was approved (here: the head, as no approval is recorded)
            "intern.yml",
            BRANCH,
            {"mode": "train", "run_id": str(run.id), "flavour": "cpu-basic", "compute": "auto", "sha": head},
        ),
        (
            "intern.yml",
            "main",
            {"mode": "publish", "run_id": str(run.id), "flavour": "cpu-basic", "compute": "auto", "source_run": "991"},
        ),
    ]


@pytest.mark.parametrize("workflow_id", [".github/workflows/intern.yml", ".github%2Fworkflows%2Fintern.yml"])
def test_the_fake_answers_404_to_a_path_shaped_workflow_id(fake_github: FakeGitHub, workflow_id: str) -> None:
    fake_github.add_repo(REPO, files={".github/workflows/intern.yml": _workflow()})
    for method, suffix, data in (("GET", "", None), ("POST", "/dispatches", b'{"ref": "main"}')):
        url = f"{fake_github.api}/repos/{REPO}/actions/workflows/{workflow_id}{suffix}"
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"token {fake_github.token}")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == 404, f"{method} {url}"
    assert fake_github.dispatches(REPO) == []


def test_the_gateway_gets_not_found_for_a_path(fake_github: FakeGitHub, tmp_path: Path) -> None:
    _, gateway = _setup(fake_github, tmp_path)
    with pytest.raises(GitHubNotFound):
        gateway.dispatch_workflow(REPO, ".github/workflows/intern.yml", "main", {"run_id": "1"})
