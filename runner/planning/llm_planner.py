"""The LLM planner: the same `Plan`, drafted by an LLM through structured output, then checked.

The LLM sees the objective and the deterministic plan (the facts found so far: detected columns, labels, Hub
candidates, hardware). Its draft is validated; a draft that fails validation, names a dataset that does not
exist (locally or on the Hub), or names columns the data lacks is discarded for the deterministic plan, and
the plan says so in `warnings`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from runner.adapters.hub import DatasetHub
from runner.adapters.llm import LLMClient, LLMError
from runner.errors import ExternalServiceError
from runner.planning.plan import Hardware, Plan

logger = logging.getLogger(__name__)

SYSTEM = (
    "You are an ML engineer planning a text-classification training run. Given the user's objective and the "
    "facts gathered so far (a draft plan), answer with the plan: the dataset (a local path or a Hugging Face Hub "
    "dataset id that exists), the text and label columns, the label names, a model (a Hub model id or "
    "scratch:tiny|small|base), metrics, hyperparameters (epochs, batch_size, learning_rate, max_length), the "
    "compute, and one short reason for each choice. Keep facts from the draft unless you have a reason to change "
    "them; never invent a dataset."
)
HYPERPARAMETER_KEYS = {
    "epochs",
    "batch_size",
    "eval_batch_size",
    "learning_rate",
    "weight_decay",
    "warmup_ratio",
    "max_length",
    "early_stopping_patience",
    "gradient_accumulation_steps",
}


class PlanDraft(BaseModel):
    """What the LLM fills in (every field required: structured outputs do not honour defaults)."""

    model_config = ConfigDict(frozen=True)

    dataset: str | None
    dataset_reason: str
    text_column: str | None
    label_column: str | None
    columns_reason: str
    labels: list[str]
    model: str
    model_reason: str
    metrics: list[str]
    hyperparameters: dict[str, float | int | None]
    hyperparameters_reason: str
    compute: str
    compute_reason: str


def _fallback(baseline: Plan, why: str) -> Plan:
    logger.info("LLM plan discarded: %s", why)
    return baseline.model_copy(update={"warnings": [*baseline.warnings, f"LLM plan not used: {why}"]})


def check_draft(
    draft: PlanDraft, baseline: Plan, hub: DatasetHub | None, columns: list[str] | None = None
) -> str | None:
    """Why the draft cannot be used, or None when it can."""
    if draft.dataset is None:
        return "it names no dataset"
    if draft.dataset != baseline.dataset and not Path(draft.dataset).exists():
        if hub is None:
            return f"it names dataset {draft.dataset!r}, which cannot be checked (the Hub is unreachable)"
        try:
            hub.dataset_info(draft.dataset)
        except ExternalServiceError:
            return f"it names dataset {draft.dataset!r}, which does not exist on the Hub"
    if columns:
        for role, value in (("text", draft.text_column), ("label", draft.label_column)):
            if value is not None and value not in columns:
                return f"its {role} column {value!r} is not in the data ({', '.join(columns)})"
    unknown = sorted(set(draft.hyperparameters) - HYPERPARAMETER_KEYS)
    if unknown:
        return f"it sets unknown hyperparameters {', '.join(unknown)}"
    if any(value is not None and value <= 0 for value in draft.hyperparameters.values()):
        return "it sets a hyperparameter to zero or less"
    if baseline.labels and draft.labels and set(draft.labels) != set(baseline.labels):
        return "its labels differ from the labels found in the data"
    return None


def llm_plan(
    objective: str,
    baseline: Plan,
    llm: LLMClient,
    *,
    hub: DatasetHub | None,
    hardware: Hardware,
    columns: list[str] | None = None,
) -> Plan:
    """The LLM's plan when it passes every check; otherwise `baseline` with a warning saying why."""
    user = (
        f"Objective: {objective}\n\nHardware: {hardware.cores} CPU cores, "
        f"{'GPU ' + (hardware.gpu_name or '') if hardware.gpu else 'no GPU'}\n"
        f"Data columns: {', '.join(columns) if columns else 'unknown'}\n\n"
        f"Draft plan (deterministic):\n{baseline.model_dump_json(indent=1)}\n"
    )
    try:
        draft = llm.complete_json(SYSTEM, user, PlanDraft)
    except LLMError as exc:
        return _fallback(baseline, str(exc))
    problem = check_draft(draft, baseline, hub, columns)
    if problem is not None:
        return _fallback(baseline, problem)
    try:
        return Plan.model_validate(
            {
                **draft.model_dump(),
                "objective": baseline.objective,
                "labels": draft.labels or baseline.labels,
                "warnings": baseline.warnings,
                "source": "llm",
                "runners_up": baseline.runners_up if draft.dataset == baseline.dataset else [],
            }
        )
    except ValidationError as exc:
        return _fallback(baseline, f"it does not validate: {exc.errors()[0]['msg']}")
