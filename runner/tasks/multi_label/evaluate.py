"""Evaluate a multi-label model on the test split: micro/macro/samples F1, subset accuracy, Hamming loss, per-label
precision/recall/F1/support with each label's threshold, the baseline beside it, and a per-label bar chart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from runner.config import load_config
from runner.data.profile import leakage_share
from runner.models import baseline
from runner.render.markdown import cell
from runner.render.progress_display import Reporter
from runner.schemas import (
    REPORTS_DIR,
    ClassMetrics,
    EvalReport,
    LeakageCheck,
    MultiLabelMetrics,
    TrainSummary,
    read_report,
    write_report,
    write_text_atomic,
)
from runner.stages.evaluate import baseline_from_candidates
from runner.tasks.multi_label.portable_data import load_multilabel_splits
from runner.tasks.multi_label.portable_scoring import decide, label_matrix, load_multilabel_model

PER_LABEL_PNG = "per_label_f1.png"


def multilabel_metrics(
    truth: np.ndarray, predicted: np.ndarray, labels: list[str], thresholds: list[float], sources: list[str]
) -> tuple[dict[str, float], list[ClassMetrics], MultiLabelMetrics]:
    """Every figure of the report from 0/1 truth and decisions (labels absent from the split score 0)."""
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, average=None, zero_division=0)
    per_label = [
        ClassMetrics(
            label=label,
            precision=round(float(p), 4),
            recall=round(float(r), 4),
            f1=round(float(f), 4),
            support=int(s),
            threshold=round(float(t), 4),
            threshold_source=source,
        )
        for label, p, r, f, s, t, source in zip(
            labels, precision, recall, f1, support, thresholds, sources, strict=True
        )
    ]
    rows = max(len(truth), 1)
    summary = {
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "micro_f1": round(float(f1_score(truth, predicted, average="micro", zero_division=0)), 4),
        "weighted_f1": round(float(f1_score(truth, predicted, average="weighted", zero_division=0)), 4),
        "accuracy": round(float((truth == predicted).all(axis=1).mean()) if len(truth) else 0.0, 4),
    }
    extra = MultiLabelMetrics(
        samples_f1=round(float(f1_score(truth, predicted, average="samples", zero_division=1)), 4) if len(truth) else 0,
        subset_accuracy=summary["accuracy"],
        hamming_loss=round(float((truth != predicted).mean()) if truth.size else 0.0, 4),
        labels_per_text_true=round(float(truth.sum()) / rows, 3),
        labels_per_text_predicted=round(float(predicted.sum()) / rows, 3),
        no_label_predicted=round(float((predicted.sum(axis=1) == 0).mean()) if len(truth) else 0.0, 4),
    )
    return summary, per_label, extra


def plot_per_label(per_label: list[ClassMetrics], path: Path, title: str) -> Path:
    """Horizontal bars of each label's test F1 (support and threshold in the tick labels), at most ~2000 px."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(per_label, key=lambda c: c.f1)
    height = min(18.0, max(2.5, 0.3 * len(ordered) + 1.2))
    fig, ax = plt.subplots(figsize=(7.5, height), dpi=100)
    ax.barh(range(len(ordered)), [c.f1 for c in ordered], color="#4c72b0")
    ax.set_yticks(range(len(ordered)))
    ax.set_yticklabels([f"{c.label} (n={c.support}, t={c.threshold:.2f})" for c in ordered], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("test F1")
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def render_eval_md(report: EvalReport) -> str:
    extra = report.multi_label
    lines = ["## Evaluation (test split)", ""]
    lines += ["| metric | model | baseline |", "|---|---:|---:|"]
    base = report.baseline
    lines.append(f"| macro F1 | {report.macro_f1:.4f} | {f'{base.macro_f1:.4f}' if base else '-'} |")
    lines.append(f"| micro F1 | {report.micro_f1 or 0:.4f} | - |")
    if extra is not None:
        lines.append(f"| samples F1 | {extra.samples_f1:.4f} | - |")
        lines.append(f"| subset accuracy | {extra.subset_accuracy:.4f} | {f'{base.accuracy:.4f}' if base else '-'} |")
        lines.append(f"| Hamming loss | {extra.hamming_loss:.4f} | - |")
    lines += ["", report.baseline_verdict, ""] if report.baseline_verdict else [""]
    if extra is not None:
        lines.append(
            f"{report.rows} test texts: {extra.labels_per_text_true:.2f} labels per text, "
            f"{extra.labels_per_text_predicted:.2f} predicted; {extra.no_label_predicted:.1%} given no label."
        )
        lines.append("")
    lines += ["| label | precision | recall | F1 | support | threshold |", "|---|---:|---:|---:|---:|---:|"]
    for c in report.per_class:
        threshold = f"{c.threshold:.4f} ({c.threshold_source})" if c.threshold is not None else "-"
        lines.append(
            f"| {cell(c.label)} | {c.precision:.4f} | {c.recall:.4f} | {c.f1:.4f} | {c.support} | {threshold} |"
        )
    lines += ["", f"![per-label F1]({PER_LABEL_PNG})", ""]
    lines.append(
        f"Leakage: {report.leakage.with_duplicate_in_train} of {report.leakage.test_rows} test texts have a "
        "duplicate in train."
    )
    return "\n".join(lines) + "\n"


def run_multilabel_evaluation(project_dir: Path, reporter: Reporter, options: dict[str, Any]) -> EvalReport:
    project_dir = project_dir.resolve()
    config = load_config(project_dir)
    reports = project_dir / REPORTS_DIR
    summary = read_report(reports / "train.json", TrainSummary) if (reports / "train.json").is_file() else None
    started = time.perf_counter()
    with reporter.stage("evaluate", "test split") as ctx:
        splits = load_multilabel_splits(config.model_dump(mode="json"), str(project_dir))
        model = load_multilabel_model(project_dir / "model")
        texts, label_sets = splits["test"]
        truth = label_matrix(label_sets, model.labels)
        predicted = decide(model.predict_proba(texts), model.thresholds)
        ctx.update(f"{len(texts)} test texts scored")
        info_sources = _threshold_sources(project_dir / "model", len(model.labels))
        figures, per_label, extra = multilabel_metrics(truth, predicted, model.labels, model.thresholds, info_sources)
        base = baseline_from_candidates(summary)
        hits, share = leakage_share(splits["train"][0], texts)
        report = EvalReport(
            task="multi-label-classification",
            rows=len(texts),
            model_kind=type(model).__name__.removeprefix("MultiLabel").removesuffix("Model").lower(),
            winner=summary.winner if summary else None,
            candidates=summary.candidates if summary else [],
            accuracy=figures["accuracy"],
            macro_f1=figures["macro_f1"],
            micro_f1=figures["micro_f1"],
            weighted_f1=figures["weighted_f1"],
            per_class=per_label,
            multi_label=extra,
            baseline=base,
            baseline_verdict=baseline.verdict(figures["macro_f1"], base.macro_f1, summary.winner if summary else None)
            if base
            else "",
            leakage=LeakageCheck(test_rows=len(texts), with_duplicate_in_train=hits, fraction=round(share, 4)),
            seconds=round(time.perf_counter() - started, 2),
        )
    plot_per_label(per_label, reports / PER_LABEL_PNG, f"Test F1 per label (macro {report.macro_f1:.4f})")
    write_report(reports / "eval.json", report)
    write_text_atomic(reports / "eval.md", render_eval_md(report))
    return report


def _threshold_sources(model_dir: Path, count: int) -> list[str]:
    from runner.models.portable_model import read_model_info

    sources = read_model_info(model_dir).get("threshold_source") or []
    return [str(s) for s in sources] if len(sources) == count else ["tuned"] * count
