"""Start `intern serve`: load the model once (and score one text, so the first request is warm), then uvicorn."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.serving.app import Served
    from runner.tasks.base import Predicts


def serve_model(model_dir: Path, host: str, port: int, max_batch: int, log: Callable[[str], None]) -> None:
    import uvicorn

    from runner.serving.app import create_app

    started = time.perf_counter()
    predictor, served = load_served(model_dir)
    log(
        f"loaded {model_dir} ({served.task}, {served.kind}, {served.labels} labels) in "
        f"{time.perf_counter() - started:.1f} s; serving on http://{host}:{port} (POST /predict, GET /healthz, /docs)"
    )
    uvicorn.run(create_app(predictor, max_batch, served), host=host, port=port, log_level="warning", access_log=False)


def load_served(model_dir: Path) -> tuple[Predicts, Served]:
    """The model's predictor, loaded once and warmed up on one text (so the first request is not the slow one),
    and what the server says about it. A model that does not take texts is refused with what to use instead."""
    from runner.errors import UserInputError
    from runner.serving.app import RESPONSES, describe
    from runner.tasks.choose import task_of_model

    task = task_of_model(model_dir)
    if task.input_kind != "text":
        raise UserInputError(
            f"{model_dir} is a model for {task.title}: `intern serve` answers texts; score {task.input_kind}s with "
            f"`intern predict {model_dir} --input FOLDER_OR_TABLE --json`"
        )
    predictor = task.predictor(model_dir)
    (warm,) = predictor.predict(["warm-up"])
    if type(warm) not in RESPONSES:
        raise UserInputError(f"`intern serve` cannot serve a model for {task.title} yet: use `intern predict --json`")
    return predictor, describe(model_dir, task.name, predictor, type(warm))
