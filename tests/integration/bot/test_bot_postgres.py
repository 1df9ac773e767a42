"""Against a real PostgreSQL (set INTERN_TEST_POSTGRES_URL, e.g.
`postgresql+psycopg://postgres@127.0.0.1:5432/intern_test`; skipped otherwise): two workers never claim the same
job (`SELECT ... FOR UPDATE SKIP LOCKED`), redeliveries are no-ops, and expired leases are re-queued."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot import queue
from bot.store import Base, Store, utcnow

pytestmark = pytest.mark.integration
URL = os.environ.get("INTERN_TEST_POSTGRES_URL")


@pytest.fixture
def store() -> Iterator[Store]:
    if not URL:
        pytest.skip("INTERN_TEST_POSTGRES_URL is not set")
    pytest.importorskip("psycopg")
    s = Store(URL)
    Base.metadata.drop_all(s.engine)
    s.create_all()
    try:
        yield s
    finally:
        Base.metadata.drop_all(s.engine)
        s.dispose()


def test_store_uses_postgresql(store: Store) -> None:
    assert store.dialect == "postgresql"


def test_two_workers_never_claim_the_same_job(store: Store) -> None:
    total = 300
    for index in range(total):
        queue.enqueue(store, "k", f'{{"i": {index}}}')
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    start = threading.Barrier(len(claimed))

    def work(name: str) -> None:
        other = Store(store.url)  # each worker has its own engine and connections, as separate replicas would
        start.wait()
        while (job := queue.claim(other, name, 60)) is not None:
            claimed[name].append(job.id)
            queue.finish(other, job.id, name)
        other.dispose()

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [job_id for jobs in claimed.values() for job_id in jobs]
    assert len(ids) == total and len(set(ids)) == total
    assert sum(1 for jobs in claimed.values() if jobs) >= 2  # the work was really shared
    assert queue.count(store, queue.DONE) == total


def test_redelivery_and_lease_expiry(store: Store) -> None:
    assert store.accept_delivery("pg-1", "issue_comment", "created", "{}")
    assert not store.accept_delivery("pg-1", "issue_comment", "created", "{}")
    job = queue.claim(store, "dead", 1)
    assert job is not None
    assert queue.requeue_expired(store, now=utcnow() + timedelta(seconds=5)) == 1
    again = queue.claim(store, "alive", 60)
    assert again is not None and again.id == job.id and again.attempts == 2
