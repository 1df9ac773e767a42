"""Load a trained model directory and score texts (evaluation, stress tests, `intern predict`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runner.errors import ProjectError

CALIBRATION_FILE = "intern.json"


@dataclass
class Classifier:
    model: Any
    tokenizer: Any
    labels: list[str]
    max_length: int
    threshold: float

    def predict_proba(self, texts: list[str], batch_size: int = 256) -> np.ndarray:
        """Class probabilities, one row per text, columns in `labels` order."""
        import torch

        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in rows],
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                )
                logits = self.model(**batch).logits
                out[rows] = torch.softmax(logits.float(), dim=-1).numpy()
        return out


def read_threshold(model_dir: Path) -> float:
    path = model_dir / CALIBRATION_FILE
    if not path.is_file():
        return 0.0
    return float(json.loads(path.read_text(encoding="utf-8")).get("threshold", 0.0))


def load_classifier(model_dir: Path) -> Classifier:
    """A model saved by train.py (or any HF sequence-classification directory)."""
    if not (model_dir / "config.json").is_file():
        raise ProjectError(f"{model_dir} holds no trained model (config.json missing): run `intern train` first")
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    torch.set_num_threads(os.cpu_count() or 1)
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir))
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    id2label = model.config.id2label
    labels = [str(id2label[i]) for i in range(len(id2label))]
    max_length = int(min(getattr(tokenizer, "model_max_length", 512) or 512, 512))
    return Classifier(model, tokenizer, labels, max_length, read_threshold(model_dir))
