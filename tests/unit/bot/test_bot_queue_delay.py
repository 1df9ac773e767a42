"""Delayed jobs (`enqueue(..., delay_s=...)` -> `not_before`): never claimed early, claimed once due."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from bot import queue
from bot.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    s.create_all()
    return s


def test_a_delayed_job_is_not_claimed_before_it_is_due(store: Store) -> None:
    delayed = queue.enqueue(store, "task:poll", "{}", delay_s=0.3)
    assert queue.claim(store, "w1", 60) is None  # queued, but not due
    assert queue.job_state(store, delayed) == queue.QUEUED
    time.sleep(0.35)
    job = queue.claim(store, "w1", 60)
    assert job is not None and job.id == delayed
    assert queue.claim(store, "w2", 60) is None  # and only once


def test_a_delayed_job_does_not_hold_back_later_jobs(store: Store) -> None:
    delayed = queue.enqueue(store, "task:poll", "{}", delay_s=60)
    ready = queue.enqueue(store, "issue_comment", "{}")
    job = queue.claim(store, "w1", 60)
    assert job is not None and job.id == ready and job.id > delayed
    assert queue.claim(store, "w1", 60) is None
    assert queue.job_state(store, delayed) == queue.QUEUED


def test_create_all_adds_not_before_to_an_older_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:  # the jobs table as released before `not_before`
        connection.execute(
            text(
                "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind VARCHAR(60), delivery_id VARCHAR(100), "
                "payload TEXT, state VARCHAR(20), attempts INTEGER, locked_by VARCHAR(100), lease_until DATETIME, "
                "error TEXT, created_at DATETIME, updated_at DATETIME)"
            )
        )
        connection.execute(
            text("INSERT INTO jobs (kind, payload, state, attempts) VALUES ('issue_comment', '{}', 'queued', 0)")
        )
    engine.dispose()
    store = Store(url)
    store.create_all()
    store.create_all()  # idempotent
    assert "not_before" in {column["name"] for column in inspect(store.engine).get_columns("jobs")}
    old = queue.claim(store, "w1", 60)
    assert old is not None and old.kind == "issue_comment"  # NULL not_before: due at once
