"""Start `intern serve`: load the model once (and score one text, so the first request is warm), then uvicorn."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from runner.stages.predict import Predictor


def serve_model(model_dir: Path, host: str, port: int, max_batch: int, log: Callable[[str], None]) -> None:
    import uvicorn

    from runner.errors import UserInputError
    from runner.serving.app import create_app
    from runner.tasks.choose import task_of_model

    task = task_of_model(model_dir)
    if task.name != "text-classification":
        raise UserInputError(
            f"{model_dir} is a {task.title} model: `intern serve` serves text-classification models for now; "
            "use `intern predict --json` for this one"
        )
    started = time.perf_counter()
    predictor = Predictor(model_dir)
    predictor.predict(["warm-up"])
    log(
        f"loaded {model_dir} ({predictor.classifier.kind}, {len(predictor.labels)} labels) in "
        f"{time.perf_counter() - started:.1f} s; serving on http://{host}:{port} (POST /predict, GET /healthz, /docs)"
    )
    uvicorn.run(create_app(predictor, max_batch), host=host, port=port, log_level="warning", access_log=False)
