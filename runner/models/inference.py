"""Load the delivered model directory and score texts (evaluation, stress tests, `intern predict`).

Every kind of winner loads through `runner/models/portable_model.py`, the same code the generated `app.py`
carries, so the runner and the demo score alike. The sentence encoder is loaded once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runner.errors import ProjectError, UnsafeModelError
from runner.models import portable_model
from runner.models.portable_model import MODEL_INFO_FILE, load_model
from runner.models.portable_safe_load import UnsafeModelFile

CALIBRATION_FILE = MODEL_INFO_FILE


@dataclass
class Classifier:
    model: Any
    labels: list[str]
    threshold: float
    kind: str = "transformer"

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in `labels` order."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return np.asarray(self.model.predict_proba(texts), dtype=np.float32)

    def predict_with_similarity(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities and each text's similarity to the nearest class centroid: the confidence the model
        abstains on is the top probability times it (1 for a model that keeps no centroids)."""
        if hasattr(self.model, "predict_with_similarity"):
            probabilities, similarity = self.model.predict_with_similarity(texts)
            return np.asarray(probabilities, dtype=np.float32), np.asarray(similarity, dtype=np.float32)
        return self.predict_proba(texts), np.ones(len(texts), dtype=np.float32)

    @property
    def uses_centroids(self) -> bool:
        return getattr(self.model, "centroids", None) is not None


def read_model_info(model_dir: Path) -> dict[str, Any]:
    """model/intern.json (kind, labels, abstain threshold), {} when absent; a broken file is a clear error."""
    path = model_dir / MODEL_INFO_FILE
    try:
        info = portable_model.read_model_info(model_dir)
    except ValueError as exc:
        raise ProjectError(f"{path} is not valid JSON: {exc}; re-run `intern train`") from exc
    if not isinstance(info, dict):
        raise ProjectError(f"{path} must hold a JSON object; re-run `intern train`")
    return info


def read_threshold(model_dir: Path) -> float | None:
    """The abstain threshold chosen on validation, None before `intern evaluate` has chosen one."""
    value = read_model_info(model_dir).get("threshold")
    return float(value) if value is not None else None


def update_model_info(model_dir: Path, **fields: Any) -> None:
    """Merge `fields` into model/intern.json, atomically."""
    info = read_model_info(model_dir)
    info.update(fields)
    tmp = model_dir / f".{MODEL_INFO_FILE}.tmp"
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    tmp.replace(model_dir / MODEL_INFO_FILE)


def load_classifier(model_dir: Path) -> Classifier:
    """The model train.py delivered (linear head or fine-tuned transformer), or any HF classification folder."""
    info = read_model_info(model_dir)
    if info.get("kind") != "linear" and not (model_dir / "config.json").is_file():
        raise ProjectError(
            f"{model_dir} holds no trained model (intern.json and config.json missing): run `intern train`"
        )
    from runner.models.light_imports import import_skops, needs_torch

    import_skops()  # first, without torch: a TF-IDF model never loads it (cold start)
    if needs_torch(info) and info.get("kind") != "linear":  # a plain encoder runs without transformers at all
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        model = load_model(model_dir)
    except UnsafeModelFile as exc:
        raise UnsafeModelError(str(exc)) from None
    except (OSError, KeyError, ValueError) as exc:
        raise ProjectError(f"{model_dir}: the model cannot be loaded ({exc}); re-run `intern train`") from exc
    labels = [str(label) for label in model.labels]
    return Classifier(model, labels, float(info.get("threshold") or 0.0), str(info.get("kind", "transformer")))
