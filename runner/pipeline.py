"""`intern run`: the whole loop on one dataset, stage by stage, with its status in reports/run.json.

reports/run.json says `complete: true` only when every stage succeeded; a crash half-way leaves it
`complete: false` with the failing stage marked, so a half-finished run never looks finished.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ConfigDict

from runner.config import save_config
from runner.data.load import csv_delimiter
from runner.errors import ProjectError, StageFailedError
from runner.models.defaults import ModelChoice, default_model, gpu_available
from runner.render.progress_display import Reporter, SilentReporter
from runner.schemas import REPORTS_DIR, RunStatus, StageStatus, write_report, write_text_atomic
from runner.stages.scaffold import build_config, relative_source, write_project
from runner.task_names import DEFAULT_TASK
from runner.tasks.base import Inspected, InspectRequest
from runner.tasks.choose import choose_task
from runner.tasks.project import render_project
from runner.tasks.recognise import TaskChoice
from runner.tasks.registry import get_task
from runner.workflow_options import WorkflowOptions

if TYPE_CHECKING:
    from runner.settings import RunnerSettings

STAGES = ("inspect", "scaffold", "smoke", "train", "evaluate", "stress", "card")
STALE_OUTPUTS = (
    "smoke.json",
    "smoke.log",
    "train.json",
    "train.jsonl",
    "train.log",
    "eval.json",
    "eval.md",
    "confusion_matrix.png",
    "coverage_curve.png",
    "epochs.png",
    "stress.json",
    "stress.md",
    "report.md",
    "run.json",
)
T = TypeVar("T")


class RunOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    data: str
    out: Path
    text: str | None = None
    label: str | None = None
    model: str | None = None
    objective: str | None = None
    test: str | None = None
    workflow: bool = True
    abstain_coverage: float | None = None
    unknown_texts: str | None = None  # a file of texts known to be out of scope
    task: str | None = None
    labels: list[str] = []
    label_sep: str | None = None

    def label_hints(self) -> list[str]:
        """Every label column named: several `--label` for one 0/1 column per label, else the one."""
        return list(self.labels) or ([self.label] if self.label else [])


class StatusBook:
    """Keeps reports/run.json current as stages start, finish or fail."""

    def __init__(self, out: Path) -> None:
        self.path = out / REPORTS_DIR / "run.json"
        self.stages: dict[str, StageStatus] = {name: StageStatus() for name in STAGES}

    def save(self, complete: bool = False) -> RunStatus:
        status = RunStatus(complete=complete, stages=dict(self.stages))
        write_report(self.path, status)
        return status

    def run(self, name: str, action: Callable[[], T]) -> T:
        self.stages[name] = StageStatus(state="running")
        self.save()
        started = time.perf_counter()
        try:
            result = action()
        except BaseException as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.stages[name] = StageStatus(
                state="failed", seconds=round(time.perf_counter() - started, 2), message=message
            )
            self.save()
            raise
        self.stages[name] = StageStatus(state="ok", seconds=round(time.perf_counter() - started, 2))
        self.save()
        return result


def prepare_out_dir(out: Path) -> None:
    """Refuse to write into a non-empty directory that is not an intern project; clear a previous run."""
    if out.exists() and not out.is_dir():
        raise ProjectError(f"{out} is a file: --out must name a directory")
    is_project = (out / "intern.yaml").is_file() or (out / REPORTS_DIR / "run.json").is_file()
    if out.exists() and any(out.iterdir()) and not is_project:
        raise ProjectError(f"{out} exists and is not an ML Intern project: choose another --out or empty it")
    shutil.rmtree(out / "model", ignore_errors=True)
    shutil.rmtree(out / ".intern", ignore_errors=True)
    for name in STALE_OUTPUTS:
        (out / REPORTS_DIR / name).unlink(missing_ok=True)


def choose_model(given: str | None, settings: RunnerSettings, task: str = DEFAULT_TASK) -> ModelChoice:
    """The given model, else the task's default for this machine (the Hub is asked only then)."""
    if given:
        return ModelChoice(name=given, reason="given with --model")
    chooser = getattr(get_task(task), "default_model", None)  # a task with its own kind of model (images)
    if chooser is not None:
        choice: ModelChoice = chooser(settings.hub_ok(), gpu_available())
        return choice
    return default_model(settings.hub_ok(), gpu_available())


def inspect_data(options: RunOptions) -> tuple[TaskChoice, Inspected]:
    """Choose the task (see runner/tasks/choose.py) and inspect the data as that task reads it."""
    hints = options.label_hints()
    choice = choose_task(options.data, options.objective, options.task, hints, options.label_sep)
    request = InspectRequest(
        source=options.data,
        text=options.text,
        label=hints[0] if len(hints) == 1 else None,
        labels=hints if len(hints) > 1 else [],
        label_sep=options.label_sep,
        test_source=options.test,
    )
    return choice, get_task(choice.task).inspect(request)


def scaffold_project(
    options: RunOptions,
    inspected: Inspected,
    model: ModelChoice,
    workflow_options: WorkflowOptions | None = None,
    task: str = DEFAULT_TASK,
) -> Path:
    if options.unknown_texts:  # a missing or unreadable file is the user's to fix, before anything runs
        from runner.stages.evaluate import read_unknown_texts

        read_unknown_texts(Path(options.unknown_texts))
    out = options.out
    fields = get_task(task).config_fields(inspected)
    licence = _licence_of(options.data)
    config = build_config(
        source=relative_source(options.data, inspected.fmt, out),
        fmt=inspected.fmt,
        text_column=fields.pop("text_column"),
        label_column=fields.pop("label_column"),
        labels=inspected.labels,
        model=model.name,
        rows=inspected.report.split.train,
        objective=options.objective,
        test_source=relative_source(options.test, inspected.test_format, out)
        if options.test and inspected.test_format
        else None,
        test_format=inspected.test_format,
        abstain_coverage=options.abstain_coverage,
        unknown_texts=relative_source(options.unknown_texts, "csv", out) if options.unknown_texts else None,
        licence=licence["licence"],
        attribution=licence["attribution"],
        task=task,
        data_fields=fields,
        delimiter=csv_delimiter(options.data, inspected.fmt),
        test_delimiter=csv_delimiter(options.test, inspected.test_format)
        if options.test and inspected.test_format
        else None,
    )
    files = render_project(
        config,
        inspected.report,
        workflow=options.workflow,
        examples=inspected.examples,
        workflow_options=workflow_options,
    )
    write_project(files, out)
    save_config(config, out)
    return out


def _licence_of(data: str) -> dict[str, str | None]:
    """Licence and attribution from a LICENSE/README next to a local dataset, when it says so."""
    folder = Path(data).resolve().parent
    for name in ("LICENSE.txt", "LICENSE", "LICENCE", "LICENSE.md"):
        path = folder / name
        if path.is_file():
            first = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            licence = first[0].strip()[:100] if first else None
            readme = folder / "README.md"
            attribution = None
            if readme.is_file():
                lines = [line.strip("# ").strip() for line in readme.read_text(encoding="utf-8").splitlines()]
                attribution = next((line for line in lines if line), None)
            return {"licence": licence, "attribution": attribution}
    return {"licence": None, "attribution": None}


def run_pipeline(options: RunOptions, reporter: Reporter | None = None, *, settings: RunnerSettings) -> RunStatus:
    """Inspect, scaffold, smoke, train, evaluate, stress, card; raises on the first failing stage."""
    from runner.render.reports import render_run_md
    from runner.stages.smoke import run_smoke
    from runner.stages.train import run_training

    reporter = reporter or SilentReporter()
    out = options.out.resolve()
    prepare_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    book = StatusBook(out)
    book.save()

    def inspect() -> tuple[TaskChoice, Inspected]:
        with reporter.stage("inspect", options.data):
            return inspect_data(options)

    choice, inspected = book.run("inspect", inspect)
    reporter.line(f"task: {choice.task} ({choice.reason})")
    reporter.line(f"columns: {inspected.report.column_reason}")
    for warning in inspected.report.warnings:
        reporter.line(f"warning: {warning}")
    model = choose_model(options.model, settings, choice.task)
    reporter.line(f"model: {model.name} ({model.reason})")
    book.run(
        "scaffold",
        lambda: scaffold_project(
            options.model_copy(update={"out": out}), inspected, model, settings.workflow, choice.task
        ),
    )

    def smoke() -> None:
        report = run_smoke(out, env=settings.environment, reporter=reporter)
        if not report.ok:
            raise StageFailedError(
                f"smoke test failed ({report.error_class}): {report.diagnosis} "
                f"{report.suggested_fix or ''} Log: {out / REPORTS_DIR / 'smoke.log'}".strip(),
                report_path=str(out / REPORTS_DIR / "smoke.json"),
            )

    book.run("smoke", smoke)
    book.run("train", lambda: run_training(out, env=settings.environment, reporter=reporter))
    task = get_task(choice.task)
    book.run("evaluate", lambda: task.evaluate(out, reporter, {}))
    book.run("stress", lambda: task.stress(out, reporter, settings.llm_client()))
    book.run("card", lambda: task.write_card(out, None))
    status = book.save(complete=True)
    write_text_atomic(out / REPORTS_DIR / "report.md", render_run_md(out))
    return status
