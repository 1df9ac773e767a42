"""`intern serve`'s app over real HTTP semantics (FastAPI TestClient): one text, a batch, rows with ids, the
same objects as `predict --json`, health, OpenAPI docs, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runner.errors import UserInputError
from runner.render.predictions import render_json_line
from runner.serving.app import create_app
from runner.serving.server import load_served
from runner.stages.predict import Predictor
from runner.tasks.multi_label.predict import MultiLabelPredictor
from tests.fakes.datasets import make_rows
from tests.fakes.linear_models import build_linear_model
from tests.fakes.tiny_encoder import build_tiny_classifier


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    rows, _ = make_rows(12)
    folder = tmp_path_factory.mktemp("model") / "model"
    return Predictor(build_linear_model(folder, [r.text for r in rows], [r.label for r in rows], threshold=0.3))


@pytest.fixture(scope="module")
def client(predictor: Predictor) -> TestClient:
    return TestClient(create_app(predictor, max_batch=4))


def test_one_text_answers_what_predict_json_prints(client: TestClient, predictor: Predictor) -> None:
    response = client.post("/predict", json={"text": "my invoice payment"})
    assert response.status_code == 200
    (expected,) = predictor.predict(["my invoice payment"])
    assert response.json() == json.loads(render_json_line(expected))


def test_batch_keeps_order_and_rows_keep_their_ids(client: TestClient) -> None:
    texts = ["my invoice payment", "parcel courier late", "refund my money"]
    batch = client.post("/predict", json={"texts": texts}).json()["predictions"]
    assert [p["text"] for p in batch] == texts
    assert [p["top_label"] for p in batch] == ["billing", "delivery", "refund"]
    rows = client.post("/predict", json={"rows": [{"id": 9, "body": "refund my money"}], "text_field": "body"})
    assert rows.json()["predictions"][0]["id"] == 9 and rows.json()["predictions"][0]["top_label"] == "refund"


def test_abstains_below_the_threshold(client: TestClient) -> None:
    answer = client.post("/predict", json={"text": "zzz qqq"}).json()
    assert answer["abstained"] is (answer["score"] < 0.3)
    assert answer["label"] == ("unknown" if answer["abstained"] else answer["top_label"])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"text": "a", "texts": ["b"]}, 422),
        ({"texts": ["a"] * 5}, 413),
        ({"rows": [{"id": 1}]}, 422),
        ({"text": 3}, 422),
        ({"text": "a", "extra": 1}, 422),
    ],
)
def test_refusals(client: TestClient, body: dict[str, object], status: int) -> None:
    assert client.post("/predict", json=body).status_code == status


def test_health_and_docs(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health == {
        "status": "ok",
        "model": "model",
        "task": "text-classification",
        "kind": "linear",
        "labels": 4,
        "threshold": 0.3,
    }
    schema = client.get("/openapi.json").json()
    assert "/predict" in schema["paths"] and "/healthz" in schema["paths"]
    assert client.get("/docs").status_code == 200


LABELS = ["billing", "bug", "shipping"]
TEXTS = ["refund my order please", "the app crashes on start", "where is my parcel", "cancel the subscription"]


@pytest.fixture(scope="module")
def multi_label_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = build_tiny_classifier(tmp_path_factory.mktemp("ml") / "model", TEXTS * 5, LABELS, multi_label=True)
    info = {
        "task": "multi-label-classification",
        "kind": "transformer",
        "labels": LABELS,
        "thresholds": [0.3, 0.5, 0.7],
    }
    (folder / "intern.json").write_text(json.dumps(info), encoding="utf-8")
    return folder


def test_a_multi_label_model_is_served_as_predict_json_prints_it(multi_label_model: Path) -> None:
    predictor, served = load_served(multi_label_model)
    client = TestClient(create_app(predictor, max_batch=4, served=served))
    expected = MultiLabelPredictor(multi_label_model).predict(TEXTS[:2])
    one = client.post("/predict", json={"text": TEXTS[0]})
    assert one.status_code == 200 and one.json() == json.loads(render_json_line(expected[0]))
    rows = client.post("/predict", json={"rows": [{"id": 3, "text": TEXTS[1]}]}).json()["predictions"]
    assert rows == [{"id": 3, **json.loads(render_json_line(expected[1]))}]
    assert set(rows[0]["scores"]) == set(LABELS) and rows[0]["thresholds"]["shipping"] == 0.7
    health = client.get("/healthz").json()
    assert health == {
        "status": "ok",
        "model": "model",
        "task": "multi-label-classification",
        "kind": "transformer",
        "labels": 3,
    }
    documented = client.get("/openapi.json").json()["components"]["schemas"]
    assert "MultiLabelOut" in documented and "PredictionOut" not in documented


def test_an_image_model_is_refused_with_what_to_use_instead(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "intern.json").write_text(json.dumps({"task": "image-classification", "kind": "linear"}))
    with pytest.raises(UserInputError, match=r"answers texts; score images with `intern predict .* --input"):
        load_served(folder)
