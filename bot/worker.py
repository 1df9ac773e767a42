"""The worker: a thread that claims durable jobs from the database and runs them.

Started by the app's lifespan (`settings.workers` threads). Each claimed job gets a lease that a heartbeat keeps
extending while the job runs; if the process dies, the lease expires and the job is re-queued (at startup, or by
any other worker's periodic sweep), so a bot killed mid-job finishes the job after a restart.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable

from bot import queue
from bot.store import Store

log = logging.getLogger(__name__)

JobRunner = Callable[[queue.ClaimedJob], None]
Maintenance = Callable[[], object]
SWEEP_EVERY_S = 30.0
# Jobs that can run for an hour: they get their own worker(s), so `/intern cancel` and every other webhook is
# still handled while a local training runs.
LONG_JOB_KINDS = frozenset({"task:local_train", "task:local_publish"})
LONG_LANE = queue.Lane(LONG_JOB_KINDS, only=True)
SHORT_LANE = queue.Lane(LONG_JOB_KINDS, only=False)


def make_worker_id(index: int = 0) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Worker:
    def __init__(
        self,
        store: Store,
        run_job: JobRunner,
        *,
        worker_id: str,
        lease_s: float,
        poll_s: float,
        max_attempts: int,
        lane: queue.Lane | None = None,
        maintenance: Maintenance | None = None,
        maintenance_every_s: float = 3600.0,
        redact: Callable[[str], str] = str,
    ) -> None:
        self.lane = lane
        self.store = store
        self.run_job = run_job
        self.worker_id = worker_id
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.max_attempts = max_attempts
        self.maintenance = maintenance
        self.maintenance_every_s = maintenance_every_s
        self.redact = redact  # what is stored in `jobs.error`: the traceback, with the bot's secrets replaced
        self._maintained_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Claim and run one job; False when the queue was empty."""
        job = queue.claim(self.store, self.worker_id, self.lease_s, self.lane)
        if job is None:
            return False
        stop_heartbeat = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(job.id, stop_heartbeat), daemon=True)
        heartbeat.start()
        try:
            self.run_job(job)
        except Exception as exc:  # one failing job must not kill the worker; it is logged and retried
            state = queue.fail(
                self.store,
                job.id,
                self.worker_id,
                self.redact("".join(traceback.format_exception(exc))),
                max_attempts=self.max_attempts,
            )
            log.exception("job failed", extra={"job_id": job.id, "delivery_id": job.delivery_id, "state": state})
        else:
            queue.finish(self.store, job.id, self.worker_id)
        finally:
            stop_heartbeat.set()
            heartbeat.join(timeout=5)
        return True

    def _heartbeat(self, job_id: int, stop: threading.Event) -> None:
        while not stop.wait(self.lease_s / 3):
            queue.extend_lease(self.store, job_id, self.worker_id, self.lease_s)

    def maintain_if_due(self) -> bool:
        """Run the periodic maintenance (retention) at start and every `maintenance_every_s`; True when it ran."""
        now = time.monotonic()
        if self.maintenance is None or (
            self._maintained_at is not None and now - self._maintained_at < self.maintenance_every_s
        ):
            return False
        self._maintained_at = now
        self.maintenance()
        return True

    def run_forever(self) -> None:
        last_sweep = 0.0
        while not self._stop.is_set():
            try:
                self.maintain_if_due()
                if self.run_once():
                    continue
                last_sweep += self.poll_s
                if last_sweep >= SWEEP_EVERY_S:
                    last_sweep = 0.0
                    queue.requeue_expired(self.store)
            except Exception:  # the database went away: log, wait, try again
                log.exception("worker loop error", extra={"worker_id": self.worker_id})
            self._stop.wait(self.poll_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name=f"intern-worker-{self.worker_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)


def recover_at_startup(store: Store) -> int:
    """Re-queue jobs a killed bot left `running`: all of them on SQLite (one replica), expired ones otherwise."""
    if store.dialect == "sqlite":
        return queue.requeue_all_running(store)
    return queue.requeue_expired(store)


def worker_lanes(workers: int, long_workers: int) -> list[queue.Lane | None]:
    """The lane of each worker thread: `workers` for webhooks and short tasks, `long_workers` for long tasks
    (with none, the webhook workers take everything, as before)."""
    if workers == 0:
        return []
    if long_workers == 0:
        return [None for _ in range(workers)]
    lanes: list[queue.Lane | None] = [SHORT_LANE] * workers
    return lanes + [LONG_LANE] * long_workers
