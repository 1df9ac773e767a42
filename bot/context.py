"""What a handler gets: the services (settings, store, gateway factory, compute backends) and the delivery."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.comments import redact
from bot.events import Actor
from bot.gateway import GitHubGateway
from bot.queue import enqueue
from bot.run_record import RunRecord
from bot.settings import Settings
from bot.store import Run, Store

if TYPE_CHECKING:
    from bot.compute.base import ComputeBackend
    from runner.planning.plan import Plan

log = logging.getLogger(__name__)

GatewayFactory = Callable[[int | None], GitHubGateway]
Planner = Callable[[str, "str | None"], "Plan"]
"""objective, dataset source (None: search the Hub) -> the runner's plan; built from `Settings` in `bot/wiring.py`."""
WRITE_PERMISSIONS = frozenset({"admin", "write"})


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    gateway_for: GatewayFactory
    backends: Mapping[str, ComputeBackend]
    planner: Planner
    environment: Mapping[str, str] = field(default_factory=dict)
    """The bot process's environment, read once at the edge (`bot/wiring.py`); local stages get an allowlisted
    part of it (`bot/compute/sandbox.py`)."""


@dataclass(frozen=True)
class Ctx:
    services: Services
    gateway: GitHubGateway
    delivery_id: str | None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> Store:
        return self.services.store

    def is_bot(self, actor: Actor) -> bool:
        return actor.is_bot(self.settings.github_app_slug)

    def may_write(self, repo: str, login: str) -> bool:
        """Write or admin on the repo, asked of the API (author_association is only a hint)."""
        return self.gateway.permission(repo, login) in WRITE_PERMISSIONS

    def redact(self, text: str) -> str:
        return redact(text, self.settings.secret_values())

    def post(self, repo: str, number: int, marker: str, body: str, run: Run | None = None) -> int:
        """Create or edit the comment carrying `marker`; secrets are redacted first.

        With `run`, the comment's id is remembered on the run (`RunRecord.comments`), and the next post edits it
        directly: no paging through every comment of the issue, which spam could make long.
        """
        key = f"{number} {marker}"
        known = run.data.comments.get(key) if run is not None else None
        text = self.redact(f"{body.rstrip()}\n\n{marker}\n")
        comment_id = self.gateway.upsert_comment(repo, number, marker, text, comment_id=known)
        if run is not None and comment_id != known:
            self.store.update_run(run.id, merge=RunRecord(comments={key: comment_id}))
        return comment_id

    def backend(self, name: str) -> ComputeBackend:
        return self.services.backends[name]

    def enqueue_task(self, name: str, run: Run, *, delay_s: float = 0.0, **payload: Any) -> int:
        """Queue an internal task for `run`; with `delay_s` no worker runs it before that many seconds."""
        body = json.dumps({"run_id": run.id, "installation_id": run.installation_id, **payload})
        return enqueue(self.store, f"task:{name}", body, self.delivery_id, delay_s=delay_s)


Task = Callable[[Ctx, dict[str, Any]], None]
