"""A fine-tuned classifier's scores: a softmax over classes for one label per text, a sigmoid per label for
multi-label, from the same batched, length-sorted pass over the texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from runner.models.portable_model import load_model
from runner.tasks.multi_label.portable_scoring import load_multilabel_model
from tests.fakes.tiny_encoder import build_tiny_classifier

TEXTS = ["refund my order please", "the app crashes on start", "where is my parcel", "cancel the subscription"]
LABELS = ["billing", "bug", "shipping"]


def direct_logits(folder: Path, texts: list[str]) -> torch.Tensor:
    model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    with torch.inference_mode():
        return torch.cat([model(**tokenizer([text], return_tensors="pt")).logits for text in texts])


def test_a_single_label_classifier_gives_a_softmax(tmp_path: Path) -> None:
    folder = build_tiny_classifier(tmp_path / "model", TEXTS * 5, LABELS)
    (folder / "intern.json").write_text(json.dumps({"kind": "transformer", "labels": LABELS}))
    model = load_model(folder)
    probabilities = model.predict_proba(TEXTS, batch_size=3)  # two batches, texts reordered by length
    assert model.labels == LABELS
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(len(TEXTS)), abs=1e-5)
    expected = torch.softmax(direct_logits(folder, TEXTS), dim=-1).numpy()
    assert probabilities == pytest.approx(expected, abs=1e-5)


def test_a_multi_label_classifier_gives_a_sigmoid_per_label_and_keeps_its_thresholds(tmp_path: Path) -> None:
    folder = build_tiny_classifier(tmp_path / "model", TEXTS * 5, LABELS, multi_label=True)
    info = {"kind": "transformer", "labels": LABELS, "thresholds": [0.3, 0.5, 0.7]}
    (folder / "intern.json").write_text(json.dumps(info))
    model = load_multilabel_model(folder)
    probabilities = model.predict_proba(TEXTS, batch_size=3)
    assert model.labels == LABELS and model.thresholds == [0.3, 0.5, 0.7]
    expected = torch.sigmoid(direct_logits(folder, TEXTS)).numpy()
    assert probabilities == pytest.approx(expected, abs=1e-5)
    assert not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)  # independent per label, not a softmax
