"""The classical baseline every run trains beside the transformer: TF-IDF features + a linear model."""

from __future__ import annotations

import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

from runner.schemas import BaselineResult

BASELINE_NAME = "TF-IDF (words 1-2 + chars 2-5) + linear SVM"


def train_and_score(
    train_texts: list[str],
    train_labels: list[str],
    test_texts: list[str],
    test_labels: list[str],
    labels: list[str],
) -> tuple[BaselineResult, list[str]]:
    """Fit on train, score on test; returns the result and the test predictions."""
    started = time.perf_counter()
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ]
    )
    model = make_pipeline(features, LinearSVC(C=1.0))
    model.fit(train_texts, train_labels)
    predicted = [str(p) for p in model.predict(test_texts)]
    result = BaselineResult(
        name=BASELINE_NAME,
        accuracy=round(float(accuracy_score(test_labels, predicted)), 4),
        macro_f1=round(float(f1_score(test_labels, predicted, labels=labels, average="macro", zero_division=0)), 4),
        seconds=round(time.perf_counter() - started, 2),
    )
    return result, predicted


def verdict(model_f1: float, baseline_f1: float, winner: str | None = None) -> str:
    """One honest sentence comparing the delivered model with the TF-IDF baseline on test (macro F1)."""
    gap = model_f1 - baseline_f1
    if winner == "tfidf":
        return "The delivered model is the TF-IDF baseline itself: it was the best candidate on validation."
    if gap >= 0.01:
        return f"The delivered model beats the TF-IDF baseline by {gap * 100:.1f} macro-F1 points on test."
    if gap > -0.01:
        return (
            f"The delivered model and the TF-IDF baseline are within {abs(gap) * 100:.1f} points on test: "
            "the cheaper model may be enough for this data."
        )
    return (
        f"The TF-IDF baseline beats the delivered model by {-gap * 100:.1f} points on test, although the delivered "
        "model was better on validation: check the split and consider shipping the baseline."
    )
