"""Where the `local` backend runs a pull request's code: as an unprivileged user, with a scrubbed environment.

The PR's `train.py` is untrusted code. The `local` backend is off unless the operator allows it
(`INTERN_COMPUTE_ALLOWED`), and then it runs every stage as `INTERN_LOCAL_RUN_AS` (a dedicated user with no
access to the bot's files: create one with `useradd --system --no-create-home intern-sandbox`, or give a
numeric uid), with an environment built from an allowlist (never the bot's `INTERN_*`, `HF_*` tokens or
`GITHUB_*` values). Dropping to another user needs the bot to run as root (or CAP_SETUID, CAP_SETGID, CAP_KILL).

Issue #17, H2: the bot runs as root, so it must never write where the sandbox can plant a symlink, and nothing
the sandbox starts may outlive its stage. So: one sandboxed run at a time on a host (`sandbox_lock`); every
process of the sandbox user is killed after each stage (`kill_user`: `kill(-1)` sent as that user, which
reaches children that called `setsid()` and left the process group), and its files in the world-writable
temp dirs are removed (`sweep_user_files`); the project dir is created by the bot, filled while the bot owns it,
handed to the sandbox user last (`hand_over`) and taken back when the stages end (`take_back`), so a later
run, of any tenant, can neither read nor change it. The sandbox user must be dedicated to this: every process
it runs is killed.

`INTERN_LOCAL_UNSANDBOXED=true` runs the stages as the bot's own user instead: for a single-user development
machine and the tests only, since the PR's code can then read everything the bot can.

Files the sandbox wrote are read back with `read_regular_file` (no symlink is followed: a `reports/eval.md`
that links to the bot's private key is refused, not committed to the PR).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator, Mapping
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
    uid, gid = _user_ids(run_as)
    if uid == 0 or uid == os.geteuid():
        raise ConfigurationError(
            f"INTERN_LOCAL_RUN_AS={run_as} is root or the bot's own user: pull-request code would be able to read "
            "the bot's secrets; use a dedicated unprivileged user"
        )
    if os.geteuid() != 0:
        raise ConfigurationError(
            f"INTERN_LOCAL_RUN_AS={run_as} needs the bot to run as root (or with CAP_SETUID and CAP_SETGID) to "
            "switch users; run the local backend in a container otherwise"
        )
    return Sandbox(user=run_as, uid=uid, gid=gid)


def _user_ids(run_as: str) -> tuple[int, int]:
    """uid and gid of a user name, or of a numeric uid (gid: the user's when it has an entry, else the same)."""
    if run_as.isdigit():
        uid = int(run_as)
        try:
            return uid, pwd.getpwuid(uid).pw_gid
        except KeyError:
            return uid, uid
    try:
        entry = pwd.getpwnam(run_as)
    except KeyError:
        raise ConfigurationError(f"INTERN_LOCAL_RUN_AS={run_as}: no such user on this machine") from None
    return entry.pw_uid, entry.pw_gid


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


def check_workdir(workdir: Path) -> None:
    """The workdir must be a real directory of the bot's, that nobody else may write (else a ConfigurationError):
    the sandbox may traverse it, never create or swap an entry in it."""
    info = os.lstat(workdir)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise ConfigurationError(
            f"INTERN_WORKDIR={workdir} must be a directory owned by the bot's user and writable by nobody else"
        )


def prepare_workdir(workdir: Path, project: Path, sandbox: Sandbox) -> None:
    """A fresh `project` dir (0700) under `workdir`, OWNED BY THE BOT until `hand_over`: the bot writes the
    checkout into it while the sandbox cannot enter it, so no symlink can be planted for the bot to follow."""
    workdir.mkdir(parents=True, exist_ok=True)
    if sandbox.isolated:
        os.chmod(workdir, 0o711)  # traversable, not listable
        check_workdir(workdir)
    shutil.rmtree(project, ignore_errors=True)  # fd-based: never follows a link the sandbox left in it
    project.mkdir(mode=0o700)
    (project / ".tmp").mkdir(mode=0o700)


def hand_over(project: Path, sandbox: Sandbox) -> None:
    """Give the checkout to the sandbox user: everything inside first, `project` itself last, so the sandbox
    cannot enter the tree while it is being handed over."""
    if not sandbox.isolated:
        return
    assert sandbox.uid is not None and sandbox.gid is not None
    for root, dirs, files in os.walk(project, topdown=False):
        for name in [*dirs, *files]:
            os.lchown(Path(root) / name, sandbox.uid, sandbox.gid)
    os.lchown(project, sandbox.uid, sandbox.gid)


def take_back(project: Path, sandbox: Sandbox) -> None:
    """After the stages (and `kill_user`): `project` is the bot's again (0700), so a later sandboxed run, of this
    tenant or another, can neither read the model nor change what will be committed or published."""
    if not sandbox.isolated:
        return
    with contextlib.suppress(FileNotFoundError):
        os.lchown(project, os.geteuid(), os.getegid())
        os.chmod(project, 0o700, follow_symlinks=False)


@contextlib.contextmanager
def sandbox_lock(workdir: Path) -> Iterator[None]:
    """One sandboxed run at a time on this host (an exclusive `flock` on a file of the bot's in `workdir`):
    `kill_user` after a stage must not kill another run's stage, and no run may see another one's files."""
    workdir.mkdir(parents=True, exist_ok=True)
    fd = os.open(workdir / ".sandbox.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def processes_of(uid: int) -> list[int]:
    """Pids of the live processes whose real, effective or saved uid is `uid` (from /proc; zombies, which run
    nothing and wait for their parent to reap them, are left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
        except OSError:  # gone meanwhile
            continue
        if fields.get("State", "").split()[:1] != ["Z"] and str(uid) in fields.get("Uid", "").split()[:3]:
            found.append(int(entry.name))
    return found


KILL_ALL = ["/bin/sh", "-c", "kill -9 -1"]  # any POSIX shell's builtin kill; the shell itself is spared


def kill_user(sandbox: Sandbox, rounds: int = 5) -> list[int]:
    """Kill every process of the sandbox user, wherever its session or process group: `kill(-1, SIGKILL)` sent
    as that user reaches all of them in one step (the kernel holds the task list, so no fork escapes it), then
    whatever /proc still shows is killed one by one. Returns the pids still there (empty: all gone). A no-op for
    the unsandboxed development mode, where the process group kill is all there is."""
    if not sandbox.isolated:
        return []
    assert sandbox.uid is not None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(  # type: ignore[call-overload]
            KILL_ALL,
            env={},
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
            **popen_kwargs(sandbox),
        )
    for _ in range(rounds):
        left = processes_of(sandbox.uid)
        if not left:
            return []
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    return processes_of(sandbox.uid)


TEMP_DIRS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))  # world-writable: swept, not used


def sweep_user_files(sandbox: Sandbox, roots: tuple[Path, ...] = TEMP_DIRS) -> list[str]:
    """Remove what the sandbox user left at the top of the world-writable temp dirs (a later run must not find
    it); call after `kill_user`. Returns what was removed."""
    if not sandbox.isolated:
        return []
    removed = []
    for root in roots:
        try:
            entries = list(os.scandir(root))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid != sandbox.uid:
                continue
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path, ignore_errors=True)  # fd-based: links inside are removed, not followed
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            removed.append(entry.path)
    return removed


def popen_kwargs(sandbox: Sandbox) -> dict[str, object]:
    """`subprocess.Popen` arguments: a new session (so the group can be killed), the sandbox identity."""
    kwargs: dict[str, object] = {"start_new_session": True, "umask": 0o077}
    if sandbox.isolated:
        kwargs.update(user=sandbox.uid, group=sandbox.gid, extra_groups=[])
    return kwargs


def kill_group(pid: int) -> None:
    """Kill whatever the stage left running in its process group (a child that called `setsid()` is not in it:
    `kill_user` gets those)."""
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
