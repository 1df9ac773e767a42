"""What `intern scaffold` run by hand must say loudly (on stderr) about the project it wrote (pure): a workflow
pinned to the placeholder commit, and data read from outside the project, which a GitHub Actions checkout of
the project does not have."""

from __future__ import annotations

from pathlib import PurePosixPath

from runner.schemas import WORKFLOW_PATH
from runner.workflow_options import PLACEHOLDER_ACTIONS_REF, WorkflowOptions


def outside_project(source: str, fmt: str) -> bool:
    """Whether the intern.yaml `source` (relative to the project, or absolute) leaves the project folder."""
    if fmt == "hub":
        return False
    path = PurePosixPath(source.replace("\\", "/"))
    return path.is_absolute() or (bool(path.parts) and path.parts[0] == "..")


def scaffold_warnings(
    sources: list[tuple[str, str]], workflow: WorkflowOptions | None, *, wrote_workflow: bool
) -> list[str]:
    """One warning per problem, each saying what to do; `sources` are (intern.yaml source, format) pairs."""
    warnings = []
    if wrote_workflow and workflow is not None and workflow.uses_placeholder_ref:
        warnings.append(
            f"{WORKFLOW_PATH} pins the ML Intern actions and package to a placeholder commit "
            f"({PLACEHOLDER_ACTIONS_REF[:7]}...) that GitHub cannot resolve: the workflow will fail at 'Set up job'. "
            f"Set INTERN_ACTIONS_REF to a full commit SHA of {workflow.actions_repository} (and "
            "INTERN_ACTIONS_REPOSITORY if you use a fork) and run `intern scaffold` again."
        )
    for source, fmt in sources:
        if not outside_project(source, fmt):
            continue
        if PurePosixPath(source.replace("\\", "/")).is_absolute():
            warnings.append(
                f"intern.yaml reads its data from {source}, an absolute path on this machine: GitHub Actions will "
                "not have it. Commit the data in the repository (e.g. data/ beside the project) and give intern.yaml "
                "a relative data.source, or use a Hub dataset id."
            )
        else:
            warnings.append(
                f"intern.yaml reads its data from {source}, outside the project folder: the workflow checks out "
                "the repository only, so training in GitHub Actions finds it only if that path is committed in the "
                "same repository. Keep the data in the repository (e.g. data/ beside the project) or use a Hub "
                "dataset id."
            )
    return warnings
