"""The compute Protocol: start training or publishing for a run; results come back later.

`actions` dispatches the PR's workflow (results arrive as `workflow_run` events), `local` queues a task the
bot's own worker runs (the runner CLI in a subprocess), `hf-jobs` submits a Hugging Face job and falls back to
CPU when GPU compute is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from bot.context import Ctx
    from bot.store import Run


class Dispatched(BaseModel):
    model_config = ConfigDict(frozen=True)

    backend: str
    flavour: str
    external_id: str | None = None
    notice: str | None = None


class ComputeBackend(Protocol):
    name: str

    def start_training(self, ctx: Ctx, run: Run, flavour: str) -> Dispatched: ...

    def start_publish(self, ctx: Ctx, run: Run) -> Dispatched: ...
