"""Markdown renderings of the reports (runner/render/reports.py and runner/render/templates/report_*.md.j2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.render.markdown import LOG_TAIL_CHARS, cell, duration
from runner.render.reports import (
    MAX_LABEL_ROWS,
    confusion_table,
    render_eval_md,
    render_inspect_md,
    render_run_md,
    render_smoke_md,
    render_stress_md,
    render_train_md,
    truncate_log,
)
from runner.schemas import (
    ConfusionMatrix,
    DuplicateExample,
    EpochRecord,
    FixAttempt,
    LabelCount,
    Projection,
    RunStatus,
    SmokeReport,
    StageStatus,
    write_report,
)
from tests.fakes import sample_reports as sample


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0.0 s"),
        (12.34, "12.3 s"),
        (59.9, "59.9 s"),
        (60, "1 min 00 s"),
        (245, "4 min 05 s"),
        (3600, "1 h 00 min"),
        (7380, "2 h 03 min"),
    ],
)
def test_duration(seconds: float, expected: str) -> None:
    assert duration(seconds) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a | b", "a \\| b"),
        ("line one\nline two", "line one line two"),
        ("  spaced\t out  ", "spaced out"),
        (42, "42"),
        ("x" * 120, "x" * 120),
        ("x" * 121, "x" * 117 + "..."),
    ],
)
def test_cell(text: object, expected: str) -> None:
    assert cell(text) == expected


def test_truncate_log_keeps_the_tail() -> None:
    short = "Traceback\n```\nboom"
    assert truncate_log(short) == short  # kept verbatim: the `fenced` filter picks a fence it cannot close
    long = "".join(f"line {i}\n" for i in range(3000))
    cut = truncate_log(long)
    assert cut.startswith("...\n")
    assert cut.endswith("line 2999\n")
    assert len(cut) == LOG_TAIL_CHARS + len("...\n")
    assert "line 0\n" not in cut


def test_confusion_table() -> None:
    table = confusion_table(ConfusionMatrix(labels=["a|b", "c"], matrix=[[3, 0], [1, 2]]))
    lines = table.splitlines()
    assert lines[0] == "| true \\ predicted | a\\|b | c |"
    assert lines[1] == "|---|---:|---:|"
    assert lines[2] == "| **a\\|b** | 3 | · |"
    assert lines[3] == "| **c** | 1 | 2 |"
    assert confusion_table(ConfusionMatrix(labels=["a"], matrix=[])) == "_empty test split_"


def _table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    """Cells of the table rows starting with `first_cell`, split on unescaped pipes."""
    import re

    rows = []
    for line in markdown.splitlines():
        if line.startswith(f"| {first_cell}"):
            rows.append([part.strip() for part in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_render_inspect_md() -> None:
    report = sample.inspect_report().model_copy(
        update={
            "conflicting_groups": 1,
            "conflicting_examples": [DuplicateExample(text="refund | or not\nreally", labels=["a", "b"], count=2)],
            "warnings": ["classes are imbalanced"],
            "random_split_leakage": 0.125,
        }
    )
    text = render_inspect_md(report)
    assert text.startswith("## Data report")
    assert "**300 rows**" in text
    for label in sample.LABELS:
        assert f"| {label} | 100 | 33.3% |" in text
    assert "| test rows with a duplicate in train, **naive random split** | 12.5% |" in text
    assert "| refund \\| or not really | a, b | 2 |" in text
    assert _table_rows(text, "refund \\|") == [["refund \\| or not really", "a, b", "2"]]
    assert "- classes are imbalanced" in text


def test_render_inspect_md_caps_the_label_rows() -> None:
    labels = [LabelCount(name=f"class{i}", count=10, share=0.02) for i in range(MAX_LABEL_ROWS + 7)]
    text = render_inspect_md(sample.inspect_report().model_copy(update={"labels": labels}))
    assert f"| class{MAX_LABEL_ROWS - 1} |" in text
    assert f"| class{MAX_LABEL_ROWS} |" not in text
    assert "| … 7 more | | |" in text


def test_render_smoke_md_passed() -> None:
    report = SmokeReport(
        ok=True,
        seconds=12.5,
        steps=8,
        examples=64,
        examples_per_s=123.45,
        train_rows_full=20000,
        epochs=3,
        projections=[Projection(flavour="cpu-basic", hardware="2 vCPU", seconds=754, cost_usd=0.0021)],
    )
    text = render_smoke_md(report)
    assert "✅ passed" in text
    assert "**123.5 examples/s**" in text
    assert "20,000 training rows" in text
    assert "| `cpu-basic` | 2 vCPU | as configured | 12 min 34 s | <$0.01 |" in text
    assert "Log tail" not in text


def test_render_smoke_md_failed_with_attempts() -> None:
    report = SmokeReport(
        ok=False,
        error_class="missing_column",
        diagnosis="column `txt` not found",
        suggested_fix="use `text`",
        seconds=3.0,
        log_tail="Traceback\n```\nKeyError: 'txt'",
        attempts=[FixAttempt(attempt=1, error_class="missing_column", fix="renamed | column", ok_after=True)],
    )
    text = render_smoke_md(report)
    assert "❌ failed (missing\\_column)" in text
    assert "**What happened:** column `txt` not found" in text
    assert "**Suggested fix:** use `text`" in text
    assert "KeyError: 'txt'" in text
    assert "````text\nTraceback\n```\nKeyError: 'txt'\n````" in text  # a fence the log cannot close
    assert "| 1 | missing\\_column | renamed \\| column | yes |" in text


def test_render_train_md() -> None:
    epochs = [
        EpochRecord(epoch=1, train_loss=None, eval_loss=0.5, accuracy=0.8, macro_f1=0.75, seconds=10.04),
        EpochRecord(epoch=2, train_loss=0.3, eval_loss=0.4, accuracy=0.9, macro_f1=0.88, seconds=9.96),
    ]
    text = render_train_md(sample.train_summary(), epochs)
    assert "Delivered: **encoder+tfidf**: best validation macro F1 \\(0.9100\\)" in text
    assert "| **encoder+tfidf** (delivered) | 0.9100 | 0.9100 | 0.8000 | 0.8000 | 3.5 s |" in text
    assert "| fine-tune |  |  |  |  | 2.0 s | skipped: over the 60 s budget |" in text
    assert "12 min 34 s" in text
    assert "| 1 |  | 0.5000 | 0.8000 | 0.7500 | 10.0 s |" in text
    assert "| 2 | 0.3000 | 0.4000 | 0.9000 | 0.8800 | 10.0 s |" in text
    no_summary = render_train_md(None, epochs)
    assert "Delivered" not in no_summary and "| 2 |" in no_summary


def test_render_eval_md() -> None:
    text = render_eval_md(sample.eval_report())
    assert "(30 texts)" in text
    assert "| macro F1 | **0.8000** | 0.6800 |" in text
    assert sample.eval_report().baseline_verdict in text
    assert "| refund | 0.5500 | 0.5500 | 0.5500 | 10 |" in text
    assert "| **refund** | 2 | 3 | 5 |" in text
    assert "0 of 30 test texts (0.0%)" in text


def test_render_eval_md_without_baseline() -> None:
    text = render_eval_md(sample.eval_report().model_copy(update={"baseline": None, "baseline_verdict": ""}))
    assert "| accuracy | **0.8000** | n/a |" in text
    assert "Baseline:" not in text


def test_render_stress_md_escapes_pipes_in_cases() -> None:
    text = render_stress_md(sample.stress_report(unknown=0.1))
    assert "Abstain threshold **0.5500**" in text
    assert "| family | cases | right | abstained | wrong |" in text
    assert "| unknown | 20 | **10.0%** | 10.0% | 90.0% |" in text
    assert "| negation | 20 | **60.0%** | 20.0% | 20.0% |" in text
    assert "- typos: 50% right, 25% abstained, 25% wrong." in text  # every sentence from the three shares
    assert "| negation \\| example | unknown | billing | billing | 0.9000 |" in text
    assert text.count("<details>") == 4


def test_render_run_md_with_no_reports(tmp_path: Path) -> None:
    text = render_run_md(tmp_path)
    assert text.startswith("# ML Intern run report")
    for absent in ("Smoke test", "## Training", "## Evaluation", "## Stress tests", "Data report", "|"):
        assert absent not in text


def test_render_run_md_with_some_reports(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_report(
        reports / "run.json",
        RunStatus(
            complete=False,
            stages={"inspect": StageStatus(state="ok", seconds=1.5), "smoke": StageStatus(state="failed", seconds=75)},
        ),
    )
    write_report(reports / "inspect.json", sample.inspect_report())
    write_report(reports / "eval.json", sample.eval_report())
    text = render_run_md(tmp_path, confusion_image_url="https://example.test/cm.png")
    assert "| inspect | ok | 1.5 s |" in text
    assert "| smoke | failed | 1 min 15 s |" in text
    assert "**Test macro F1 0.8000**, accuracy 0.8000 on 30 held-out texts." in text
    assert "![confusion matrix](https://example.test/cm.png)" in text
    assert "<details><summary>Data report</summary>" in text
    assert "## Smoke test" not in text and "## Training" not in text and "## Stress tests" not in text


def test_label_with_a_pipe_stays_in_one_cell_of_the_eval_table() -> None:
    report = sample.eval_report()
    per_class = [report.per_class[0].model_copy(update={"label": "billing|refund"}), *report.per_class[1:]]
    text = render_eval_md(report.model_copy(update={"per_class": per_class}))
    assert _table_rows(text, "billing") == [["billing\\|refund", "0.9500", "0.9500", "0.9500", "10"]]


def test_label_with_a_pipe_stays_in_one_cell_of_the_inspect_table() -> None:
    labels = [LabelCount(name="billing|refund", count=100, share=0.5), LabelCount(name="other", count=100, share=0.5)]
    text = render_inspect_md(sample.inspect_report().model_copy(update={"labels": labels}))
    assert _table_rows(text, "billing") == [["billing\\|refund", "100", "50.0%"]]
