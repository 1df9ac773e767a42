"""The journey of docs/architecture.md through the real app over HTTP, PyGithub against the fake GitHub, the real runner
training a tiny model (local compute backend) and the fake Hub receiving the publish:

comment -> PR (one commit) -> smoke results -> approval -> training results -> merge -> publish.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from bot.app import create_app
from bot.compute.actions import ActionsBackend
from bot.compute.hf_jobs import HfJobsBackend
from bot.compute.local import LocalBackend
from bot.github import ClientOptions, PyGithubGateway
from bot.github_auth import StaticTokenProvider
from bot.router import Services
from bot.store import Run, Store
from bot.wiring import make_planner
from runner.schemas import Projection, SmokeReport
from tests.fakes.github_server import FakeGitHub
from tests.fakes.hub_server import FakeHub
from tests.fakes.zips import zip_files
from tests.integration.bot.live_server import send, serve, settings_for_fakes, wait_for
from tests.unit.bot import payloads

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = "octo/tickets"
SECRET = "journey-webhook-secret-0123456789"
LABELS = {
    "billing": [
        "refund my last invoice",
        "I was charged twice",
        "update my credit card",
        "cancel the payment",
        "invoice shows the wrong amount",
        "why was my card charged",
        "need a receipt for payment",
        "billing address change",
        "price went up on my bill",
        "payment failed again",
    ],
    "shipping": [
        "where is my parcel",
        "the package never arrived",
        "track my order delivery",
        "delivery is late again",
        "change the shipping address",
        "courier lost my box",
        "parcel arrived damaged",
        "shipping takes too long",
        "when will it ship",
        "wrong delivery address",
    ],
    "account": [
        "reset my password",
        "cannot log in to my account",
        "delete my account please",
        "change my email address",
        "two factor code not working",
        "account locked after attempts",
        "update my username",
        "login page shows an error",
        "recover my account",
        "close my profile",
    ],
}


def tickets_csv() -> bytes:
    rows = [(text, label) for label, texts in LABELS.items() for text in texts]
    random.Random(0).shuffle(rows)
    return ("text,label\n" + "".join(f"{text},{label}\n" for text, label in rows)).encode()


def tagged_csv() -> bytes:
    """Multi-label tickets: every topic a ticket mentions, joined by ';' (some mention none)."""
    rng = random.Random(1)
    rows = []
    for i in range(45):
        chosen = sorted(rng.sample(sorted(LABELS), rng.choice([0, 1, 1, 2])))
        parts = [rng.choice(LABELS[label]) for label in chosen] or ["hello, just saying thanks"]
        rows.append((" and ".join(parts) + f" (ticket {i})", ";".join(chosen)))
    return ("message,topics\n" + "".join(f'"{text}",{labels}\n' for text, labels in rows)).encode()


# Per task: the data file in the repository, the command's arguments, and the figure committed with the results.
TASKS = {
    "text-classification": ("data/tickets.csv", "text=text label=label", "reports/confusion_matrix.png"),
    "multi-label-classification": ("data/tagged.csv", "", "reports/per_label_f1.png"),
}


def smoke_zip() -> bytes:
    report = SmokeReport(
        ok=True,
        seconds=6.0,
        steps=4,
        examples=12,
        examples_per_s=40.0,
        train_rows_full=24,
        epochs=2,
        projections=[Projection(flavour="cpu-basic", hardware="2 vCPU", seconds=60, cost_usd=0.0)],
    )
    return zip_files({"smoke.json": report.model_dump_json()})


@pytest.fixture
def world(
    tmp_path: Path,
    fake_github: FakeGitHub,
    fake_hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, httpx2.Client, Services]]:
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")  # the fake Hub speaks LFS, not Xet; the runner subprocess inherits it
    fake_github.add_repo(
        REPO,
        files={"README.md": b"# tickets\n", "data/tickets.csv": tickets_csv(), "data/tagged.csv": tagged_csv()},
        collaborators={"alice": "admin", "reader": "read"},
    )
    settings = settings_for_fakes(SECRET, fake_github, fake_hub, tmp_path, compute="local", local_timeout_s=300)
    store = Store(settings.database_url)
    actions = ActionsBackend()
    gateways: dict[int, PyGithubGateway] = {}

    def gateway_for(installation_id: int | None) -> PyGithubGateway:
        key = installation_id or 1
        if key not in gateways:
            gateways[key] = PyGithubGateway(
                StaticTokenProvider(fake_github.token),
                key,
                bot_login=fake_github.bot_login,
                base_url=fake_github.api,
                options=ClientOptions.for_tests(),
            )
        return gateways[key]

    services = Services(
        settings=settings,
        planner=make_planner(settings),
        store=store,
        gateway_for=gateway_for,
        backends={
            "actions": actions,
            "local": LocalBackend(),
            "hf-jobs": HfJobsBackend(lambda: None, fallback=actions),
        },
        environment=dict(os.environ),
    )
    with serve(create_app(settings, services)) as base, httpx2.Client(timeout=30) as client:
        yield base, client, services


def _run(services: Services, number: int) -> Run:
    run = services.store.latest_run(REPO, number)
    assert run is not None
    return run


@pytest.mark.parametrize("task", sorted(TASKS))
def test_comment_to_published_model(
    world: tuple[str, httpx2.Client, Services],
    fake_github: FakeGitHub,
    fake_hub: FakeHub,
    task: str,
) -> None:
    """The same journey for every task: nothing in it but the data and its figure differs."""
    dataset, columns, figure = TASKS[task]
    base, client, services = world
    started = time.monotonic()
    issue = fake_github.add_issue(REPO, "Classify support tickets", "Route tickets to billing, shipping, account.")

    # 1. a read-only user is refused, a bot is ignored, an admin starts the run
    refused = fake_github.add_comment(REPO, issue, "reader", "/intern train")
    send(
        client,
        base,
        SECRET,
        "issue_comment",
        payloads.issue_comment(REPO, issue, "/intern train", "reader", comment_id=refused),
    )
    send(
        client,
        base,
        SECRET,
        "issue_comment",
        payloads.issue_comment(REPO, issue, "/intern train", fake_github.bot_login, kind="Bot", comment_id=2),
    )
    command = f"Let's try it:\n/intern train dataset={dataset} {columns} model=scratch:tiny epochs=2"
    accepted = fake_github.add_comment(REPO, issue, "alice", command)
    send(
        client,
        base,
        SECRET,
        "issue_comment",
        payloads.issue_comment(REPO, issue, command, "alice", comment_id=accepted, title="Classify support tickets"),
    )

    def state() -> str | None:
        latest = services.store.latest_run(REPO, issue)
        return latest.state if latest else None

    wait_for(lambda: state() in ("pr_opened", "failed"), timeout=60, what="the PR")
    pull = fake_github.pulls(REPO)[0]
    run = _run(services, issue)
    assert run.state == "pr_opened" and run.pr_number == pull.number
    head = fake_github.commit(REPO, pull.head_sha)
    assert head.parents == [pull.base_sha]  # every scaffolded file in ONE commit on top of main
    files = fake_github.files(REPO, pull.head_sha)
    for path in (
        "intern.yaml",
        "train.py",
        "app.py",
        "requirements.txt",
        ".github/workflows/intern.yml",
        "reports/inspect.md",
        "reports/inspect.json",
    ):
        assert path in files, path
    assert f"#{issue}" in pull.body and task in pull.body
    assert f"task: {task}" in files["intern.yaml"].decode()
    assert any("Only people with **write**" in c.body for c in fake_github.comments(REPO, issue))
    assert any(r.content == "eyes" for r in fake_github.reactions(REPO))

    # 2. the smoke workflow finishes on the PR head: results comment, approval requested
    fake_github.add_workflow_run(
        REPO,
        501,
        pull.head_sha,
        "success",
        {"intern-smoke-reports": smoke_zip()},
        head_branch=pull.head_ref,
        event="pull_request",
    )
    send(client, base, SECRET, "workflow_run", payloads.workflow_run(REPO, 501, pull.head_ref, pull.head_sha))
    wait_for(lambda: _run(services, issue).state == "awaiting_approval", what="awaiting approval")

    # 3. an approval on the current head by an admin: training by the real runner, locally
    send(
        client,
        base,
        SECRET,
        "pull_request_review",
        payloads.review(REPO, pull.number, pull.head_ref, pull.head_sha, "alice"),
    )
    wait_for(lambda: _run(services, issue).state in ("evaluated", "failed"), timeout=150, what="training")
    run = _run(services, issue)
    assert run.state == "evaluated", services.store.audit_log(run.id)[-1].detail
    results_sha = run.head_sha or ""
    assert results_sha != pull.head_sha
    results = fake_github.files(REPO, results_sha)
    assert "reports/eval.json" in results and "reports/train.jsonl" in results
    assert figure in results

    # 4. merge -> publish to the (fake) Hub -> links
    fake_github.merge_pull(REPO, pull.number)
    send(
        client,
        base,
        SECRET,
        "pull_request",
        payloads.pull_request(REPO, pull.number, "closed", pull.head_ref, results_sha, "alice", merged=True),
    )
    wait_for(lambda: _run(services, issue).state in ("published", "failed"), timeout=120, what="publish")
    run = _run(services, issue)
    assert run.state == "published", services.store.audit_log(run.id)[-1].detail
    repo_id = run.data.hub_repo_id
    assert fake_hub.state.repo("model", repo_id) is not None

    def sticky_comments() -> list[str]:
        return [c.body for c in fake_github.comments(REPO, pull.number) if f"intern-bot:run:{run.id}" in c.body]

    wait_for(lambda: "`published`" in "".join(sticky_comments()), what="the final comment")
    sticky = sticky_comments()
    assert len(sticky) == 1  # one sticky comment, edited in place
    sticky_id = next(c.id for c in fake_github.comments(REPO, pull.number) if f"intern-bot:run:{run.id}" in c.body)
    assert fake_github.comment_edits.count(sticky_id) >= 5
    body = sticky[0]
    assert "`published`" in body and f"{fake_hub.url}/{repo_id}" in body and "macro F1" in body
    every = "\n".join(c.body for c in fake_github.comments(REPO))
    assert SECRET not in every and fake_hub.token not in every
    names = {check.name for check in fake_github.check_runs(REPO)}
    assert {"ML Intern: plan", "ML Intern: smoke", "ML Intern: train"} <= names
    audit = [(e.actor, e.to_state) for e in services.store.audit_log(run.id) if e.to_state]
    assert ("alice", "training") in audit and ("alice", "merged") in audit
    assert time.monotonic() - started < 90
