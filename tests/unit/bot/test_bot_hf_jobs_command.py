"""The Hugging Face Job's command: untrusted values only through the environment; results always uploaded.

The script is run for real by bash, with stub `pip`, `git` and `intern` executables on PATH that record their
arguments, so the test sees what the job would do (and that a hostile branch name is never executed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.compute.hf_jobs import JOB_SCRIPT, job_command, job_env, results_prefix, results_repo_id
from bot.runs.hf_watch import decide, wanted_report
from bot.store import Run

HOSTILE = '$(touch pwned)";touch pwned;"`touch pwned`'
SHA = "a" * 40

STUBS = {
    "pip": 'echo "pip $*" >> calls.log; env > pip-env.log',
    "git": (
        'echo "git $*" >> calls.log\n'
        'if [ "$1" = clone ]; then mkdir -p sandbox/project; fi\n'
        'if [ "$1" = -C ]; then cat "$(dirname "$0")/head"; fi'  # runs sandboxed: no INTERN_* here
    ),
    # the sandbox: `setpriv ... -- CMD` records the user and runs CMD as the test's user. The cleanup
    # (`bash -c '... kill -KILL -1'`) is recorded and NEVER run: as the test's user it would kill everything.
    "id": 'if [ "$1" = -u ]; then echo 0; fi',
    "useradd": 'echo "useradd $*" >> calls.log',
    "chown": 'echo "chown $*" >> calls.log',
    "setpriv": (
        'echo "setpriv $1" >> calls.log\n'
        'while [ "$1" != -- ]; do shift; done; shift\n'
        'if [ "$1" = bash ]; then echo "cleanup $*" >> calls.log; exit 0; fi\n'
        'exec "$@"'
    ),
    "intern": (
        'echo "intern $*" >> calls.log\n'
        'if [ "$1" = train ]; then env > train-env.log; fi\n'
        'if [ "$1" = "$(cat "$(dirname "$0")/fail")" ]; then echo "boom in $1"; exit 3; fi\n'
        'if [ "$1" = upload-results ]; then env > upload-env.log; exit "${STUB_UPLOAD_RC:-0}"; fi'
    ),
}


def _run(branch: str = "intern/1-tickets") -> Run:
    return Run(id=42, repo="octo/tickets", branch=branch, head_sha=SHA, approved_sha=SHA, data_json="{}")


def _execute(tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        stub = bin_dir / name
        stub.write_text(f"#!/bin/sh\n{body}\n")
        stub.chmod(0o755)
    (bin_dir / "head").write_text(env.get("STUB_HEAD", SHA))  # the sandboxed stubs see no environment
    (bin_dir / "fail").write_text(env.get("STUB_FAIL", "none"))
    work = tmp_path / "work"
    work.mkdir()
    job_environment = job_env(_run(HOSTILE), "intern-user/intern-runs")
    secret = {"HF_TOKEN": "hf_job_secret_token"}
    full = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **secret, **job_environment, **env}
    done = subprocess.run(job_command(), cwd=work, env=full, capture_output=True, text=True, timeout=30)
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()
    calls = (work / "calls.log").read_text().splitlines() if (work / "calls.log").exists() else []
    return done.returncode, calls


def test_the_script_is_constant_and_values_travel_in_env() -> None:
    command = job_command(_run(HOSTILE))
    assert command == ["bash", "-c", JOB_SCRIPT]
    assert "touch" not in JOB_SCRIPT and "octo" not in JOB_SCRIPT and SHA not in JOB_SCRIPT
    env = job_env(_run(HOSTILE), results_repo_id(None, "octo/tickets"))
    assert env["INTERN_BRANCH"] == HOSTILE and env["INTERN_SHA"] == SHA
    assert env["INTERN_RESULTS_REPO"] == "octo/intern-runs" and env["INTERN_RESULTS_PREFIX"] == "runs/42"
    assert results_repo_id("hf-team", "octo/tickets") == "hf-team/intern-runs" and results_prefix(7) == "runs/7"


def test_stages_run_then_results_are_uploaded(tmp_path: Path) -> None:
    code, calls = _execute(tmp_path)
    assert code == 0
    stages = [call.split()[1] for call in calls if call.startswith("intern ")]
    assert stages == ["train", "evaluate", "stress", "card", "upload-results"]
    clone = next(call for call in calls if call.startswith("git clone"))
    assert HOSTILE in clone  # passed as one argument, as data
    upload = calls[-1].split()
    assert upload[upload.index("--repo-id") + 1] == "intern-user/intern-runs"
    assert upload[upload.index("--path-prefix") + 1] == "runs/42"
    assert (tmp_path / "work" / "intern-job.log").read_text().count("boom") == 0


def test_a_failed_stage_still_uploads_and_keeps_its_exit_status(tmp_path: Path) -> None:
    code, calls = _execute(tmp_path, STUB_FAIL="evaluate")
    assert code == 3
    stages = [call.split()[1] for call in calls if call.startswith("intern ")]
    assert stages == ["train", "evaluate", "upload-results"]
    assert "boom in evaluate" in (tmp_path / "work" / "intern-job.log").read_text()


def test_a_moved_branch_is_refused_but_reported(tmp_path: Path) -> None:
    code, calls = _execute(tmp_path, STUB_HEAD="b" * 40)
    assert code != 0
    assert [call.split()[1] for call in calls if call.startswith("intern ")] == ["upload-results"]
    assert "no longer at the approved commit" in (tmp_path / "work" / "intern-job.log").read_text()


def test_a_failed_upload_fails_a_successful_job(tmp_path: Path) -> None:
    code, _calls = _execute(tmp_path, STUB_UPLOAD_RC="1")
    assert code == 1


def test_watch_decisions() -> None:
    assert decide("RUNNING", 10, 100) == "wait" and decide("SCHEDULING", 10, 100) == "wait"
    assert decide("RUNNING", 101, 100) == "timed_out"
    assert decide("COMPLETED", 101, 100) == "ingest"
    assert {decide(stage, 1, 100) for stage in ("ERROR", "CANCELED", "DELETED")} == {"failed"}


def test_only_known_reports_of_this_run_are_read() -> None:
    assert wanted_report("runs/4/reports/eval.json", "runs/4", 10) == "eval.json"
    assert wanted_report("runs/4/reports/job.log", "runs/4", 10) == "job.log"
    assert wanted_report("runs/42/reports/eval.json", "runs/4", 10) is None
    assert wanted_report("runs/4/model/config.json", "runs/4", 10) is None
    assert wanted_report("runs/4/reports/other.txt", "runs/4", 10) is None
    assert wanted_report("runs/4/reports/eval.json", "runs/4", 50 * 1024 * 1024) is None


def test_the_prs_code_runs_without_the_token_and_the_package_is_pinned(tmp_path: Path) -> None:
    """Issue #9, item 2: train.py runs in the job, the Hub token is a job secret: they must not meet."""
    code, calls = _execute(tmp_path)
    assert code == 0
    train_env = (tmp_path / "work" / "train-env.log").read_text()
    assert "hf_job_secret_token" not in train_env and "INTERN_RESULTS_REPO" not in train_env
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN=1" in train_env
    assert calls.index("setpriv --reuid=intern-sandbox") < calls.index("intern train sandbox/project")
    # everything the sandbox user left running is killed before the trusted upload
    assert calls[-3] == "setpriv --reuid=intern-sandbox" and "kill -KILL -1" in calls[-2]
    assert calls[-1].startswith("intern upload-results")
    pip = next(call for call in calls if call.startswith("pip install"))
    assert pip.endswith("ml-intern-bot[train]==0.1.0")


def test_uploads_never_follow_a_symlink(tmp_path: Path) -> None:
    from runner.stages.results_upload import collect_results

    secret = tmp_path / "environ"
    secret.write_text("HF_TOKEN=hf_job_secret_token")
    project = tmp_path / "project"
    (project / "reports").mkdir(parents=True)
    (project / "reports" / "eval.json").write_text("{}")
    (project / "reports" / "stolen.json").symlink_to(secret)
    (project / "model").mkdir()
    (project / "model" / "linked").symlink_to(tmp_path, target_is_directory=True)
    assert sorted(collect_results(project)) == ["reports/eval.json"]
