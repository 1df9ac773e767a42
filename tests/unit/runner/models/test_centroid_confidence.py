"""A linear model over sentence embeddings abstains on its top probability times the text's similarity to the
nearest class centroid: the same confidence in `intern predict`, the stress tests, `intern evaluate` and the card's
snippet (runner/models/portable_model.py, runner/stages/evaluate.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runner.models.portable_model import CENTROIDS_FILE, answer, centroid_similarity, class_centroids, load_model
from runner.stages.evaluate import confidence_and_correct
from runner.stages.predict import Predictor
from tests.fakes.linear_models import build_linear_model
from tests.fakes.tiny_encoder import build_tiny_encoder
from tests.unit.runner.models.test_safe_loading import card_snippet, run_snippet

TEXTS = ["where is my parcel", "my parcel is late", "refund my money", "I want my money back"] * 3
LABELS = ["delivery", "delivery", "billing", "billing"] * 3
QUERIES = ["where is my parcel today", "money back please", "the sky is blue", "penguins sing at dawn"]


def test_centroids_are_unit_means_and_similarity_is_clipped() -> None:
    embeddings = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    centroids = class_centroids(embeddings, ["a", "b", "a"], ["b", "a", "c"])
    assert np.allclose(centroids, [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])  # label order; a class with no text: 0
    queries = np.array([[0.6, 0.8], [-1.0, 0.0]], dtype=np.float32)
    assert np.allclose(centroid_similarity(queries, centroids), [0.8, 0.0])  # the nearest; never below 0


def test_answer_abstains_on_probability_times_similarity() -> None:
    row = np.array([0.9, 0.1])
    info = {"threshold": 0.5}
    assert answer(["a", "b"], row, info) == ("a", "a", 0.9)
    assert answer(["a", "b"], row, info, similarity=0.5) == ("unknown", "a", 0.9)  # 0.45 < 0.5


def test_evaluate_scales_the_confidence_by_the_similarity() -> None:
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8]])
    confidence, correct = confidence_and_correct(probabilities, ["a", "a"], ["a", "b"], None, np.array([0.5, 1.0]))
    assert np.allclose(confidence, [0.45, 0.8]) and correct.tolist() == [True, False]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("centroids")
    encoder = build_tiny_encoder(base / "encoder", TEXTS + QUERIES)
    return build_linear_model(base / "model", TEXTS, LABELS, encoder_dir=encoder)


def test_predict_uses_the_delivered_centroids(model_dir: Path) -> None:
    assert (model_dir / CENTROIDS_FILE).is_file()
    model = load_model(model_dir)
    probabilities, similarity = model.predict_with_similarity(QUERIES)
    assert np.allclose(probabilities, model.predict_proba(QUERIES))
    assert similarity.shape == (len(QUERIES),) and np.all((similarity >= 0) & (similarity <= 1))
    confidence = probabilities.max(axis=1) * similarity
    # a threshold between the two lowest confidences: the lowest text abstains, even if its probability passes it
    threshold = float(np.sort(confidence)[:2].mean())
    predictions = Predictor(model_dir, threshold=threshold).predict(QUERIES)
    assert [p.abstained for p in predictions] == [bool(c < threshold) for c in confidence]
    assert [p.score for p in predictions] == [round(float(p), 4) for p in probabilities.max(axis=1)]


def test_the_card_snippet_abstains_as_predict_does(model_dir: Path, tmp_path: Path) -> None:
    model = load_model(model_dir)
    probabilities, similarity = model.predict_with_similarity(QUERIES)
    confidence = probabilities.max(axis=1) * similarity
    threshold = float(np.sort(confidence)[:2].mean())
    info_path = model_dir / "intern.json"
    original = info_path.read_text()
    try:
        info_path.write_text(original.replace('"threshold": 0.0', f'"threshold": {threshold}'))
        code = card_snippet(model_dir).replace('texts = ["', "texts = " + repr(QUERIES) + "  # ")
        done = run_snippet(code, tmp_path)
        assert done.returncode == 0, done.stderr
        shown = [line.split("\t")[0] for line in done.stdout.splitlines()]
        expected = [p.label for p in Predictor(model_dir).predict(QUERIES)]
        assert shown == expected and "unknown" in shown
    finally:
        info_path.write_text(original)
