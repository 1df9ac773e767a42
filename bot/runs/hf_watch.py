"""Watching a Hugging Face Job: the `poll_hf_job` task brings its results back into the PR.

The task inspects the job through `runner.adapters.hub`; while it runs, the task queues itself again `hf_job_poll_s`
later (a delayed durable job, so a restart loses nothing). When the job ends, the reports it uploaded to the
results repo (`<namespace>/intern-runs`, `runs/<run id>/reports/`) are read back and ingested exactly as the
local and Actions backends ingest theirs: committed to the branch, posted in the sticky comment, the train
check run concluded, the run moved to `evaluated`, or to `failed` with the job's message and log tail.
Watching stops at `max_run_hours` (plus a grace period for installing and uploading): the job is cancelled.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from bot.compute.hf_jobs import POLL_TASK, HfJobsBackend
from bot.context import Ctx, Task
from bot.runs import lifecycle
from bot.runs.local_tasks import RESULT_FILES
from bot.runs.results import MAX_REPORT_BYTES
from bot.states import RunState
from bot.store import Run
from runner.render.markdown import LOG_TAIL_CHARS

log = logging.getLogger(__name__)

JOB_LOG = "job.log"
FAILED_STAGES = frozenset({"ERROR", "CANCELED", "DELETED"})
GRACE_S = 15 * 60
MAX_HUB_ERRORS = 5
MAX_PENDING_POLLS = 3
OBSOLETE_STATES = frozenset({RunState.CANCELLED, RunState.SMOKE_RUNNING})

Decision = Literal["wait", "ingest", "failed", "timed_out"]


def decide(stage: str, elapsed_s: float, cap_s: float) -> Decision:
    """What to do with a job in `stage` after `elapsed_s` of watching (pure)."""
    if stage == "COMPLETED":
        return "ingest"
    if stage in FAILED_STAGES:
        return "failed"
    if elapsed_s > cap_s:
        return "timed_out"
    return "wait"


def wanted_report(path: str, prefix: str, size: int) -> str | None:
    """The report name of a results-repo file under `<prefix>/reports/`, or None to skip it (pure)."""
    pure = PurePosixPath(path)
    if pure.parent != PurePosixPath(prefix) / "reports" or size > MAX_REPORT_BYTES:
        return None
    return pure.name if pure.name in (*RESULT_FILES, JOB_LOG) else None


def download_reports(client: Any, repo_id: str, prefix: str) -> dict[str, bytes]:
    """The run's reports from the results repo, by name; {} when the job uploaded nothing."""
    try:
        files = client.list_repo_files(repo_id, repo_type="dataset")
    except Exception as exc:  # a missing repo means nothing was uploaded; the caller says so in the PR
        log.warning("cannot list %s: %s", repo_id, exc)
        return {}
    found: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="intern-hf-results-") as cache:
        for entry in files:
            name = wanted_report(entry.path, prefix, entry.size)
            if name is not None:
                path = client.download_file(repo_id, entry.path, repo_type="dataset", cache_dir=Path(cache))
                found[name] = Path(path).read_bytes()
    return found


def _requeue(ctx: Ctx, run: Run, payload: dict[str, Any], **changes: Any) -> None:
    body = {key: value for key, value in payload.items() if key not in ("run_id", "installation_id")}
    ctx.enqueue_task(POLL_TASK, run, delay_s=ctx.settings.hf_job_poll_s, **{**body, **changes})


def _cancel(client: Any, payload: dict[str, Any]) -> None:
    try:
        client.cancel_job(str(payload["job_id"]), namespace=payload.get("namespace"))
    except Exception as exc:  # best effort: the job may have ended meanwhile
        log.warning("could not cancel job %s: %s", payload.get("job_id"), exc)


def _where(payload: dict[str, Any]) -> str:
    return str(payload.get("job_url") or f"job {payload.get('job_id')}")


def _finish(ctx: Ctx, run: Run, client: Any, payload: dict[str, Any], stage: str, message: str | None) -> None:
    repo_id, prefix = str(payload["results_repo"]), str(payload["results_prefix"])
    reports = download_reports(client, repo_id, prefix)
    tail = ctx.redact(reports.get(JOB_LOG, b"").decode("utf-8", "replace")[-LOG_TAIL_CHARS:])
    ctx.store.audit(
        run.repo, "intern-bot", f"hugging face job {stage.lower()}", ctx.delivery_id, run.id, _where(payload)
    )
    results = {name: content for name, content in reports.items() if name in RESULT_FILES}
    if stage == "COMPLETED" and "train.json" in results:
        lifecycle.ingest_training(ctx, run, results)
        return
    uploaded = f"The job uploaded {', '.join(sorted(reports)) or 'nothing'} to `{repo_id}` under `{prefix}/`."
    if stage == "COMPLETED":
        reason = f"the Hugging Face job completed but left no training results. {uploaded}"
    else:
        why = f": {message}" if message else ""
        reason = f"the Hugging Face job ended `{stage}`{why}. {uploaded}"
    lifecycle.fail(ctx, run, "training", f"{reason} Job: {_where(payload)}", tail)


def _still_wanted(ctx: Ctx, run: Run, backend: HfJobsBackend, payload: dict[str, Any]) -> bool:
    """True when the run still waits for this job; stale watchers stop (and cancel an obsolete job)."""
    if run.data.external_job_id != payload["job_id"]:
        log.info("watcher of job %s stops: run %s moved on to another job", payload["job_id"], run.id)
        return False
    if run.run_state is RunState.TRAINING:
        return True
    if run.run_state in OBSOLETE_STATES:
        _cancel(backend.hub_client(), payload)
        ctx.store.audit(
            run.repo, "intern-bot", f"hugging face job cancelled: run is {run.state}", ctx.delivery_id, run.id
        )
    elif run.run_state is RunState.AWAITING_APPROVAL and int(payload.get("pending", 0)) < MAX_PENDING_POLLS:
        _requeue(ctx, run, payload, pending=int(payload.get("pending", 0)) + 1)  # the dispatch has not committed yet
    return False


def poll_hf_job(ctx: Ctx, payload: dict[str, Any]) -> None:
    run = ctx.store.get_run(int(payload["run_id"]))
    backend = ctx.backend(HfJobsBackend.name)
    if run is None or not isinstance(backend, HfJobsBackend) or not _still_wanted(ctx, run, backend, payload):
        return
    client = backend.hub_client()
    try:
        job = client.inspect_job(str(payload["job_id"]), namespace=payload.get("namespace"))
    except Exception as exc:
        errors = int(payload.get("errors", 0)) + 1
        if errors >= MAX_HUB_ERRORS:
            lifecycle.fail(ctx, run, "training", f"cannot read the status of {_where(payload)}: {exc}")
        else:
            log.warning("inspecting job %s failed (%d/%d): %s", payload["job_id"], errors, MAX_HUB_ERRORS, exc)
            _requeue(ctx, run, payload, errors=errors)
        return
    cap_s = ctx.settings.max_run_hours * 3600 + GRACE_S
    decision = decide(str(job.stage), time.time() - float(payload.get("started", time.time())), cap_s)
    if decision == "wait":
        _requeue(ctx, run, payload, errors=0)
    elif decision == "timed_out":
        _cancel(client, payload)
        hours = ctx.settings.max_run_hours
        lifecycle.fail(ctx, run, "training", f"{_where(payload)} ran past the {hours:g} h cap and was cancelled.")
    else:
        _finish(ctx, run, client, payload, str(job.stage), job.message)


TASKS: dict[str, Task] = {POLL_TASK: poll_hf_job}
