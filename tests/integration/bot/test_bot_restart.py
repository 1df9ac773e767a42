"""Durability: a bot killed mid-job finishes the job after a restart; secrets never reach a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
import pytest

from bot import queue
from bot.app import create_app
from tests.integration.bot.live_server import send, serve, wait_for
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import HF_TOKEN, REPO, SECRET, make_services, seed_repo
from tests.unit.bot.fake_gateway import FakeGateway

pytestmark = pytest.mark.integration


def test_a_job_left_running_by_a_killed_bot_is_finished_after_restart(tmp_path: Path) -> None:
    gateway = FakeGateway()
    seed_repo(gateway)
    first = make_services(tmp_path, gateway, workers=0)  # the edge only: the job stays queued
    with serve(create_app(first.settings, first)) as base, httpx2.Client(timeout=10) as client:
        response = send(client, base, SECRET, "issue_comment", payloads.issue_comment(REPO, 1, "/intern help", "bob"))
        assert response.status_code == 202
    claimed = queue.claim(first.store, "worker-that-gets-killed", lease_s=3600)
    assert claimed is not None  # the bot "dies" here, with the job running and a long lease
    assert gateway.comments_on(REPO, 1) == []

    second = make_services(tmp_path, gateway, workers=1, worker_poll_s=0.02)
    with serve(create_app(second.settings, second)):
        wait_for(lambda: queue.job_state(second.store, claimed.id) == queue.DONE, what="the re-queued job")
    assert "**ML Intern commands**" in gateway.comments_on(REPO, 1)[0]


def test_secrets_are_redacted_from_log_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gateway = FakeGateway()
    seed_repo(gateway)
    services = make_services(tmp_path, gateway, workers=0)
    old_factory = logging.getLogRecordFactory()
    try:
        with serve(create_app(services.settings, services)), caplog.at_level(logging.INFO):
            logging.getLogger("bot.anything").warning("calling the Hub with %s and %s", HF_TOKEN, SECRET)
    finally:
        logging.setLogRecordFactory(old_factory)
    text = caplog.text
    assert "calling the Hub with [redacted] and [redacted]" in text
    assert HF_TOKEN not in text and SECRET not in text
