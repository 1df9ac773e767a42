"""The compute Protocol: start training or publishing for a run; results come back later.

`actions` dispatches the PR's workflow (results arrive as `workflow_run` events), `local` queues a task the
bot's own worker runs (the runner CLI in a subprocess), `hf-jobs` submits a Hugging Face job and falls back to
CPU when GPU compute is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from bot.gateway import GitHubGateway
    from bot.settings import Settings
    from bot.store import Run, Store


class Dispatched(BaseModel):
    model_config = ConfigDict(frozen=True)

    backend: str
    flavour: str
    external_id: str | None = None
    notice: str | None = None


class ComputeContext(Protocol):
    """What a backend may use of the handler's context (`bot.context.Ctx` is one), and nothing more."""

    @property
    def gateway(self) -> GitHubGateway: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    def enqueue_task(self, name: str, run: Run, *, delay_s: float = 0.0, **payload: Any) -> int: ...


class ComputeBackend(Protocol):
    name: str

    def start_training(self, ctx: ComputeContext, run: Run, flavour: str) -> Dispatched: ...

    def start_publish(self, ctx: ComputeContext, run: Run) -> Dispatched: ...
