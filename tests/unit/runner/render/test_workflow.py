"""render_workflow: structure and security properties of the generated workflow, option rejections, and the
dispatch-input validation script run for real with bash."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from runner.render.workflow import model_artifact, render_workflow, train_reports_artifact
from runner.schemas import MODEL_ARTIFACT_PREFIX, SMOKE_ARTIFACT, TRAIN_REPORTS_ARTIFACT_PREFIX
from runner.workflow_options import PINNED_ACTIONS, WorkflowOptions

ROOT = Path(__file__).resolve().parents[4]
SHA = "0123456789abcdef0123456789abcdef01234567"
GIT_SHA = "fedcba9876543210fedcba9876543210fedcba98"

VARIANTS: dict[str, WorkflowOptions] = {
    "defaults": WorkflowOptions(),
    "pinned-ref": WorkflowOptions(actions_ref=SHA, actions_version="v0.1.0"),
    "publish+space+subdir": WorkflowOptions(
        actions_ref=SHA,
        project_dir="projects/tickets",
        model_repo_id="octo/tickets-model",
        space_id="octo/tickets-demo",
        flavour_runners={"cpu-basic": "ubuntu-latest", "t4-small": "gpu-t4", "a10g-small": "gpu-a10g"},
        default_flavour="cpu-basic",
    ),
    "git-pinned-package": WorkflowOptions(
        intern_package=f"ml-intern-bot[train] @ git+https://github.com/octo/ml-intern-bot@{GIT_SHA}",
        actions_repository="octo/ml-intern-bot",
        model_repo_id="octo/m",
        publish_environment=None,
    ),
    "vendored-actions": WorkflowOptions(actions_local_dir=".intern-actions", model_repo_id="octo/m"),
}


def _load(text: str) -> dict[str, Any]:
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def _on(doc: dict[str, Any]) -> dict[str, Any]:
    on = doc["on"] if "on" in doc else doc[True]  # type: ignore[index]  # PyYAML reads `on` as True
    assert isinstance(on, dict)
    return on


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job.get("steps", [])
    assert isinstance(steps, list)
    return steps


def _all_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in doc:  # a composite action
        return _steps(doc["runs"])
    return [step for job in doc["jobs"].values() for step in _steps(job)]


def _shipped_files() -> list[Path]:
    return [*sorted((ROOT / "actions").glob("*/action.yml")), ROOT / ".github/workflows/ci.yml"]


# --- security properties, over every variant and every shipped action/workflow -----------------------------


@pytest.fixture(params=sorted(VARIANTS), ids=str)
def rendered(request: pytest.FixtureRequest) -> tuple[WorkflowOptions, str, dict[str, Any]]:
    options = VARIANTS[request.param]
    text = render_workflow(options)
    return options, text, _load(text)


def test_top_level_permissions_are_empty_and_every_job_is_bounded(
    rendered: tuple[WorkflowOptions, str, dict[str, Any]],
) -> None:
    _, _, doc = rendered
    assert doc["permissions"] == {}
    assert doc["jobs"], "no jobs rendered"
    for name, job in doc["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int) and job["timeout-minutes"] > 0, name
        assert isinstance(job.get("permissions"), dict), f"job {name} has no explicit permissions"
        assert set(job["permissions"]) <= {"contents", "actions"}, name
        assert all(v == "read" for v in job["permissions"].values()), f"job {name} grants write"


def test_no_dangerous_trigger(rendered: tuple[WorkflowOptions, str, dict[str, Any]]) -> None:
    _, text, doc = rendered
    assert set(_on(doc)) == {"pull_request", "workflow_dispatch"}
    assert "pull_request_target" not in text
    assert "workflow_run" not in text


@pytest.mark.parametrize("path", _shipped_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_files_follow_the_same_rules(path: Path) -> None:
    doc = _load(path.read_text(encoding="utf-8"))
    _assert_runs_have_no_expressions(doc)
    _assert_uses_pinned(doc, path.read_text(encoding="utf-8"))
    _assert_checkout_without_credentials(doc)
    if "jobs" in doc:
        assert doc["permissions"] == {}
        assert "pull_request_target" not in _on(doc)
        for job in doc["jobs"].values():
            assert isinstance(job["timeout-minutes"], int)
            assert isinstance(job["permissions"], dict)


def test_untrusted_values_never_reach_run_scripts(
    rendered: tuple[WorkflowOptions, str, dict[str, Any]],
) -> None:
    _, _, doc = rendered
    _assert_runs_have_no_expressions(doc)


def _assert_runs_have_no_expressions(doc: dict[str, Any]) -> None:
    runs = [step["run"] for step in _all_steps(doc) if "run" in step]
    for script in runs:
        # Not only github.event.* and inputs.*: no expression at all is expanded into a script.
        assert "${{" not in script, script


def test_third_party_actions_are_pinned_by_sha_with_a_version_comment(
    rendered: tuple[WorkflowOptions, str, dict[str, Any]],
) -> None:
    options, text, doc = rendered
    _assert_uses_pinned(doc, text)
    own_uses = [s["uses"] for s in _all_steps(doc) if "/actions/" in s.get("uses", "") or "$/" in s.get("uses", "")]
    assert own_uses, "the workflow calls none of the project's actions"
    for uses in own_uses:
        if options.actions_local_dir is None:
            assert uses.startswith(f"{options.actions_repository}/actions/")
            assert uses.endswith("@" + options.resolved_actions_ref)
        else:
            assert uses.startswith(f"$/{options.actions_local_dir}/")


def _assert_uses_pinned(doc: dict[str, Any], text: str) -> None:
    for step in _all_steps(doc):
        uses = step.get("uses")
        if uses is None or uses.startswith(("./", "$/")):
            continue
        ref = uses.rsplit("@", 1)[1]
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{uses} is not pinned to a full commit SHA"
        line = next(line for line in text.splitlines() if f"uses: {uses}" in line)
        third_party = any(uses.startswith(pin.repository + "@") for pin in PINNED_ACTIONS.values())
        version = r"# v[0-9][\w.+-]*$" if third_party else r"# (v[0-9][\w.+-]*|git-[0-9a-f]{12})$"
        assert re.search(version, line), f"no version comment on {line.strip()!r}"


def _assert_checkout_without_credentials(doc: dict[str, Any]) -> None:
    for step in _all_steps(doc):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert str(step["with"]["persist-credentials"]).lower() == "false"


def test_checkout_never_persists_credentials(rendered: tuple[WorkflowOptions, str, dict[str, Any]]) -> None:
    _, _, doc = rendered
    checkouts = [s for s in _all_steps(doc) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    _assert_checkout_without_credentials(doc)


def test_hub_token_only_in_the_publish_job(rendered: tuple[WorkflowOptions, str, dict[str, Any]]) -> None:
    options, _, doc = rendered
    for name, job in doc["jobs"].items():
        uses_secrets = "secrets." in yaml.safe_dump(job)
        assert uses_secrets == (name == "publish"), name
    if options.model_repo_id is None:
        assert "publish" not in doc["jobs"]
        assert _on(doc)["workflow_dispatch"]["inputs"]["mode"]["options"] == ["train"]
        return
    publish = doc["jobs"]["publish"]
    assert "workflow_dispatch" in publish["if"], "publish must never run for pull requests (forks)"
    assert publish["needs"] == "validate"
    step = next(s for s in publish["steps"] if "publish" in s.get("uses", ""))
    assert step["with"]["hf-token"] == f"${{{{ secrets.{options.hf_token_secret} }}}}"
    assert step["with"]["repo-id"] == options.model_repo_id
    assert ("space-id" in step["with"]) == (options.space_id is not None)
    assert publish.get("environment") == options.publish_environment


# --- behaviour of each job -------------------------------------------------------------------------------


def test_smoke_job_runs_only_for_intern_branches_of_this_repository(
    rendered: tuple[WorkflowOptions, str, dict[str, Any]],
) -> None:
    options, _, doc = rendered
    smoke = doc["jobs"]["smoke"]
    assert f"startsWith(github.head_ref, '{options.branch_prefix}')" in smoke["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in smoke["if"]
    assert _on(doc)["pull_request"]["paths"][0] == ("**" if options.project_dir == "." else f"{options.project_dir}/**")


def test_new_push_cancels_the_old_smoke_run_but_dispatches_queue(
    rendered: tuple[WorkflowOptions, str, dict[str, Any]],
) -> None:
    _, _, doc = rendered
    concurrency = doc["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert "inputs.run_id" in concurrency["group"]
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_reports_are_uploaded_even_when_a_stage_fails(
    rendered: tuple[WorkflowOptions, str, dict[str, Any]],
) -> None:
    options, _, doc = rendered
    reports = "reports/" if options.project_dir == "." else f"{options.project_dir}/reports/"
    smoke_upload = doc["jobs"]["smoke"]["steps"][-1]
    assert smoke_upload["if"] == "always()"
    assert (smoke_upload["with"]["name"], smoke_upload["with"]["path"]) == (SMOKE_ARTIFACT, reports)
    train_steps = doc["jobs"]["train"]["steps"]
    by_name = {s["with"]["name"]: s for s in train_steps if "upload-artifact" in s.get("uses", "")}
    run_id = "${{ needs.validate.outputs.run_id }}"
    assert by_name[TRAIN_REPORTS_ARTIFACT_PREFIX + run_id]["if"] == "always()"
    assert by_name[TRAIN_REPORTS_ARTIFACT_PREFIX + run_id]["with"]["path"] == reports
    assert by_name[MODEL_ARTIFACT_PREFIX + run_id]["with"]["if-no-files-found"] == "error"


def test_validation_runs_first_and_installs_nothing(
    rendered: tuple[WorkflowOptions, str, dict[str, Any]],
) -> None:
    _, _, doc = rendered
    validate = doc["jobs"]["validate"]
    assert all("uses" not in step for step in validate["steps"]), "validate must not install anything"
    assert validate["permissions"] == {}
    assert doc["jobs"]["train"]["needs"] == "validate"
    assert doc["jobs"]["train"]["runs-on"] == "${{ needs.validate.outputs.runs_on }}"


def test_options_reach_the_actions(rendered: tuple[WorkflowOptions, str, dict[str, Any]]) -> None:
    options, _, doc = rendered
    setup = next(s for s in doc["jobs"]["smoke"]["steps"] if "setup" in s.get("uses", ""))
    assert setup["with"]["package"] == options.intern_package
    assert setup["with"]["python-version"] == options.python_version
    assert setup["with"]["torch-version"] == options.torch_version
    assert setup["with"]["compute"] == "cpu"
    smoke = next(s for s in doc["jobs"]["smoke"]["steps"] if s.get("id") == "smoke")
    assert smoke["with"]["project-dir"] == options.project_dir
    assert doc["jobs"]["smoke"]["timeout-minutes"] == options.smoke_timeout_minutes
    assert doc["jobs"]["train"]["timeout-minutes"] == options.train_timeout_minutes
    flavour = _on(doc)["workflow_dispatch"]["inputs"]["flavour"]
    assert flavour["default"] == options.default_flavour
    for name in options.allowed_flavours:
        assert name in flavour["description"]


def test_git_pinned_package_pins_the_actions_to_the_same_commit() -> None:
    options = VARIANTS["git-pinned-package"]
    assert options.resolved_actions_ref == GIT_SHA
    assert f"octo/ml-intern-bot/actions/setup@{GIT_SHA} # git-{GIT_SHA[:12]}" in render_workflow(options)


def test_placeholder_ref_is_flagged_in_the_file() -> None:
    assert "WARNING" in render_workflow(WorkflowOptions())
    assert "WARNING" not in render_workflow(VARIANTS["pinned-ref"])


def test_artifact_names_are_predictable() -> None:
    assert train_reports_artifact("r-12") == "intern-train-reports-r-12"
    assert model_artifact("r-12") == "intern-model-r-12"
    assert SMOKE_ARTIFACT == "intern-smoke-reports"


def test_pins_are_full_shas() -> None:
    for pin in PINNED_ACTIONS.values():
        assert re.fullmatch(r"[0-9a-f]{40}", pin.sha) and pin.version.startswith("v")


# --- rejections -----------------------------------------------------------------------------------------

REJECTED: list[tuple[str, dict[str, Any], str]] = [
    ("unpinned package", {"intern_package": "ml-intern-bot[train]"}, "pinned"),
    ("range package", {"intern_package": "ml-intern-bot[train]>=0.1"}, "pinned"),
    ("git branch", {"intern_package": "ml-intern-bot @ git+https://github.com/o/r@main"}, "pinned"),
    ("quote in package", {"intern_package": 'ml-intern-bot==0.1"; rm -rf /'}, "pinned"),
    ("parent dir", {"project_dir": "../elsewhere"}, "relative path"),
    ("absolute dir", {"project_dir": "/etc"}, "relative path"),
    ("expression dir", {"project_dir": "${{ github.event.issue.title }}"}, "relative path"),
    ("no flavours", {"flavour_runners": {}}, "at least one"),
    ("bad flavour", {"flavour_runners": {"T4 Small": "gpu"}, "default_flavour": "T4 Small"}, "lowercase"),
    ("bad runner label", {"flavour_runners": {"cpu-basic": "${{ inputs.x }}"}}, "plain label"),
    ("default not allowed", {"default_flavour": "t4-small"}, "not one of"),
    ("short sha", {"actions_ref": "0123abc"}, "40-hex"),
    ("tag ref", {"actions_ref": "v1"}, "40-hex"),
    ("bad repo id", {"model_repo_id": "no-owner"}, "OWNER/NAME"),
    ("space without model", {"space_id": "o/space"}, "needs model_repo_id"),
    ("github secret", {"hf_token_secret": "GITHUB_TOKEN"}, "secret name"),
    ("lowercase secret", {"hf_token_secret": "hf_token"}, "secret name"),
    ("python version", {"python_version": "3.11; rm"}, "pattern"),
    ("zero timeout", {"smoke_timeout_minutes": 0}, "greater than or equal"),
    ("branch prefix", {"branch_prefix": "intern"}, "pattern"),
    ("unknown field", {"permissions": "write-all"}, "Extra inputs"),
]


@pytest.mark.parametrize(("kwargs", "message"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_invalid_options_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        WorkflowOptions(**kwargs)


def test_own_action_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        WorkflowOptions().own_action("deploy")


# --- the validate step's script, run with bash ----------------------------------------------------------


def _run_validate(tmp_path: Path, options: WorkflowOptions, **inputs: str) -> tuple[int, str, dict[str, str]]:
    step = _load(render_workflow(options))["jobs"]["validate"]["steps"][0]
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("")
    output.write_text("")
    env = {k: str(v) for k, v in step["env"].items()}
    env.update({k.upper(): v for k, v in inputs.items()})
    for key in ("MODE", "RUN_ID", "FLAVOUR", "COMPUTE", "SOURCE_RUN", "SHA"):
        if key in env and env[key].startswith("${{"):
            env[key] = ""  # an input the dispatch did not give
    env |= {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output), "PATH": os.environ["PATH"]}
    proc = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=30)
    return proc.returncode, summary.read_text(), parse_outputs(output.read_text())


def parse_outputs(text: str) -> dict[str, str]:
    """`$GITHUB_OUTPUT` as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


GPU_OPTIONS = VARIANTS["publish+space+subdir"]


def test_valid_dispatch_resolves_the_runner(tmp_path: Path) -> None:
    code, summary, outputs = _run_validate(
        tmp_path, GPU_OPTIONS, mode="train", run_id="run-42", flavour="t4-small", compute="gpu", sha=SHA
    )
    assert code == 0, summary
    assert outputs == {
        "mode": "train",
        "run_id": "run-42",
        "flavour": "t4-small",
        "runs_on": "gpu-t4",
        "compute": "gpu",
        "source_run": "",
        "sha": SHA,
    }


SHA = "0123456789abcdef0123456789abcdef01234567"


def test_publish_inputs_cannot_add_output_lines(tmp_path: Path) -> None:
    """Issue #9, item 6: flavour and compute were not checked for `mode=publish` and went into $GITHUB_OUTPUT."""
    forged = "cpu-basic\nmode=train\nruns_on=self-hosted"
    code, summary, outputs = _run_validate(
        tmp_path, GPU_OPTIONS, mode="publish", run_id="r1", source_run="123", flavour=forged, compute="cpu"
    )
    assert code == 1 and "inputs may not contain line breaks" in summary and outputs == {}
    code, summary, outputs = _run_validate(
        tmp_path, GPU_OPTIONS, mode="publish", run_id="r1", source_run="123", flavour="whatever", compute="x"
    )
    assert code == 0, summary
    assert outputs["mode"] == "publish" and outputs["flavour"] == "" and outputs["sha"] == ""


def test_training_checks_out_exactly_the_approved_sha() -> None:
    train = _load(render_workflow(GPU_OPTIONS))["jobs"]["train"]
    assert train["steps"][0]["with"]["ref"] == "${{ needs.validate.outputs.sha }}"
    assert "git rev-parse HEAD" in train["steps"][1]["run"]
    assert train["steps"][1]["env"]["APPROVED_SHA"] == "${{ needs.validate.outputs.sha }}"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"mode": "train", "run_id": "", "flavour": "cpu-basic", "compute": "cpu"}, "the run id is missing"),
        (
            {"mode": "train", "run_id": "a b;$(id)", "flavour": "cpu-basic", "compute": "cpu"},
            "run id is not valid",
        ),
        (
            {"mode": "train", "run_id": "r1", "flavour": "h100-mega", "compute": "cpu"},
            "unknown flavour: use one of: cpu-basic, t4-small, a10g-small",
        ),
        ({"mode": "train", "run_id": "r1", "flavour": "cpu-basic", "compute": "tpu", "sha": SHA}, "unknown compute"),
        ({"mode": "train", "run_id": "r1", "flavour": "cpu-basic", "compute": "cpu"}, "train needs `sha`"),
        (
            {"mode": "train", "run_id": "r1", "flavour": "cpu-basic", "compute": "cpu", "sha": "HEAD"},
            "train needs `sha`",
        ),
        ({"mode": "publish", "run_id": "r1", "source_run": "latest"}, "publish needs `source_run`"),
        ({"mode": "deploy", "run_id": "r1"}, "unknown mode"),
    ],
)
def test_bad_dispatch_fails_fast_with_a_summary(tmp_path: Path, inputs: dict[str, str], message: str) -> None:
    code, summary, outputs = _run_validate(tmp_path, GPU_OPTIONS, **inputs)
    assert code == 1
    assert "## ML Intern: dispatch rejected" in summary
    assert "Nothing was installed" in summary
    assert message in summary
    assert outputs == {}


def test_two_problems_are_reported_together(tmp_path: Path) -> None:
    code, summary, _ = _run_validate(
        tmp_path, GPU_OPTIONS, mode="train", run_id="", flavour="nope", compute="cpu", sha=SHA
    )
    assert code == 1
    assert summary.count("\n- ") == 2


# --- one repository and commit for the actions and the package ------------------------------------------


def test_the_package_follows_the_actions_repository_and_commit() -> None:
    options = WorkflowOptions(actions_repository="octo/intern-fork", actions_ref=SHA)
    assert options.intern_package == f"ml-intern-bot[train] @ git+https://github.com/octo/intern-fork@{SHA}"
    doc = _load(render_workflow(options))
    for job in ("smoke", "train"):
        setup = next(s for s in doc["jobs"][job]["steps"] if "/actions/setup@" in s.get("uses", ""))
        assert setup["uses"] == f"octo/intern-fork/actions/setup@{SHA}"
        assert setup["with"]["package"] == options.intern_package


def test_a_git_pinned_package_brings_its_repository() -> None:
    options = WorkflowOptions(intern_package=f"ml-intern-bot[train] @ git+https://github.com/octo/fork@{GIT_SHA}")
    assert options.actions_repository == "octo/fork" and options.resolved_actions_ref == GIT_SHA


def test_the_placeholder_keeps_the_released_version() -> None:
    assert WorkflowOptions().intern_package == "ml-intern-bot[train]==0.1.0"
    assert WorkflowOptions().uses_placeholder_ref


@pytest.mark.parametrize(
    "fields",
    [
        {
            "intern_package": f"ml-intern-bot[train] @ git+https://github.com/octo/a@{GIT_SHA}",
            "actions_repository": "octo/b",
        },
        {"intern_package": f"ml-intern-bot[train] @ git+https://github.com/octo/a@{GIT_SHA}", "actions_ref": SHA},
    ],
    ids=["other-repository", "other-commit"],
)
def test_package_and_actions_from_two_places_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="same repository and commit"):
        WorkflowOptions(**fields)
