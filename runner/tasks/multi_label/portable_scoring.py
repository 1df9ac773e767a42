"""Multi-label scores, decisions and per-label thresholds: shared verbatim by the runner, train.py and app.py.

A multi-label model gives every label its own probability; a label is predicted when its probability reaches that
label's threshold, tuned on validation to the best F1 for the label. A label with too few validation positives to
tune on gets the one threshold that gives the best micro F1 over all labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runner.models.portable_model import (  # train.py and app.py have them pasted above this block
    LinearModel,
    TransformerModel,
    read_model_info,
)

# --- BEGIN PORTABLE MULTI-LABEL SCORING (copied into train.py and app.py; edit portable_scoring.py) ---
MIN_TUNING_POSITIVES = 5  # fewer positives on validation than this: the label gets the shared threshold


def label_matrix(label_sets: list[list[str]], labels: list[str]) -> np.ndarray:
    """0/1 matrix, one row per text, one column per label (labels outside `labels` are ignored)."""
    column = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(label_sets), len(labels)), dtype=np.int8)
    for i, row in enumerate(label_sets):
        for label in row:
            if label in column:
                matrix[i, column[label]] = 1
    return matrix


def best_threshold(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """The cut on `scores` with the best F1 against 0/1 `truth`, and that F1: every distinct cut is tried at once
    (sorted scores, cumulative true positives); the threshold sits halfway between two neighbouring scores."""
    scores, truth = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(truth).ravel()
    positives = int(truth.sum())
    if positives == 0 or len(scores) == 0:
        return 1.0, 0.0
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    tp = np.cumsum(hits)
    k = np.arange(1, len(ranked) + 1)
    f1 = 2 * tp / (k + positives)
    last_of_tie = np.r_[ranked[1:] < ranked[:-1], True]  # a cut can only fall between two different scores
    f1 = np.where(last_of_tie, f1, -1.0)
    best = int(np.argmax(f1))
    below = ranked[best + 1] if best + 1 < len(ranked) else 0.0
    return float((ranked[best] + below) / 2), float(f1[best])


def tune_thresholds(
    scores: np.ndarray, truth: np.ndarray, min_positives: int = MIN_TUNING_POSITIVES
) -> tuple[list[float], list[str]]:
    """One threshold per label (column), and how each was set: `tuned` on its own validation F1, or `shared`."""
    shared, _ = best_threshold(scores, truth)
    thresholds, how = [], []
    for j in range(scores.shape[1]):
        if int(truth[:, j].sum()) >= min_positives:
            threshold, _ = best_threshold(scores[:, j], truth[:, j])
            thresholds.append(round(threshold, 6))
            how.append("tuned")
        else:
            thresholds.append(round(shared, 6))
            how.append("shared")
    return thresholds, how


def decide(scores: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """0/1 decisions: a label is predicted when its score reaches its threshold."""
    return (np.asarray(scores) >= np.asarray(thresholds, dtype=np.float64)[None, :]).astype(np.int8)


class MultiLabelLinearModel(LinearModel):
    """One logistic regression per label over frozen sentence embeddings, TF-IDF features, or both joined: the
    single-label loader's files and features, with a threshold per label instead of a softmax."""

    def __init__(self, model_dir: Path, info: dict, device: str = "cpu") -> None:
        super().__init__(model_dir, info, device)
        self.thresholds = [float(t) for t in info["thresholds"]]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Each label's probability (rows need not sum to 1)."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return np.asarray(self.head.predict_proba(self.transform(texts)), dtype=np.float32)

    def predict_with_similarity(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each label's probability; a multi-label model keeps no class centroids (its thresholds decide)."""
        return self.predict_proba(texts), np.ones(len(texts), dtype=np.float32)


class MultiLabelTransformerModel(TransformerModel):
    """A fine-tuned Hugging Face classifier with a sigmoid per label (problem_type multi_label_classification)."""

    def __init__(self, model_dir: Path, info: dict, device: str = "cpu") -> None:
        super().__init__(model_dir, device)
        self.labels = [str(label) for label in info["labels"]]
        self.thresholds = [float(t) for t in info["thresholds"]]

    def scores(self, logits):
        """Each label's own probability: a sigmoid per label."""
        return self.torch.sigmoid(logits)


def load_multilabel_model(model_dir: Path, device: str = "cpu"):
    """The delivered multi-label model: `labels`, `thresholds` and `predict_proba(texts)` (one score per label)."""
    info = read_model_info(model_dir)
    if info.get("kind") == "linear":
        return MultiLabelLinearModel(model_dir, info, device)
    return MultiLabelTransformerModel(model_dir, info, device)


# --- END PORTABLE MULTI-LABEL SCORING ---
