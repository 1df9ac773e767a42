"""Multi-label text classification behind the Task protocol: every piece lives in this folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from runner.errors import UserInputError
from runner.render.script import assemble_script, portable_block
from runner.task_names import TaskName
from runner.tasks.base import Inspected, InspectRequest, Predicts
from runner.tasks.recognise import DataEvidence

if TYPE_CHECKING:
    from runner.adapters.llm import LLMClient
    from runner.config import InternConfig
    from runner.render.progress_display import Reporter
    from runner.schemas import EvalReport, StressReport

TRAIN_SCRIPT_MODULE = "runner.tasks.multi_label.train_script"


class MultiLabelClassification:
    name: TaskName = "multi-label-classification"
    title = "multi-label text classification"
    input_kind = "text"

    def detect(self, source: str, label: str | None = None) -> DataEvidence:
        """Several labels per row: a list column, a joined column, or 0/1 columns (a few thousand rows looked at)."""
        from runner.data.load import detect_format, load_table
        from runner.tasks.multi_label.columns import detect_multilabel_columns

        try:
            frame = load_table(source, detect_format(source), max_rows=5000)
            found = detect_multilabel_columns(frame.head(5000), labels=[label] if label else None)
        except UserInputError:  # not multi-label data (or unreadable: the inspection says why)
            return DataEvidence()
        if found.shape.kind == "joined" and found.shape.sep is None:
            return DataEvidence()
        return DataEvidence(task=self.name, reason=f"several labels per text: {found.shape.reason}")

    def inspect(self, request: InspectRequest) -> Inspected:
        from runner.tasks.multi_label.inspect import inspect_multilabel

        return inspect_multilabel(request)

    def config_fields(self, inspected: Inspected) -> dict[str, Any]:
        return {
            "text_column": inspected.report.text_column,
            "label_column": inspected.report.label_column,
            **inspected.data_fields,
        }

    def render_app(self, model_ref: str, title: str, description: str, examples: list[str]) -> str:
        from runner.models.portable_model import portable_model_source
        from runner.render.pysource import parse_python
        from runner.stages.scaffold import _environment

        text = (
            _environment()
            .get_template("app_multilabel.py.j2")
            .render(
                model_ref=model_ref,
                title=title,
                description=description,
                examples=[[e] for e in examples],
                portable_model=portable_model_source(),
                portable_scoring=portable_block("runner.tasks.multi_label.portable_scoring"),
            )
        )
        parse_python(text, "app.py")
        return text

    def render_files(self, config: InternConfig, inspected: Inspected | None, examples: list[str]) -> dict[str, str]:
        from runner.stages.scaffold import render_requirements

        title = (config.objective or f"{config.data.label_column} tagger").strip()[:60]
        description = (
            f"Gives a text every label that applies among {len(config.labels)} "
            f"({', '.join(config.labels[:8])}{', ...' if len(config.labels) > 8 else ''}), or none. "
            "Trained by ML Intern."
        )
        return {
            "train.py": assemble_script(TRAIN_SCRIPT_MODULE),
            "app.py": self.render_app("./model", title, description, examples[:3]),
            "requirements.txt": render_requirements(),
        }

    def evaluate(self, project_dir: Path, reporter: Reporter, options: dict[str, Any]) -> EvalReport:
        from runner.tasks.multi_label.evaluate import run_multilabel_evaluation

        return run_multilabel_evaluation(project_dir, reporter, options)

    def stress(self, project_dir: Path, reporter: Reporter, llm: LLMClient | None) -> StressReport:
        from runner.tasks.multi_label.stress import run_multilabel_stress

        return run_multilabel_stress(project_dir, reporter, llm)

    def write_card(self, project_dir: Path, repo_id: str | None) -> Path:
        from runner.tasks.multi_label.card import write_multilabel_card

        return write_multilabel_card(project_dir, repo_id)

    def predict(self, model_dir: Path, inputs: list[str]) -> list[BaseModel]:
        from runner.tasks.multi_label.predict import predict_multilabel

        return list(predict_multilabel(model_dir, inputs))

    def predictor(self, model_dir: Path) -> Predicts:
        from runner.tasks.multi_label.predict import MultiLabelPredictor

        return MultiLabelPredictor(model_dir)

    def render_prediction(self, prediction: BaseModel) -> str:
        from runner.tasks.multi_label.predict import MultiLabelPrediction, render_multilabel_prediction

        if not isinstance(prediction, MultiLabelPrediction):
            raise TypeError(f"not a multi-label prediction: {type(prediction).__name__}")
        return render_multilabel_prediction(prediction)
