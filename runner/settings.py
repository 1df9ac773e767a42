"""The runner's configuration, passed down as an argument: the only way settings reach the runner.

`RunnerSettings.from_mapping(os.environ)` is called in `runner/cli.py` (the `intern` command); the bot builds the
same object from its own `Settings` (`bot/wiring.py`). Nothing else in `runner/` reads the environment.

| variable | field |
|---|---|
| `HF_TOKEN`, `HF_ENDPOINT` | `hf_token`, `hf_endpoint` |
| `HF_HUB_OFFLINE` | `hf_offline` (the Hub counts as unreachable, nothing is asked of it) |
| `INTERN_OPENAI_*` | `llm` (None when `INTERN_OPENAI_API_KEY` is unset: no LLM) |
| `INTERN_ACTIONS_REPOSITORY`, `INTERN_ACTIONS_REF` | `workflow` (where generated workflows take the actions from) |
| all of them | `environment` (what the project's train.py runs with: `runner/adapters/subprocess_run.py`) |
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from runner.adapters.hub import DEFAULT_ENDPOINT, HubClient, hub_reachable, make_hub_client
from runner.adapters.llm import LLMSettings, OpenAIClient, make_llm_client
from runner.workflow_options import WorkflowOptions

TRUE = frozenset({"1", "true", "yes", "on"})


class RunnerSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    hf_token: SecretStr | None = None
    hf_endpoint: str = DEFAULT_ENDPOINT
    hf_offline: bool = False
    llm: LLMSettings | None = None
    workflow: WorkflowOptions = WorkflowOptions()
    environment: dict[str, str] = Field(
        default_factory=dict, repr=False, description="the environment child processes (train.py) get"
    )

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> RunnerSettings:
        """Settings from environment-style variables (see the module docstring); pure over `env`."""
        token = env.get("HF_TOKEN", "").strip()
        workflow = {
            "actions_repository": env.get("INTERN_ACTIONS_REPOSITORY", "").strip(),
            "actions_ref": env.get("INTERN_ACTIONS_REF", "").strip(),
        }
        return cls(
            hf_token=SecretStr(token) if token else None,
            hf_endpoint=env.get("HF_ENDPOINT", "").strip() or DEFAULT_ENDPOINT,
            hf_offline=env.get("HF_HUB_OFFLINE", "").strip().lower() in TRUE,
            llm=LLMSettings.from_mapping(env),
            workflow=WorkflowOptions.model_validate({key: value for key, value in workflow.items() if value}),
            environment=dict(env),
        )

    def token(self) -> str | None:
        return self.hf_token.get_secret_value() if self.hf_token is not None else None

    def hub_client(self) -> HubClient:
        """The real Hub client for these settings (opens no connection)."""
        return make_hub_client(self.token(), self.hf_endpoint)

    def hub_ok(self) -> bool:
        """Whether the Hub answers (False at once when offline)."""
        return hub_reachable(self.hf_endpoint, offline=self.hf_offline)

    def connected_hub(self) -> HubClient | None:
        """The Hub client when the Hub answers, else None (plan and choose models offline)."""
        return self.hub_client() if self.hub_ok() else None

    def llm_client(self) -> OpenAIClient | None:
        """The LLM client, or None when no LLM is configured."""
        return make_llm_client(self.llm)
