"""Issue #17, H2: with `local` on, PR code must not become root on the bot's host.

The attack: the bot (root) wrote the PR's files into a project dir the sandbox user already owned, following
symlinks; the process-group kill missed a child that had called `setsid()`; that leftover process planted
`run-<N+1>/train.py -> site-packages/x.pth`, root wrote PR content through the link, and the next Python that
root started (`local_publish`, with the Hub token) ran it. These tests reproduce both halves with a real
unprivileged uid (root only; skipped otherwise, saying why) and show them contained.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.compute.local import project_dir_for, run_stage, subprocess_env
from bot.compute.sandbox import Sandbox, hand_over, popen_kwargs, prepare_workdir
from bot.context import Ctx
from bot.runs.local_tasks import local_train
from bot.states import RunState
from tests.unit.bot.bot_harness import make_services, seed_repo, seed_run
from tests.unit.bot.fake_gateway import FakeGateway

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="switching to another user needs root: run the suite as root to check the sandbox for real",
)

# The PR's code: a daemon (fork, setsid, fork) that outlives the stage unless every process of the user is killed.
DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(120)
    os._exit(0)
"""
PLANT = "import os, sys; os.symlink(sys.argv[1], sys.argv[2])"


def _processes(uid: int) -> list[int]:
    """This test's own view of /proc: live (not zombie) pids with `uid` as real, effective or saved uid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines = (entry / "status").read_text().splitlines()
            except OSError:
                continue
            state = next((line.split()[1] for line in lines if line.startswith("State:")), "")
            uids = next((line.split()[1:4] for line in lines if line.startswith("Uid:")), [])
            if state != "Z" and str(uid) in uids:
                found.append(int(entry.name))
    return found


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A uid nobody uses on this machine (no passwd entry, no process): killing all of its processes is safe."""
    uid = next(u for u in range(61000, 62000) if not _has_entry(u) and not _processes(u))
    yield Sandbox(user=str(uid), uid=uid, gid=uid)
    for pid in _processes(uid):  # whatever the code under test left behind
        os.kill(pid, 9)


def _has_entry(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


@pytest.fixture
def base() -> Iterator[Path]:
    """A directory the sandbox may traverse (pytest's tmp_path is root's 0700)."""
    with tempfile.TemporaryDirectory(prefix="intern-h2-") as root:
        os.chmod(root, 0o755)
        yield Path(root)


def _python(sandbox: Sandbox) -> str:
    """An interpreter the sandbox user may execute (the bot's may live under root's 0700 home)."""
    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        try:
            probe = subprocess.run(  # type: ignore[call-overload]
                [candidate, "-I", "-c", "pass"], capture_output=True, check=False, **popen_kwargs(sandbox)
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate
    pytest.skip(f"no Python interpreter that {sandbox.describe()} may execute")


def test_a_setsid_child_does_not_outlive_its_stage(sandbox: Sandbox, base: Path) -> None:
    project = base / "work" / "run-1"
    prepare_workdir(base / "work", project, sandbox)
    hand_over(project, sandbox)
    run_stage(
        "train",
        project,
        timeout_s=60,
        env=subprocess_env(os.environ, project),
        sandbox=sandbox,
        command=[_python(sandbox), "-I", "-c", DAEMON],
    )
    assert sandbox.uid is not None
    assert _processes(sandbox.uid) == []


def test_the_bot_never_writes_through_a_link_the_sandbox_planted(sandbox: Sandbox, base: Path) -> None:
    """A leftover sandbox process tries to plant `train.py -> <root's site-packages>/x.pth` while the bot checks
    the PR out (deterministically: from inside the checkout); the bot must not write PR content through it."""
    python = _python(sandbox)
    site_packages = base / "root-only" / "site-packages"
    site_packages.mkdir(parents=True)
    os.chmod(base / "root-only", 0o700)
    victim = site_packages / "x.pth"
    planted: list[str] = []

    class PlantingGateway(FakeGateway):
        def read_file(self, repo: str, path: str, ref: str, max_bytes: int | None = None) -> bytes | None:
            if path == "train.py":
                target = project_dir_for(base / "work", run_id) / "train.py"
                attempt = subprocess.run(  # type: ignore[call-overload]
                    [python, "-I", "-c", PLANT, str(victim), str(target)],
                    capture_output=True,
                    text=True,
                    check=False,
                    **popen_kwargs(sandbox),
                )
                planted.append("planted" if attempt.returncode == 0 else attempt.stderr.strip().splitlines()[-1])
            return super().read_file(repo, path, ref, max_bytes)

    gateway = PlantingGateway()
    seed_repo(gateway)
    services = make_services(
        base,
        gateway,
        compute_allowed=["actions", "local"],
        local_run_as=sandbox.user,
        local_unsandboxed=False,
        workdir=base / "work",
        local_timeout_s=120,
    )
    run = seed_run(services, gateway, RunState.TRAINING, compute="local")
    run_id = run.id
    local_train(Ctx(services, gateway, "h2"), {"run_id": run.id})

    assert planted and "planted" not in planted, planted  # the project was the bot's while it wrote
    assert not victim.exists() and not victim.is_symlink()
    project = project_dir_for(base / "work", run.id)
    assert (project / "train.py").read_bytes() == b"print(1)\n"
    info = project.stat()
    assert info.st_uid == os.geteuid() and info.st_mode & 0o777 == 0o700  # taken back after the stages
    assert sandbox.uid is not None and _processes(sandbox.uid) == []
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "failed"  # the seeded project is not a real one (or, here, the
    # sandbox user may not run the bot's interpreter): what matters is what the bot wrote, and where


def test_files_the_sandbox_left_in_temp_dirs_are_swept(sandbox: Sandbox, base: Path) -> None:
    from bot.compute.sandbox import sweep_user_files

    shared = base / "tmp"
    shared.mkdir(mode=0o1777)
    os.chmod(shared, 0o1777)
    assert sandbox.uid is not None and sandbox.gid is not None
    left = shared / "exfil"
    left.mkdir()
    (left / "copy-of-the-data.csv").write_text("secret rows")
    (left / "link").symlink_to("/etc")
    os.lchown(left / "copy-of-the-data.csv", sandbox.uid, sandbox.gid)
    os.lchown(left, sandbox.uid, sandbox.gid)
    mine = shared / "bot-file"
    mine.write_text("keep")
    assert sweep_user_files(sandbox, (shared,)) == [str(left)]
    assert not left.exists() and mine.exists() and Path("/etc").is_dir()
