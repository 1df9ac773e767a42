"""Retention: old finished jobs, deliveries and event identities go; live jobs and recent records stay."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot import queue
from bot.retention import prune
from bot.store import Delivery, Job, SeenEvent, Store, utcnow
from bot.worker import Worker


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    s.create_all()
    return s


def _age(store: Store, days: float, *, job_id: int | None = None, delivery: str | None = None) -> None:
    when = utcnow() - timedelta(days=days)
    with store.session() as session:
        if job_id is not None:
            session.execute(update(Job).where(Job.id == job_id).values(updated_at=when, created_at=when))
        if delivery is not None:
            session.execute(update(Delivery).where(Delivery.id == delivery).values(received_at=when))
            session.execute(update(SeenEvent).where(SeenEvent.delivery_id == delivery).values(received_at=when))


def _finished(store: Store, state: str) -> int:
    job_id = queue.enqueue(store, "k", "{}")
    claimed = queue.claim(store, "w", 60)
    assert claimed is not None and claimed.id == job_id
    if state == queue.DONE:
        queue.finish(store, job_id, "w")
    elif state == queue.FAILED:
        queue.fail(store, job_id, "w", "boom", max_attempts=1)
    return job_id


def _table_sizes(store: Store) -> tuple[int, int, int]:
    with store.session() as session:
        return (
            len(session.query(Job).all()),
            len(session.query(Delivery).all()),
            len(session.query(SeenEvent).all()),
        )


def test_prune_removes_only_old_finished_records(store: Store) -> None:
    old_done, old_failed = _finished(store, queue.DONE), _finished(store, queue.FAILED)
    old_running = _finished(store, queue.RUNNING)
    old_queued = queue.enqueue(store, "delayed-watcher", "{}", delay_s=3600)
    recent_done = _finished(store, queue.DONE)
    for job_id in (old_done, old_failed, old_running, old_queued):
        _age(store, 20, job_id=job_id)
    assert store.accept_delivery("old", "issue_comment", "created", None, "issue_comment:created:o/r:1")
    assert store.accept_delivery("new", "issue_comment", "created", None, "issue_comment:created:o/r:2")
    _age(store, 20, delivery="old")

    pruned = prune(store, retention_days=14)
    assert (pruned.jobs, pruned.deliveries, pruned.seen_events) == (2, 1, 1)
    assert queue.job_state(store, old_done) is None and queue.job_state(store, old_failed) is None
    assert queue.job_state(store, old_running) == queue.RUNNING
    assert queue.job_state(store, old_queued) == queue.QUEUED
    assert queue.job_state(store, recent_done) == queue.DONE
    assert not store.delivery_seen("old") and store.delivery_seen("new")
    assert not store.accept_delivery("new2", "issue_comment", "created", None, "issue_comment:created:o/r:2")
    assert prune(store, retention_days=14) == type(pruned)(0, 0, 0)


def test_prune_refuses_a_window_shorter_than_githubs_redelivery_window(store: Store) -> None:
    with pytest.raises(ValueError, match="3 days"):
        prune(store, retention_days=1)


def test_the_worker_prunes_at_start_and_then_periodically(store: Store) -> None:
    calls: list[float] = []
    worker = Worker(
        store,
        lambda job: None,
        worker_id="w",
        lease_s=60,
        poll_s=0.01,
        max_attempts=1,
        maintenance=lambda: calls.append(time.monotonic()),
        maintenance_every_s=0.2,
    )
    assert worker.maintain_if_due() and not worker.maintain_if_due()
    time.sleep(0.25)
    assert worker.maintain_if_due() and len(calls) == 2
