"""Issue #17, L4: secrets in exception text are redacted in logged tracebacks and in `jobs.error`, not only in
log messages."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import queue
from bot.app import install_log_redaction
from bot.store import Job, Store
from bot.worker import Worker

SECRET = "hf_secret_inside_an_exception_0123"


@pytest.fixture
def redacting() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    install_log_redaction([SECRET])
    yield
    logging.setLogRecordFactory(factory)


def test_a_logged_traceback_is_redacted(redacting: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"the Hub said no to token {SECRET}")
        except RuntimeError:
            logger.exception("upload failed with %s", SECRET)
        logger.warning("stack", stack_info=True, extra={"note": "no secret here"})
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert SECRET not in text
    assert "RuntimeError: the Hub said no to token" in text and "Traceback" in text
    assert "upload failed with" in text


def test_a_failed_jobs_stored_error_is_redacted(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    store.create_all()
    queue.enqueue(store, "task:boom", "{}", "d-1")

    def run_job(_job: queue.ClaimedJob) -> None:
        raise ValueError(f"could not authenticate with {SECRET}")

    worker = Worker(
        store,
        run_job,
        worker_id="w",
        lease_s=60,
        poll_s=0.1,
        max_attempts=1,
        redact=lambda text: text.replace(SECRET, "[REDACTED]"),
    )
    assert worker.run_once()
    with store.session() as session:
        (error,) = session.scalars(select(Job.error)).all()
    assert error is not None and "ValueError: could not authenticate with [REDACTED]" in error
    assert SECRET not in error
