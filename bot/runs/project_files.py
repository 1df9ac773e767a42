"""The runner side of `/intern train`: plan, fetch and inspect the dataset, scaffold the project.

The only handler module that calls the runner's planning, data and scaffolding code. Returns the files to
commit and the Markdown for the PR body; raises the runner's UserInputError or a CommandError (both shown to
the user) when the request or the data is unusable. Untrusted input never names a path on the bot's machine:
a repo file is copied into a temp dir first, anything else must look like a Hub dataset id.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from bot.errors import CommandError, GitHubFileTooLarge
from bot.gateway import GitHubGateway

if TYPE_CHECKING:
    from bot.context import Planner
    from runner.workflow_options import WorkflowOptions

log = logging.getLogger(__name__)
LOCAL_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet")
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
MODEL_ID = re.compile(r"^(scratch:[a-z]+|[A-Za-z0-9][\w.-]*(/[\w.-]+)?)$")
MAX_EPOCHS = 100.0
DEFAULT_MODEL = "scratch:small"
PLANNER_KEYS = ("model", "text", "label", "label_sep", "task", "epochs")
PARQUET_BATCH_ROWS = 64


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


def is_repo_path(dataset: str) -> bool:
    return dataset.lower().endswith(LOCAL_SUFFIXES)


def local_source(
    gateway: GitHubGateway, repo: str, ref: str, dataset: str, scratch: Path, max_bytes: int | None = None
) -> str:
    """Where the runner reads the dataset: a temp copy of a repo file (at most `max_bytes`, checked before it is
    downloaded, and for Parquet before it is decompressed), or a Hub id (validated)."""
    pure = PurePosixPath(dataset)
    if pure.is_absolute() or ".." in pure.parts:
        raise CommandError(f"`dataset={dataset}` must be a path inside this repository or a Hub dataset id")
    if not is_repo_path(dataset):
        if not HUB_ID.match(dataset):
            raise CommandError(
                f"`dataset={dataset}` is neither a data file in this repository (.csv, .tsv, "
                ".json, .jsonl, .parquet) nor a Hub dataset id (owner/name)"
            )
        return dataset
    try:
        content = gateway.read_file(repo, dataset, ref, max_bytes=max_bytes)
    except GitHubFileTooLarge:
        raise CommandError(
            f"`{dataset}` is over the {max_bytes}-byte limit of this bot (INTERN_MAX_DATASET_BYTES): give a "
            "smaller file or a Hub dataset id"
        ) from None
    if content is None:
        raise CommandError(
            f"`{dataset}` is not on the default branch `{ref}`: commit it first, or give a Hub dataset id"
        )
    local = scratch / pure.name
    local.write_bytes(content)
    if max_bytes is not None and local.suffix.lower() in (".parquet", ".pq"):
        check_parquet_size(local, max_bytes, dataset)
    return str(local)


def check_parquet_size(path: Path, max_bytes: int, name: str) -> None:
    """Refuse a Parquet file whose data, decoded, is over `max_bytes`: a small file can hold a decompression bomb
    (compressed pages, dictionary-encoded repeats). The footer is checked first, then the decoded size is
    counted a few rows at a time, so that at most one small batch is ever held."""
    import pyarrow.parquet as pq

    too_big = CommandError(
        f"`{name}` holds more than {max_bytes} bytes of data once decoded, over the limit of this bot "
        "(INTERN_MAX_DATASET_BYTES)"
    )
    try:
        parquet = pq.ParquetFile(path)
        metadata = parquet.metadata
        if sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)) > max_bytes:
            raise too_big
        total = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            total += batch.nbytes
            if total > max_bytes:
                raise too_big
    except CommandError:
        raise
    except Exception as exc:  # pyarrow raises its own error types for a broken file
        raise CommandError(f"`{name}` is not a readable Parquet file: {type(exc).__name__}") from None


def capped_stream(load: Any, max_bytes: int) -> Any:
    """A streaming loader that stops a Hub sample once its rows add up to `max_bytes` (as JSON text; a row is
    measured once it arrived), so a dataset of few huge rows cannot fill the bot's memory either."""

    def loader(source: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        base = load
        if base is None:
            import datasets

            base = datasets.load_dataset
        total = 0
        for row in base(source, **kwargs):
            total += len(json.dumps(row, default=str))
            if total > max_bytes:
                log.warning("Hub sample of %s stopped at the %d-byte cap", source, max_bytes)
                return
            yield row

    return loader


def check_arguments(args: dict[str, str]) -> None:
    """What the parser cannot know: a model must be a Hub id or scratch:<size>, epochs a sane number."""
    model = args.get("model")
    if model is not None and (".." in model or not MODEL_ID.match(model)):
        raise CommandError(f"`model={model}` must be a Hub model id (e.g. distilbert-base-uncased) or scratch:<size>")
    if "epochs" in args:
        try:
            epochs = float(args["epochs"])
        except ValueError:
            epochs = -1.0
        if not 0 < epochs <= MAX_EPOCHS:
            raise CommandError(f"`epochs={args['epochs']}` must be a number above 0 and at most {MAX_EPOCHS:g}")


def planner_objective(objective: str, args: dict[str, str]) -> str:
    """The issue text without any `key=value` of its own (only the command's arguments are overrides)."""
    words = [word for word in objective.split() if "=" not in word]
    overrides = [f"{key}={args[key]}" for key in PLANNER_KEYS if key in args]
    return " ".join([*words[:400], *overrides])


def build_project(
    gateway: GitHubGateway,
    repo: str,
    ref: str,
    objective: str,
    args: dict[str, str],
    *,
    planner: Planner,
    workflow_options: WorkflowOptions,
    max_rows: int | None = None,
    stream_loader: Any = None,
    max_bytes: int | None = None,
) -> Project:
    """Everything `/intern train` commits, built from the dataset on the default branch (or the Hub: then
    inspected from a streamed sample of `max_rows` rows, never loaded whole on the bot's host)."""
    from runner.planning import render_plan_md
    from runner.render.reports import render_inspect_md
    from runner.stages.scaffold import build_config
    from runner.tasks.base import InspectRequest
    from runner.tasks.project import render_project
    from runner.tasks.registry import get_task

    check_arguments(args)
    dataset = args.get("dataset")
    with tempfile.TemporaryDirectory() as scratch:
        source = local_source(gateway, repo, ref, dataset, Path(scratch), max_bytes) if dataset else None
        plan = planner(planner_objective(objective, args), source)
        if dataset is None:
            dataset = plan.dataset
            if not dataset:
                raise CommandError(
                    "I could not find a dataset for this objective: name one with "
                    "`/intern train dataset=path/in/repo.csv` or `dataset=owner/name` (Hub)"
                )
            source = local_source(gateway, repo, ref, dataset, Path(scratch), max_bytes)
        assert source is not None
        if max_bytes is not None:
            stream_loader = capped_stream(stream_loader, max_bytes)
        text = args.get("text") or plan.text_column
        label = args.get("label") or plan.label_column
        task = get_task(plan.task)
        request = InspectRequest(
            source=source,
            text=text,
            label=label,
            label_sep=args.get("label_sep"),
            max_rows=max_rows,
            stream_loader=stream_loader,
        )
        inspected = task.inspect(request)
    report = inspected.report.model_copy(update={"source": dataset})
    fields = task.config_fields(inspected)
    model = args.get("model") or plan.model or DEFAULT_MODEL
    config = build_config(
        source=dataset,
        fmt=inspected.fmt,
        text_column=fields.pop("text_column"),
        label_column=fields.pop("label_column"),
        labels=inspected.labels,
        model=model,
        rows=report.split.train,
        objective=objective[:500] or None,
        task=plan.task,
        data_fields=fields,
    )
    if "epochs" in args:
        training = config.training.model_copy(update={"epochs": float(args["epochs"])})
        config = config.model_copy(update={"training": training})
    rendered = render_project(
        config, report, workflow=True, examples=inspected.examples, workflow_options=workflow_options
    )
    return Project(
        files={path: text.encode("utf-8") for path, text in rendered.items()},
        plan_md=render_plan_md(plan),
        inspect_md=render_inspect_md(report),
        dataset_path=dataset if is_repo_path(dataset) else None,
        model=model,
        labels=inspected.labels,
    )
