"""Markdown renderings of the reports: what the PR comments, the job summaries and reports/report.md show.

All text comes from templates under runner/render/templates/report_*.md.j2 through pure render functions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TypeVar

from jinja2 import Environment
from pydantic import BaseModel

from runner.render.templating import template_environment
from runner.schemas import (
    REPORTS_DIR,
    ConfusionMatrix,
    EpochRecord,
    EvalReport,
    InspectReport,
    RunStatus,
    SmokeReport,
    StressReport,
    TrainSummary,
    read_epochs,
    read_report,
)

R = TypeVar("R", bound=BaseModel)
MAX_LABEL_ROWS = 30
LOG_TAIL_CHARS = 6000


def duration(seconds: float) -> str:
    """12.3 s, 4 min 05 s, 2 h 03 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def cell(text: object) -> str:
    """Text safe inside a markdown table cell (one line, pipes escaped, length capped)."""
    value = " ".join(str(text).split()).replace("|", "\\|")
    return value if len(value) <= 120 else value[:117] + "..."


def truncate_log(text: str) -> str:
    text = text.replace("```", "'''")
    return text if len(text) <= LOG_TAIL_CHARS else "...\n" + text[-LOG_TAIL_CHARS:]


@cache
def _environment() -> Environment:
    return template_environment(filters={"duration": duration, "cell": cell, "truncate_log": truncate_log})


def _render(template: str, **context: object) -> str:
    return _environment().get_template(template).render(**context).strip() + "\n"


def confusion_table(matrix: ConfusionMatrix) -> str:
    if not matrix.matrix:
        return "_empty test split_"
    header = "| true \\ predicted | " + " | ".join(cell(label) for label in matrix.labels) + " |"
    rule = "|---|" + "---:|" * len(matrix.labels)
    rows = [
        f"| **{cell(label)}** | " + " | ".join(str(v) if v else "·" for v in values) + " |"
        for label, values in zip(matrix.labels, matrix.matrix, strict=True)
    ]
    return "\n".join([header, rule, *rows])


def render_inspect_md(report: InspectReport) -> str:
    return _render("report_inspect.md.j2", r=report, max_labels=MAX_LABEL_ROWS)


def render_smoke_md(report: SmokeReport) -> str:
    return _render("report_smoke.md.j2", r=report)


def render_train_md(summary: TrainSummary | None, epochs: list[EpochRecord]) -> str:
    return _render("report_train.md.j2", s=summary, epochs=epochs)


def render_eval_md(report: EvalReport) -> str:
    return _render("report_eval.md.j2", r=report, confusion_table=confusion_table(report.confusion))


def render_stress_md(report: StressReport) -> str:
    return _render("report_stress.md.j2", r=report)


def _optional(path: Path, model: type[R]) -> R | None:
    return read_report(path, model) if path.is_file() else None


def render_run_md(project_dir: Path, confusion_image_url: str | None = None) -> str:
    """The whole run on one page, from whatever reports exist (a stage not run yet is said to be so)."""
    reports = project_dir / REPORTS_DIR
    parts = ["# ML Intern run report\n"]
    status = _optional(reports / "run.json", RunStatus)
    if status is not None:
        rows = [
            f"| {name} | {stage.state} | {duration(stage.seconds) if stage.seconds is not None else ''} |"
            for name, stage in status.stages.items()
        ]
        parts.append("| stage | state | time |\n|---|---|---:|\n" + "\n".join(rows) + "\n")
    inspect = _optional(reports / "inspect.json", InspectReport)
    smoke = _optional(reports / "smoke.json", SmokeReport)
    summary = _optional(reports / "train.json", TrainSummary)
    epochs = read_epochs(reports / "train.jsonl")
    evaluation = _optional(reports / "eval.json", EvalReport)
    stress = _optional(reports / "stress.json", StressReport)
    if evaluation is not None:
        parts.append(
            f"**Test macro F1 {evaluation.macro_f1:.4f}**, accuracy {evaluation.accuracy:.4f} "
            f"on {evaluation.rows:,} held-out texts. {evaluation.baseline_verdict}\n"
        )
    if smoke is not None:
        parts.append(render_smoke_md(smoke))
    if summary is not None or epochs:
        parts.append(render_train_md(summary, epochs))
    if evaluation is not None:
        parts.append(render_eval_md(evaluation))
        image = confusion_image_url or "confusion_matrix.png"
        parts.append(f"![confusion matrix]({image})\n")
    if stress is not None:
        parts.append(render_stress_md(stress))
    if inspect is not None:
        parts.append("<details><summary>Data report</summary>\n\n" + render_inspect_md(inspect) + "\n</details>\n")
    return "\n".join(parts)
