"""The OpenAI adapter against the fake OpenAI-compatible server, over real HTTP on loopback."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from runner.adapters.llm import LLMError, LLMSettings, OpenAIClient, make_llm_client, parse_reply
from runner.errors import ExternalServiceError
from tests.fakes.openai_server import FakeOpenAI, Reply


class Answer(BaseModel):
    label: str
    confidence: float


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def _client(server: FakeOpenAI, **overrides: object) -> OpenAIClient:
    fields: dict[str, object] = {
        "api_key": server.api_key,
        "base_url": server.base_url,
        "model": "fake-model",
        "timeout_s": 5,
        "max_retries": 0,
        **overrides,
    }
    return OpenAIClient(LLMSettings.model_validate(fields))


def test_valid_reply_is_parsed_and_request_uses_json_schema(server: FakeOpenAI) -> None:
    server.script(Reply(Answer(label="refund", confidence=0.9)))
    client = _client(server, input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)
    answer = client.complete_json("system text", "user text", Answer)
    assert answer == Answer(label="refund", confidence=0.9)
    body = server.requests[0].body
    assert body["model"] == "fake-model"
    assert body["messages"] == [
        {"role": "system", "content": "system text"},
        {"role": "user", "content": "user text"},
    ]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["label", "confidence"]
    assert server.requests[0].headers["authorization"] == f"Bearer {server.api_key}"
    assert (client.usage.calls, client.usage.prompt_tokens, client.usage.completion_tokens) == (1, 120, 30)
    assert client.usage.cost_usd == pytest.approx((120 * 1.0 + 30 * 2.0) / 1e6)
    assert "1 LLM call(s)" in client.usage.summary()


def test_malformed_json_is_an_llm_error(server: FakeOpenAI) -> None:
    server.script(Reply('{"label": "refund", '))
    with pytest.raises(LLMError, match="not valid JSON"):
        _client(server).complete_json("s", "u", Answer)


def test_reply_not_fitting_schema_is_an_llm_error(server: FakeOpenAI) -> None:
    server.script(Reply({"label": "refund", "confidence": "very"}))
    with pytest.raises(LLMError, match=r"does not fit Answer: confidence"):
        _client(server).complete_json("s", "u", Answer)


def test_refusal_is_an_llm_error(server: FakeOpenAI) -> None:
    server.script(Reply(None, refusal="I can't help with that."))
    with pytest.raises(LLMError, match="refused: I can't help"):
        _client(server).complete_json("s", "u", Answer)


def test_truncated_reply_is_an_llm_error(server: FakeOpenAI) -> None:
    server.script(Reply('{"label": "re', finish_reason="length"))
    with pytest.raises(LLMError, match="cut off"):
        _client(server).complete_json("s", "u", Answer)


def test_timeout_is_an_llm_error(server: FakeOpenAI) -> None:
    server.script(Reply(Answer(label="x", confidence=1.0), delay_s=2.0))
    started = time.perf_counter()
    with pytest.raises(LLMError, match=r"did not answer within 0\.5 s"):
        _client(server, timeout_s=0.5).complete_json("s", "u", Answer)
    assert time.perf_counter() - started < 2.0


def test_http_error_is_an_llm_error_and_scrubs_the_key(server: FakeOpenAI) -> None:
    server.script(Reply(f"Incorrect API key provided: {server.api_key}", status=401))
    with pytest.raises(LLMError) as caught:
        _client(server).complete_json("s", "u", Answer)
    assert "HTTP 401" in str(caught.value)
    assert server.api_key not in str(caught.value)
    assert isinstance(caught.value, ExternalServiceError)


def test_retries_are_honoured(server: FakeOpenAI) -> None:
    server.script(Reply("boom", status=500), Reply(Answer(label="ok", confidence=0.5)))
    assert _client(server, max_retries=1).complete_json("s", "u", Answer).label == "ok"
    assert len(server.requests) == 2


def test_secret_never_logged(server: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    server.script(Reply(Answer(label="a", confidence=0.1)), Reply("nope", status=400))
    client = _client(server)
    with caplog.at_level(logging.DEBUG):
        client.complete_json("s", "u", Answer)
        with pytest.raises(LLMError):
            client.complete_json("s", "u", Answer)
    text = caplog.text + repr(client.settings) + str(client.settings)
    assert "llm call: model=fake-model" in caplog.text
    assert server.api_key not in text


def test_client_is_built_lazily() -> None:
    client = OpenAIClient(LLMSettings(api_key="k", base_url="http://127.0.0.1:9/v1"))
    assert client._client is None


def test_settings_from_env() -> None:
    assert LLMSettings.from_mapping({}) is None
    assert make_llm_client(None) is None
    settings = LLMSettings.from_mapping(
        {"INTERN_OPENAI_API_KEY": "k", "INTERN_OPENAI_MODEL": "m", "INTERN_OPENAI_TIMEOUT_S": "7.5"}
    )
    assert settings is not None
    assert (settings.model, settings.timeout_s, settings.max_retries) == ("m", 7.5, 2)
    with pytest.raises(LLMError, match="INTERN_OPENAI_TIMEOUT_S"):
        LLMSettings.from_mapping({"INTERN_OPENAI_API_KEY": "k", "INTERN_OPENAI_TIMEOUT_S": "soon"})


@pytest.mark.parametrize(
    ("content", "refusal", "finish", "message"),
    [
        (None, None, "stop", "empty reply"),
        ("[]", None, "stop", "does not fit"),
        ("x", "no", "stop", "refused"),
    ],
)
def test_parse_reply_rejections(content: str | None, refusal: str | None, finish: str, message: str) -> None:
    with pytest.raises(LLMError, match=message):
        parse_reply(content, refusal, finish, Answer)
