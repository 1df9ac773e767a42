"""LLM-written stress cases: requested through structured output, kept only when they can be graded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runner.adapters.llm import LLMSettings, OpenAIClient
from runner.stages.stress_llm import HardExample, HardExamples, checked_cases, llm_cases, valid_expected
from tests.fakes.openai_server import FakeOpenAI, Reply

LABELS = ["REFUND", "ORDER", "ACCOUNT"]


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def _client(server: FakeOpenAI) -> OpenAIClient:
    settings = LLMSettings.model_validate(
        {"api_key": server.api_key, "base_url": server.base_url, "model": "fake", "timeout_s": 5, "max_retries": 0}
    )
    return OpenAIClient(settings)


@pytest.mark.parametrize(
    ("expected", "family", "ok"),
    [
        ("REFUND", "negation", True),
        ("unknown", "unknown", True),
        ("REFUND", "unknown", False),
        ("REFUND|ORDER", "ambiguity", True),
        ("REFUND|REFUND", "ambiguity", False),
        ("REFUND|BILLING", "ambiguity", False),
        ("BILLING", "typos", False),
        ("REFUND|ORDER", "typos", False),
    ],
)
def test_valid_expected(expected: str, family: str, ok: bool) -> None:
    assert valid_expected(expected, family, set(LABELS)) is ok


def test_checked_cases_drops_ungradable_and_caps_per_family() -> None:
    reply = HardExamples(
        examples=[
            HardExample(family="negation", text="not an order, I want my money back", expected="REFUND"),
            HardExample(family="negation", text="second negation", expected="REFUND"),
            HardExample(family="typos", text="wher is my ordr", expected="SHIPPING"),
            HardExample(family="unknown", text="   ", expected="unknown"),
        ]
    )
    cases = checked_cases(reply, LABELS, per_family=1)
    assert [(case.family, case.expected) for case in cases] == [("negation", "REFUND")]


def test_llm_cases_through_the_fake_server(server: FakeOpenAI) -> None:
    reply = HardExamples(
        examples=[
            HardExample(family="ambiguity", text="refund my order and close my account", expected="REFUND|ACCOUNT"),
            HardExample(family="unknown", text="purple monkey dishwasher", expected="unknown"),
            HardExample(family="typos", text="cancel my acount", expected="Account"),
        ]
    )
    server.script(Reply(reply))
    cases = llm_cases(_client(server), LABELS, {"REFUND": ["refund please"], "ORDER": ["where is my order"]})
    assert [case.family for case in cases] == ["ambiguity", "unknown"]
    assert "REFUND" in server.requests[0].body["messages"][1]["content"]


def test_llm_failure_gives_no_cases(server: FakeOpenAI) -> None:
    server.script(Reply(None, refusal="no"))
    assert llm_cases(_client(server), LABELS, {}) == []
