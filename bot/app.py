"""The FastAPI app: `POST /webhook` (verify, record, enqueue, answer) and `GET /healthz`.

`create_app(settings, services=...)` builds everything; nothing is built at import. The lifespan creates the
tables, re-queues jobs a killed bot left running, and starts the worker threads.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot import webhook
from bot.comments import redact
from bot.deps import SettingsDep, StoreDep
from bot.errors import WebhookRejected
from bot.events import identity, parse_event
from bot.retention import prune
from bot.router import Services, make_job_runner
from bot.settings import Settings
from bot.store import Store
from bot.worker import Worker, make_worker_id, recover_at_startup, worker_lanes

log = logging.getLogger(__name__)


async def read_body_capped(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) once more than `limit` bytes arrived, whatever Content-Length said."""
    webhook.check_declared_size(request.headers.get("content-length"), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        webhook.check_read_size(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


class _RedactingRecord(logging.LogRecord):
    secrets: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Formatters print `exc_text` when it is set instead of formatting `exc_info` again: a traceback, whose
        # exception message may hold a secret, is formatted and redacted here once. The stack too.
        if self.exc_info and self.exc_info[0] is not None:
            self.exc_text = self._redact("".join(traceback.format_exception(*self.exc_info)).rstrip("\n"))
        if self.stack_info:
            self.stack_info = self._redact(self.stack_info)

    def _redact(self, text: str) -> str:
        return redact(text, list(self.secrets))

    def getMessage(self) -> str:
        return self._redact(super().getMessage())


def install_log_redaction(secrets: list[str]) -> None:
    """Every log record, from any logger, has the bot's secret values replaced: its message, its traceback and
    its stack."""
    _RedactingRecord.secrets = tuple(secret for secret in secrets if secret)
    logging.setLogRecordFactory(_RedactingRecord)


def _accept(
    store: Store, delivery_id: str, event: str, action: str, job_payload: str | None, key: str | None = None
) -> bool:
    return store.accept_delivery(delivery_id, event, action, job_payload, key)


def create_app(settings: Settings, services: Services | None = None, store: Store | None = None) -> FastAPI:
    """The bot's ASGI app. `services` (gateway factory, compute backends) default to the real adapters."""
    the_store = store or (services.store if services else Store(settings.database_url))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_redaction(settings.secret_values())
        the_store.create_all()
        requeued = recover_at_startup(the_store)
        if requeued:
            log.warning("re-queued %d job(s) left running by a previous process", requeued)
        workers: list[Worker] = []
        if settings.workers:
            from bot.wiring import default_services

            real = services or default_services(settings, the_store)
            runner = make_job_runner(real)
            lanes = worker_lanes(settings.workers, settings.long_workers)
            for index, lane in enumerate(lanes):
                worker = Worker(
                    the_store,
                    runner,
                    worker_id=make_worker_id(index),
                    lease_s=settings.job_lease_s,
                    poll_s=settings.worker_poll_s,
                    max_attempts=settings.job_max_attempts,
                    lane=lane,
                    # one worker prunes; the others need not
                    maintenance=partial(prune, the_store, settings.retention_days) if index == 0 else None,
                    maintenance_every_s=settings.prune_every_s,
                    redact=partial(redact, secrets=settings.secret_values()),
                )
                worker.start()
                workers.append(worker)
        app.state.workers = workers
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()

    app = FastAPI(title="ML Intern bot", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.store = the_store

    @app.exception_handler(WebhookRejected)
    async def _rejected(_request: Request, exc: WebhookRejected) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status_code)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhook")
    async def receive(request: Request, settings: SettingsDep, store: StoreDep) -> JSONResponse:
        body = await read_body_capped(request, settings.max_body_bytes)
        webhook.verify_signature(settings.webhook_secret_bytes(), body, request.headers.get(webhook.SIGNATURE_HEADER))
        event, delivery_id = webhook.check_headers(
            request.headers.get(webhook.EVENT_HEADER), request.headers.get(webhook.DELIVERY_HEADER)
        )
        payload = webhook.parse_json_object(body)
        action = str(payload.get("action") or "")[:60]
        if event == "ping":
            await run_in_threadpool(_accept, store, delivery_id, event, action, None)
            return JSONResponse({"status": "pong"}, status_code=200)
        parsed = parse_event(event, payload)
        job = parsed.model_dump_json() if parsed is not None else None
        key = identity(parsed) if parsed is not None else None
        new = await run_in_threadpool(_accept, store, delivery_id, event, action, job, key)
        if not new:
            return JSONResponse({"status": "duplicate", "delivery": delivery_id}, status_code=200)
        status = "queued" if job is not None else "ignored"
        return JSONResponse({"status": status, "delivery": delivery_id}, status_code=202)

    return app
