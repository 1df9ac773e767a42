"""`intern serve MODEL`: the delivered model behind HTTP, loaded once when the server starts.

    POST /predict   {"text": "..."}                      -> one prediction object
                    {"texts": ["...", ...]}              -> {"predictions": [...]}, in the same order
                    {"rows": [{"id": 7, "text": "..."}]} -> rows keep their other fields (as `predict --json`)
    GET  /healthz   {"status": "ok", "model": ..., "labels": n}
    GET  /docs      OpenAPI documentation (/openapi.json)

A prediction object is exactly what `intern predict --json` prints for the same text: for a text classifier its
label (or `unknown`) and score, for a multi-label classifier the labels over their thresholds and every label's
score. Scoring runs in the thread pool (the model releases the GIL in numpy and torch), at most `max_batch` texts
per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from runner.models.inference import read_model_info
from runner.render.predictions import prediction_record
from runner.schemas import Prediction
from runner.stages.predict import Predictor
from runner.tasks.base import Predicts
from runner.tasks.multi_label.predict import MultiLabelPrediction

MAX_BATCH = 1024
MAX_TEXT_CHARS = 100_000


class PredictRequest(BaseModel):
    """One text, a batch of texts, or a batch of rows (objects with a text field and anything else)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS, examples=["where is my refund"])
    texts: list[str] | None = Field(default=None, examples=[["where is my refund", "I forgot my password"]])
    rows: list[dict[str, Any]] | None = Field(default=None, examples=[[{"id": 7, "text": "where is my refund"}]])
    text_field: str = Field(default="text", description="the field of each row that holds its text")

    @model_validator(mode="after")
    def _one_input(self) -> PredictRequest:
        given = [name for name in ("text", "texts", "rows") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError('give exactly one of "text", "texts" or "rows"')
        return self


class PredictionOut(BaseModel):
    """One prediction, with any other fields of its input row before these."""

    model_config = ConfigDict(extra="allow")

    text: str
    label: str = Field(description="the predicted label, or `unknown` when the model abstains")
    score: float = Field(description="the top label's probability")
    top_label: str = Field(description="the most likely label, even when the model abstains")
    abstained: bool


class BatchOut(BaseModel):
    predictions: list[PredictionOut]


class MultiLabelOut(BaseModel):
    """One multi-label prediction, with any other fields of its input row before these."""

    model_config = ConfigDict(extra="allow")

    text: str
    labels: list[str] = Field(description="the labels whose score reaches their threshold, most likely first")
    scores: dict[str, float] = Field(description="every label's own probability (a sigmoid each)")
    thresholds: dict[str, float] = Field(description="each label's threshold, tuned on validation")


class MultiLabelBatchOut(BaseModel):
    predictions: list[MultiLabelOut]


# The prediction types `intern serve` answers with, and the response models that document them in /docs.
RESPONSES: dict[type[BaseModel], tuple[type[BaseModel], type[BaseModel]]] = {
    Prediction: (PredictionOut, BatchOut),
    MultiLabelPrediction: (MultiLabelOut, MultiLabelBatchOut),
}


@dataclass(frozen=True)
class Served:
    """What /healthz and /docs say about the model: its folder, task, kind, number of labels and, for a text
    classifier, its abstain threshold; `prediction` is the type its predictor returns."""

    model_dir: Path
    task: str
    kind: str
    labels: int
    prediction: type[BaseModel]
    threshold: float | None = None


class Health(BaseModel):
    status: str
    model: str
    task: str
    kind: str
    labels: int
    threshold: float | None = Field(default=None, description="a text classifier's abstain threshold")


def describe(model_dir: Path, task: str, predictor: Predicts, prediction: type[BaseModel]) -> Served:
    """What the server says about a loaded model: the kind from model/intern.json, the labels and (a text
    classifier's) abstain threshold from its predictor."""
    kind = str(read_model_info(model_dir).get("kind", "transformer"))
    labels = getattr(predictor, "labels", None) or []
    return Served(model_dir, task, kind, len(labels), prediction, getattr(predictor, "threshold", None))


def create_app(predictor: Predicts, max_batch: int = MAX_BATCH, served: Served | None = None) -> FastAPI:
    """The FastAPI app around an already loaded `predictor` (a text classifier's when `served` is not given)."""
    if served is None:
        if not isinstance(predictor, Predictor):
            raise TypeError("create_app needs `served` for a predictor other than a text classifier's")
        served = describe(predictor.model_dir, "text-classification", predictor, Prediction)
    if served.prediction not in RESPONSES:
        raise TypeError(f"`intern serve` cannot answer with {served.prediction.__name__} predictions")
    one_out, batch_out = RESPONSES[served.prediction]
    app = FastAPI(
        title="ML Intern model server",
        description=f"Predictions of the {served.task} model in {served.model_dir}, as `intern predict --json`.",
        version="1",
    )
    model_name = Path(served.model_dir).resolve().name

    def score(texts: list[str]) -> Sequence[BaseModel]:
        return predictor.predict(texts)

    @app.get("/healthz", response_model=Health, response_model_exclude_none=True)
    def healthz() -> Health:
        return Health(
            status="ok",
            model=model_name,
            task=served.task,
            kind=served.kind,
            labels=served.labels,
            threshold=served.threshold,
        )

    @app.post("/predict", response_model=one_out | batch_out)
    async def predict(request: PredictRequest) -> dict[str, Any]:
        if request.text is not None:
            (prediction,) = await run_in_threadpool(score, [request.text])
            return prediction_record(prediction)
        texts, extras = _batch(request, max_batch)
        predictions = await run_in_threadpool(score, texts) if texts else []
        return {"predictions": [prediction_record(p, e) for p, e in zip(predictions, extras, strict=True)]}

    return app


def _batch(request: PredictRequest, max_batch: int) -> tuple[list[str], list[dict[str, Any]]]:
    extras: list[dict[str, Any]]
    if request.texts is not None:
        texts = list(request.texts)
        extras = [{} for _ in request.texts]
    else:
        rows = request.rows or []
        texts = []
        extras = []
        for number, row in enumerate(rows):
            value = row.get(request.text_field)
            if not isinstance(value, str):
                raise HTTPException(422, f"rows[{number}] has no string field {request.text_field!r}")
            texts.append(value)
            extras.append({key: item for key, item in row.items() if key != request.text_field})
    if len(texts) > max_batch:
        raise HTTPException(413, f"{len(texts)} texts in one request: at most {max_batch}, split the batch")
    if any(len(text) > MAX_TEXT_CHARS for text in texts):
        raise HTTPException(413, f"a text is longer than {MAX_TEXT_CHARS} characters")
    return texts, extras
