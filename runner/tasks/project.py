"""A project's files for its task: intern.yaml, the task's train.py, app.py and requirements.txt, .gitignore, the
inspection reports and the workflow. Pure (config in, file texts out), so the bot commits the same files the CLI
writes (`runner.stages.scaffold.write_project`). Here, above the stages, because it asks the registry for the
task: a stage never imports a task (tests/unit/test_import_graph.py)."""

from __future__ import annotations

from runner.config import InternConfig
from runner.render.workflow import render_workflow
from runner.schemas import InspectReport
from runner.tasks.registry import get_task
from runner.workflow_options import WorkflowOptions

GITIGNORE = ".intern/\n__pycache__/\n"


def render_train_script(config: InternConfig) -> str:
    """The task's training script (runner/tasks/<task>/train_script.py with its shared blocks pasted in)."""
    return get_task(config.task).render_files(config, None, [])["train.py"]


def render_project(
    config: InternConfig,
    inspect: InspectReport | None,
    *,
    workflow: bool = True,
    examples: list[str] | None = None,
    workflow_options: WorkflowOptions | None = None,
) -> dict[str, str]:
    """Every file of the project, by relative path. `reports/inspect.*` only when an inspection is given."""
    from runner.render.reports import render_inspect_md

    files = {"intern.yaml": config.to_yaml(), **get_task(config.task).render_files(config, None, examples or [])}
    files[".gitignore"] = GITIGNORE
    if inspect is not None:
        files["reports/inspect.json"] = inspect.model_dump_json(indent=2) + "\n"
        files["reports/inspect.md"] = render_inspect_md(inspect)
    if workflow:
        files[".github/workflows/intern.yml"] = render_workflow(workflow_options or WorkflowOptions())
    return files
