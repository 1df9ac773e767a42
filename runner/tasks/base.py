"""The protocol every task implements, and the values that cross it.

A task owns what differs per task: reading and validating rows, column detection, inspection, the split, the
generated training script (its candidates), metrics, stress families, report and card sections, the demo, and the
shape of `predict` output. Stages (runner/stages), the pipeline, the bot, workflows and publishing call these
methods and never branch on the task's name. Each task lives in `runner/tasks/<task>/` and is registered in
`runner/tasks/registry.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from runner.config import DataFormat
from runner.schemas import InspectReport
from runner.task_names import TaskName
from runner.tasks.recognise import DataEvidence

if TYPE_CHECKING:
    from runner.adapters.llm import LLMClient
    from runner.config import InternConfig
    from runner.render.progress_display import Reporter
    from runner.schemas import EvalReport, StressReport


class InspectRequest(BaseModel):
    """What a user (or the bot) gave to look at: the data and the optional column choices."""

    model_config = ConfigDict(frozen=True)

    source: str
    text: str | None = None
    label: str | None = None
    labels: list[str] = []
    label_sep: str | None = None
    test_source: str | None = None
    hub_split: str = "train"
    max_rows: int | None = None
    stream_loader: Any = Field(default=None, exclude=True, description="reads a Hub sample (the bot caps it)")


class Inspected(BaseModel):
    """An inspection's result: the report (reports/inspect.json) and what scaffolding needs from it."""

    model_config = ConfigDict(frozen=True)

    report: InspectReport
    fmt: DataFormat
    test_format: DataFormat | None = None
    labels: list[str]
    rows: int
    examples: list[str] = []
    data_fields: dict[str, Any] = {}


class Predicts(Protocol):
    def predict(self, inputs: list[str]) -> Sequence[BaseModel]: ...


class Task(Protocol):
    """One supported task. Implementations are stateless; the registry holds one instance of each."""

    name: TaskName
    title: str  # "multi-label text classification": how reports and cards name it
    input_kind: str  # "text" or "image": what `predict` and the demo take

    def detect(self, source: str, label: str | None = None) -> DataEvidence:
        """What the data alone says about this task (cheap: file names, a few rows); `label` is the label
        column when the user named one."""
        ...

    def inspect(self, request: InspectRequest) -> Inspected:
        """Load, validate, detect columns, split and report (reports/inspect.json)."""
        ...

    def config_fields(self, inspected: Inspected) -> dict[str, Any]:
        """Task-specific parts of intern.yaml (data columns, label shape) from an inspection."""
        ...

    def render_app(self, model_ref: str, title: str, description: str, examples: list[str]) -> str:
        """The Gradio demo: `model_ref` is "./model" in the project, or the published repo id on a Space."""
        ...

    def render_files(self, config: InternConfig, inspected: Inspected | None, examples: list[str]) -> dict[str, str]:
        """train.py, app.py and requirements.txt for a project of this task."""
        ...

    def evaluate(self, project_dir: Path, reporter: Reporter, options: dict[str, Any]) -> EvalReport:
        """Test metrics, figures and reports/eval.json|md."""
        ...

    def stress(self, project_dir: Path, reporter: Reporter, llm: LLMClient | None) -> StressReport:
        """The task's stress families (reports/stress.json|md)."""
        ...

    def write_card(self, project_dir: Path, repo_id: str | None) -> Path:
        """The model card model/README.md (with its model-index) and the demo."""
        ...

    def predict(self, model_dir: Path, inputs: list[str]) -> list[BaseModel]:
        """One typed prediction per input (a text, or an image path for image tasks)."""
        ...

    def predictor(self, model_dir: Path) -> Predicts:
        """The model loaded once, for scoring many batches (`intern predict --input`, `intern serve`)."""
        ...

    def render_prediction(self, prediction: BaseModel) -> str:
        """The one line `intern predict` prints for a prediction."""
        ...
