"""Run the real FastAPI app under uvicorn on 127.0.0.1 (ephemeral port) in a thread, and send signed webhooks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from fastapi import FastAPI

from bot.settings import Settings
from bot.webhook import sign
from tests.unit.bot.payloads import schema_errors


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def signed_headers(secret: str, body: bytes, event: str, delivery: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret.encode(), body),
        "User-Agent": "GitHub-Hookshot/test",
    }


def send(
    client: httpx2.Client, base: str, secret: str, event: str, payload: dict[str, Any], delivery: str | None = None
) -> httpx2.Response:
    if event != "ping":
        errors = schema_errors(event, payload)
        assert not errors, f"the test sends a payload GitHub would not: {event}.{payload.get('action')}: {errors[0]}"
    body = json.dumps(payload).encode()
    return client.post(f"{base}/webhook", content=body, headers=signed_headers(secret, body, event, delivery))


def wait_for(condition: Any, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def settings_for_fakes(secret: str, fake_github: Any, fake_hub: Any, tmp_path: Path, **overrides: Any) -> Settings:
    """Bot settings pointing at the fake GitHub and fake Hub, one worker thread, a database under `tmp_path`."""
    values: dict[str, Any] = {
        "webhook_secret": secret,
        "github_app_id": fake_github.app_id,
        "github_private_key": "unused-pem-key",
        "github_api_url": fake_github.api,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "hf_token": fake_hub.token,
        "hf_jobs_token": "hf_jobs_token_for_the_results_repo_only",
        "hf_endpoint": fake_hub.url,
        "hf_namespace": fake_hub.state.user,
        "workers": 1,
        "worker_poll_s": 0.05,
        "workdir": tmp_path / "work",
        "github_app_slug": fake_github.app_slug,
        "compute_allowed": ["actions", "hf-jobs", "local"],
        "local_unsandboxed": True,  # the journey trains as the test's own user (tests/unit/bot/test_bot_sandbox.py)
    }
    return Settings(_env_file=None, **(values | overrides))
