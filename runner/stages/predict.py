"""`intern predict` and `intern serve`: label, score, or `unknown` when the model abstains under its calibrated
threshold. `Predictor` loads the delivered model once and scores any number of texts."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from runner.models.inference import Classifier, load_classifier
from runner.stages.stress_cases import UNKNOWN


class Prediction(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    label: str
    score: float
    top_label: str
    abstained: bool


class Predictor:
    """The delivered model in `model_dir`, loaded once; `predict(texts)` scores them in one batch."""

    def __init__(self, model_dir: Path, threshold: float | None = None) -> None:
        self.model_dir = model_dir
        self.classifier: Classifier = load_classifier(model_dir)
        self.threshold = self.classifier.threshold if threshold is None else threshold

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    def predict(self, texts: list[str]) -> list[Prediction]:
        probabilities = self.classifier.predict_proba(texts)
        predictions = []
        for text, row in zip(texts, probabilities, strict=True):
            top = int(row.argmax())
            score = float(row[top])
            abstained = score < self.threshold
            predictions.append(
                Prediction(
                    text=text,
                    label=UNKNOWN if abstained else self.classifier.labels[top],
                    score=round(score, 4),
                    top_label=self.classifier.labels[top],
                    abstained=abstained,
                )
            )
        return predictions


def predict_texts(model_dir: Path, texts: list[str], threshold: float | None = None) -> list[Prediction]:
    return Predictor(model_dir, threshold).predict(texts)
