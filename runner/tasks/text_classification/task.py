"""Single-label text classification behind the Task protocol.

Its pieces: the split and table reading in runner/data (shared verbatim with train.py), the training script
`train_script.py` in this folder, evaluation, stress families and the card in runner/stages (the first task's code,
which the other tasks' folders mirror).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from runner.render.script import assemble_script
from runner.task_names import TaskName
from runner.tasks.base import Inspected, InspectRequest, Predicts
from runner.tasks.recognise import DataEvidence

if TYPE_CHECKING:
    from runner.adapters.llm import LLMClient
    from runner.config import InternConfig
    from runner.render.progress_display import Reporter
    from runner.schemas import EvalReport, StressReport

TRAIN_SCRIPT_MODULE = "runner.tasks.text_classification.train_script"


class TextClassification:
    name: TaskName = "text-classification"
    title = "text classification"
    input_kind = "text"

    def detect(self, source: str, label: str | None = None) -> DataEvidence:
        return DataEvidence()

    def inspect(self, request: InspectRequest) -> Inspected:
        from runner.stages.inspect import inspect_source

        result = inspect_source(
            request.source,
            text=request.text,
            label=request.label,
            test_source=request.test_source,
            hub_split=request.hub_split,
            max_rows=request.max_rows,
            stream_loader=request.stream_loader,
        )
        return Inspected(
            report=result.report,
            fmt=result.fmt,
            test_format=result.test_format,
            labels=result.labels,
            rows=result.rows,
            examples=result.examples,
        )

    def config_fields(self, inspected: Inspected) -> dict[str, Any]:
        return {"text_column": inspected.report.text_column, "label_column": inspected.report.label_column}

    def render_app(self, model_ref: str, title: str, description: str, examples: list[str]) -> str:
        from runner.stages.scaffold import render_app

        return render_app(model_ref, title, description, examples)

    def render_files(self, config: InternConfig, inspected: Inspected | None, examples: list[str]) -> dict[str, str]:
        from runner.stages.scaffold import render_app, render_requirements

        title = (config.objective or f"{config.data.label_column} classifier").strip()[:60]
        description = (
            f"Predicts `{config.data.label_column}` ({len(config.labels)} classes) from text. Trained by ML Intern."
        )
        return {
            "train.py": assemble_script(TRAIN_SCRIPT_MODULE),
            "app.py": render_app("./model", title, description, examples),
            "requirements.txt": render_requirements(),
        }

    def evaluate(self, project_dir: Path, reporter: Reporter, options: dict[str, Any]) -> EvalReport:
        from runner.stages.evaluate import run_evaluation

        return run_evaluation(project_dir, reporter=reporter, **options)

    def stress(self, project_dir: Path, reporter: Reporter, llm: LLMClient | None) -> StressReport:
        from runner.stages.stress import run_stress

        return run_stress(project_dir, reporter=reporter, llm=llm)

    def write_card(self, project_dir: Path, repo_id: str | None) -> Path:
        from runner.stages.card import write_card

        return write_card(project_dir, repo_id)

    def predict(self, model_dir: Path, inputs: list[str]) -> list[BaseModel]:
        from runner.stages.predict import predict_texts

        return list(predict_texts(model_dir, inputs))

    def predictor(self, model_dir: Path) -> Predicts:
        from runner.stages.predict import Predictor

        return Predictor(model_dir)

    def render_prediction(self, prediction: BaseModel) -> str:
        from runner.render.predictions import render_text_line
        from runner.schemas import Prediction

        if not isinstance(prediction, Prediction):
            raise TypeError(f"not a text-classification prediction: {type(prediction).__name__}")
        return render_text_line(prediction)
