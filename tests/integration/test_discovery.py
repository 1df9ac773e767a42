"""Dataset discovery and `plan_command` through the real huggingface_hub client, against the fake Hub server;
the LLM planner through the real openai client, against the fake OpenAI server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runner.adapters.hub import make_hub_client
from runner.adapters.llm import LLMSettings, OpenAIClient
from runner.planning import Hardware, plan_command, render_plan_md
from runner.planning.discovery import TASK_FILTER, discover
from runner.planning.llm_planner import PlanDraft
from tests.fakes.hub_server import FakeHub
from tests.fakes.openai_server import FakeOpenAI, Reply

pytestmark = pytest.mark.integration
CPU = Hardware(cores=2, gpu=False)


def card(text: str, label: str, names: list[str], **extra: Any) -> dict[str, Any]:
    class_label = {"class_label": {"names": {str(i): n for i, n in enumerate(names)}}}
    features = [{"name": text, "dtype": "string"}, {"name": label, "dtype": class_label}]
    return {"dataset_info": {"features": features}, **extra}


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        fake.add_dataset(
            "bitext/customer-support-tickets",
            card(
                "instruction",
                "category",
                ["ACCOUNT", "ORDER", "REFUND"],
                task_categories=["text-classification"],
                license="cdla-sharing-1.0",
                language=["en"],
                size_categories=["10K<n<100K"],
            ),
            files={"data/train.csv": "instruction,category\nwhere is my order,ORDER\n"},
            downloads=1200,
        )
        fake.add_dataset(
            "someone/customer-support-chat",
            {"task_categories": ["text-generation"], "license": "mit", "language": ["en"]},
            downloads=50_000,
        )
        fake.add_dataset(
            "lab/support-tickets-small",
            card("text", "label", ["bug", "question"], task_categories=["text-classification"], license="mit"),
            downloads=30,
        )
        fake.add_dataset("imdb/reviews", card("text", "label", ["neg", "pos"], task_categories=["text-classification"]))
        yield fake


def test_discover_ranks_real_search_results(hub: FakeHub) -> None:
    client = make_hub_client(hub.token, hub.url)
    ranked = discover(client, "Classify customer support tickets by issue type")
    assert [c.id for c in ranked] == ["bitext/customer-support-tickets", "lab/support-tickets-small"]
    best = ranked[0]
    assert (best.text_column, best.label_column) == ("instruction", "category")
    assert "task category text-classification" in best.reasons and best.licence == "cdla-sharing-1.0"
    searches = [path for method, path in hub.state.requests if path == "/api/datasets"]
    assert searches, hub.state.requests
    assert TASK_FILTER == "task_categories:text-classification"


def test_plan_command_finds_dataset_and_explains(hub: FakeHub) -> None:
    client = make_hub_client(hub.token, hub.url)
    plan = plan_command("Classify customer support tickets by issue type", None, hub=client, hardware=CPU, llm=None)
    assert plan.dataset == "bitext/customer-support-tickets"
    assert plan.labels == ["ACCOUNT", "ORDER", "REFUND"]
    assert [c.id for c in plan.runners_up] == ["lab/support-tickets-small"]
    text = render_plan_md(plan)
    assert "Other datasets considered (1)" in text and "`lab/support-tickets-small`" in text


def _draft(dataset: str) -> PlanDraft:
    return PlanDraft(
        dataset=dataset,
        dataset_reason="support tickets with issue categories",
        text_column="instruction",
        label_column="category",
        columns_reason="from the card",
        labels=["ACCOUNT", "ORDER", "REFUND"],
        model="distilbert-base-uncased",
        model_reason="fast, strong baseline for English",
        metrics=["accuracy", "macro_f1"],
        hyperparameters={"epochs": 3, "batch_size": 32, "learning_rate": 5e-5},
        hyperparameters_reason="standard fine-tuning",
        compute="hf-jobs t4-small",
        compute_reason="26k rows on a pretrained model",
    )


@pytest.mark.parametrize(
    ("dataset", "source"),
    [("bitext/customer-support-tickets", "llm"), ("bitext/does-not-exist", "deterministic")],
)
def test_llm_planner_checked_against_the_hub(hub: FakeHub, dataset: str, source: str) -> None:
    client = make_hub_client(hub.token, hub.url)
    with FakeOpenAI() as server:
        server.script(Reply(_draft(dataset)))
        llm = OpenAIClient(LLMSettings(api_key=server.api_key, base_url=server.base_url, max_retries=0))
        plan = plan_command("Classify customer support tickets", None, hub=client, hardware=CPU, llm=llm)
        assert server.requests[0].body["response_format"]["json_schema"]["name"] == "PlanDraft"
    assert plan.source == source
    assert plan.dataset == "bitext/customer-support-tickets"
    if source == "deterministic":
        assert "'bitext/does-not-exist', which does not exist on the Hub" in plan.warnings[-1]
    else:
        assert plan.model == "distilbert-base-uncased"
    assert llm.usage.calls == 1
