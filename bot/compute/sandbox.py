"""Where the `local` backend runs a pull request's code: as an unprivileged user, with a scrubbed environment.

The PR's `train.py` is untrusted code. The `local` backend is off unless the operator allows it
(`INTERN_COMPUTE_ALLOWED`), and then it runs every stage as `INTERN_LOCAL_RUN_AS` (a dedicated user with no
access to the bot's files: create one with `useradd --system --no-create-home intern-sandbox`), in a new
session whose whole process group is killed when the stage ends, in a working directory owned by that user,
with an environment built from an allowlist (never the bot's `INTERN_*`, `HF_*` tokens or `GITHUB_*`
values). Dropping to another user needs the bot to run as root (or with CAP_SETUID and CAP_SETGID).

`INTERN_LOCAL_UNSANDBOXED=true` runs the stages as the bot's own user instead: for a single-user development
machine and the tests only, since the PR's code can then read everything the bot can.

Files the sandbox wrote are read back with `read_regular_file` (no symlink is followed: a `reports/eval.md`
that links to the bot's private key is refused, not committed to the PR).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.errors import ConfigurationError

# Only these variables of the bot's environment reach the sandbox; none of them is a credential.
ENV_ALLOWLIST = frozenset(
    {
        "PATH",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TZ",
        "HF_ENDPOINT",
        "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_HUB_DISABLE_XET",
        "HF_HUB_DISABLE_TELEMETRY",
        "OMP_NUM_THREADS",
        "CUDA_VISIBLE_DEVICES",
        "PYTHONPATH",  # where the bot's own runner code is (the operator's); `python -P` never adds the project dir
    }
)
SECRET_PREFIXES = ("INTERN_", "GITHUB_", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_", "AWS_", "GH_")


@dataclass(frozen=True)
class Sandbox:
    """The identity a stage runs as: `uid`/`gid` None means the bot's own user (unsandboxed)."""

    user: str | None = None
    uid: int | None = None
    gid: int | None = None

    @property
    def isolated(self) -> bool:
        return self.uid is not None

    def describe(self) -> str:
        return f"user {self.user} (uid {self.uid})" if self.isolated else "the bot's own user (UNSANDBOXED)"


def resolve_sandbox(run_as: str | None, unsandboxed: bool) -> Sandbox:
    """The sandbox the settings ask for; refuses a missing user, root, or the bot's own user."""
    if run_as is None:
        if unsandboxed:
            return Sandbox()
        raise ConfigurationError(
            "the local compute backend needs INTERN_LOCAL_RUN_AS (an unprivileged user that cannot read the "
            "bot's files, e.g. `useradd --system --no-create-home intern-sandbox`); INTERN_LOCAL_UNSANDBOXED=true "
            "runs pull-request code as the bot's own user and is for development machines only"
        )
    try:
        entry = pwd.getpwnam(run_as)
    except KeyError:
        raise ConfigurationError(f"INTERN_LOCAL_RUN_AS={run_as}: no such user on this machine") from None
    if entry.pw_uid == 0 or entry.pw_uid == os.geteuid():
        raise ConfigurationError(
            f"INTERN_LOCAL_RUN_AS={run_as} is root or the bot's own user: pull-request code would be able to read "
            "the bot's secrets; use a dedicated unprivileged user"
        )
    if os.geteuid() != 0:
        raise ConfigurationError(
            f"INTERN_LOCAL_RUN_AS={run_as} needs the bot to run as root (or with CAP_SETUID and CAP_SETGID) to "
            "switch users; run the local backend in a container otherwise"
        )
    return Sandbox(user=run_as, uid=entry.pw_uid, gid=entry.pw_gid)


def is_secret_name(name: str) -> bool:
    return name.upper().startswith(SECRET_PREFIXES)


def sandbox_env(parent: Mapping[str, str], home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The stage's environment: the allowlisted variables of the bot's environment `parent` (read at the edge,
    `bot/wiring.py`), a private HOME and TMPDIR, and `extra` (pure)."""
    env = {key: value for key, value in parent.items() if key in ENV_ALLOWLIST}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(
        {
            "HOME": str(home),
            "TMPDIR": str(home / ".tmp"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "HF_HOME": str(home / ".cache" / "huggingface"),
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
            "PYTHONNOUSERSITE": "1",
        }
    )
    env.update(extra or {})
    return env


def prepare_workdir(workdir: Path, project: Path, sandbox: Sandbox) -> None:
    """A fresh `project` dir the sandbox user owns (0700), under a `workdir` it may traverse but not list."""
    workdir.mkdir(parents=True, exist_ok=True)
    if sandbox.isolated:
        os.chmod(workdir, 0o711)
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / ".tmp").mkdir()
    os.chmod(project, 0o700)
    if sandbox.isolated:
        assert sandbox.uid is not None and sandbox.gid is not None
        for path in (project, project / ".tmp"):
            os.chown(path, sandbox.uid, sandbox.gid)


def hand_over(project: Path, sandbox: Sandbox) -> None:
    """Give every file the bot wrote into `project` (the checkout) to the sandbox user."""
    if not sandbox.isolated:
        return
    assert sandbox.uid is not None and sandbox.gid is not None
    for root, dirs, files in os.walk(project):
        for name in [*dirs, *files]:
            os.lchown(Path(root) / name, sandbox.uid, sandbox.gid)


def popen_kwargs(sandbox: Sandbox) -> dict[str, object]:
    """`subprocess.Popen` arguments: a new session (so the group can be killed), the sandbox identity."""
    kwargs: dict[str, object] = {"start_new_session": True, "umask": 0o077}
    if sandbox.isolated:
        kwargs.update(user=sandbox.uid, group=sandbox.gid, extra_groups=[])
    return kwargs


def kill_group(pid: int) -> None:
    """Kill whatever the stage left running in its session (background processes of the PR's code)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def open_regular_file(base: Path, relative: str) -> BinaryIO | None:
    """`base/relative` opened for reading if every component is a real directory and the last one a regular
    file (no symlink followed, no `..`); None otherwise. Sandbox output is read only through this."""
    parts = [part for part in Path(relative).parts if part not in ("", ".")]
    if not parts or any(part == ".." for part in parts) or Path(relative).is_absolute():
        return None
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(base, flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        file_fd = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(file_fd).st_mode):
        os.close(file_fd)
        return None
    return os.fdopen(file_fd, "rb")


def read_regular_file(base: Path, relative: str, max_bytes: int) -> bytes | None:
    """The content of `base/relative` (see `open_regular_file`), None when refused or over `max_bytes`."""
    handle = open_regular_file(base, relative)
    if handle is None:
        return None
    with handle:
        content = handle.read(max_bytes + 1)
    return content if len(content) <= max_bytes else None


PRIVATE_DIRS = frozenset({".cache", ".tmp"})  # the sandbox's HOME caches and TMPDIR: never copied


def copy_regular_tree(source: Path, dest: Path) -> list[str]:
    """Copy the regular files under `source` into `dest`, skipping symlinks, special files and the sandbox's
    caches; returns what was skipped. The bot's own user publishes from such a copy, never from what the
    sandbox wrote."""
    skipped: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    for root, dirs, files in os.walk(source, followlinks=False):
        rel_root = Path(root).relative_to(source)
        if rel_root == Path("."):
            dirs[:] = [name for name in dirs if name not in PRIVATE_DIRS]
        for name in list(dirs):
            if (Path(root) / name).is_symlink():
                dirs.remove(name)
                skipped.append(str(rel_root / name))
        for name in files:
            rel = rel_root / name
            handle = open_regular_file(source, str(rel))
            if handle is None:
                skipped.append(str(rel))
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with handle, target.open("wb") as out:
                shutil.copyfileobj(handle, out)
    return skipped
