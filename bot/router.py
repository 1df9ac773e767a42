"""Handlers: small functions keyed by `(event, action)`, one module per feature.

`make_job_runner(services)` returns what the worker calls for each claimed job: webhook jobs are routed by
`(event, action)`, internal tasks (compute work the bot does itself) by name. Handlers take their dependencies
through `Ctx` and never build clients.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from bot.context import Ctx, Services, Task
from bot.events import load_event
from bot.queue import ClaimedJob
from bot.worker import JobRunner

Handler = Callable[[Ctx, Any], None]

log = logging.getLogger(__name__)

__all__ = ["Ctx", "Services", "make_job_runner"]


def _routes() -> dict[tuple[str, str], list[Handler]]:
    from bot.routes import comment_commands, installation, pull_request, reviews, workflow_run

    table: dict[tuple[str, str], list[Handler]] = {}
    for module in (comment_commands, pull_request, reviews, workflow_run, installation):
        for key, handler in module.ROUTES.items():
            table.setdefault(key, []).append(handler)
    return table


def _tasks() -> dict[str, Task]:
    from bot.runs import hf_watch, local_tasks

    return {**local_tasks.TASKS, **hf_watch.TASKS}


TASK_PREFIX = "task:"


def make_job_runner(services: Services) -> JobRunner:
    routes = _routes()
    tasks = _tasks()

    def run_job(job: ClaimedJob) -> None:
        if job.kind.startswith(TASK_PREFIX):
            payload = json.loads(job.payload)
            ctx = Ctx(services, services.gateway_for(payload.get("installation_id")), job.delivery_id)
            tasks[job.kind.removeprefix(TASK_PREFIX)](ctx, payload)
            return
        event = load_event(job.kind, job.payload)
        installation_id = event.installation.id if event.installation else None
        ctx = Ctx(services, services.gateway_for(installation_id), job.delivery_id)
        for handler in routes.get((job.kind, event.action), []):
            log.info("handling %s.%s", job.kind, event.action, extra={"delivery_id": job.delivery_id})
            handler(ctx, event)

    return run_job
