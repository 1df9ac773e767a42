"""The webhook edge over real HTTP: signatures, sizes, malformed bodies, redeliveries, the real payload shapes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from bot import queue
from bot.app import create_app
from bot.events import identity, parse_event
from bot.router import Services
from tests.integration.bot.live_server import send, serve, signed_headers, wait_for
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import HF_TOKEN, REPO, SECRET, make_services, seed_repo
from tests.unit.bot.fake_gateway import FakeGateway

pytestmark = pytest.mark.integration
HANDLED = ("issue_comment", "pull_request", "pull_request_review", "workflow_run", "installation")


def validate(event: str, payload: dict[str, object]) -> None:
    errors = payloads.schema_errors(event, payload)
    assert not errors, f"{event}.{payload['action']}: {errors[0]}"


@pytest.fixture
def gateway() -> FakeGateway:
    gw = FakeGateway()
    seed_repo(gw)
    return gw


@pytest.fixture
def services(tmp_path: Path, gateway: FakeGateway) -> Services:
    return make_services(tmp_path, gateway, workers=1, worker_poll_s=0.02, max_body_bytes=2 * 1024 * 1024)


@pytest.fixture
def live(services: Services) -> Iterator[tuple[str, httpx2.Client]]:
    with serve(create_app(services.settings, services)) as base, httpx2.Client(timeout=10) as client:
        yield base, client


def test_healthz_and_ping(live: tuple[str, httpx2.Client]) -> None:
    base, client = live
    assert client.get(f"{base}/healthz").json() == {"status": "ok"}
    response = send(client, base, SECRET, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert response.status_code == 200 and response.json() == {"status": "pong"}


def test_every_real_example_is_accepted_and_a_redelivery_is_a_no_op(
    live: tuple[str, httpx2.Client], services: Services
) -> None:
    base, client = live
    sent = 0
    identities: set[str | None] = set()
    accepted: list[str] = []
    for event in HANDLED:
        for path in sorted((payloads.EXAMPLES / event).glob("*.json")):
            payload = json.loads(path.read_text(encoding="utf-8"))
            validate(event, payload)
            delivery = f"{event}-{path.stem}"
            first = send(client, base, SECRET, event, payload, delivery)
            parsed = parse_event(event, payload)
            key = identity(parsed) if parsed is not None else None
            if key is not None and key in identities:  # GitHub's examples reuse ids: the same event, replayed
                assert first.json()["status"] == "duplicate", path
                continue
            identities.add(key)
            accepted.append(delivery)
            assert first.status_code == 202, (path, first.text)
            assert first.json()["status"] in ("queued", "ignored")
            again = send(client, base, SECRET, event, payload, delivery)
            assert again.status_code == 200 and again.json()["status"] == "duplicate"
            sent += 1
    assert sent >= 40
    assert all(services.store.delivery_seen(delivery) for delivery in accepted)


@pytest.mark.parametrize("how", ["missing", "wrong secret", "tampered body", "sha1 only"])
def test_forged_deliveries_are_refused(live: tuple[str, httpx2.Client], services: Services, how: str) -> None:
    base, client = live
    body = json.dumps(payloads.issue_comment(REPO, 1, "/intern train", "alice")).encode()
    headers = signed_headers(SECRET, body, "issue_comment", "forged-1")
    if how == "missing":
        del headers["X-Hub-Signature-256"]
    elif how == "wrong secret":
        headers = signed_headers("an-attacker-guessed-secret-0000", body, "issue_comment", "forged-1")
    elif how == "tampered body":
        body = body.replace(b"/intern train", b"/intern publish")
    else:
        del headers["X-Hub-Signature-256"]
        headers["X-Hub-Signature"] = "sha1=0000"
    response = client.post(f"{base}/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert not services.store.delivery_seen("forged-1")
    assert queue.count(services.store, queue.QUEUED) == 0


def test_a_replayed_body_under_a_new_delivery_id_is_dropped(
    live: tuple[str, httpx2.Client], services: Services, gateway: FakeGateway
) -> None:
    base, client = live
    command = payloads.issue_comment(REPO, 1, "/intern help", "alice")
    body = json.dumps(command).encode()
    first = client.post(f"{base}/webhook", content=body, headers=signed_headers(SECRET, body, "issue_comment", "d-1"))
    assert first.status_code == 202
    for replay in ("d-2", "d-3"):  # a captured, validly signed body sent again under fresh delivery ids
        again = client.post(
            f"{base}/webhook", content=body, headers=signed_headers(SECRET, body, "issue_comment", replay)
        )
        assert again.status_code == 200 and again.json() == {"status": "duplicate", "delivery": replay}
    edited = {**command, "action": "edited", "changes": {"body": {"from": "/intern hel"}}}  # another event
    assert send(client, base, SECRET, "issue_comment", edited, "d-4").status_code == 202
    wait_for(lambda: _drained(services), what="the queue to drain")
    assert len(gateway.comments_on(REPO, 1)) == 1  # one help reply, not three
    assert services.store.delivery_seen("d-1") and not services.store.delivery_seen("d-2")


def test_malformed_and_oversized_bodies(live: tuple[str, httpx2.Client], services: Services) -> None:
    base, client = live
    for body in (b"{not json", b"[1,2]"):
        response = client.post(f"{base}/webhook", content=body, headers=signed_headers(SECRET, body, "ping"))
        assert response.status_code == 400
    big = b'{"pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = client.post(f"{base}/webhook", content=big, headers=signed_headers(SECRET, big, "issue_comment"))
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the read size is checked too
        for _ in range(40):
            yield b"y" * (100 * 1024)

    headers = signed_headers(SECRET, b"", "issue_comment")
    response = client.post(f"{base}/webhook", content=chunks(), headers=headers)
    assert response.status_code == 413
    wrong_shape = json.dumps({"action": "created", "comment": {"id": "x"}}).encode()
    response = client.post(
        f"{base}/webhook", content=wrong_shape, headers=signed_headers(SECRET, wrong_shape, "issue_comment")
    )
    assert response.status_code == 400


def test_shell_metacharacters_and_a_megabyte_comment(
    live: tuple[str, httpx2.Client], services: Services, gateway: FakeGateway, tmp_path: Path
) -> None:
    base, client = live
    canary = tmp_path / "pwned"
    evil = f"/intern train dataset=$(touch {canary}) label=`touch {canary}`;rm -rf / && echo {HF_TOKEN}\n" + "A" * (
        1024 * 1024
    )
    payload = payloads.issue_comment(REPO, 1, evil, "alice")
    response = send(client, base, SECRET, "issue_comment", payload)
    assert response.status_code == 202
    wait_for(lambda: gateway.comments_on(REPO, 1), what="the bot's reply")
    reply = gateway.comments_on(REPO, 1)[0]
    assert "I did not understand" in reply
    assert len(reply) < 65_536
    assert HF_TOKEN not in reply
    assert not canary.exists()
    assert services.store.latest_run(REPO, 1) is None


def test_read_only_user_over_http(live: tuple[str, httpx2.Client], services: Services, gateway: FakeGateway) -> None:
    base, client = live
    response = send(client, base, SECRET, "issue_comment", payloads.issue_comment(REPO, 1, "/intern train", "reader"))
    assert response.status_code == 202
    wait_for(lambda: gateway.comments_on(REPO, 1), what="the refusal")
    assert "Only people with **write** or **admin**" in gateway.comments_on(REPO, 1)[0]


def _drained(services: Services) -> bool:
    return queue.count(services.store, queue.QUEUED) == 0 and queue.count(services.store, queue.RUNNING) == 0


def test_approvals_that_must_not_start_training_over_http(
    live: tuple[str, httpx2.Client], services: Services, gateway: FakeGateway
) -> None:
    from bot.states import RunState
    from tests.unit.bot.bot_harness import BRANCH, seed_run

    base, client = live
    gateway.repos[REPO].permissions["ml-intern[bot]"] = "admin"
    run = seed_run(services, gateway, RunState.AWAITING_APPROVAL)
    number, head = run.pr_number or 0, run.head_sha or ""
    attempts = [
        payloads.review(REPO, number, BRANCH, head, "ml-intern[bot]", kind="Bot"),  # a bot, even with admin
        payloads.review(REPO, number, BRANCH, head, "reader"),  # read-only user
        payloads.review(REPO, number, BRANCH, head, "alice", commit_id="0" * 40),  # stale SHA
        payloads.review(REPO, number, BRANCH, head, "alice", head_repo="mallory/tickets"),  # fork PR
    ]
    for payload in attempts:
        assert send(client, base, SECRET, "pull_request_review", payload).status_code == 202
    wait_for(lambda: _drained(services), what="the queue to drain")
    assert services.store.get_run(run.id).state == "awaiting_approval"  # type: ignore[union-attr]
    assert gateway.repos[REPO].dispatches == []

    good = payloads.review(REPO, number, BRANCH, head, "alice")
    assert send(client, base, SECRET, "pull_request_review", good, "approval-1").status_code == 202
    wait_for(lambda: services.store.get_run(run.id).state == "training", what="training")  # type: ignore[union-attr]
    # replays: the same delivery id is dropped at the edge, and so is the same body under a new id
    assert send(client, base, SECRET, "pull_request_review", good, "approval-1").json()["status"] == "duplicate"
    assert send(client, base, SECRET, "pull_request_review", good, "approval-2").json()["status"] == "duplicate"
    wait_for(lambda: _drained(services), what="the queue to drain")
    assert len(gateway.repos[REPO].dispatches) == 1


def test_default_body_limit_refuses_big_unsigned_bodies_early(tmp_path: Path, gateway: FakeGateway) -> None:
    services = make_services(tmp_path, gateway, workers=0)  # the default INTERN_MAX_BODY_BYTES
    assert services.settings.max_body_bytes <= 1024 * 1024
    biggest = payloads.issue_comment(REPO, 1, "/intern help\n" + "\x01" * 65_000, "alice")
    biggest["issue"]["body"] = "\x02" * 65_536  # GitHub's largest bodies, each char JSON-escaped to 6 bytes
    with serve(create_app(services.settings, services)) as base, httpx2.Client(timeout=10) as client:
        assert send(client, base, SECRET, "issue_comment", biggest).status_code == 202
        junk = b"x" * (1536 * 1024)  # unsigned: refused for its size, before the signature is even looked at
        response = client.post(f"{base}/webhook", content=junk, headers={"X-GitHub-Event": "issue_comment"})
        assert response.status_code == 413
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as raw:  # declares 20 MB, sends 10 bytes
            raw.sendall(
                b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'X-GitHub-Event: issue_comment\r\nContent-Length: 20000000\r\n\r\n{"pad": 1'
            )
            status_line = raw.recv(64).split(b"\r\n", 1)[0]  # answered at once, not after 20 MB
        assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
