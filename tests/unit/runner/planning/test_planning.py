"""Planning: objective parsing, dataset ranking, the deterministic planner, the checked LLM planner, rendering.

The Hub and the LLM are hand-written in-memory fakes here; tests/integration/test_discovery.py drives the real
huggingface_hub client against the fake Hub server.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from runner.adapters.hub import DatasetSummary
from runner.adapters.llm import LLMError
from runner.errors import ExternalServiceError
from runner.models.portable_model import DEFAULT_ENCODER
from runner.planning import Hardware, Plan, render_plan_md
from runner.planning.deterministic import choose_compute, deterministic_plan
from runner.planning.discovery import card_label_names, rank_candidates, score_candidate
from runner.planning.llm_planner import PlanDraft, llm_plan
from runner.planning.objective import keywords, parse_objective, search_terms

M = TypeVar("M", bound=BaseModel)
CPU = Hardware(cores=2, gpu=False)


def card(text: str = "text", label: str = "label", names: Sequence[str] = ("a", "b"), **extra: Any) -> dict[str, Any]:
    class_label = {"class_label": {"names": {str(i): n for i, n in enumerate(names)}}}
    features = [{"name": text, "dtype": "string"}, {"name": label, "dtype": class_label}]
    return {"dataset_info": {"features": features}, **extra}


def summary(repo_id: str, tags: Sequence[str] = (), downloads: int = 0, **card_extra: Any) -> DatasetSummary:
    return DatasetSummary(id=repo_id, tags=list(tags), downloads=downloads, card_data=card(**card_extra))


class MemoryHub:
    """The two HubClient calls the planner makes, over a dict of datasets."""

    def __init__(self, *datasets: DatasetSummary) -> None:
        self.datasets = {d.id: d for d in datasets}
        self.searches: list[tuple[str | None, str | Sequence[str] | None]] = []

    @property
    def endpoint(self) -> str:
        return "memory://hub"

    def list_datasets(
        self,
        *,
        search: str | None = None,
        filter: str | Sequence[str] | None = None,
        sort: str | None = "downloads",
        limit: int | None = 20,
    ) -> list[DatasetSummary]:
        self.searches.append((search, filter))
        found = [d for d in self.datasets.values() if search is None or search.lower() in d.id.lower()]
        if isinstance(filter, str):
            found = [d for d in found if filter in d.tags]
        return sorted(found, key=lambda d: -(d.downloads or 0))[: limit or 20]

    def dataset_info(self, repo_id: str) -> DatasetSummary:
        if repo_id not in self.datasets:
            raise ExternalServiceError(f"dataset {repo_id} not found on the Hub")
        return self.datasets[repo_id]


class ScriptedLLM:
    def __init__(self, answer: BaseModel | Exception) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def complete_json(self, system: str, user: str, schema: type[M]) -> M:
        self.prompts.append(user)
        if isinstance(self.answer, Exception):
            raise self.answer
        return schema.model_validate(self.answer.model_dump())


TICKETS = summary(
    "acme/customer-support-tickets",
    ["task_categories:text-classification", "license:apache-2.0", "language:en", "size_categories:10K<n<100K"],
    downloads=5000,
    text="instruction",
    label="category",
    names=("billing", "refund", "shipping"),
)
FRENCH = summary(
    "other/support-tickets-fr",
    ["task_categories:text-classification", "language:fr"],
    downloads=90000,
)
QA = summary("big/support-qa", ["task_categories:question-answering", "license:mit"], downloads=10**6)


# --- objective --------------------------------------------------------------------------------------


def test_overrides_are_parsed_and_removed_from_text() -> None:
    parsed = parse_objective('/intern train dataset=bitext/x text=instruction label="the category" lr=1e-4 color=red')
    assert parsed.overrides == {
        "dataset": "bitext/x",
        "text": "instruction",
        "label": "the category",
        "learning_rate": "1e-4",
    }
    assert parsed.unknown_keys == ["color"]
    assert parsed.text == "color=red"


def test_keywords_and_search_terms() -> None:
    text = "Classify customer support tickets by issue type"
    assert keywords(text) == ["customer", "support", "ticket"]
    terms = search_terms(text)
    assert terms[0] == "customer-support"
    assert "support-ticket" in terms and "ticket" in terms


# --- discovery ranking ------------------------------------------------------------------------------


def test_ranking_prefers_fit_over_downloads() -> None:
    ranked = rank_candidates([QA, FRENCH, TICKETS], "customer support tickets")
    assert [c.id for c in ranked] == [TICKETS.id, FRENCH.id, QA.id]
    best = ranked[0]
    assert (best.text_column, best.label_column, best.licence) == ("instruction", "category", "apache-2.0")
    assert "task category text-classification" in best.reasons
    assert any("not text classification" in r for r in ranked[2].reasons)
    assert any("not en" in r for r in ranked[1].reasons)


def test_score_without_licence_or_columns_is_lower() -> None:
    bare = DatasetSummary(id="x/customer-support", tags=["task_categories:text-classification"])
    assert score_candidate(bare, ["support"]).score < score_candidate(TICKETS, ["support"]).score
    assert "no licence stated" in score_candidate(bare, ["support"]).reasons


def test_card_label_names_in_id_order() -> None:
    assert card_label_names(card(names=("neg", "pos")), "label") == ["neg", "pos"]
    assert card_label_names(card(), "missing") == []


# --- deterministic planner --------------------------------------------------------------------------


def test_local_file_plan(tmp_path: Path) -> None:
    data = tmp_path / "tickets.csv"
    rows = [f"please help with my order number {i},{'refund' if i % 2 else 'shipping'}" for i in range(40)]
    data.write_text("message,topic\n" + "\n".join(rows) + "\n", encoding="utf-8")
    plan = deterministic_plan("Route tickets epochs=2", str(data), hardware=CPU, hub=None, hub_ok=False)
    assert (plan.dataset, plan.text_column, plan.label_column) == (str(data), "message", "topic")
    assert plan.labels == ["refund", "shipping"]
    assert plan.model in {"scratch:small", DEFAULT_ENCODER} and "offline" in plan.model_reason
    assert plan.hyperparameters["epochs"] == 2.0 and "epochs given" in plan.hyperparameters_reason
    assert plan.compute == "local cpu"
    assert plan.source == "deterministic" and plan.warnings == []


def test_an_image_folder_plans_the_image_tasks_own_backbone(tmp_path: Path) -> None:
    from runner.tasks.image_classification.portable_backbone import DEFAULT_BACKBONE, SCRATCH_SIZES
    from tests.unit.runner.tasks.image_classification.images import make_folder

    data = make_folder(tmp_path / "photos", per_class=4, splits=())
    plan = deterministic_plan("Sort these", str(data), hardware=CPU, hub=None, hub_ok=False)
    assert plan.task == "image-classification"
    assert plan.model in {DEFAULT_BACKBONE, *(f"scratch:{size}" for size in SCRATCH_SIZES)}, plan.model


def test_missing_local_file_is_a_warning(tmp_path: Path) -> None:
    plan = deterministic_plan("x", str(tmp_path / "nope.csv"), hardware=CPU, hub=None, hub_ok=False)
    assert plan.text_column is None and any("not found" in w for w in plan.warnings)


def test_discovery_picks_best_and_lists_runners_up() -> None:
    hub = MemoryHub(TICKETS, FRENCH, QA)
    plan = deterministic_plan("Classify customer support tickets", None, hardware=CPU, hub=hub, hub_ok=True)
    assert plan.dataset == TICKETS.id
    assert plan.dataset_reason.startswith("found on the Hub: acme/customer-support-tickets: best fit")
    assert (plan.text_column, plan.label_column) == ("instruction", "category")
    assert [c.id for c in plan.runners_up] == [FRENCH.id]  # the QA set is not tagged text-classification
    assert hub.searches[0] == ("customer-support", "task_categories:text-classification")
    assert plan.model == DEFAULT_ENCODER and "Hub answers" in plan.model_reason


def test_no_data_and_no_hub_says_what_to_pass() -> None:
    plan = deterministic_plan("Classify tickets", None, hardware=CPU, hub=MemoryHub(TICKETS), hub_ok=False)
    assert plan.dataset is None
    assert "pass DATA or dataset=OWNER/NAME" in plan.dataset_reason and plan.warnings


def test_hub_id_uses_card_features_and_labels() -> None:
    hub = MemoryHub(TICKETS)
    plan = deterministic_plan(
        f"dataset={TICKETS.id} model=distilbert-base-uncased", None, hardware=CPU, hub=hub, hub_ok=True
    )
    assert (plan.text_column, plan.label_column) == ("instruction", "category")
    assert plan.labels == ["billing", "refund", "shipping"]
    assert plan.model == "distilbert-base-uncased" and plan.model_reason == "given"
    assert plan.compute == "hf-jobs t4-small"  # 30,000 rows (size category) on a pretrained model, no GPU


def test_unknown_hub_id_is_a_warning() -> None:
    plan = deterministic_plan("dataset=nobody/nothing", None, hardware=CPU, hub=MemoryHub(), hub_ok=True)
    assert any("could not be read on the Hub" in w for w in plan.warnings)


@pytest.mark.parametrize(
    ("hardware", "model", "rows", "expected"),
    [
        (Hardware(cores=8, gpu=True, gpu_name="T4"), "bert", 10**6, "local gpu"),
        (CPU, "scratch:small", 10**6, "local cpu"),
        (CPU, "bert", 1000, "local cpu"),
        (CPU, "bert", 50_000, "hf-jobs t4-small"),
    ],
)
def test_compute_choice(hardware: Hardware, model: str, rows: int, expected: str) -> None:
    assert choose_compute(hardware, model, rows, None)[0] == expected


# --- LLM planner ------------------------------------------------------------------------------------


def _baseline() -> Plan:
    return deterministic_plan("customer support tickets", None, hardware=CPU, hub=MemoryHub(TICKETS), hub_ok=True)


def _draft(**changes: Any) -> PlanDraft:
    fields: dict[str, Any] = {
        "dataset": TICKETS.id,
        "dataset_reason": "the support tickets dataset",
        "text_column": "instruction",
        "label_column": "category",
        "columns_reason": "card",
        "labels": ["billing", "refund", "shipping"],
        "model": "distilbert-base-uncased",
        "model_reason": "small and strong",
        "metrics": ["accuracy", "macro_f1"],
        "hyperparameters": {"epochs": 3, "learning_rate": 5e-5},
        "hyperparameters_reason": "usual fine-tuning",
        "compute": "hf-jobs t4-small",
        "compute_reason": "GPU",
    }
    return PlanDraft.model_validate({**fields, **changes})


def test_llm_plan_used_when_it_checks_out() -> None:
    llm = ScriptedLLM(_draft())
    plan = llm_plan("customer support tickets", _baseline(), llm, hub=MemoryHub(TICKETS), hardware=CPU)
    assert plan.source == "llm" and plan.model == "distilbert-base-uncased"
    assert plan.model_reason == "small and strong"
    assert "Draft plan (deterministic)" in llm.prompts[0] and TICKETS.id in llm.prompts[0]


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (_draft(dataset="made/up-dataset"), "does not exist on the Hub"),
        (_draft(dataset=None), "names no dataset"),
        (_draft(hyperparameters={"epochs": -1}), "zero or less"),
        (_draft(hyperparameters={"dropout_magic": 1}), "unknown hyperparameters dropout_magic"),
        (LLMError("the LLM refused: no"), "the LLM refused"),
    ],
)
def test_llm_plan_falls_back_and_says_why(answer: BaseModel | Exception, why: str) -> None:
    baseline = _baseline()
    plan = llm_plan("x", baseline, ScriptedLLM(answer), hub=MemoryHub(TICKETS), hardware=CPU)
    assert plan.source == "deterministic" and plan.model == baseline.model
    assert any(w.startswith("LLM plan not used:") and why in w for w in plan.warnings), plan.warnings


def test_llm_plan_rejects_columns_missing_from_local_data() -> None:
    plan = llm_plan(
        "x",
        _baseline(),
        ScriptedLLM(_draft(text_column="body")),
        hub=MemoryHub(TICKETS),
        hardware=CPU,
        columns=["instruction", "category"],
    )
    assert plan.source == "deterministic" and "'body' is not in the data" in plan.warnings[-1]


# --- rendering --------------------------------------------------------------------------------------


def test_render_plan_md() -> None:
    text = render_plan_md(_baseline())
    assert "| dataset | `acme/customer-support-tickets` | found on the Hub" in text
    assert f"| model | `{DEFAULT_ENCODER}` |" in text
    assert "epochs=" in text and "| compute | local cpu |" in text
    no_data = render_plan_md(deterministic_plan("x", None, hardware=CPU, hub=None, hub_ok=False))
    assert "none yet" in no_data and "**Warnings**" in no_data
