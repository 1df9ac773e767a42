"""The reports a run writes under `reports/`: the contract between runner, workflows and bot.

Every report is a frozen pydantic model with a `schema_version`. Readers call `read_report(path, Model)`;
writers call `write_report(path, model)`, which writes atomically (temp file + rename) so a crash never
leaves a half-written report that looks finished.

| file                     | model          | written by          |
|--------------------------|----------------|---------------------|
| reports/inspect.json     | InspectReport  | `intern inspect`    |
| reports/smoke.json       | SmokeReport    | `intern smoke`      |
| reports/train.jsonl      | EpochRecord    | train.py, per epoch |
| reports/train.json       | TrainSummary   | train.py, at end    |
| reports/eval.json        | EvalReport     | `intern evaluate`   |
| reports/stress.json      | StressReport   | `intern stress`     |
| reports/run.json         | RunStatus      | `intern run`        |
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from runner.errors import ProjectError

SCHEMA_VERSION = 1
REPORTS_DIR = "reports"

# --- names shared by the runner, the generated workflow and the bot ------------------------------------

MODEL_DIR = "model"
"""The trained model in a project (train.py writes it; card, publish and results upload read it)."""
VALIDATION_SCORES = Path(".intern") / "validation_probabilities.npy"
# Beside them, for a model that keeps class centroids: each validation text's similarity to the nearest one.
VALIDATION_SIMILARITY = Path(".intern") / "validation_similarity.npy"
"""train.py's validation-split probabilities (the evaluate stage calibrates the abstain threshold on them)."""
WORKFLOW_FILE = "intern.yml"
"""The generated workflow's file name: GitHub's `workflow_id` when the bot dispatches it."""
WORKFLOW_PATH = f".github/workflows/{WORKFLOW_FILE}"
SMOKE_ARTIFACT = "intern-smoke-reports"
TRAIN_REPORTS_ARTIFACT_PREFIX = "intern-train-reports-"
"""+ the bot's run id: how a `workflow_run` event finds its run."""
MODEL_ARTIFACT_PREFIX = "intern-model-"
PUBLISH_REPORTS_ARTIFACT_PREFIX = "intern-publish-reports-"


class Report(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- inspect -------------------------------------------------------------------------------------------


class LabelCount(Report):
    name: str
    count: int
    share: float


class LengthStats(Report):
    min: int
    mean: float
    p50: int
    p95: int
    p99: int
    max: int


class DuplicateExample(Report):
    text: str
    labels: list[str]
    count: int


class SplitSizes(Report):
    train: int
    validation: int
    test: int


class SizeStats(Report):
    min: float
    median: float
    max: float


class ImageIssue(Report):
    image: str
    split: str
    reason: str


class DuplicateImages(Report):
    kind: Literal["exact", "near"]
    images: list[str]
    labels: list[str]
    splits: list[str]


class ImageInspection(Report):
    """The image task's part of the data report (the text fields then describe file names, not texts)."""

    layout: str = Field(description="how the images were found: class folders, split folders, a table...")
    splits_given: list[str] = Field(description="splits the data came with (the others are carved from train)")
    per_split: dict[str, dict[str, int]] = Field(description="split -> class -> images")
    width: SizeStats
    height: SizeStats
    aspect: SizeStats = Field(description="width / height")
    colour_modes: dict[str, int]
    formats: dict[str, int]
    unreadable: list[ImageIssue] = []
    lfs_pointers: int = Field(default=0, description="Git LFS pointer files found instead of images")
    exact_duplicates: int = Field(description="images whose bytes appear earlier")
    near_duplicates: int = Field(description="images within a few bits of an earlier one's perceptual hash")
    cross_split_exact: int = Field(description="validation/test images with an identical image in train")
    cross_split_near: int = Field(description="validation/test images with a near-duplicate in train")
    duplicate_examples: list[DuplicateImages] = []
    contact_sheet: str | None = Field(default=None, description="a few thumbnails per class (PNG), when written")


class LabelPair(Report):
    labels: list[str]
    count: int


class MultiLabelProfile(Report):
    """What only multi-label data has: labels per row, rows with none, the labels that go together, rare labels."""

    label_shape: str = Field(description="list, joined or binary (one 0/1 column per label)")
    label_columns: list[str]
    label_sep: str | None = None
    labels_per_row_mean: float
    labels_per_row: dict[str, int] = Field(description="rows by number of labels ('0', '1', '2', ...)")
    no_label_rows: int = Field(description="rows with no label: valid, none applies")
    top_pairs: list[LabelPair] = []
    rare_labels: list[LabelCount] = Field(default=[], description="labels with too few rows to learn or evaluate")


class InspectReport(Report):
    schema_version: int = SCHEMA_VERSION
    task: str = "text-classification"
    source: str
    rows: int
    columns: list[str]
    text_column: str
    label_column: str
    column_reason: str = Field(description="why these columns were picked (or 'given on the command line')")
    labels: list[LabelCount]
    imbalance_ratio: float = Field(description="largest class count / smallest class count")
    chars: LengthStats
    words: LengthStats
    empty_rows: int = Field(description="rows dropped: empty or null text or label")
    exact_duplicates: int = Field(description="rows whose exact text appears earlier")
    normalised_duplicates: int = Field(description="rows whose normalised text appears earlier")
    conflicting_groups: int = Field(description="normalised texts that carry more than one label")
    conflicting_examples: list[DuplicateExample] = []
    random_split_leakage: float = Field(
        description="share of a naive random test split whose normalised text also occurs in its train split"
    )
    split: SplitSizes
    split_leakage: float = Field(description="the same share for the group-aware split actually used (0.0)")
    given_test: bool = False
    warnings: list[str] = []
    multi_label: MultiLabelProfile | None = None
    images: ImageInspection | None = Field(default=None, description="image tasks: what the images look like")


# --- smoke ---------------------------------------------------------------------------------------------


class Projection(Report):
    flavour: str
    hardware: str
    seconds: float = Field(description="expected: the candidate ladder stops where the smoke sample says it will")
    cost_usd: float
    worst_seconds: float | None = Field(default=None, description="every candidate trained (None: as expected)")
    worst_cost_usd: float | None = None
    trains: list[str] = Field(default_factory=list, description="the candidates expected to train")
    worst_trains: list[str] = Field(default_factory=list, description="the candidates trained in the worst case")
    startup_seconds: float = Field(default=0.0, description="of `seconds`: a hosted job's start-up")


class FixAttempt(Report):
    attempt: int
    error_class: str
    fix: str | None = Field(description="what was changed, or None when no known fix applied")
    diff: str = ""
    ok_after: bool


class SmokeReport(Report):
    schema_version: int = SCHEMA_VERSION
    ok: bool
    error_class: str | None = None
    diagnosis: str | None = None
    suggested_fix: str | None = None
    seconds: float
    steps: int = 0
    examples: int = 0
    examples_per_s: float | None = None
    train_rows_full: int = 0
    epochs: float = 0
    projections: list[Projection] = []
    log_tail: str = ""
    attempts: list[FixAttempt] = []


# --- train ---------------------------------------------------------------------------------------------


class EpochRecord(Report):
    epoch: float
    train_loss: float | None
    eval_loss: float | None
    accuracy: float
    macro_f1: float
    seconds: float


class CandidateResult(Report):
    name: str = Field(description="tfidf, encoder, encoder+tfidf or fine-tune")
    title: str
    status: Literal["trained", "skipped"]
    reason: str = ""
    winner: bool = False
    validation_accuracy: float | None = None
    validation_micro_f1: float | None = None
    validation_macro_f1: float | None = None
    test_accuracy: float | None = Field(default=None, description="scored after the choice, for the report only")
    test_micro_f1: float | None = None
    test_macro_f1: float | None = None
    seconds: float = 0.0


class RemedyResult(Report):
    """A remedy the stress tests called for, tried as one more candidate (train.py, step 4b)."""

    name: str = Field(description="'augment': training on perturbed copies")
    families: list[str] = Field(description="the weak families it addresses (top label wrong on > 2% of checks)")
    candidate: str | None = None
    kept: bool
    reason: str
    check_cases: int = Field(default=0, description="perturbed validation texts, from a random stream of their own")
    wrong_before: dict[str, float] = Field(default={}, description="per family, share of check cases answered wrong")
    wrong_after: dict[str, float] = {}
    validation_macro_f1_before: float | None = None
    validation_macro_f1_after: float | None = None


class TrainSummary(Report):
    schema_version: int = SCHEMA_VERSION
    task: str = "text-classification"
    model: str
    encoder_source: str | None = Field(default=None, description="where the encoder's weights came from")
    winner: str | None = Field(default=None, description="the delivered candidate, chosen on validation")
    winner_reason: str = ""
    candidates: list[CandidateResult] = []
    parameters: int | None = None
    max_length: int | None = None
    epochs_run: float
    best_epoch: float
    best_macro_f1: float
    seconds: float
    device: str
    hardware: str
    threads: int
    train_rows: int
    validation_rows: int
    hyperparameters: dict[str, float | int | str | None]
    remedies: list[RemedyResult] = Field(default=[], description="remedies from the stress tests, before and after")
    skipped_images: list[dict[str, str]] = Field(default=[], description="image tasks: unreadable images left out")
    images_per_s: float | None = Field(default=None, description="image tasks: decoding + features, images/s")


# --- evaluate ------------------------------------------------------------------------------------------


class ClassMetrics(Report):
    label: str
    precision: float
    recall: float
    f1: float
    support: int
    threshold: float | None = Field(default=None, description="multi-label: the label's decision threshold")
    threshold_source: str | None = Field(default=None, description="multi-label: tuned (on validation) or shared")


class MultiLabelMetrics(Report):
    """The multi-label figures beside macro and micro F1 (at the top of EvalReport)."""

    samples_f1: float
    subset_accuracy: float = Field(description="share of test texts with every label right")
    hamming_loss: float = Field(description="share of (text, label) decisions that are wrong")
    labels_per_text_true: float
    labels_per_text_predicted: float
    no_label_predicted: float = Field(description="share of test texts given no label")


class ConfusionMatrix(Report):
    labels: list[str]
    matrix: list[list[int]] = Field(description="rows: true label, columns: predicted label")


class BaselineResult(Report):
    name: str
    accuracy: float
    macro_f1: float
    seconds: float


class LeakageCheck(Report):
    test_rows: int
    with_duplicate_in_train: int
    fraction: float


class CoveragePoint(Report):
    threshold: float
    coverage: float
    accuracy: float


class Abstention(Report):
    threshold: float = Field(
        description="the model answers `unknown` below this confidence (the top-class probability, times the "
        "similarity to the nearest class centroid for a model that keeps centroids)"
    )
    method: Literal["chosen for the data", "fixed coverage"] = "fixed coverage"
    coverage_target: float | None = Field(
        default=None, description="share of validation texts kept answered (abstain.coverage), when fixed"
    )
    reason: str = Field(description="how the point was chosen, in one sentence with its figures")
    abstain_label: str | None = Field(default=None, description="the data's own out-of-scope class, when it has one")
    known_out_of_scope: int = Field(default=0, description="texts known to be out of scope the choice looked at")
    known_out_of_scope_sources: str = ""
    known_out_of_scope_caught: float | None = Field(default=None, description="share of them sent to `unknown`")
    validation_coverage: float
    validation_answered_accuracy: float
    validation_answered_right: float = Field(default=0.0, description="share of validation texts answered right")
    test_answered: float = Field(description="share of in-scope test texts answered")
    test_answered_right: float = Field(description="share of in-scope test texts answered with the right label")
    out_of_scope_rows: int = 0
    out_of_scope_caught: float | None = Field(default=None, description="share of out-of-scope test texts abstained on")
    curve: list[CoveragePoint] = []


class ImageMistake(Report):
    image: str
    true: str
    predicted: str
    confidence: float


class EvalReport(Report):
    schema_version: int = SCHEMA_VERSION
    task: str = Field(default="text-classification", description="the Hub's task name")
    split: Literal["test"] = "test"
    rows: int
    out_of_scope_rows: int = Field(default=0, description="test rows whose label is no class: the model must abstain")
    model_kind: str = "transformer"
    winner: str | None = None
    candidates: list[CandidateResult] = []
    abstention: Abstention | None = None
    accuracy: float
    macro_f1: float
    micro_f1: float | None = None
    weighted_f1: float
    per_class: list[ClassMetrics]
    confusion: ConfusionMatrix | None = Field(default=None, description="single-label tasks; None for multi-label")
    multi_label: MultiLabelMetrics | None = None
    baseline: BaselineResult | None = None
    baseline_verdict: str = ""
    leakage: LeakageCheck
    seconds: float
    mistakes: list[ImageMistake] = Field(default=[], description="image tasks: the most confident test mistakes")
    skipped_images: list[ImageIssue] = Field(default=[], description="image tasks: unreadable test images left out")


# --- stress --------------------------------------------------------------------------------------------


class StressExample(Report):
    text: str
    expected: str = Field(description="a label, 'unknown' (must abstain) or 'a|b' (either is right)")
    predicted: str = Field(description="the answer shown: a label, or 'unknown' when the model abstained")
    score: float = Field(description="the top class's probability")
    passed: bool
    top_label: str | None = Field(default=None, description="the top class, also when the model abstained")
    outcome: Literal["right", "wrong", "abstained"] | None = None


class StressFamily(Report):
    family: str = Field(description="negation, ambiguity, unknown, typos, combined (multi-label), ...")
    description: str
    n: int
    metric: str = Field(description="'accuracy' or 'abstain rate': what `score` counts (the share right)")
    score: float = Field(description="the share right (= `right`), kept for older readers")
    right: float = Field(
        default=0.0, description="share answered right; for `unknown`, the share abstained, which is the right answer"
    )
    wrong: float = Field(default=0.0, description="share answered with a wrong label (for `unknown`: with any label)")
    abstained: float = Field(default=0.0, description="share answered `unknown` (multi-label: no label)")
    summary: str = Field(default="", description="one sentence from right / wrong / abstained")
    worst: list[StressExample] = Field(description="wrong answers first (most confident first), then abstentions")


class StressReport(Report):
    schema_version: int = SCHEMA_VERSION
    threshold: float = Field(description="abstain below this in-scope score (abstain_score)")
    threshold_reason: str
    abstain_score: str = Field(default="probability", description="what the threshold cuts: 'probability' (top class)")
    families: list[StressFamily]
    llm_examples: int = 0


# --- predict -------------------------------------------------------------------------------------------


class Prediction(BaseModel):
    """One text-classification answer (`intern predict --json`, `intern serve`)."""

    model_config = ConfigDict(frozen=True)

    text: str
    label: str = Field(description="the answer: a label, or 'unknown' when the model abstained")
    score: float = Field(description="the top class's probability")
    top_label: str = Field(description="the top class, also when the model abstained")
    abstained: bool


# --- run -----------------------------------------------------------------------------------------------

StageState = Literal["pending", "running", "ok", "failed", "skipped"]


class StageStatus(Report):
    state: StageState = "pending"
    seconds: float | None = None
    message: str | None = None


class RunStatus(Report):
    schema_version: int = SCHEMA_VERSION
    complete: bool = False
    stages: dict[str, StageStatus] = {}


# --- reading and writing -------------------------------------------------------------------------------

R = TypeVar("R", bound=BaseModel)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temp file in the same directory and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_report(path: Path, report: BaseModel) -> Path:
    return write_text_atomic(path, report.model_dump_json(indent=2) + "\n")


def read_report(path: Path, model: type[R]) -> R:
    """Read one JSON report; a missing or invalid file is a ProjectError naming the stage to run."""
    if not path.is_file():
        raise ProjectError(f"{path} not found: run the stage that writes it first")
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise ProjectError(f"{path} does not match {model.__name__}: {exc.errors()[0]['msg']}") from exc


def read_epochs(path: Path) -> list[EpochRecord]:
    """Read reports/train.jsonl; blank lines are skipped, a bad line is a ProjectError."""
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(EpochRecord.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            raise ProjectError(f"{path}:{number}: not an epoch record: {exc}") from exc
    return records


def json_schemas() -> dict[str, dict[str, object]]:
    """The JSON Schema of every report, for the workflows and the bot to validate artifacts against."""
    models: list[type[BaseModel]] = [
        InspectReport,
        SmokeReport,
        EpochRecord,
        TrainSummary,
        EvalReport,
        StressReport,
        RunStatus,
    ]
    return {model.__name__: model.model_json_schema() for model in models}
