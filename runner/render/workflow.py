"""The GitHub Actions workflow the bot commits into a project as `.github/workflows/intern.yml` (docs/actions.md).

`render_workflow(WorkflowOptions(...))` is pure: it renders `templates/workflow_intern.yml.j2` and returns the
YAML text. The workflow has three entry points:

* `pull_request` on an `intern/...` branch of the same repository -> job `smoke` (artifact
  `intern-smoke-reports`, uploaded even when the smoke test fails);
* `workflow_dispatch` with `mode=train` -> job `validate` (cheap input checks, no installs) then job `train`
  (train, evaluate, stress, card; artifacts `intern-train-reports-<run_id>` and `intern-model-<run_id>`);
* `workflow_dispatch` with `mode=publish` -> `validate` then `publish` (rendered only when a model repo id is
  configured): downloads `intern-model-<run_id>` from the training run and pushes it to the Hub. It is the
  only job that sees the Hub token, and it never runs for pull requests, so never for forks.

Third-party actions are pinned by full commit SHA (`PINNED_ACTIONS`); the project's own composite actions
are called as `<actions_repository>/actions/<name>@<actions_ref>`, also a full SHA, or from a directory
vendored in the repository (`actions_local_dir`, rendered as `$/<dir>/<name>`; act 0.2.89 cannot parse `$/`
yet). Tests and `act` swap any of them for local folders with act's `--local-repository`, without changing
the rendered file.
"""

from __future__ import annotations

import json
from functools import cache

import jinja2

from runner.render.templating import template_environment
from runner.schemas import (
    MODEL_ARTIFACT_PREFIX,
    PUBLISH_REPORTS_ARTIFACT_PREFIX,
    SMOKE_ARTIFACT,
    TRAIN_REPORTS_ARTIFACT_PREFIX,
)
from runner.workflow_options import OWN_ACTIONS, PINNED_ACTIONS, WorkflowOptions

TEMPLATE_NAME = "workflow_intern.yml.j2"


def train_reports_artifact(run_id: str) -> str:
    return TRAIN_REPORTS_ARTIFACT_PREFIX + run_id


def model_artifact(run_id: str) -> str:
    return MODEL_ARTIFACT_PREFIX + run_id


def _yaml_str(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


@cache
def _environment() -> jinja2.Environment:
    # GitHub expressions use `${{ }}` and bash `${#x}`, so Jinja uses `{$ $}` for variables, `{## ##}` for
    # comments and keeps `{% %}` for blocks.
    return template_environment(
        trim_blocks=True,
        filters={"q": _yaml_str},
        variable_start_string="{$",
        variable_end_string="$}",
        comment_start_string="{##",
        comment_end_string="##}",
    )


def _dir_path(project_dir: str, sub: str) -> str:
    return sub if project_dir == "." else f"{project_dir}/{sub}"


def render_workflow(options: WorkflowOptions) -> str:
    """Render `.github/workflows/intern.yml` for `options` (pure)."""
    own = {name: options.own_action(name) for name in OWN_ACTIONS}
    own_comment = "" if options.actions_local_dir is not None else f" # {options.resolved_actions_version}"
    context = {
        "o": options,
        "pins": PINNED_ACTIONS,
        "own": own,
        "own_comment": own_comment,
        "project_glob": _dir_path(options.project_dir, "**"),
        "reports_path": _dir_path(options.project_dir, "reports/"),
        "model_path": _dir_path(options.project_dir, "model/"),
        "requirements_path": _dir_path(options.project_dir, "requirements.txt"),
        "flavour_runners": " ".join(f"{k}={v}" for k, v in options.flavour_runners.items()),
        "smoke_artifact": SMOKE_ARTIFACT,
        "train_prefix": TRAIN_REPORTS_ARTIFACT_PREFIX,
        "model_prefix": MODEL_ARTIFACT_PREFIX,
        "publish_prefix": PUBLISH_REPORTS_ARTIFACT_PREFIX,
    }
    return _environment().get_template(TEMPLATE_NAME).render(**context)
