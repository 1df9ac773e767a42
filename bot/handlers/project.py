"""The runner side of `/intern train`: load the dataset, detect columns, inspect, plan, scaffold the project.

The only handler module that calls the runner's data and scaffolding code. Returns the files to commit and the
Markdown for the PR body; raises the runner's UserInputError (shown to the user) when the data is unusable.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.errors import CommandError
from bot.gateway import GitHubGateway

LOCAL_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet")


@dataclass(frozen=True)
class Project:
    files: dict[str, bytes]
    plan_md: str
    inspect_md: str
    dataset_path: str | None
    model: str
    labels: list[str]


def slugify(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].strip("-") or "model"


def _is_repo_path(dataset: str) -> bool:
    return dataset.lower().endswith(LOCAL_SUFFIXES)


def _local_source(gateway: GitHubGateway, repo: str, ref: str, dataset: str, scratch: Path) -> str:
    """Where the inspection reads the dataset: a temp copy of a repo file, or the Hub id as given."""
    if not _is_repo_path(dataset):
        return dataset
    pure = PurePosixPath(dataset)
    if pure.is_absolute() or ".." in pure.parts:
        raise CommandError(f"`dataset={dataset}` must be a path inside this repository")
    content = gateway.read_file(repo, dataset, ref)
    if content is None:
        raise CommandError(
            f"`{dataset}` is not on the default branch `{ref}`: commit it first, or give a Hub dataset id"
        )
    local = scratch / pure.name
    local.write_bytes(content)
    return str(local)


def _plan_md(objective: str, args: dict[str, str], model: str, text: str, label: str, reason: str) -> str:
    try:
        from runner.planning import plan_command, render_plan_md  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        lines = [
            f"- Objective: {objective[:300] or 'not given'}",
            f"- Dataset: `{args.get('dataset')}`",
            f"- Text column `{text}`, label column `{label}` ({reason})",
            f"- Model: `{model}`",
        ]
        return "\n".join(lines)
    return str(render_plan_md(plan_command(objective, args)))


def build_project(gateway: GitHubGateway, repo: str, ref: str, objective: str, args: dict[str, str]) -> Project:
    """Everything `/intern train` commits, built from the dataset on the default branch (or the Hub)."""
    from runner.inspection import inspect_source
    from runner.report import render_inspect_md
    from runner.scaffold import build_config, render_project

    dataset = args.get("dataset")
    if not dataset:
        raise CommandError("tell me which data to use: `/intern train dataset=path/in/repo.csv` or a Hub dataset id")
    with tempfile.TemporaryDirectory() as scratch:
        source = _local_source(gateway, repo, ref, dataset, Path(scratch))
        inspected = inspect_source(source, text=args.get("text"), label=args.get("label"))
    report = inspected.report.model_copy(update={"source": dataset})
    model = args.get("model") or "scratch:small"
    labels = inspected.labels
    config = build_config(
        source=dataset,
        fmt=inspected.fmt,
        text_column=report.text_column,
        label_column=report.label_column,
        labels=labels,
        model=model,
        rows=report.split.train,
        objective=objective[:500] or None,
    )
    if "epochs" in args:
        try:
            epochs = float(args["epochs"])
        except ValueError as exc:
            raise CommandError(f"`epochs={args['epochs']}` is not a number") from exc
        config = config.model_copy(update={"training": config.training.model_copy(update={"epochs": epochs})})
    rendered = render_project(config, report, workflow=True, examples=inspected.examples)
    files = {path: text.encode("utf-8") for path, text in rendered.items()}
    return Project(
        files=files,
        plan_md=_plan_md(objective, args, model, report.text_column, report.label_column, report.column_reason),
        inspect_md=render_inspect_md(report),
        dataset_path=dataset if _is_repo_path(dataset) else None,
        model=model,
        labels=labels,
    )
