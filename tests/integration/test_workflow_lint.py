"""actionlint and zizmor over every shipped and every rendered workflow and action: zero findings.

actionlint (with shellcheck over every `run:` when shellcheck is installed) lints workflows; it does not read
action.yml on its own, so one rendered variant calls the actions as vendored local actions (`$/...`), which
makes actionlint check every `with:` against the actions' declared inputs. zizmor (offline, pedantic persona)
audits workflows and action.yml files alike. A control case proves that both tools do report findings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.render.workflow import render_workflow
from runner.workflow_options import WorkflowOptions

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACTIONLINT = BIN / "actionlint"
ZIZMOR = BIN / "zizmor"
SHELLCHECK = BIN / "shellcheck"
SHA = "0123456789abcdef0123456789abcdef01234567"
SHIPPED = [ROOT / ".github" / "workflows" / "ci.yml", ROOT / ".github" / "workflows" / "release.yml"]

VARIANTS: dict[str, WorkflowOptions] = {
    "defaults": WorkflowOptions(),
    "pinned": WorkflowOptions(actions_ref=SHA, actions_version="v0.1.0"),
    "publish-gpu-subdir": WorkflowOptions(
        actions_ref=SHA,
        project_dir="projects/tickets",
        model_repo_id="octo/tickets-model",
        space_id="octo/tickets-demo",
        flavour_runners={"cpu-basic": "ubuntu-latest", "t4-small": "gpu-t4"},
        train_timeout_minutes=720,
        publish_environment=None,
        hf_token_secret="HUB_WRITE_TOKEN",
    ),
    "git-pinned": WorkflowOptions(
        intern_package=f"ml-intern-bot[train] @ git+https://github.com/octo/ml-intern-bot@{SHA}",
        actions_repository="octo/ml-intern-bot",
        model_repo_id="octo/m",
    ),
    "vendored": WorkflowOptions(actions_local_dir=".intern-actions", model_repo_id="octo/m", space_id="octo/s"),
}


def _require(tool: Path) -> None:
    if not tool.exists():
        pytest.fail(f"{tool.name} not installed in {BIN}: pip install -e .[dev]")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch repository holding every rendered variant and a vendored copy of actions/."""
    root = tmp_path_factory.mktemp("lint-repo")
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name, options in VARIANTS.items():
        (workflows / f"intern-{name}.yml").write_text(render_workflow(options), encoding="utf-8")
    shutil.copytree(ROOT / "actions", root / ".intern-actions", ignore=shutil.ignore_patterns("*.md"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _actionlint(cwd: Path, files: list[Path]) -> list[dict[str, Any]]:
    _require(ACTIONLINT)
    args = [str(ACTIONLINT), "-no-color", "-format", "{{json .}}"]
    if SHELLCHECK.exists():
        args += ["-shellcheck", str(SHELLCHECK)]
    proc = subprocess.run([*args, *map(str, files)], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout or "[]")
    return findings


def _zizmor(files: list[Path]) -> list[dict[str, Any]]:
    _require(ZIZMOR)
    args = [str(ZIZMOR), "--offline", "--no-progress", "--persona", "pedantic", "--format", "json"]
    proc = subprocess.run([*args, *map(str, files)], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, *range(10, 20)), proc.stderr  # 1x: findings at some severity
    findings: list[dict[str, Any]] = json.loads(proc.stdout or "[]")
    return findings


def _summary(findings: list[dict[str, Any]]) -> str:
    return json.dumps(findings, indent=1)[:4000]


def test_actionlint_passes_every_rendered_and_shipped_workflow(repo: Path) -> None:
    files = sorted((repo / ".github" / "workflows").glob("*.yml"))
    assert len(files) == len(VARIANTS)
    findings = _actionlint(repo, files)
    assert findings == [], _summary(findings)
    shipped = _actionlint(ROOT, SHIPPED)
    assert shipped == [], _summary(shipped)


def test_zizmor_passes_every_shipped_and_rendered_file(repo: Path) -> None:
    files = [
        *sorted((repo / ".github" / "workflows").glob("*.yml")),
        *SHIPPED,
        *sorted((ROOT / "actions").glob("*/action.yml")),
    ]
    assert len(files) == len(VARIANTS) + len(SHIPPED) + 4
    findings = _zizmor(files)
    assert findings == [], _summary(findings)


def test_shellcheck_passes_every_action_script() -> None:
    _require(SHELLCHECK)
    scripts = 0
    for action in sorted((ROOT / "actions").glob("*/action.yml")):
        for step in yaml.safe_load(action.read_text(encoding="utf-8"))["runs"]["steps"]:
            if "run" not in step:
                continue
            scripts += 1
            proc = subprocess.run(
                [str(SHELLCHECK), "--shell=bash", "-"], input=step["run"], capture_output=True, text=True
            )
            assert proc.returncode == 0, f"{action}: {step.get('name')}\n{proc.stdout}"
    assert scripts >= 8


BAD_WORKFLOW = """\
name: bad
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def test_the_linters_do_report_findings(tmp_path: Path) -> None:
    """Control: the zero-findings assertions above would fail on a workflow with the classic mistakes."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    bad = workflows / "bad.yml"
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    audits = {finding["ident"] for finding in _zizmor([bad])}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"} <= audits
    vendored = render_workflow(VARIANTS["vendored"]).replace("project-dir:", "project_dir:")
    (workflows / "intern.yml").write_text(vendored, encoding="utf-8")
    shutil.copytree(ROOT / "actions", tmp_path / ".intern-actions")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    messages = [f["message"] for f in _actionlint(tmp_path, [workflows / "intern.yml"])]
    assert any('input "project_dir" is not defined' in m for m in messages), messages
