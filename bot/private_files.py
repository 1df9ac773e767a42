"""The bot's own files are private (issue #17, M1): the SQLite database, its WAL and shared-memory files, `.env`
and the App key file are 0600, and a directory the bot creates for them is 0700.

A `local` sandbox user (or any other local account) could otherwise read every tenant's stored payloads in the
database, private issue text included, and the secrets in `.env`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def make_private(path: Path) -> bool:
    """Take group and other permissions off an existing file of ours (no symlink followed); True if changed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o077 or info.st_uid != os.geteuid():
        return False
    os.chmod(path, stat.S_IMODE(info.st_mode) & 0o600)
    log.warning("%s was readable by other users: its mode is now 0600", path)
    return True


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL, None for another database or an in-memory one (pure)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def private_sqlite(url: str) -> None:
    """Before SQLite opens it: a missing parent dir is created 0700, a missing database file 0600 (SQLite gives
    its WAL and shared-memory files the database file's mode), and existing ones lose group and other access."""
    path = sqlite_path(url)
    if path is None:
        return
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    for suffix in SQLITE_COMPANIONS:
        make_private(path.with_name(path.name + suffix))
