"""Durable jobs: enqueue, claim, finish, and re-queue jobs whose worker died.

Claiming is exclusive: on PostgreSQL a `SELECT ... FOR UPDATE SKIP LOCKED` picks a row no other worker holds;
on SQLite an atomic `UPDATE ... WHERE id = ? AND state = 'queued'` wins for exactly one worker. A claimed job
carries a lease; a job still `running` after its lease (the bot was killed) is re-queued. A job enqueued with
`delay_s` has a `not_before` time and is not claimed before it (watchers re-enqueue themselves this way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, or_, select, update

from bot.store import Job, Store, utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def _rowcount(result: Result[Any]) -> int:
    return int(cast("CursorResult[Any]", result).rowcount)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    delivery_id: str | None
    payload: str
    attempts: int


def enqueue(store: Store, kind: str, payload: str, delivery_id: str | None = None, *, delay_s: float = 0.0) -> int:
    """Queue a job; with `delay_s` > 0 no worker claims it before that many seconds have passed."""
    not_before = utcnow() + timedelta(seconds=delay_s) if delay_s > 0 else None
    with store.session() as session:
        job = Job(kind=kind, payload=payload, delivery_id=delivery_id, not_before=not_before)
        session.add(job)
        session.flush()
        return job.id


def _lease(now: datetime, lease_s: float) -> datetime:
    return now + timedelta(seconds=lease_s)


def _claimable(now: datetime, lane: Lane | None = None) -> ColumnElement[bool]:
    """Queued and due (no `not_before`, or one that has passed), and of the worker's lane."""
    due = (Job.state == QUEUED) & or_(Job.not_before.is_(None), Job.not_before <= now)
    if lane is None:
        return due
    kinds = sorted(lane.kinds)
    return due & (Job.kind.in_(kinds) if lane.only else Job.kind.not_in(kinds))


@dataclass(frozen=True)
class Lane:
    """Which jobs a worker takes: only `kinds` (a long-work lane), or everything but them (`only=False`)."""

    kinds: frozenset[str]
    only: bool


def claim(store: Store, worker_id: str, lease_s: float, lane: Lane | None = None) -> ClaimedJob | None:
    """Take the oldest due queued job of `lane` (None: any) for `worker_id`, or None when there is none."""
    now = utcnow()
    if store.dialect == "postgresql":
        with store.session() as session:
            job = session.scalars(
                select(Job).where(_claimable(now, lane)).order_by(Job.id).limit(1).with_for_update(skip_locked=True)
            ).first()
            if job is None:
                return None
            job.state, job.locked_by, job.lease_until = RUNNING, worker_id, _lease(now, lease_s)
            job.attempts += 1
            job.updated_at = now
            return ClaimedJob(job.id, job.kind, job.delivery_id, job.payload, job.attempts)
    for _ in range(5):  # another worker may win the row between our SELECT and UPDATE: try the next one
        with store.session() as session:
            job_id = session.scalars(select(Job.id).where(_claimable(now, lane)).order_by(Job.id).limit(1)).first()
            if job_id is None:
                return None
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, _claimable(now, lane))
                .values(
                    state=RUNNING,
                    locked_by=worker_id,
                    lease_until=_lease(now, lease_s),
                    attempts=Job.attempts + 1,
                    updated_at=now,
                )
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                job = session.get(Job, job_id)
                assert job is not None
                return ClaimedJob(job.id, job.kind, job.delivery_id, job.payload, job.attempts)
    return None


def finish(store: Store, job_id: int, worker_id: str) -> bool:
    """Mark a job done; False when the worker lost its lease (the job was re-queued meanwhile)."""
    with store.session() as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == RUNNING, Job.locked_by == worker_id)
            .values(state=DONE, lease_until=None, updated_at=utcnow())
        )
        return _rowcount(result) == 1


def fail(store: Store, job_id: int, worker_id: str, error: str, *, max_attempts: int) -> str:
    """Record a failure; the job is re-queued until it has had `max_attempts`. Returns the new state."""
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.locked_by != worker_id or job.state != RUNNING:
            return job.state if job else FAILED
        job.state = QUEUED if job.attempts < max_attempts else FAILED
        job.error = error[-4000:]
        job.lease_until = None
        job.updated_at = utcnow()
        return job.state


def requeue_expired(store: Store, now: datetime | None = None) -> int:
    """Put back every running job whose lease has expired (its worker died). Returns how many."""
    moment = now or utcnow()
    with store.session() as session:
        result = session.execute(
            update(Job)
            .where(Job.state == RUNNING, Job.lease_until < moment)
            .values(state=QUEUED, locked_by=None, lease_until=None, updated_at=moment)
        )
        return _rowcount(result)


def requeue_all_running(store: Store) -> int:
    """At startup of a single-replica bot: every `running` job belongs to a dead process."""
    return requeue_expired(store, now=datetime.max)


def job_state(store: Store, job_id: int) -> str | None:
    with store.session() as session:
        job = session.get(Job, job_id)
        return job.state if job else None


def count(store: Store, state: str) -> int:
    with store.session() as session:
        return len(list(session.scalars(select(Job.id).where(Job.state == state))))


def extend_lease(store: Store, job_id: int, worker_id: str, lease_s: float) -> bool:
    """Heartbeat: push the lease of a job this worker still holds."""
    with store.session() as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == RUNNING, Job.locked_by == worker_id)
            .values(lease_until=_lease(utcnow(), lease_s))
        )
        return _rowcount(result) == 1
