"""The LLM adapter: the only module that imports `openai`.

`LLMClient` is what the planner, the self-debugging loop and the bot call: one structured completion that
comes back as a validated pydantic model. `OpenAIClient` implements it against any OpenAI-compatible endpoint
with `response_format={"type": "json_schema", ...}`; the `openai.OpenAI` client is built on first use, with
the configured timeout and retries. Token usage (and cost, when prices are configured) is logged per call and
summed in `client.usage`. The API key is a `SecretStr` and is never logged.

Errors::

    ExternalServiceError (runner.errors)
    └── LLMError            refusal, malformed JSON, schema validation failure, timeout, HTTP error
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from runner.errors import ExternalServiceError

if TYPE_CHECKING:
    from openai import OpenAI

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
ENV_PREFIX = "INTERN_OPENAI_"
DEFAULT_MODEL = "gpt-4o-mini"


class LLMError(ExternalServiceError):
    """The LLM endpoint failed, refused, or answered something that does not fit the requested schema."""


class LLMClient(Protocol):
    def complete_json(self, system: str, user: str, schema: type[M]) -> M:
        """One completion whose answer is validated into `schema`; raises LLMError otherwise."""
        ...


class LLMSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_key: SecretStr
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    input_usd_per_mtok: float | None = Field(default=None, ge=0)
    output_usd_per_mtok: float | None = Field(default=None, ge=0)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> LLMSettings | None:
        """Settings from `INTERN_OPENAI_*` variables in `env`; None when no API key is set (no LLM configured)."""
        key = env.get(f"{ENV_PREFIX}API_KEY", "").strip()
        if not key:
            return None
        fields: dict[str, Any] = {"api_key": key}
        for name, var in (
            ("base_url", "BASE_URL"),
            ("model", "MODEL"),
            ("timeout_s", "TIMEOUT_S"),
            ("max_retries", "MAX_RETRIES"),
            ("input_usd_per_mtok", "INPUT_USD_PER_MTOK"),
            ("output_usd_per_mtok", "OUTPUT_USD_PER_MTOK"),
        ):
            value = env.get(ENV_PREFIX + var, "").strip()
            if value:
                fields[name] = value
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            where = exc.errors()[0]["loc"][0]
            raise LLMError(f"{ENV_PREFIX}{str(where).upper()} is invalid: {exc.errors()[0]['msg']}") from None


class CallUsage(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


class Usage:
    """Tokens and cost summed over every call of one client (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cost_usd: float | None = None

    def add(self, call: CallUsage) -> None:
        with self._lock:
            self.calls += 1
            self.prompt_tokens += call.prompt_tokens
            self.completion_tokens += call.completion_tokens
            if call.cost_usd is not None:
                self.cost_usd = (self.cost_usd or 0.0) + call.cost_usd

    def summary(self) -> str:
        cost = "" if self.cost_usd is None else f", ${self.cost_usd:.4f}"
        tokens = f"{self.prompt_tokens} prompt + {self.completion_tokens} completion tokens"
        return f"{self.calls} LLM call(s), {tokens}{cost}"


def response_format(schema: type[BaseModel]) -> dict[str, Any]:
    """The `response_format` for structured output into `schema` (non-strict: pydantic defaults allowed)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False},
    }


def parse_reply(content: str | None, refusal: str | None, finish_reason: str | None, schema: type[M]) -> M:
    """Validate one reply into `schema`; every way it can be unusable is an LLMError."""
    if refusal:
        raise LLMError(f"the LLM refused: {refusal[:200]}")
    if finish_reason == "length":
        raise LLMError("the LLM reply was cut off at the token limit: shorten the prompt or raise the limit")
    if not content:
        raise LLMError("the LLM returned an empty reply")
    try:
        return schema.model_validate_json(content)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise LLMError(f"the LLM reply is not valid JSON: {first['msg']}") from None
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise LLMError(
            f"the LLM reply does not fit {schema.__name__}: {where}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from None


class OpenAIClient:
    """`LLMClient` over the `openai` 3 client (any OpenAI-compatible endpoint)."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.usage = Usage()
        self._client: OpenAI | None = None

    def _openai(self) -> OpenAI:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                api_key=self.settings.api_key.get_secret_value(),
                base_url=self.settings.base_url,
                timeout=self.settings.timeout_s,
                max_retries=self.settings.max_retries,
            )
        return self._client

    def _scrub(self, text: str) -> str:
        """The first line of a server message, with the API key masked in case the server echoed it."""
        line = text.strip().splitlines()[0][:200] if text.strip() else ""
        key = self.settings.api_key.get_secret_value()
        return line.replace(key, "***") if key else line

    def _cost(self, prompt: int, completion: int) -> float | None:
        rates = (self.settings.input_usd_per_mtok, self.settings.output_usd_per_mtok)
        if rates[0] is None or rates[1] is None:
            return None
        return (prompt * rates[0] + completion * rates[1]) / 1_000_000

    def complete_json(self, system: str, user: str, schema: type[M]) -> M:
        import openai

        try:
            request: dict[str, Any] = {
                "model": self.settings.model,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
                "response_format": response_format(schema),
            }
            response = self._openai().chat.completions.create(**request)
        except openai.APITimeoutError:
            raise LLMError(
                f"the LLM endpoint did not answer within {self.settings.timeout_s:g} s "
                f"(after {self.settings.max_retries} retries): "
                f"raise {ENV_PREFIX}TIMEOUT_S or check the endpoint"
            ) from None
        except openai.APIStatusError as exc:
            raise LLMError(
                f"the LLM endpoint answered HTTP {exc.status_code}: {self._scrub(exc.message)}; "
                f"check {ENV_PREFIX}API_KEY, {ENV_PREFIX}BASE_URL and {ENV_PREFIX}MODEL"
            ) from None
        except openai.APIError as exc:
            raise LLMError(f"the LLM endpoint failed: {self._scrub(exc.message)}; check {ENV_PREFIX}BASE_URL") from None
        usage = response.usage
        prompt = usage.prompt_tokens if usage else 0
        completion = usage.completion_tokens if usage else 0
        call = CallUsage(prompt_tokens=prompt, completion_tokens=completion, cost_usd=self._cost(prompt, completion))
        self.usage.add(call)
        logger.info(
            "llm call: model=%s schema=%s prompt_tokens=%d completion_tokens=%d cost_usd=%s",
            self.settings.model,
            schema.__name__,
            prompt,
            completion,
            "n/a" if call.cost_usd is None else f"{call.cost_usd:.6f}",
        )
        if not response.choices:
            raise LLMError("the LLM returned no choices")
        choice = response.choices[0]
        return parse_reply(choice.message.content, choice.message.refusal, choice.finish_reason, schema)


def make_llm_client(settings: LLMSettings | None) -> OpenAIClient | None:
    """The client for `settings`, or None when no LLM is configured. Opens no connection."""
    return OpenAIClient(settings) if settings is not None else None
