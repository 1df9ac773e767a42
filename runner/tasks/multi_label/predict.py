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


def predict_multilabel(model_dir: Path, texts: list[str]) -> list[MultiLabelPrediction]:
    model = load_multilabel_model(model_dir)
    scores = model.predict_proba(texts)
    cuts = dict(zip(model.labels, model.thresholds, strict=True))
    predictions = []
    for text, row in zip(texts, scores, strict=True):
        order = np.argsort(-row)
        chosen = [model.labels[j] for j in order if row[j] >= model.thresholds[j]]
        predictions.append(
            MultiLabelPrediction(
                text=text,
                labels=chosen,
                scores={model.labels[j]: round(float(row[j]), 4) for j in order},
                thresholds=cuts,
            )
        )
    return predictions


def render_multilabel_prediction(prediction: MultiLabelPrediction) -> str:
    """`joy;optimism<TAB>joy=0.9120 optimism=0.6431<TAB>text`, or `(none)` with the top score."""
    if prediction.labels:
        shown = " ".join(f"{label}={prediction.scores[label]:.4f}" for label in prediction.labels)
    else:
        top = next(iter(prediction.scores), None)
        shown = f"top {top}={prediction.scores[top]:.4f}" if top else ""
    return f"{';'.join(prediction.labels) or NONE}\t{shown}\t{prediction.text}"
