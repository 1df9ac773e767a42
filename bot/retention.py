"""Retention: the deliveries, event identities and finished jobs tables would grow forever; prune them.

Run by the first worker thread at start and then every `INTERN_PRUNE_EVERY_S` (one hour). What goes:

- jobs that are `done` or `failed` and were last touched more than `INTERN_RETENTION_DAYS` ago (queued and
  running jobs stay, whatever their age: a delayed watcher or a live lease);
- deliveries and event identities (`seen_events`) received before then. Their rows are what make a
  redelivery, or a replayed body, a no-op, so the window is at least 3 days (GitHub redelivers, by hand or
  through the API, only within 3 days of the original delivery); a body replayed after the window would be
  accepted again, which is why the default keeps 14 days.

Runs, the audit log and everything a PR shows are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete

from bot.queue import DONE, FAILED
from bot.store import Delivery, Job, SeenEvent, Store, utcnow

log = logging.getLogger(__name__)

MIN_RETENTION_DAYS = 3


@dataclass(frozen=True)
class Pruned:
    jobs: int
    deliveries: int
    seen_events: int


def prune(store: Store, retention_days: float, now: datetime | None = None) -> Pruned:
    """Delete finished jobs, deliveries and event identities older than `retention_days`, in one transaction."""
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"retention under {MIN_RETENTION_DAYS} days would let GitHub redeliveries run twice")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with store.session() as session:
        jobs = session.execute(delete(Job).where(Job.state.in_((DONE, FAILED)), Job.updated_at < cutoff))
        deliveries = session.execute(delete(Delivery).where(Delivery.received_at < cutoff))
        seen = session.execute(delete(SeenEvent).where(SeenEvent.received_at < cutoff))
        pruned = Pruned(_count(jobs), _count(deliveries), _count(seen))
    if pruned.jobs or pruned.deliveries or pruned.seen_events:
        log.info(
            "pruned %d finished job(s), %d delivery record(s), %d event identity record(s) older than %s days",
            pruned.jobs,
            pruned.deliveries,
            pruned.seen_events,
            retention_days,
        )
    return pruned


def _count(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
