from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.settings import Settings, load_settings, missing_for_serving, require_serving

GOOD_SECRET = "0123456789abcdef0123"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("INTERN_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_refuses_to_serve_naming_every_missing_variable() -> None:
    with pytest.raises(ConfigurationError) as info:
        require_serving(load_settings())
    message = str(info.value)
    assert "INTERN_WEBHOOK_SECRET" in message
    assert "INTERN_GITHUB_APP_ID" in message
    assert "INTERN_GITHUB_PRIVATE_KEY" in message


def test_names_only_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERN_WEBHOOK_SECRET", GOOD_SECRET)
    monkeypatch.setenv("INTERN_GITHUB_APP_ID", "42")
    monkeypatch.setenv("INTERN_ACTIONS_REF", "fedcba9876543210fedcba9876543210fedcba98")
    assert missing_for_serving(load_settings()) == ["INTERN_GITHUB_PRIVATE_KEY (or INTERN_GITHUB_PRIVATE_KEY_PATH)"]


def test_actions_must_be_pinned_to_a_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERN_WEBHOOK_SECRET", GOOD_SECRET)
    monkeypatch.setenv("INTERN_GITHUB_APP_ID", "42")
    monkeypatch.setenv("INTERN_GITHUB_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nabc\n")
    assert missing_for_serving(load_settings()) == ["INTERN_ACTIONS_REF (a full commit SHA of ml-intern/ml-intern-bot)"]
    monkeypatch.setenv("INTERN_ACTIONS_REF", "v1.0")
    with pytest.raises(ConfigurationError, match="ACTIONS_REF"):
        load_settings()


def test_complete_settings_from_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nabc\n", encoding="utf-8")
    (tmp_path / ".env").write_text(
        f"INTERN_WEBHOOK_SECRET={GOOD_SECRET}\nINTERN_GITHUB_APP_ID=7\nUNRELATED=1\nINTERN_COMPUTE=local\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("INTERN_GITHUB_PRIVATE_KEY_PATH", str(key))
    monkeypatch.setenv("INTERN_COMPUTE", "hf-jobs")  # real env wins over .env
    monkeypatch.setenv("INTERN_COMPUTE_ALLOWED", "actions, hf-jobs")
    monkeypatch.setenv("INTERN_HF_JOBS_TOKEN", "hf_jobs_token_for_the_results_repo")  # hf-jobs needs its own
    monkeypatch.setenv("INTERN_ACTIONS_REF", "fedcba9876543210fedcba9876543210fedcba98")
    settings = require_serving(load_settings())
    assert settings.github_app_id == 7
    assert settings.compute == "hf-jobs"
    assert settings.private_key_pem() == key.read_text(encoding="utf-8")
    assert GOOD_SECRET not in repr(settings)


@pytest.mark.parametrize(
    "secret", ["changeme", "CHANGETHIS", "<your-webhook-secret>", "xxxxxxxxxxxxxxxxxxxx", "${WEBHOOK_SECRET}", "short"]
)
def test_placeholder_and_short_secrets_are_rejected(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("INTERN_WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigurationError, match="INTERN_WEBHOOK_SECRET"):
        load_settings()


def test_unreadable_key_path_fails_at_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INTERN_WEBHOOK_SECRET", GOOD_SECRET)
    monkeypatch.setenv("INTERN_GITHUB_APP_ID", "1")
    monkeypatch.setenv("INTERN_GITHUB_PRIVATE_KEY_PATH", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("INTERN_ACTIONS_REF", "fedcba9876543210fedcba9876543210fedcba98")
    with pytest.raises(ConfigurationError, match="INTERN_GITHUB_PRIVATE_KEY_PATH"):
        require_serving(load_settings())


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERN_COMPUTE", "mainframe")
    with pytest.raises(ConfigurationError, match="INTERN_COMPUTE"):
        load_settings()


def test_secret_values_lists_what_to_redact() -> None:
    settings = Settings(_env_file=None, webhook_secret=GOOD_SECRET, hf_token="hf_realtokenvalue123")
    assert set(settings.secret_values()) == {GOOD_SECRET, "hf_realtokenvalue123"}
