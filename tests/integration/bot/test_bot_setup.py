"""`intern-bot setup` over HTTP against the fake GitHub: page -> GitHub's form -> redirect -> code exchange -> .env.

A browser is played by urllib: it loads the local page, posts its form to the fake GitHub's "new App" page,
and follows the 302 back to the local callback. The credentials written to `.env` must then work: the bot's
settings load them, and the App's key gets an installation token from the fake.
"""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.github_auth import AppTokenProvider
from bot.settings import Settings
from bot.setup_flow import SetupOptions, SetupServer
from tests.fakes.github_server import FakeGitHub

pytestmark = pytest.mark.integration
PUBLIC = "https://intern.example.org"


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values["action"]
        elif tag == "input":
            self.fields[values["name"]] = values["value"]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _browser(local_url: str) -> tuple[str, int, str]:
    """Load the page, post its form to GitHub, follow the redirect; (form action, final status, final page)."""
    status, page = _get(f"{local_url}/")
    assert status == 200
    form = _Form()
    form.feed(page)
    data = urllib.parse.urlencode(form.fields).encode()
    request = urllib.request.Request(form.action, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # follows the 302 with a GET
            return form.action, response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return form.action, exc.code, exc.read().decode()


def _options(fake: FakeGitHub, tmp_path: Path, **extra: object) -> SetupOptions:
    values: dict[str, object] = {
        "public_url": PUBLIC,
        "github_url": fake.api,
        "api_url": fake.api,
        "env_file": tmp_path / ".env",
        **extra,
    }
    return SetupOptions(**values)  # type: ignore[arg-type]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_credentials_work(fake: FakeGitHub, env_file: Path) -> Settings:
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.github_app_id == fake.app_id and settings.github_app_slug == fake.app_slug
    assert settings.github_api_url == fake.api
    pem = settings.private_key_pem()
    assert pem is not None and pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    token = AppTokenProvider(fake.app_id, pem, base_url=fake.api).token(1)
    assert token in fake.issued_tokens
    return settings


@pytest.fixture(autouse=True)
def _no_intern_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("INTERN_"):
            monkeypatch.delenv(key)


def test_user_flow_writes_working_credentials_to_a_private_env(fake_github: FakeGitHub, tmp_path: Path) -> None:
    server = SetupServer(_options(fake_github, tmp_path, name="My Intern")).start()
    try:
        action, status, page = _browser(server.url)
        assert server.wait(5) is not None
    finally:
        server.stop()
    assert action == f"{fake_github.api}/settings/apps/new?state={server.state}"
    assert status == 200
    assert "https://github.com/apps/my-intern/installations/new" in page
    env_file = tmp_path / ".env"
    assert _mode(env_file) == 0o600
    settings = _assert_credentials_work(fake_github, env_file)
    assert settings.webhook_secret is not None and len(settings.webhook_secret.get_secret_value()) == 40
    (created,) = fake_github.apps_created
    manifest = created["manifest"]
    assert created["org"] is None and manifest["name"] == "My Intern"
    assert manifest["hook_attributes"]["url"] == f"{PUBLIC}/webhook"
    assert manifest["redirect_url"] == f"{server.url}/callback"
    assert manifest["default_permissions"]["workflows"] == "write"
    assert [e.template for e in fake_github.exchanges][:1] == ["/app-manifests/{code}/conversions"]


def test_org_flow_with_a_key_file(fake_github: FakeGitHub, tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    server = SetupServer(_options(fake_github, tmp_path, org="acme", key_file=key_file)).start()
    try:
        action, status, _ = _browser(server.url)
    finally:
        server.stop()
    assert urllib.parse.urlsplit(action).path == "/organizations/acme/settings/apps/new" and status == 200
    assert fake_github.apps_created[0]["org"] == "acme"
    assert _mode(key_file) == 0o600 and _mode(tmp_path / ".env") == 0o600
    env_text = (tmp_path / ".env").read_text()
    assert "INTERN_GITHUB_PRIVATE_KEY_PATH=" in env_text and "BEGIN RSA" not in env_text
    _assert_credentials_work(fake_github, tmp_path / ".env")


def test_a_wrong_state_is_refused_and_a_used_flow_cannot_be_replayed(fake_github: FakeGitHub, tmp_path: Path) -> None:
    server = SetupServer(_options(fake_github, tmp_path)).start()
    try:
        assert _get(f"{server.url}/callback?code=abc&state=forged")[0] == 400
        assert _get(f"{server.url}/callback?state={server.state}")[0] == 400  # no code
        assert not (tmp_path / ".env").exists() and fake_github.exchanges == []
        assert _get(f"{server.url}/callback?code=unknown&state={server.state}")[0] == 502  # GitHub: 404
        assert not (tmp_path / ".env").exists() and server.credentials is None
        _, status, _ = _browser(server.url)
        assert status == 200
        assert _get(f"{server.url}/callback?code=again&state={server.state}")[0] == 409
    finally:
        server.stop()
    assert len(fake_github.apps_created) == 1


def test_an_existing_env_is_kept_unless_forced(fake_github: FakeGitHub, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("KEEP=1\n")
    env_file.chmod(0o644)
    result = CliRunner().invoke(app, ["setup", "--url", PUBLIC, "--env-file", str(env_file), "--no-open"])
    assert result.exit_code == 2 and "--force" in result.output
    assert env_file.read_text() == "KEEP=1\n"

    blocked = SetupServer(_options(fake_github, tmp_path)).start()  # created meanwhile: still not overwritten
    try:
        _, status, page = _browser(blocked.url)
    finally:
        blocked.stop()
    assert status == 502 and "--force" in page and env_file.read_text() == "KEEP=1\n"

    forced = SetupServer(_options(fake_github, tmp_path, force=True)).start()
    try:
        _, status, _ = _browser(forced.url)
    finally:
        forced.stop()
    assert status == 200 and _mode(env_file) == 0o600 and "KEEP" not in env_file.read_text()
    _assert_credentials_work(fake_github, env_file)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_cli_runs_the_whole_flow(fake_github: FakeGitHub, tmp_path: Path) -> None:
    port, env_file = _free_port(), tmp_path / ".env"
    args = ["setup", "--url", PUBLIC, "--github-url", fake_github.api, "--api-url", fake_github.api]
    args += ["--env-file", str(env_file), "--port", str(port), "--no-open", "--timeout", "30"]
    outcome: dict[str, object] = {}
    thread = threading.Thread(target=lambda: outcome.update(result=CliRunner().invoke(app, args)))
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    _, status, _ = _browser(f"http://127.0.0.1:{port}")
    thread.join(30)
    result = outcome["result"]
    assert status == 200 and result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "installations/new" in result.output  # type: ignore[attr-defined]
    _assert_credentials_work(fake_github, env_file)
