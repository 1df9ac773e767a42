"""`intern predict` and `intern serve`: label, score, or `unknown` when the model abstains under its calibrated
threshold. `Predictor` loads the delivered model once and scores any number of texts."""

from __future__ import annotations

from pathlib import Path

from runner.models.inference import Classifier, load_classifier, read_model_info
from runner.models.portable_model import UNKNOWN, answer
from runner.schemas import Prediction


class Predictor:
    """The delivered model in `model_dir`, loaded once; `predict(texts)` scores them in one batch."""

    def __init__(self, model_dir: Path, threshold: float | None = None) -> None:
        self.model_dir = model_dir
        self.classifier: Classifier = load_classifier(model_dir)
        self.info = read_model_info(model_dir)  # the threshold and the data's out-of-scope class, if any
        if threshold is not None:
            self.info["threshold"] = threshold
        self.threshold = float(self.info.get("threshold") or 0.0)

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    def predict(self, texts: list[str]) -> list[Prediction]:
        probabilities, similarity = self.classifier.predict_with_similarity(texts)
        predictions = []
        for text, row, near in zip(texts, probabilities, similarity, strict=True):  # as the demo answers
            label, top_label, score = answer(self.classifier.labels, row, self.info, float(near))
            predictions.append(
                Prediction(
                    text=text, label=label, score=round(score, 4), top_label=top_label, abstained=label == UNKNOWN
                )
            )
        return predictions


def predict_texts(model_dir: Path, texts: list[str], threshold: float | None = None) -> list[Prediction]:
    return Predictor(model_dir, threshold).predict(texts)
