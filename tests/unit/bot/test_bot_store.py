from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import queue
from bot.errors import IllegalTransitionError
from bot.run_record import RunRecord
from bot.states import RunState
from bot.store import Columns, Run, Store, utcnow
from bot.worker import Worker, recover_at_startup


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    s.create_all()
    return s


def test_a_redelivery_is_a_no_op(store: Store) -> None:
    assert store.accept_delivery("d-1", "issue_comment", "created", '{"x": 1}')
    assert not store.accept_delivery("d-1", "issue_comment", "created", '{"x": 1}')
    assert queue.count(store, queue.QUEUED) == 1
    assert store.delivery_seen("d-1") and not store.delivery_seen("d-2")
    assert store.accept_delivery("d-2", "check_run", "created", None)  # recorded, no job
    assert queue.count(store, queue.QUEUED) == 1


def test_claim_takes_oldest_and_only_once(store: Store) -> None:
    first = queue.enqueue(store, "a", "{}")
    queue.enqueue(store, "b", "{}")
    job = queue.claim(store, "w1", 60)
    assert job is not None and job.id == first and job.attempts == 1
    assert queue.job_state(store, first) == queue.RUNNING
    assert queue.finish(store, first, "w1")
    assert queue.job_state(store, first) == queue.DONE
    assert not queue.finish(store, first, "w1")  # only a running job held by the worker can finish


def test_concurrent_claims_are_exclusive(store: Store) -> None:
    for index in range(60):
        queue.enqueue(store, "k", f'{{"i": {index}}}')
    claimed: dict[str, list[int]] = {f"w{n}": [] for n in range(4)}

    def work(name: str) -> None:
        while (job := queue.claim(store, name, 60)) is not None:
            claimed[name].append(job.id)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [job_id for ids in claimed.values() for job_id in ids]
    assert len(every) == 60
    assert len(set(every)) == 60  # no job claimed twice


def test_restart_requeues_jobs_of_a_killed_bot(store: Store) -> None:
    job_id = queue.enqueue(store, "k", "{}")
    assert queue.claim(store, "dead-worker", 900) is not None
    assert queue.claim(store, "other", 900) is None
    assert recover_at_startup(store) == 1
    job = queue.claim(store, "new-worker", 900)
    assert job is not None and job.id == job_id and job.attempts == 2


def test_expired_lease_is_requeued_but_live_one_is_not(store: Store) -> None:
    expired = queue.enqueue(store, "k", "{}")
    queue.claim(store, "w", 1)
    live = queue.enqueue(store, "k", "{}")
    queue.claim(store, "w", 900)
    assert queue.requeue_expired(store, now=utcnow() + timedelta(seconds=5)) == 1
    assert queue.job_state(store, expired) == queue.QUEUED
    assert queue.job_state(store, live) == queue.RUNNING
    assert not queue.finish(store, expired, "w")  # the old worker lost it


def test_failures_are_retried_then_parked(store: Store) -> None:
    job_id = queue.enqueue(store, "k", "{}")
    for attempt in (1, 2):
        assert queue.claim(store, "w", 60) is not None
        assert queue.fail(store, job_id, "w", f"boom {attempt}", max_attempts=2) == (
            queue.QUEUED if attempt == 1 else queue.FAILED
        )
    assert queue.claim(store, "w", 60) is None


def test_worker_runs_jobs_and_survives_a_failing_one(store: Store) -> None:
    ran: list[str] = []

    def run_job(job: queue.ClaimedJob) -> None:
        if job.kind == "bad":
            raise RuntimeError("handler bug")
        ran.append(job.kind)

    good = queue.enqueue(store, "good", "{}")
    bad = queue.enqueue(store, "bad", "{}")
    worker = Worker(store, run_job, worker_id="t", lease_s=60, poll_s=0.01, max_attempts=1)
    assert worker.run_once() and worker.run_once() and not worker.run_once()
    assert ran == ["good"]
    assert queue.job_state(store, good) == queue.DONE
    assert queue.job_state(store, bad) == queue.FAILED


def _run(store: Store) -> int:
    run = store.create_run(
        repo="o/r",
        issue_number=1,
        created_by="alice",
        compute="actions",
        installation_id=1,
        delivery_id="d-1",
        data=RunRecord(hub_repo_id="o/model"),
    )
    return run.id


def test_transitions_are_audited(store: Store) -> None:
    run_id = _run(store)
    store.transition(
        run_id, RunState.PR_OPENED, actor="alice", action="PR opened", delivery_id="d-2", columns=Columns(pr_number=5)
    )
    run = store.get_run(run_id)
    assert run is not None and run.state == "pr_opened" and run.pr_number == 5
    log = store.audit_log(run_id)
    assert [(e.actor, e.from_state, e.to_state, e.delivery_id) for e in log] == [
        ("alice", None, "planned", "d-1"),
        ("alice", "planned", "pr_opened", "d-2"),
    ]
    assert store.active_run("o/r", 5) is not None and store.active_run("o/r", 1) is not None


def test_illegal_transition_changes_nothing(store: Store) -> None:
    run_id = _run(store)
    with pytest.raises(IllegalTransitionError):
        store.transition(run_id, RunState.TRAINING, actor="mallory", action="x", delivery_id=None)
    run = store.get_run(run_id)
    assert run is not None and run.state == "planned"
    assert len(store.audit_log(run_id)) == 1


def test_one_active_run_lookup_and_record_merge(store: Store) -> None:
    run_id = _run(store)
    store.update_run(run_id, record=RunRecord(next_step="wait"))
    run = store.get_run(run_id)
    assert run is not None and run.data == RunRecord(hub_repo_id="o/model", next_step="wait")
    store.transition(run_id, RunState.CANCELLED, actor="a", action="cancel", delivery_id=None)
    assert store.active_run("o/r", 1) is None
    assert store.latest_run("o/r", 1) is not None


@pytest.mark.parametrize("fields", [{"next_stpe": "typo"}, {"section": {"smoke": "ok"}}, {"notice": ["x"]}])
def test_a_misspelt_record_field_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        RunRecord(**fields)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"merge": RunRecord(failed_stage="plan")}, "failed_stage is not a mapping"),
        ({"append": RunRecord(next_step="wait")}, "next_step is not a list"),
        ({"merge": RunRecord.model_construct(checks={"smoke": "not a pair"})}, "checks"),
    ],
)
def test_a_change_that_does_not_fit_the_record_changes_nothing(
    store: Store, change: dict[str, RunRecord], problem: str
) -> None:
    run_id = _run(store)
    with pytest.raises(ValueError, match=problem):
        store.update_run(run_id, **change)
    run = store.get_run(run_id)
    assert run is not None and run.data == RunRecord(hub_repo_id="o/model")


def test_only_the_fields_a_change_names_are_written(store: Store) -> None:
    run_id = _run(store)
    store.update_run(run_id, record=RunRecord(next_step=None, failed_stage="plan"))
    store.update_run(run_id, record=RunRecord(failed_stage=None), columns=Columns(head_sha="abc", smoke_attempts=2))
    run = store.get_run(run_id)
    assert run is not None and run.data == RunRecord(hub_repo_id="o/model")
    assert (run.head_sha, run.smoke_attempts, run.branch) == ("abc", 2, None)


def test_old_rows_with_unknown_keys_still_load(store: Store) -> None:
    run_id = _run(store)
    with store.session() as session:
        row = session.get(Run, run_id)
        assert row is not None
        row.data_json = '{"hub_repo_id": "o/old", "retired_key": 1, "bot_shas": ["abc"]}'
    run = store.get_run(run_id)
    assert run is not None and run.data == RunRecord(hub_repo_id="o/old", bot_shas=["abc"])
    store.update_run(run_id, append=RunRecord(notices=["kept"]))
    run = store.get_run(run_id)
    assert run is not None and "retired_key" not in run.data_json and run.data.notices == ["kept"]


def test_nested_updates_from_two_workers_do_not_overwrite_each_other(store: Store) -> None:
    run_id = _run(store)
    stale_a = store.get_run(run_id)
    stale_b = store.get_run(run_id)
    assert stale_a is not None and stale_b is not None
    store.update_run(stale_a.id, merge=RunRecord(sections={"smoke": "ok"}), append=RunRecord(notices=["one"]))
    store.update_run(stale_b.id, merge=RunRecord(sections={"training": "epoch 1"}), append=RunRecord(notices=["two"]))
    run = store.get_run(run_id)
    assert run is not None
    assert run.data.sections == {"smoke": "ok", "training": "epoch 1"}
    assert run.data.notices == ["one", "two"]
    for index in range(60):
        store.update_run(run_id, append=RunRecord(bot_shas=[str(index)]), keep_last=50)
    run = store.get_run(run_id)
    assert run is not None and run.data.bot_shas == [str(i) for i in range(10, 60)]
