"""The bot's one settings object: `INTERN_*` environment variables and `.env`.

Built in the CLI or the app factory, never at import. `require_serving()` refuses to start without the
webhook secret and the App credentials, naming the missing variables, and rejects placeholder secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigurationError
from runner.adapters.llm import LLMSettings
from runner.settings import RunnerSettings
from runner.workflow_options import WorkflowOptions

ENV_PREFIX = "INTERN_"
MIN_SECRET_LENGTH = 16
PLACEHOLDERS = frozenset(
    {"changeme", "changethis", "change-me", "secret", "password", "xxx", "todo", "placeholder", "your-secret"}
)

# GitHub caps webhook payloads at 25 MB and drops bigger ones, so nothing larger ever comes from GitHub. The events
# the bot handles are far smaller: their biggest fields are a comment, issue, review or PR body (65,536 characters
# each; two per event, under 800 kB even JSON-escaped). Everything up to the limit is buffered before the
# signature can be checked, so an unsigned sender may make us buffer this much per request: keep it low.
GITHUB_MAX_PAYLOAD_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
ComputeName = Literal["actions", "hf-jobs", "local"]
COMPUTE_NAMES: tuple[ComputeName, ...] = ("actions", "hf-jobs", "local")


def _is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return (
        lowered in PLACEHOLDERS
        or lowered.startswith("<")
        or lowered.startswith("${")
        or set(lowered) <= {"x", "*", "."}
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    github_app_id: int | None = None
    github_app_slug: str = Field(default="ml-intern", description="the App's slug; `<slug>[bot]` is ignored")
    github_private_key: SecretStr | None = None
    github_private_key_path: Path | None = None
    webhook_secret: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    database_url: str = "sqlite:///intern-bot.db"
    hf_token: SecretStr | None = None
    hf_jobs_token: SecretStr | None = Field(
        default=None,
        description="token the hf-jobs upload step uses (default HF_TOKEN): a fine-grained one, write on intern-runs",
    )
    hf_jobs_image: str = Field(
        default="python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7",
        pattern=r"^[^\s@]+@sha256:[0-9a-f]{64}$",
        description="the hf-jobs container image, pinned by digest (name@sha256:...)",
    )
    hf_jobs_requirements: Path | None = Field(
        default=None,
        description="hash-pinned requirements (pip-compile --generate-hashes) the hf-jobs job installs, --no-deps",
    )
    hf_endpoint: str = "https://huggingface.co"
    hf_offline: bool = Field(
        default=False,
        validation_alias=AliasChoices("INTERN_HF_OFFLINE", "HF_HUB_OFFLINE"),
        description="never ask the Hub while planning (HF_HUB_OFFLINE is honoured too)",
    )
    hf_namespace: str | None = Field(default=None, description="Hub owner for published models (default: repo owner)")
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    compute: ComputeName = "actions"
    compute_allowed: Annotated[list[ComputeName], NoDecode] = Field(
        default=["actions"],
        description="compute backends any installation may use (comma-separated); `local` runs PR code here",
    )
    compute_by_installation: dict[int, list[ComputeName]] = Field(
        default_factory=dict,
        description='per installation id, the backends it may use instead (JSON: {"123": ["actions", "hf-jobs"]})',
    )
    local_run_as: str | None = Field(default=None, description="unprivileged user the local backend runs PR code as")
    local_unsandboxed: bool = Field(
        default=False, description="let the local backend run PR code as the bot's own user (development only)"
    )
    max_run_cost_usd: float = Field(default=20.0, ge=0, description="budget cap per training run, dollars")
    max_run_hours: float = Field(default=6.0, gt=0, description="budget cap per training run, hours")
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES,
        ge=1024,
        le=GITHUB_MAX_PAYLOAD_BYTES,
        description="largest webhook body accepted; refused by Content-Length before reading, and while reading",
    )
    actions_repository: str = Field(
        default="ml-intern/ml-intern-bot", description="the repository whose actions/* the generated workflows call"
    )
    actions_ref: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{40}$", description="full commit SHA of actions_repository to pin"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=0, description="worker threads started with the app (0: none)")
    job_lease_s: float = Field(default=900.0, gt=0, description="a running job older than this is re-queued")
    job_max_attempts: int = Field(default=3, ge=1)
    worker_poll_s: float = Field(default=0.2, gt=0)
    workdir: Path = Field(default=Path("intern-bot-work"), description="checkouts for the local compute backend")
    local_timeout_s: float = Field(default=3600.0, gt=0)
    retention_days: float = Field(
        default=14.0, ge=3, description="finished jobs, deliveries and event identities older than this are pruned"
    )
    prune_every_s: float = Field(default=3600.0, gt=0, description="how often the first worker prunes")
    hf_job_poll_s: float = Field(default=60.0, gt=0, description="how often a running Hugging Face Job is inspected")
    inspect_max_rows: int = Field(
        default=50_000, ge=100, description="a Hub dataset is inspected from a streamed sample of this many rows"
    )
    max_dataset_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024,
        description="largest dataset the bot reads to plan a run: a repo file, a Parquet file's uncompressed "
        "data, a Hub sample",
    )
    max_artifact_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="largest workflow artifact (zip) the bot downloads"
    )
    max_bot_commits: int = Field(
        default=30,
        ge=2,
        le=200,
        description="commits the bot pushes to one PR at most (smoke re-runs, fixes); results commits not counted",
    )
    long_workers: int = Field(
        default=1, ge=0, description="worker threads for long tasks (local training), apart from the webhook workers"
    )

    @field_validator("webhook_secret", "github_private_key", "hf_token", "hf_jobs_token", "openai_api_key")
    @classmethod
    def _reject_placeholders(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and _is_placeholder(value.get_secret_value()):
            raise ValueError("is a placeholder: set a real value")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (try `openssl rand -hex 32`)")
        return value

    @field_validator("compute_allowed", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @model_validator(mode="after")
    def _default_compute_allowed(self) -> Settings:
        if self.compute not in self.compute_allowed:
            raise ValueError(
                f"INTERN_COMPUTE={self.compute} is not in INTERN_COMPUTE_ALLOWED ({', '.join(self.compute_allowed)})"
            )
        return self

    def allowed_compute(self, installation_id: int | None) -> list[ComputeName]:
        """The backends runs of this installation may use: its own list when the operator gave one."""
        if installation_id is not None and installation_id in self.compute_by_installation:
            return list(self.compute_by_installation[installation_id])
        return list(self.compute_allowed)

    def enabled_anywhere(self, name: ComputeName) -> bool:
        return name in self.compute_allowed or any(name in v for v in self.compute_by_installation.values())

    def local_enabled_anywhere(self) -> bool:
        return "local" in self.compute_allowed or any("local" in v for v in self.compute_by_installation.values())

    def private_key_pem(self) -> str | None:
        """The App private key, from INTERN_GITHUB_PRIVATE_KEY or the file INTERN_GITHUB_PRIVATE_KEY_PATH."""
        if self.github_private_key is not None:
            return self.github_private_key.get_secret_value()
        if self.github_private_key_path is not None:
            try:
                return self.github_private_key_path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(
                    f"{ENV_PREFIX}GITHUB_PRIVATE_KEY_PATH={self.github_private_key_path} cannot be read: {exc}"
                ) from exc
        return None

    def secret_values(self) -> list[str]:
        """Every secret value, for redaction of comments and log lines."""
        values = [
            secret.get_secret_value()
            for secret in (
                self.webhook_secret,
                self.github_private_key,
                self.hf_token,
                self.hf_jobs_token,
                self.openai_api_key,
            )
            if secret is not None
        ]
        return [value for value in values if value]

    def webhook_secret_bytes(self) -> bytes:
        if self.webhook_secret is None:
            raise ConfigurationError(f"{ENV_PREFIX}WEBHOOK_SECRET is not set")
        return self.webhook_secret.get_secret_value().encode("utf-8")


def missing_for_serving(settings: Settings) -> list[str]:
    """Environment variables `serve` needs and does not have (pure)."""
    missing = []
    if settings.webhook_secret is None:
        missing.append(f"{ENV_PREFIX}WEBHOOK_SECRET")
    if settings.github_app_id is None:
        missing.append(f"{ENV_PREFIX}GITHUB_APP_ID")
    if settings.github_private_key is None and settings.github_private_key_path is None:
        missing.append(f"{ENV_PREFIX}GITHUB_PRIVATE_KEY (or {ENV_PREFIX}GITHUB_PRIVATE_KEY_PATH)")
    if settings.actions_ref is None:  # every PR's workflow calls the actions: unpinned, it cannot run
        missing.append(f"{ENV_PREFIX}ACTIONS_REF (a full commit SHA of {settings.actions_repository})")
    return missing


def require_serving(settings: Settings) -> Settings:
    """Refuse to serve without a webhook secret and App credentials; make `.env` and the key file 0600. What the
    enabled compute backends need is checked by `bot.wiring.require_serving_with_compute`."""
    missing = missing_for_serving(settings)
    if missing:
        raise ConfigurationError(
            "cannot start the bot: missing " + ", ".join(missing) + " (set them in the environment or in .env)"
        )
    settings.private_key_pem()  # a key path that cannot be read fails now, not at the first webhook
    from bot.private_files import make_private

    for path in (Path(".env"), settings.github_private_key_path):  # secrets only the bot may read
        if path is not None:
            make_private(path)
    return settings


def load_settings(**overrides: object) -> Settings:
    """Build the settings; a validation error becomes a ConfigurationError naming the variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"{ENV_PREFIX}{str(error['loc'][0]).upper()}: {error['msg']}" if error["loc"] else error["msg"]
            for error in exc.errors()
        ]
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from None


def workflow_options(settings: Settings) -> WorkflowOptions:
    """Where the workflows the bot commits take the composite actions from (pinned by commit)."""
    values: dict[str, str] = {"actions_repository": settings.actions_repository}
    if settings.actions_ref is not None:
        values["actions_ref"] = settings.actions_ref
    return WorkflowOptions.model_validate(values)


def runner_settings(settings: Settings) -> RunnerSettings:
    """What the runner gets when the bot calls it: the Hub, the LLM and the workflow options, from these settings."""
    llm = None
    if settings.openai_api_key is not None:
        fields: dict[str, object] = {"api_key": settings.openai_api_key, "model": settings.openai_model}
        if settings.openai_base_url:
            fields["base_url"] = settings.openai_base_url
        llm = LLMSettings.model_validate(fields)
    return RunnerSettings(
        hf_token=settings.hf_token,
        hf_endpoint=settings.hf_endpoint,
        hf_offline=settings.hf_offline,
        llm=llm,
        workflow=workflow_options(settings),
    )
