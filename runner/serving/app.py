"""`intern serve MODEL`: the delivered model behind HTTP, loaded once when the server starts.

    POST /predict   {"text": "..."}                      -> one prediction object
                    {"texts": ["...", ...]}              -> {"predictions": [...]}, in the same order
                    {"rows": [{"id": 7, "text": "..."}]} -> rows keep their other fields (as `predict --json`)
    GET  /healthz   {"status": "ok", "model": ..., "labels": n}
    GET  /docs      OpenAPI documentation (/openapi.json)

A prediction object is exactly what `intern predict --json` prints for the same text. Scoring runs in the thread
pool (the model releases the GIL in numpy and torch), at most `max_batch` texts per request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from runner.render.predictions import prediction_record
from runner.schemas import Prediction
from runner.stages.predict import Predictor

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


class Health(BaseModel):
    status: str
    model: str
    kind: str
    labels: int
    threshold: float


def create_app(predictor: Predictor, max_batch: int = MAX_BATCH) -> FastAPI:
    """The FastAPI app around an already loaded `predictor`."""
    app = FastAPI(
        title="ML Intern model server",
        description=f"Predictions of the model in {predictor.model_dir}: label, score, or `unknown` when it abstains.",
        version="1",
    )
    model_name = Path(predictor.model_dir).resolve().name

    def score(texts: list[str]) -> list[Prediction]:
        return predictor.predict(texts)

    @app.get("/healthz")
    def healthz() -> Health:
        return Health(
            status="ok",
            model=model_name,
            kind=predictor.classifier.kind,
            labels=len(predictor.labels),
            threshold=predictor.threshold,
        )

    @app.post("/predict", response_model=PredictionOut | BatchOut)
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
