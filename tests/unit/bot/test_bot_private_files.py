"""Issue #17, M1: the bot's database and `.env` are private (0600, in a 0700 folder in the image): a `local`
sandbox user could read every tenant's stored payloads, private issue text included."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.settings import Settings, require_serving
from bot.store import Store

ROOT = Path(__file__).resolve().parents[3]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_the_database_and_its_wal_are_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = Store(f"sqlite:///{tmp_path / 'data' / 'intern-bot.db'}")
        store.create_all()
        store.audit("octo/x", "alice", "private issue text", None)
    finally:
        os.umask(old)
    database = tmp_path / "data" / "intern-bot.db"
    assert _mode(database) == 0o600
    assert _mode(database.with_name("intern-bot.db-wal")) == 0o600
    assert _mode(tmp_path / "data") == 0o700  # created by the bot: 0700
    store.dispose()


def test_an_existing_readable_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    Store(f"sqlite:///{database}").create_all()
    assert _mode(database) == 0o600


def test_serving_makes_env_and_the_key_file_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env, key = tmp_path / ".env", tmp_path / "app.pem"
    env.write_text("INTERN_WEBHOOK_SECRET=x\n")
    key.write_text("-----BEGIN KEY-----\n")
    os.chmod(env, 0o644)
    os.chmod(key, 0o640)
    settings = Settings(
        _env_file=None,
        webhook_secret="s" * 32,
        github_app_id=1,
        github_private_key_path=key,
        actions_ref="a" * 40,
    )
    require_serving(settings)
    assert _mode(env) == 0o600 and _mode(key) == 0o600


def test_sqlite_path() -> None:
    from bot.private_files import sqlite_path

    assert sqlite_path("sqlite:////data/intern-bot.db") == Path("/data/intern-bot.db")
    assert sqlite_path("sqlite:///intern-bot.db") == Path("intern-bot.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql://u@h/db") is None


def test_the_image_keeps_data_private() -> None:
    """The image's /data (database, work dirs) is 0700, owned by the bot's user."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "install -d -m 0700 -o intern -g intern /data" in dockerfile
    assert "INTERN_DATABASE_URL=sqlite:////data/" in dockerfile
