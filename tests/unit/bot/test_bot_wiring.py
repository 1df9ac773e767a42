"""The composition root: what the bot hands the runner comes from its settings (`.env` included), never from the
process environment the runner would have read on its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import load_settings, runner_settings
from bot.wiring import make_planner
from tests.fakes.openai_server import FakeOpenAI, Reply


@pytest.fixture
def dotenv_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(os.environ):
        if key.startswith("INTERN_"):
            monkeypatch.delenv(key)
    # what the runner used to read for itself: it must not win over the bot's settings
    monkeypatch.setenv("HF_ENDPOINT", "http://env-hub.invalid")
    monkeypatch.setenv("HF_TOKEN", "hf_from_the_process_environment")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_runner_settings_come_from_the_dotenv_file(dotenv_dir: Path) -> None:
    (dotenv_dir / ".env").write_text(
        "INTERN_HF_ENDPOINT=http://dotenv-hub.test\n"
        "INTERN_HF_TOKEN=hf_from_dotenv_0123456789\n"
        "INTERN_OPENAI_API_KEY=sk-from-dotenv-0123456789\n"
        "INTERN_OPENAI_BASE_URL=http://dotenv-llm.test/v1\n"
        "INTERN_OPENAI_MODEL=dotenv-model\n"
        "INTERN_ACTIONS_REF=fedcba9876543210fedcba9876543210fedcba98\n",
        encoding="utf-8",
    )
    runner = runner_settings(load_settings())
    assert runner.hf_endpoint == "http://dotenv-hub.test"
    assert runner.token() == "hf_from_dotenv_0123456789"
    assert runner.hf_offline  # conftest sets HF_HUB_OFFLINE=1, which the bot honours
    assert runner.llm is not None
    assert (runner.llm.base_url, runner.llm.model) == ("http://dotenv-llm.test/v1", "dotenv-model")
    assert runner.llm.api_key.get_secret_value() == "sk-from-dotenv-0123456789"
    assert runner.workflow.actions_ref == "fedcba9876543210fedcba9876543210fedcba98"


def test_no_openai_key_means_no_llm(dotenv_dir: Path) -> None:
    assert runner_settings(load_settings()).llm is None


def test_the_bot_plans_with_the_llm_its_dotenv_names(dotenv_dir: Path) -> None:
    data = dotenv_dir / "tickets.csv"
    data.write_text("text,label\n" + "".join(f"ticket {i} about refunds,REFUND\n" for i in range(6)), encoding="utf-8")
    with FakeOpenAI() as server:
        server.script(Reply("not json"))
        (dotenv_dir / ".env").write_text(
            f"INTERN_OPENAI_API_KEY={server.api_key}\nINTERN_OPENAI_BASE_URL={server.base_url}\n"
            "INTERN_OPENAI_MODEL=dotenv-model\n",
            encoding="utf-8",
        )
        plan = make_planner(load_settings())("classify tickets", str(data))
        assert [request.body["model"] for request in server.requests] == ["dotenv-model"]
    assert plan.source == "deterministic" and "not valid JSON" in plan.warnings[-1]
