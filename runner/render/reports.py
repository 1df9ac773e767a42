"""Markdown renderings of the reports: what the PR comments, the job summaries and reports/report.md show.

All text comes from templates under runner/render/templates/report_*.md.j2 through pure render functions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TypeVar

from jinja2 import Environment
from pydantic import BaseModel

from runner.render.confusion_plot import most_confused, sub_matrix
from runner.render.markdown import MARKDOWN_FILTERS, cell, count, duration, percent, prose, score, tail, threshold
from runner.render.templating import template_environment
from runner.schemas import (
    REPORTS_DIR,
    Abstention,
    CandidateResult,
    ConfusionMatrix,
    EpochRecord,
    EvalReport,
    InspectReport,
    RemedyResult,
    RunStatus,
    SmokeReport,
    StressReport,
    TrainSummary,
    read_epochs,
    read_report,
)

R = TypeVar("R", bound=BaseModel)
MAX_LABEL_ROWS = 30
truncate_log = tail  # the template filter's name: the end of a log, to be put in a block with `fenced`


def candidates_table(candidates: list[CandidateResult]) -> str:
    """Every candidate side by side: validation (which chose the winner) and test (scored after the choice)."""
    if not candidates:
        return ""
    rows = [
        "| candidate | validation macro F1 | validation accuracy | test macro F1 | test accuracy | time | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in candidates:
        name = f"**{cell(c.name)}** (delivered)" if c.winner else cell(c.name)
        note = cell(c.title if c.status == "trained" else c.reason)
        rows.append(
            f"| {name} | {score(c.validation_macro_f1)} | {score(c.validation_accuracy)} | "
            f"{score(c.test_macro_f1)} | {score(c.test_accuracy)} | {duration(c.seconds)} | {note} |"
        )
    return "\n".join(rows) + "\n"


def abstention_md(abstention: Abstention | None) -> str:
    """How the operating point was chosen, in one sentence with its figures, then what it gives on test."""
    if abstention is None:
        return ""
    also = f" or when its top label is `{abstention.abstain_label}`" if abstention.abstain_label else ""
    text = (
        f"The model answers `unknown` below a confidence of **{threshold(abstention.threshold)}**"
        f"{also}, {prose(abstention.reason)}. On the in-scope test texts it answers "
        f"{percent(abstention.test_answered)}, and {percent(abstention.test_answered_right)} are answered and right."
    )
    if abstention.out_of_scope_caught is not None:
        text += (
            f" Out-of-scope test texts (labels never seen in training, {count(abstention.out_of_scope_rows)} rows): "
            f"**{percent(abstention.out_of_scope_caught)} caught** (answered `unknown`)."
        )
    return text + "\n"


def remedies_md(remedies: list[RemedyResult]) -> str:
    """The remedies the stress tests called for: one before/after table, and a plain sentence when none helped."""
    if not remedies:
        return ""
    lines = []
    for remedy in remedies:
        if not remedy.families:
            lines.append(f"Remedy `{remedy.name}`: {remedy.reason}.")
            continue
        lines.append(
            f"Remedy `{remedy.name}` (training on perturbed copies) for {', '.join(remedy.families)}, checked on "
            f"{remedy.check_cases} perturbed validation texts from another random stream: {remedy.reason}."
        )
        rows = ["| check | before | after |", "|---|---:|---:|"]
        for family in remedy.wrong_before:
            after = remedy.wrong_after.get(family)
            rows.append(
                f"| {family}: top label wrong | {percent(remedy.wrong_before[family])} | "
                f"{percent(after) if after is not None else 'n/a'} |"
            )
        if remedy.validation_macro_f1_after is not None and remedy.validation_macro_f1_before is not None:
            rows.append(
                f"| validation macro F1 | {score(remedy.validation_macro_f1_before)} | "
                f"{score(remedy.validation_macro_f1_after)} |"
            )
        lines.append("\n".join(rows))
    if not any(remedy.kept for remedy in remedies):
        lines.append("No remedy was kept: the delivered model is the one chosen before.")
    return "\n\n".join(lines) + "\n"


@cache
def _environment() -> Environment:
    return template_environment(
        filters={
            **MARKDOWN_FILTERS,
            "truncate_log": truncate_log,
            "candidates_table": candidates_table,
            "abstention_md": abstention_md,
            "remedies_md": remedies_md,
        }
    )


def _render(template: str, **context: object) -> str:
    return _environment().get_template(template).render(**context).strip() + "\n"


def confusion_table(matrix: ConfusionMatrix) -> str:
    """The matrix as a Markdown table; of the most confused classes only when there are more than MAX_SHOWN
    (the whole matrix is in reports/confusion_matrix.csv)."""
    if not matrix.matrix:
        return "_empty test split_"
    keep = most_confused(matrix)
    note = ""
    if len(keep) < len(matrix.labels):
        note = (
            f"The {len(keep)} most confused of {len(matrix.labels)} classes; every class is in "
            "`reports/confusion_matrix.csv`.\n\n"
        )
        matrix = sub_matrix(matrix, keep)
    header = "| true \\ predicted | " + " | ".join(cell(label) for label in matrix.labels) + " |"
    rule = "|---|" + "---:|" * len(matrix.labels)
    rows = [
        f"| **{cell(label)}** | " + " | ".join(str(v) if v else "·" for v in values) + " |"
        for label, values in zip(matrix.labels, matrix.matrix, strict=True)
    ]
    return note + "\n".join([header, rule, *rows])


def render_inspect_md(report: InspectReport) -> str:
    # An image data report has its own figures (sizes, colour modes, perceptual duplicates).
    template = "report_inspect_images.md.j2" if report.images is not None else "report_inspect.md.j2"
    return _render(template, r=report, max_labels=MAX_LABEL_ROWS)


def render_smoke_md(report: SmokeReport) -> str:
    return _render("report_smoke.md.j2", r=report)


def render_train_md(summary: TrainSummary | None, epochs: list[EpochRecord]) -> str:
    return _render("report_train.md.j2", s=summary, epochs=epochs)


def render_eval_md(report: EvalReport) -> str:
    table = confusion_table(report.confusion) if report.confusion is not None else ""
    return _render("report_eval.md.j2", r=report, confusion_table=table) + (
        _render("report_mistakes.md.j2", r=report) if report.mistakes else ""
    )


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
            f"**Test macro F1 {score(evaluation.macro_f1)}**, accuracy {score(evaluation.accuracy)} "
            f"on {count(evaluation.rows)} held-out texts. {prose(evaluation.baseline_verdict)}\n"
        )
    if smoke is not None:
        parts.append(render_smoke_md(smoke))
    if summary is not None or epochs:
        parts.append(render_train_md(summary, epochs))
        if (reports / "epochs.png").is_file():
            parts.append("![validation macro F1 and loss per epoch](epochs.png)\n")
    if evaluation is not None:
        parts.append(render_eval_md(evaluation))
        image = confusion_image_url or "confusion_matrix.png"
        parts.append(f"![confusion matrix]({image})\n")
        if evaluation.abstention is not None:
            parts.append(f"![coverage against accuracy]({sibling_image(image, 'coverage_curve.png')})\n")
    if stress is not None:
        parts.append(render_stress_md(stress))
    if inspect is not None:
        parts.append("<details><summary>Data report</summary>\n\n" + render_inspect_md(inspect) + "\n</details>\n")
    return "\n".join(parts)


def sibling_image(url: str, name: str) -> str:
    """The URL of another image in the same reports folder (same commit) as `url`."""
    head, _, tail = url.rpartition("confusion_matrix.png")
    return f"{head}{name}{tail}" if head or tail else name
