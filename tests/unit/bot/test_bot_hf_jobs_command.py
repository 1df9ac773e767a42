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
    "pip": 'echo "pip $*" >> calls.log',
    "git": (
        'echo "git $*" >> calls.log\n'
        'if [ "$1" = clone ]; then mkdir -p project; fi\n'
        'if [ "$1" = -C ]; then echo "${STUB_HEAD:-$INTERN_SHA}"; fi'
    ),
    "intern": (
        'echo "intern $*" >> calls.log\n'
        'if [ "$1" = "${STUB_FAIL:-none}" ]; then echo "boom in $1"; exit 3; fi\n'
        'if [ "$1" = upload-results ]; then exit "${STUB_UPLOAD_RC:-0}"; fi'
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
    work = tmp_path / "work"
    work.mkdir()
    job_environment = job_env(_run(HOSTILE), "intern-user/intern-runs")
    full = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **job_environment, **env}
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
