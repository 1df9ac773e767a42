"""`intern predict` for a multi-label model: the labels over their thresholds, with every label's score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from runner.tasks.multi_label.portable_scoring import load_multilabel_model

NONE = "(none)"


class MultiLabelPrediction(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    labels: list[str]
    scores: dict[str, float]
    thresholds: dict[str, float]


class MultiLabelPredictor:
    """The delivered multi-label model, loaded once; `predict(texts)` scores them in one batch."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self.model = load_multilabel_model(model_dir)
        self.cuts = dict(zip(self.model.labels, self.model.thresholds, strict=True))

    @property
    def labels(self) -> list[str]:
        return list(self.model.labels)

    def predict(self, texts: list[str]) -> list[MultiLabelPrediction]:
        labels, thresholds = self.model.labels, self.model.thresholds
        predictions = []
        for text, row in zip(texts, self.model.predict_proba(texts), strict=True):
            order = np.argsort(-row)
            predictions.append(
                MultiLabelPrediction(
                    text=text,
                    labels=[labels[j] for j in order if row[j] >= thresholds[j]],
                    scores={labels[j]: round(float(row[j]), 4) for j in order},
                    thresholds=self.cuts,
                )
            )
        return predictions


def predict_multilabel(model_dir: Path, texts: list[str]) -> list[MultiLabelPrediction]:
    return MultiLabelPredictor(model_dir).predict(texts)


def render_multilabel_prediction(prediction: MultiLabelPrediction) -> str:
    """`joy;optimism<TAB>joy=0.9120 optimism=0.6431<TAB>text`, or `(none)` with the top score."""
    if prediction.labels:
        shown = " ".join(f"{label}={prediction.scores[label]:.4f}" for label in prediction.labels)
    else:
        top = next(iter(prediction.scores), None)
        shown = f"top {top}={prediction.scores[top]:.4f}" if top else ""
    return f"{';'.join(prediction.labels) or NONE}\t{shown}\t{prediction.text}"
