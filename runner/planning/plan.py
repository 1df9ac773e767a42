"""The typed plan: what to train, on what, how, and why (one reason per choice)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from runner.task_names import TaskName

PlanSource = Literal["deterministic", "llm"]
DEFAULT_METRICS = ["accuracy", "macro_f1", "per_class_precision_recall_f1", "confusion_matrix"]
TASK_METRICS = {
    "multi-label-classification": [
        "macro_f1",
        "micro_f1",
        "samples_f1",
        "subset_accuracy",
        "hamming_loss",
        "per_label_precision_recall_f1",
    ],
}


class Candidate(BaseModel):
    """A Hub dataset considered by discovery, with its fit score and why."""

    model_config = ConfigDict(frozen=True)

    id: str
    score: float
    reasons: list[str] = []
    text_column: str | None = None
    label_column: str | None = None
    licence: str | None = None
    downloads: int | None = None


class Hardware(BaseModel):
    model_config = ConfigDict(frozen=True)

    cores: int = Field(ge=1)
    gpu: bool = False
    gpu_name: str | None = None


class Plan(BaseModel):
    """The resolved plan; `intern plan` prints it and the bot shows it in the PR body."""

    model_config = ConfigDict(frozen=True)

    task: TaskName = "text-classification"
    task_reason: str = ""
    objective: str
    dataset: str | None = Field(description="local file path or Hub dataset id; None when none was found")
    dataset_reason: str
    text_column: str | None = None
    label_column: str | None = None
    columns_reason: str = ""
    labels: list[str] = []
    model: str
    model_reason: str
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))
    hyperparameters: dict[str, float | int | None] = {}
    hyperparameters_reason: str = ""
    compute: str = Field(description="compute backend and flavour, e.g. 'local cpu' or 'hf-jobs t4-small'")
    compute_reason: str
    warnings: list[str] = []
    source: PlanSource = "deterministic"
    runners_up: list[Candidate] = []
