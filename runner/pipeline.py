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
from runner.errors import ProjectError, StageFailedError
from runner.models.defaults import ModelChoice, default_model, gpu_available
from runner.render.progress_display import Reporter, SilentReporter
from runner.render.workflow import WorkflowOptions
from runner.schemas import REPORTS_DIR, RunStatus, StageStatus, write_report, write_text_atomic
from runner.stages.inspect import InspectResult, inspect_source
from runner.stages.scaffold import build_config, relative_source, render_project, write_project

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


def choose_model(given: str | None, settings: RunnerSettings) -> ModelChoice:
    """The given model, else the default for this machine (the Hub is asked only then)."""
    if given:
        return ModelChoice(name=given, reason="given with --model")
    return default_model(settings.hub_ok(), gpu_available())


def scaffold_project(
    options: RunOptions,
    inspected: InspectResult,
    model: ModelChoice,
    workflow_options: WorkflowOptions | None = None,
) -> Path:
    out = options.out
    config = build_config(
        source=relative_source(options.data, inspected.fmt, out),
        fmt=inspected.fmt,
        text_column=inspected.report.text_column,
        label_column=inspected.report.label_column,
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
        **_licence_of(options.data),
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
    from runner.stages.card import write_card
    from runner.stages.evaluate import run_evaluation
    from runner.stages.smoke import run_smoke
    from runner.stages.stress import run_stress
    from runner.stages.train import run_training

    reporter = reporter or SilentReporter()
    out = options.out.resolve()
    prepare_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    book = StatusBook(out)
    book.save()

    def inspect() -> InspectResult:
        with reporter.stage("inspect", options.data):
            return inspect_source(options.data, text=options.text, label=options.label, test_source=options.test)

    inspected = book.run("inspect", inspect)
    reporter.line(f"columns: {inspected.report.column_reason}")
    for warning in inspected.report.warnings:
        reporter.line(f"warning: {warning}")
    model = choose_model(options.model, settings)
    reporter.line(f"model: {model.name} ({model.reason})")
    book.run(
        "scaffold",
        lambda: scaffold_project(options.model_copy(update={"out": out}), inspected, model, settings.workflow),
    )

    def smoke() -> None:
        report = run_smoke(out, reporter=reporter)
        if not report.ok:
            raise StageFailedError(
                f"smoke test failed ({report.error_class}): {report.diagnosis} "
                f"{report.suggested_fix or ''} Log: {out / REPORTS_DIR / 'smoke.log'}".strip(),
                report_path=str(out / REPORTS_DIR / "smoke.json"),
            )

    book.run("smoke", smoke)
    book.run("train", lambda: run_training(out, reporter=reporter))
    book.run("evaluate", lambda: run_evaluation(out, reporter=reporter))
    book.run("stress", lambda: run_stress(out, reporter=reporter, llm=settings.llm_client()))
    book.run("card", lambda: write_card(out))
    status = book.save(complete=True)
    write_text_atomic(out / REPORTS_DIR / "report.md", render_run_md(out))
    return status
