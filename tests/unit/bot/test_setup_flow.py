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


def _credentials(secret: str | None = "0123456789abcdef0123") -> AppCredentials:
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
    env_file, key_file = tmp_path / ".env", tmp_path / "github-app.pem"
    options = SetupOptions("https://x.org", api_url="https://ghe.local/api/v3", env_file=env_file)
    key_file.write_text(PEM)
    env_file.write_text(env_text(_credentials(secret="0123456789abcdef0123"), options))
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.github_app_id == 7 and settings.private_key_pem() == PEM
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == "0123456789abcdef0123"
    assert settings.github_api_url == "https://ghe.local/api/v3"
    assert settings.github_private_key_path == key_file.resolve()


def test_env_text_is_bare_key_value_lines(tmp_path: Path) -> None:
    options = SetupOptions("https://x.org", env_file=tmp_path / ".env", key_path_in_env="/run/secrets/github-app.pem")
    text = env_text(_credentials(secret="0123456789abcdef0123"), options)
    for line in text.splitlines():
        assert line.startswith("#") or ("=" in line and '"' not in line and "'" not in line)
    assert "INTERN_GITHUB_PRIVATE_KEY_PATH=/run/secrets/github-app.pem\n" in text
    assert "BEGIN RSA" not in text


@pytest.mark.parametrize("secret", ['a"quoted', "with space", "hash#tag", "dollar${HOME}", "back\\slash", "q'x"])
def test_env_text_refuses_values_that_env_readers_disagree_on(secret: str) -> None:
    with pytest.raises(SetupError, match="INTERN_WEBHOOK_SECRET"):
        env_text(_credentials(secret=secret), SetupOptions("https://x.org"))


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
