"""Metrics with missing classes, the confusion PNG, and the baseline (stages/evaluate.py, models/baseline.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.models import baseline
from runner.schemas import ConfusionMatrix
from runner.stages.evaluate import compute_metrics, evaluate_predictions, plot_confusion
from tests.fakes import sample_reports as sample
from tests.fakes.datasets import LABELS, make_rows

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_metrics_with_classes_missing_from_test_and_never_predicted() -> None:
    labels = ["a", "b", "c", "d"]  # c: never in the test split; d: never in test and never predicted
    true = ["a", "a", "b", "b"]
    predicted = ["a", "b", "b", "c"]
    accuracy, macro, weighted, per_class, confusion = compute_metrics(true, predicted, labels)
    assert accuracy == 0.5
    by_label = {item.label: item for item in per_class}
    assert [item.label for item in per_class] == labels
    assert by_label["a"].precision == 1.0 and by_label["a"].recall == 0.5
    assert by_label["c"].support == 0 and by_label["c"].precision == 0.0 and by_label["c"].f1 == 0.0
    assert by_label["d"].support == 0 and by_label["d"].f1 == 0.0
    f1_a, f1_b = 2 / 3, 0.5  # a: precision 1, recall 1/2; b: precision 1/2, recall 1/2
    assert macro == round((f1_a + f1_b) / 4, 4)  # averaged over all four classes, zeros included
    assert weighted == round((f1_a * 2 + f1_b * 2) / 4, 4)
    assert confusion.labels == labels
    assert len(confusion.matrix) == 4 and all(len(row) == 4 for row in confusion.matrix)
    assert confusion.matrix == [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_metrics_perfect_predictions() -> None:
    accuracy, macro, weighted, per_class, confusion = compute_metrics(["x", "y"], ["x", "y"], ["x", "y"])
    assert (accuracy, macro, weighted) == (1.0, 1.0, 1.0)
    assert confusion.matrix == [[1, 0], [0, 1]]
    assert [item.support for item in per_class] == [1, 1]


def test_metrics_on_an_empty_test_split() -> None:
    accuracy, macro, _, per_class, confusion = compute_metrics([], [], ["a", "b"])
    assert (accuracy, macro) == (0.0, 0.0)
    assert confusion.matrix == []
    assert [item.support for item in per_class] == [0, 0]


def test_evaluate_predictions_builds_the_report() -> None:
    config = sample.config()
    splits = {
        "train": (["my invoice", "my parcel"], ["billing", "delivery"]),
        "validation": ([], []),
        "test": (["My invoice!", "refund now", "parcel late"], ["billing", "refund", "delivery"]),
    }
    report = evaluate_predictions(config, splits, ["billing", "refund", "refund"], None, 1.234)
    assert report.rows == 3 and report.seconds == 1.23
    assert report.leakage.with_duplicate_in_train == 1 and report.leakage.fraction == round(1 / 3, 4)
    assert report.baseline is None and report.baseline_verdict == ""
    assert report.confusion.labels == sample.LABELS
    assert report.accuracy == round(2 / 3, 4)


def test_plot_confusion_writes_a_png(tmp_path: Path) -> None:
    matrix = ConfusionMatrix(labels=["a", "b", "c"], matrix=[[3, 1, 0], [0, 0, 0], [1, 0, 5]])
    path = plot_confusion(matrix, tmp_path / "nested" / "confusion_matrix.png", "Test")
    assert path == tmp_path / "nested" / "confusion_matrix.png"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1000
    assert sorted(p.name for p in path.parent.iterdir()) == ["confusion_matrix.csv", "confusion_matrix.png"]


def test_a_150_class_confusion_matrix_is_a_readable_picture_and_a_full_csv(tmp_path: Path) -> None:
    from PIL import Image

    from runner.render.confusion_plot import MAX_SHOWN

    labels = [f"class_{i:03d}" for i in range(150)]
    matrix = [[10 if i == j else 0 for j in range(150)] for i in range(150)]
    for i in range(0, 150, 5):  # every 5th class is often mistaken for the next one
        matrix[i][(i + 1) % 150] = 4
    path = plot_confusion(ConfusionMatrix(labels=labels, matrix=matrix), tmp_path / "confusion_matrix.png", "T")
    with Image.open(path) as image:
        assert max(image.size) <= 2000
    rows = (tmp_path / "confusion_matrix.csv").read_text().splitlines()
    assert len(rows) == 151 and rows[1].split(",")[:3] == ["class_000", "10", "4"]
    from runner.render.reports import confusion_table

    table = confusion_table(ConfusionMatrix(labels=labels, matrix=matrix))
    assert f"The {MAX_SHOWN} most confused of 150 classes" in table
    assert "class\\_000" in table and "class\\_002" not in table  # class_002 is never confused


@pytest.mark.parametrize(
    ("model", "base", "winner", "pattern"),
    [
        (0.95, 0.80, "encoder+tfidf", "The delivered model beats the TF-IDF baseline by 15.0 macro-F1 points"),
        (0.905, 0.90, "encoder", "The delivered model and the TF-IDF baseline are within 0.5 points"),
        (0.90, 0.905, None, "The delivered model and the TF-IDF baseline are within 0.5 points"),
        (0.80, 0.95, "fine-tune", "The TF-IDF baseline beats the delivered model by 15.0 points on test"),
        (0.95, 0.95, "tfidf", "The delivered model is the TF-IDF baseline itself"),
    ],
)
def test_baseline_verdict(model: float, base: float, winner: str | None, pattern: str) -> None:
    assert baseline.verdict(model, base, winner).startswith(pattern)


def test_baseline_on_separable_data() -> None:
    rows, _ = make_rows(12, seed=0)
    test_rows, _ = make_rows(4, seed=123)
    result, predicted = baseline.train_and_score(
        [row.text for row in rows],
        [row.label for row in rows],
        [row.text for row in test_rows],
        [row.label for row in test_rows],
        list(LABELS),
    )
    assert result.name == baseline.BASELINE_NAME
    assert result.accuracy >= 0.9 and result.macro_f1 >= 0.9
    assert len(predicted) == len(test_rows) and set(predicted) <= set(LABELS)
    assert result.seconds >= 0
