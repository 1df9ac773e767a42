"""The deterministic planner: objective keywords + `key=value` overrides + data + hardware -> Plan. No LLM.

Data: a local file is read (`runner.data.load.load_table`) and its columns detected (`detect_columns`); a Hub
id is checked with `dataset_info` and its card's features; no data at all starts a Hub search (discovery).
Model and hyperparameters come from `runner.models.defaults`, sized for the data and the machine.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from runner.adapters.hub import DatasetHub
from runner.data.columns import detect_columns
from runner.data.load import SUFFIX_FORMATS, load_table
from runner.data.portable import clean_rows
from runner.errors import ExternalServiceError, UserInputError
from runner.models.defaults import default_model, gpu_available, training_defaults
from runner.models.portable_model import DEFAULT_ENCODER
from runner.planning.discovery import card_columns, card_label_names, discover, explain, guess_columns
from runner.planning.objective import parse_objective
from runner.planning.plan import DEFAULT_METRICS, TASK_METRICS, Candidate, Hardware, Plan
from runner.task_names import DEFAULT_TASK
from runner.tasks.base import InspectRequest
from runner.tasks.choose import choose_task
from runner.tasks.registry import get_task

logger = logging.getLogger(__name__)

MIN_DISCOVERY_SCORE = 3.0
RUNNERS_UP = 3
CPU_ROWS_LIMIT = 20_000
SIZE_ROWS = {"n<1K": 500, "1K<n<10K": 5_000, "10K<n<100K": 30_000, "100K<n<1M": 300_000}
NUMERIC_OVERRIDES = {"epochs": float, "batch_size": int, "learning_rate": float, "max_length": int}


class DataFacts:
    """What the planner learnt about the data (mutable while it is being gathered)."""

    def __init__(self) -> None:
        self.dataset: str | None = None
        self.dataset_reason = ""
        self.text: str | None = None
        self.label: str | None = None
        self.columns_reason = ""
        self.labels: list[str] = []
        self.rows: int | None = None
        self.columns: list[str] = []
        self.runners_up: list[Candidate] = []
        self.warnings: list[str] = []


def detect_hardware() -> Hardware:
    gpu = gpu_available()
    name = None
    if gpu:
        import torch

        name = str(torch.cuda.get_device_name(0))
    return Hardware(cores=os.cpu_count() or 1, gpu=gpu, gpu_name=name)


def is_local(source: str) -> bool:
    return Path(source).exists() or Path(source).suffix.lower() in SUFFIX_FORMATS


def _local_facts(facts: DataFacts, source: str, text: str | None, label: str | None, task: str = DEFAULT_TASK) -> None:
    facts.dataset, facts.dataset_reason = source, "given as a local file"
    if task != DEFAULT_TASK:  # the other tasks read their own shapes of data (label lists, image folders)
        try:
            inspected = get_task(task).inspect(InspectRequest(source=source, text=text, label=label))
        except UserInputError as exc:
            facts.warnings.append(str(exc))
            return
        report = inspected.report
        facts.columns, facts.text, facts.label = report.columns, report.text_column, report.label_column
        facts.columns_reason, facts.labels, facts.rows = report.column_reason, inspected.labels, inspected.rows
        return
    try:
        frame = load_table(source)
        choice = detect_columns(frame, text=text, label=label)
    except UserInputError as exc:
        facts.warnings.append(str(exc))
        return
    facts.columns = [str(c) for c in frame.columns]
    facts.text, facts.label, facts.columns_reason = choice.text, choice.label, choice.reason
    texts, labels, _ = clean_rows(list(frame[choice.text]), list(frame[choice.label]))
    facts.labels, facts.rows = sorted(set(labels)), len(texts)


def _hub_facts(facts: DataFacts, source: str, text: str | None, label: str | None, hub: DatasetHub | None) -> None:
    facts.dataset, facts.dataset_reason = source, "given as a Hub dataset id"
    facts.text, facts.label = text, label
    if hub is None:
        facts.warnings.append(f"the Hub cannot be reached: {source} was not checked")
        facts.columns_reason = "given" if text and label else "not checked (Hub unreachable)"
        return
    try:
        summary = hub.dataset_info(source)
    except ExternalServiceError as exc:
        facts.warnings.append(f"dataset {source} could not be read on the Hub: {exc}")
        return
    names, class_labels = card_columns(summary.card_data)
    guessed_text, guessed_label = guess_columns(names, class_labels)
    facts.columns = names
    facts.text, facts.label = text or guessed_text, label or guessed_label
    given = [role for role, value in (("text", text), ("label", label)) if value]
    facts.columns_reason = (
        f"{', '.join(given)} given; " if given else ""
    ) + f"from the dataset card's features ({', '.join(names) or 'none listed'})"
    if facts.label:
        facts.labels = card_label_names(summary.card_data, facts.label)
    sizes = [tag.split(":", 1)[1] for tag in summary.tags if tag.startswith("size_categories:")]
    facts.rows = next((SIZE_ROWS[s] for s in sizes if s in SIZE_ROWS), None)
    for role, value in (("text", facts.text), ("label", facts.label)):
        if value and names and value not in names:
            facts.warnings.append(f"{role} column {value!r} is not among the card's features: {', '.join(names)}")


def _discover(facts: DataFacts, objective: str, overrides: dict[str, str], hub: DatasetHub | None) -> None:
    if hub is None:
        facts.dataset_reason = "no dataset given and the Hub cannot be reached: pass DATA or dataset=OWNER/NAME"
        facts.warnings.append(facts.dataset_reason)
        return
    candidates = discover(hub, objective)
    if not candidates or candidates[0].score < MIN_DISCOVERY_SCORE:
        facts.dataset_reason = "no dataset on the Hub fits the objective well: pass DATA or dataset=OWNER/NAME"
        facts.warnings.append(facts.dataset_reason)
        facts.runners_up = candidates[:RUNNERS_UP]
        return
    best = candidates[0]
    _hub_facts(facts, best.id, overrides.get("text"), overrides.get("label"), hub)
    facts.dataset_reason = f"found on the Hub: {explain(best)}"
    facts.runners_up = candidates[1 : 1 + RUNNERS_UP]


def gather_data(
    objective: str, data: str | None, overrides: dict[str, str], hub: DatasetHub | None, task: str = DEFAULT_TASK
) -> DataFacts:
    facts = DataFacts()
    source = data or overrides.get("dataset")
    text, label = overrides.get("text"), overrides.get("label")
    if source is None:
        _discover(facts, objective, overrides, hub)
    elif is_local(source):
        _local_facts(facts, source, text, label, task)
    else:
        _hub_facts(facts, source, text, label, hub)
    return facts


def choose_compute(hardware: Hardware, model: str, rows: int | None, override: str | None) -> tuple[str, str]:
    if override:
        return override, "given"
    if hardware.gpu:
        return "local gpu", f"this machine has a GPU ({hardware.gpu_name or 'CUDA'})"
    if model.startswith("scratch:") or model == DEFAULT_ENCODER or (rows or 0) <= CPU_ROWS_LIMIT:
        size = f"{rows:,} rows" if rows else "a small dataset"
        return "local cpu", (
            f"{size}: a frozen sentence encoder with linear heads (or a small model) trains in minutes on "
            f"{hardware.cores} CPU cores"
        )
    return "hf-jobs t4-small", (
        f"a pretrained model on {rows:,} rows is slow on {hardware.cores} CPU cores: a T4 job "
        "(falls back to CPU with a CPU-tuned config if GPU compute is refused)"
    )


def hyperparameters(
    model: str, rows: int | None, labels: int, overrides: dict[str, str]
) -> tuple[dict[str, float | int | None], str, list[str]]:
    values: dict[str, float | int | None] = dict(training_defaults(model, rows or 1000, max(2, labels)))
    kind = "a scratch model" if model.startswith("scratch:") else "fine-tuning a pretrained encoder"
    reason = f"defaults for {kind} on {f'{rows:,}' if rows else 'an unknown number of'} rows"
    warnings, given = [], []
    for key, cast in NUMERIC_OVERRIDES.items():
        if key in overrides:
            try:
                values[key] = cast(overrides[key])
                given.append(key)
            except ValueError:
                warnings.append(f"ignored {key}={overrides[key]!r}: not a number")
    if given:
        reason += f"; {', '.join(given)} given"
    return values, reason, warnings


def deterministic_plan(
    objective: str, data: str | None, *, hardware: Hardware, hub: DatasetHub | None, hub_ok: bool
) -> Plan:
    """A complete plan without any LLM. `hub` is used only when `hub_ok` (the Hub answers)."""
    parsed = parse_objective(objective)
    source = data or parsed.overrides.get("dataset")
    label = parsed.overrides.get("label")
    task = choose_task(
        source if source and is_local(source) and Path(source).exists() else None,
        parsed.text,
        parsed.overrides.get("task"),
        [label] if label else None,
        parsed.overrides.get("label_sep"),
    )
    facts = gather_data(parsed.text, data, parsed.overrides, hub if hub_ok else None, task.task)
    warnings = [f"ignored unknown setting {key}=" for key in parsed.unknown_keys] + facts.warnings
    if "model" in parsed.overrides:
        model, model_reason = parsed.overrides["model"], "given"
    else:
        choice = default_model(hub_ok, hardware.gpu)
        model, model_reason = choice.name, choice.reason
    params, params_reason, param_warnings = hyperparameters(model, facts.rows, len(facts.labels), parsed.overrides)
    compute, compute_reason = choose_compute(hardware, model, facts.rows, parsed.overrides.get("compute"))
    if facts.labels and len(facts.labels) < 2:
        warnings.append(f"only one class ({facts.labels[0]}) in the label column: a classifier needs two or more")
    return Plan(
        metrics=list(TASK_METRICS.get(task.task, DEFAULT_METRICS)),
        task=task.task,
        task_reason=task.reason,
        objective=parsed.text or objective,
        dataset=facts.dataset,
        dataset_reason=facts.dataset_reason,
        text_column=facts.text,
        label_column=facts.label,
        columns_reason=facts.columns_reason,
        labels=facts.labels,
        model=model,
        model_reason=model_reason,
        hyperparameters=params,
        hyperparameters_reason=params_reason,
        compute=compute,
        compute_reason=compute_reason,
        warnings=warnings + param_warnings,
        source="deterministic",
        runners_up=facts.runners_up,
    )
