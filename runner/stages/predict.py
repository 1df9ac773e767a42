"""`intern predict`: label, score, or `unknown` when the model abstains under its calibrated threshold."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from runner.errors import DataError
from runner.models.inference import load_classifier, read_model_info
from runner.models.portable_model import UNKNOWN, answer


class Prediction(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    label: str
    score: float
    top_label: str
    abstained: bool


def read_inputs(path: Path) -> list[str]:
    """One text per line (.txt), or a `text` field per line (.jsonl)."""
    if not path.is_file():
        raise DataError(f"{path} not found")
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not valid UTF-8: re-save it as UTF-8") from exc
    if path.suffix == ".jsonl":
        texts = []
        for number, line in enumerate(lines, start=1):
            try:
                texts.append(str(json.loads(line)["text"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f'{path}:{number}: expected a JSON object with a "text" field') from exc
        return texts
    return lines


def predict_texts(model_dir: Path, texts: list[str], threshold: float | None = None) -> list[Prediction]:
    """Each text's answer as the demo gives it (runner/models/portable_model.answer)."""
    classifier = load_classifier(model_dir)
    info = read_model_info(model_dir)
    if threshold is not None:
        info["threshold"] = threshold
    probabilities = classifier.predict_proba(texts)
    predictions = []
    for text, row in zip(texts, probabilities, strict=True):
        label, top_label, score = answer(classifier.labels, row, info)
        predictions.append(
            Prediction(text=text, label=label, score=round(score, 4), top_label=top_label, abstained=label == UNKNOWN)
        )
    return predictions
