"""README "Deploy", end to end against the fake GitHub: `intern-bot setup` writes .env and the key file; the
environment `docker run --env-file .env` would pass (read with Docker's own rules, the key mounted at the path
.env names) starts `intern-bot serve` in a fresh process, which answers /healthz and a signed ping, and gets an
installation token with the key."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.github_auth import AppTokenProvider
from bot.setup_flow import SetupOptions, SetupServer
from bot.webhook import sign
from tests.fakes.docker_env import read_docker_env_file
from tests.fakes.github_server import FakeGitHub
from tests.integration.bot.test_bot_setup import PUBLIC, _browser

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
SHA = "0123456789abcdef0123456789abcdef01234567"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_read_docker_env_file_is_literal(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text('# c\n\n  A=1\nB="quoted"\nC=x # not a comment\nD\nE\n', encoding="utf-8")
    assert read_docker_env_file(path, {"D": "from-host"}) == {
        "A": "1",
        "B": '"quoted"',
        "C": "x # not a comment",
        "D": "from-host",
    }


def test_setup_env_file_then_serve_as_docker_passes_it(fake_github: FakeGitHub, tmp_path: Path) -> None:
    host, container = tmp_path / "host", tmp_path / "container"
    host.mkdir()
    (container / "data").mkdir(parents=True)
    mount = container / "run-secrets" / "github-app.pem"  # where `-v ./github-app.pem:...:ro` puts the key
    options = SetupOptions(
        PUBLIC, github_url=fake_github.api, api_url=fake_github.api, env_file=host / ".env", key_path_in_env=str(mount)
    )
    server = SetupServer(options).start()
    try:
        _, status, _ = _browser(server.url)
        assert status == 200 and server.wait(5) is not None
    finally:
        server.stop()
    with (host / ".env").open("a", encoding="utf-8") as handle:  # README: add the actions' commit
        handle.write(f"INTERN_ACTIONS_REF={SHA}\n")
    mount.parent.mkdir()
    shutil.copy2(host / "github-app.pem", mount)

    passed = read_docker_env_file(host / ".env", host_env={})
    assert passed["INTERN_GITHUB_PRIVATE_KEY_PATH"] == str(mount)
    assert not any(value.startswith(('"', "'")) for value in passed.values())
    pem = Path(passed["INTERN_GITHUB_PRIVATE_KEY_PATH"]).read_text(encoding="utf-8")
    assert AppTokenProvider(int(passed["INTERN_GITHUB_APP_ID"]), pem, base_url=fake_github.api).token(1)

    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        **passed,  # exactly what Docker passes, plus the image's own ENV:
        "INTERN_HOST": "127.0.0.1",
        "INTERN_PORT": str(port),
        "INTERN_DATABASE_URL": f"sqlite:///{container / 'data' / 'intern-bot.db'}",
        "INTERN_WORKDIR": str(container / "data" / "work"),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
        cwd=container / "data",  # no .env there: the container has only its environment
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer /healthz"
                time.sleep(0.2)
        body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhook",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "ping",
                "X-GitHub-Delivery": "deploy-test-1",
                "X-Hub-Signature-256": sign(passed["INTERN_WEBHOOK_SECRET"].encode(), body),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status in (200, 202)
    finally:
        process.terminate()
        process.wait(timeout=30)
