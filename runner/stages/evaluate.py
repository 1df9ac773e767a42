"""Evaluation on the held-out test split (spec §3.6): metrics, confusion matrix, baseline, leakage check."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from runner.config import InternConfig, load_config
from runner.data.portable import load_splits
from runner.data.profile import leakage_share
from runner.models import baseline
from runner.models.inference import load_classifier
from runner.render.progress_display import Reporter, SilentReporter
from runner.schemas import (
    REPORTS_DIR,
    BaselineResult,
    ClassMetrics,
    ConfusionMatrix,
    EvalReport,
    LeakageCheck,
    write_report,
    write_text_atomic,
)

CONFUSION_PNG = "confusion_matrix.png"


def compute_metrics(
    true: Sequence[str], predicted: Sequence[str], labels: list[str]
) -> tuple[float, float, float, list[ClassMetrics], ConfusionMatrix]:
    """Accuracy, macro and weighted F1, per-class metrics and the confusion matrix over EVERY class in
    `labels`, so a class absent from the test split or never predicted is reported (with zeros), not dropped."""
    if not true:
        empty = [ClassMetrics(label=label, precision=0.0, recall=0.0, f1=0.0, support=0) for label in labels]
        return 0.0, 0.0, 0.0, empty, ConfusionMatrix(labels=labels, matrix=[])
    accuracy = float(accuracy_score(true, predicted)) if true else 0.0
    macro = float(f1_score(true, predicted, labels=labels, average="macro", zero_division=0))
    weighted = float(f1_score(true, predicted, labels=labels, average="weighted", zero_division=0))
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, labels=labels, zero_division=0)
    per_class = [
        ClassMetrics(
            label=label,
            precision=round(float(precision[i]), 4),
            recall=round(float(recall[i]), 4),
            f1=round(float(f1[i]), 4),
            support=int(support[i]),
        )
        for i, label in enumerate(labels)
    ]
    matrix = confusion_matrix(true, predicted, labels=labels).tolist() if true else []
    return (
        round(accuracy, 4),
        round(macro, 4),
        round(weighted, 4),
        per_class,
        ConfusionMatrix(labels=labels, matrix=matrix),
    )


def plot_confusion(matrix: ConfusionMatrix, path: Path, title: str) -> Path:
    """Row-normalised confusion matrix as a PNG, counts written in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    counts = np.array(matrix.matrix, dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    size = max(5.0, 0.55 * len(matrix.labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(matrix.labels)), matrix.labels, rotation=45, ha="right")
    ax.set_yticks(range(len(matrix.labels)), matrix.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if len(matrix.labels) <= 30:
        for i in range(len(matrix.labels)):
            for j in range(len(matrix.labels)):
                if counts[i, j]:
                    colour = "white" if shares[i, j] > 0.5 else "black"
                    ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", color=colour, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def evaluate_predictions(
    config: InternConfig,
    splits: dict[str, tuple[list[str], list[str]]],
    predicted: list[str],
    baseline_result: BaselineResult | None,
    seconds: float,
) -> EvalReport:
    test_texts, test_labels = splits["test"]
    accuracy, macro, weighted, per_class, confusion = compute_metrics(test_labels, predicted, config.labels)
    hits, share = leakage_share(splits["train"][0], test_texts)
    return EvalReport(
        rows=len(test_texts),
        accuracy=accuracy,
        macro_f1=macro,
        weighted_f1=weighted,
        per_class=per_class,
        confusion=confusion,
        baseline=baseline_result,
        baseline_verdict=baseline.verdict(macro, baseline_result.macro_f1) if baseline_result else "",
        leakage=LeakageCheck(test_rows=len(test_texts), with_duplicate_in_train=hits, fraction=round(share, 4)),
        seconds=round(seconds, 2),
    )


def run_evaluation(project_dir: Path, *, reporter: Reporter | None = None, with_baseline: bool = True) -> EvalReport:
    """Score model/ on the test split; write reports/eval.json, eval.md and confusion_matrix.png."""
    from runner.render.reports import render_eval_md

    project_dir = project_dir.resolve()
    config = load_config(project_dir)
    reporter = reporter or SilentReporter()
    started = time.perf_counter()
    with reporter.stage("evaluate", "test split") as ctx:
        splits = load_splits(config.model_dump(mode="json"), str(project_dir))
        classifier = load_classifier(project_dir / "model")
        probabilities = classifier.predict_proba(splits["test"][0])
        predicted = [classifier.labels[i] for i in probabilities.argmax(axis=1)] if len(probabilities) else []
        ctx.update(f"{len(predicted)} test texts scored")
        result = None
        if with_baseline:
            result, _ = baseline.train_and_score(*splits["train"], *splits["test"], config.labels)
            ctx.update(f"baseline macro F1 {result.macro_f1:.4f}")
        report = evaluate_predictions(config, splits, predicted, result, time.perf_counter() - started)
    reports = project_dir / REPORTS_DIR
    plot_confusion(report.confusion, reports / CONFUSION_PNG, f"Test confusion matrix (macro F1 {report.macro_f1:.4f})")
    write_report(reports / "eval.json", report)
    write_text_atomic(reports / "eval.md", render_eval_md(report))
    return report
