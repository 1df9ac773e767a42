"""The pure parts of `intern-bot setup`: where the form goes, what .env holds, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.setup_flow import AppCredentials, SetupError, SetupOptions, env_text, new_app_url, write_private

PEM = "-----BEGIN RSA PRIVATE KEY-----\nAAA=\n-----END RSA PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    ("github_url", "org", "expected"),
    [
        ("https://github.com", None, "https://github.com/settings/apps/new?state=s+1"),
        ("https://github.com/", "acme", "https://github.com/organizations/acme/settings/apps/new?state=s+1"),
        ("https://ghe.local", "a/b", "https://ghe.local/organizations/a%2Fb/settings/apps/new?state=s+1"),
    ],
)
def test_new_app_url(github_url: str, org: str | None, expected: str) -> None:
    assert new_app_url(github_url, org, "s 1") == expected


def _credentials(secret: str | None = 'a"quoted\\secret-0123456789') -> AppCredentials:
    return AppCredentials(
        id=7,
        slug="ml-intern",
        name="ML Intern",
        html_url="https://github.com/apps/ml-intern",
        pem=PEM,
        webhook_secret=secret,
        client_id="Iv1.x",
        client_secret="y",
    )


def test_env_text_round_trips_through_the_settings(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(env_text(_credentials(), SetupOptions("https://x.org", api_url="https://ghe.local/api/v3")))
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.github_app_id == 7 and settings.private_key_pem() == PEM
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == 'a"quoted\\secret-0123456789'
    assert settings.github_api_url == "https://ghe.local/api/v3"


def test_env_text_needs_a_webhook_secret() -> None:
    with pytest.raises(SetupError, match="INTERN_WEBHOOK_SECRET"):
        env_text(_credentials(None), SetupOptions("https://x.org"))


def test_write_private_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    write_private(path, "one", force=False)
    with pytest.raises(SetupError, match="--force"):
        write_private(path, "two", force=False)
    path.chmod(0o666)
    write_private(path, "three", force=True)
    assert path.read_text() == "three" and path.stat().st_mode & 0o777 == 0o600
