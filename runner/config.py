"""The project configuration, `intern.yaml`: the resolved plan that `train.py` reads.

`train.py` reads the same file with plain `yaml.safe_load`, so every field here has a simple YAML form.
Paths in `data` are relative to the project directory unless absolute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runner.errors import ConfigError
from runner.task_names import DEFAULT_TASK, TaskName

CONFIG_FILENAME = "intern.yaml"
CONFIG_SCHEMA_VERSION = 1

DataFormat = Literal["csv", "tsv", "json", "jsonl", "parquet", "hub", "folder"]
ComputeBackend = Literal["local", "actions", "hf-jobs"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    source: str = Field(description="local file path (relative to the project dir) or a Hub dataset id")
    format: DataFormat
    text_column: str = Field(default="", description="the text column (text tasks)")
    image_column: str | None = Field(default=None, description="image tasks: the column of image paths or images")
    split_column: str | None = Field(default=None, description="image tables: a column naming each row's split")
    label_column: str = Field(description="the label column; for several 0/1 label columns, the first of label_columns")
    label_columns: list[str] = Field(
        default=[], description="multi-label data as one 0/1 column per label (empty: one label column)"
    )
    label_sep: str | None = Field(
        default=None, description="multi-label data as labels joined by this separator in label_column"
    )
    test_source: str | None = Field(default=None, description="optional given test split (same format rules)")
    test_format: DataFormat | None = None
    hub_split: str = "train"
    delimiter: str | None = Field(default=None, description="a CSV's field separator when not a comma (sniffed)")
    test_delimiter: str | None = Field(default=None, description="the same for test_source")
    licence: str | None = None
    attribution: str | None = None


class SplitConfig(_Strict):
    seed: int = 42
    test_size: float = Field(default=0.1, gt=0, lt=0.5)
    validation_size: float = Field(default=0.1, gt=0, lt=0.5)
    group_duplicates: bool = True


class ModelConfig(_Strict):
    name: str = Field(description="encoder: Hub id, local HF-format directory, or scratch:<size>")
    max_length: int | None = Field(default=None, ge=8, description="None: measured from the data in train.py")
    fine_tune: Literal["auto", "always", "never"] = Field(
        default="auto", description="auto: fine-tune when a GPU is there or the projected time fits the budget"
    )

    @property
    def is_scratch(self) -> bool:
        return self.name.startswith("scratch:")


class TrainingConfig(_Strict):
    epochs: float = Field(default=3, gt=0)
    batch_size: int = Field(default=32, ge=1)
    eval_batch_size: int = Field(default=128, ge=1)
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    learning_rate: float = Field(default=5e-5, gt=0)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.06, ge=0, lt=1)
    seed: int = 42
    num_threads: int | None = Field(default=None, ge=1, description="None: one per core")
    early_stopping_patience: int | None = Field(default=None, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    time_budget_s: float | None = Field(
        default=None, gt=0, description="fine-tuning time allowed; None: 1800 s on a GPU, 60 s on a CPU"
    )
    stop_when_perfect: bool = Field(
        default=True, description="skip the costlier candidates once a cheaper one scores macro F1 1.0 on validation"
    )
    encoder_weights: list[float] = Field(
        default=[1.0, 2.0, 3.0],
        min_length=1,
        description="weights of the embeddings joined with TF-IDF, tried on validation",
    )


class SmokeConfig(_Strict):
    rows_per_class: int = Field(default=4, ge=1)
    max_steps: int = Field(default=8, ge=1)
    time_limit_s: int = Field(default=600, ge=10)


class AbstainConfig(_Strict):
    coverage: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description=(
            "a fixed share of validation texts the model keeps answering (it abstains below the matching "
            "confidence); unset: the operating point is chosen for the data, from validation and texts known to be "
            "out of scope"
        ),
    )
    unknown_texts: str | None = Field(
        default=None,
        description="a file of texts known to be out of scope (one per line, or .jsonl with `text`), relative to "
        "intern.yaml: they help choose where the model abstains",
    )


class ComputeConfig(_Strict):
    backend: ComputeBackend = "local"
    flavour: str = "cpu-basic"


class HubConfig(_Strict):
    repo_id: str | None = None
    space_id: str | None = None
    license: str | None = None


class InternConfig(_Strict):
    schema_version: int = CONFIG_SCHEMA_VERSION
    task: TaskName = Field(default=DEFAULT_TASK, description="the Hub's task name: what train.py trains")
    objective: str | None = None
    data: DataConfig
    labels: list[str] = Field(min_length=2)
    split: SplitConfig = SplitConfig()
    model: ModelConfig
    training: TrainingConfig = TrainingConfig()
    smoke: SmokeConfig = SmokeConfig()
    abstain: AbstainConfig = AbstainConfig()
    compute: ComputeConfig = ComputeConfig()
    hub: HubConfig = HubConfig()

    @field_validator("labels")
    @classmethod
    def _labels_unique(cls, labels: list[str]) -> list[str]:
        if len(set(labels)) != len(labels):
            raise ValueError("labels must be unique")
        return labels

    def to_yaml(self) -> str:
        header = "# ML Intern project config: read by train.py. Edit freely; `intern smoke .` checks it.\n"
        return header + yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def load_config(project_dir: Path) -> InternConfig:
    """Read and validate `intern.yaml` in `project_dir`."""
    path = project_dir / CONFIG_FILENAME
    if not path.is_file():
        raise ConfigError(f"{path} not found: run `intern scaffold DATA --out {project_dir}` first")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping, got {type(raw).__name__}")
    try:
        return InternConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s) in all)") from exc


def save_config(config: InternConfig, project_dir: Path) -> Path:
    path = project_dir / CONFIG_FILENAME
    path.write_text(config.to_yaml(), encoding="utf-8")
    return path


def resolve_data_path(project_dir: Path, source: str) -> Path:
    """Where a local data source lives, given the project dir it is relative to."""
    path = Path(source)
    return path if path.is_absolute() else (project_dir / path)
