"""The `hf-jobs` backend: a Hugging Face Job through `runner.adapters.hub`; GPU refused (HTTP 402, quota) -> CPU.

The refusal is never retried in a loop: one attempt on the paid flavour, then the fallback backend on a CPU
flavour, and the PR is told why.

Results come back through the Hub: the job ends with `intern upload-results` (on success and on failure), which
commits `reports/`, `model/` and the job log to the private dataset repo `<namespace>/intern-runs` under
`runs/<run id>/`; a `poll_hf_job` task (bot/runs/hf_watch.py) inspects the job until it ends, then reads the
reports back and posts them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.compute.base import ComputeBackend, ComputeContext, Dispatched
from bot.compute.hf_jobs_config import RESULTS_REPO_NAME, job_token, read_lock
from bot.errors import ComputeError, ComputeRefusedError, ConfigurationError
from bot.repo_settings import caps, load_repo_settings, spend_limit_s
from bot.run_record import HfJobWatch, RunRecord
from bot.settings import workflow_options
from runner.adapters.hub import JobSpec
from runner.workflow_options import WorkflowOptions

if TYPE_CHECKING:
    from bot.store import Run

CPU_FLAVOUR = "cpu-basic"
DEFAULT_PACKAGE = WorkflowOptions().intern_package  # pinned (`==X.Y.Z` or a git commit), checked there
# python:3.11-slim pinned by digest, as the bot's own Dockerfile pins it (issue #17, M3): a tag can be moved.
DEFAULT_IMAGE = "python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7"
IMAGE_BY_DIGEST = re.compile(r"^[^\s@]+@sha256:[0-9a-f]{64}$")
POLL_TASK = "poll_hf_job"

# A constant script: every value that comes from the PR or the run (branch, URL, SHA, repo ids) reaches it only
# through environment variables, always expanded inside double quotes, never pasted into the text.
#
# The job starts as root with the Hub token (a job secret) in its environment. The PR's code never sees it:
# clone and stages run as the unprivileged `intern-sandbox` user (setpriv), with an environment rebuilt from
# nothing (`env -i`: PATH, HOME, locale, HF_ENDPOINT), in a directory that user owns; another user cannot read
# root's /proc/<pid>/environ. When the stages end, everything that user still runs is killed, then the trusted,
# pinned `intern upload-results` (as root, with the token) uploads the regular files only (no symlink is
# followed) from the project.
#
# The job's token leaves the environment before anything is installed: it is kept in a root-only file and
# given back to the upload step only. With INTERN_REQUIREMENTS (the operator's hash-pinned lock,
# INTERN_HF_JOBS_REQUIREMENTS) pip installs exactly those files (`--require-hashes --no-deps`); without it, the
# pinned package and whatever versions of its dependencies the index serves.
JOB_SCRIPT = """set -u
SANDBOX_USER=intern-sandbox
if [ "$(id -u)" != 0 ]; then echo "error: the job must start as root to drop privileges"; exit 1; fi
umask 077
token_file="$(mktemp)"
printf '%s' "${HF_TOKEN:-}" > "$token_file"
unset HF_TOKEN
umask 022
if [ -n "${INTERN_REQUIREMENTS:-}" ]; then
  printf '%s\\n' "$INTERN_REQUIREMENTS" > intern-requirements.txt
  pip install --quiet --require-hashes --no-deps -r intern-requirements.txt || exit 1
else
  pip install --quiet "$INTERN_PACKAGE" || exit 1
fi
id "$SANDBOX_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$SANDBOX_USER"
mkdir -p sandbox && chown "$SANDBOX_USER" sandbox && chmod 700 sandbox
sandboxed() {
  setpriv --reuid="$SANDBOX_USER" --regid="$SANDBOX_USER" --clear-groups -- \\
    env -i PATH="$PATH" HOME="$PWD/sandbox" LANG=C.UTF-8 HF_ENDPOINT="${HF_ENDPOINT:-https://huggingface.co}" \\
    HF_HUB_DISABLE_IMPLICIT_TOKEN=1 "$@"
}
{
  sandboxed git clone --quiet --depth 1 --branch "$INTERN_BRANCH" -- "$INTERN_REPO_URL" sandbox/project &&
  { [ "$(sandboxed git -C sandbox/project rev-parse HEAD)" = "$INTERN_SHA" ] ||
    { echo "error: the branch is no longer at the approved commit $INTERN_SHA"; false; }; } &&
  sandboxed intern train sandbox/project && sandboxed intern evaluate sandbox/project &&
  sandboxed intern stress sandbox/project && sandboxed intern card sandbox/project
} 2>&1 | tee intern-job.log
status=${PIPESTATUS[0]}
setpriv --reuid="$SANDBOX_USER" --regid="$SANDBOX_USER" --clear-groups -- \\
  bash -c '[ "$(id -u)" != 0 ] && kill -KILL -1' 2>/dev/null  # never as root: only the sandbox user's processes
HF_TOKEN="$(cat "$token_file")" intern upload-results sandbox/project --repo-id "$INTERN_RESULTS_REPO" \\
  --path-prefix "$INTERN_RESULTS_PREFIX" --log intern-job.log
uploaded=$?
rm -f "$token_file"
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$uploaded"
"""


def job_command(run: Run | None = None) -> list[str]:
    """The job's command: fetch the approved commit, run the stages, then ALWAYS upload the results.

    The exit status is the stages' (or the upload's, when the stages passed). `run` is not used: nothing
    about the run may become part of the script (see `job_env`)."""
    return ["bash", "-c", JOB_SCRIPT]


def results_repo_id(namespace: str | None, repo: str) -> str:
    """`<namespace>/intern-runs`; the namespace defaults to the GitHub repo's owner, as publishing does (pure)."""
    return f"{namespace or repo.split('/', 1)[0]}/{RESULTS_REPO_NAME}"


def results_prefix(run_id: int) -> str:
    return f"runs/{run_id}"


def job_env(run: Run, results_repo: str, package: str = DEFAULT_PACKAGE) -> dict[str, str]:
    """The job's environment: the untrusted values the script reads, and the pinned package (pure)."""
    return {
        "INTERN_PACKAGE": package,
        "INTERN_BRANCH": run.branch or "",
        "INTERN_REPO_URL": f"https://github.com/{run.repo}.git",
        "INTERN_SHA": run.head_sha or run.approved_sha or "",  # the approval is on the current head
        "INTERN_RUN_ID": str(run.id),
        "INTERN_RESULTS_REPO": results_repo,
        "INTERN_RESULTS_PREFIX": results_prefix(run.id),
    }


def is_refusal(exc: BaseException) -> bool:
    """The Hub refused the paid hardware (HTTP 402: no credits): runner.adapters.hub's typed ComputeRefusedError."""
    from runner.adapters.hub import ComputeRefusedError as HubComputeRefused

    return isinstance(exc, HubComputeRefused)


def cpu_projection(projections: list[dict[str, Any]]) -> str:
    """The smoke test's projected time on the CPU flavour, in words (pure)."""
    for item in projections:
        if item.get("flavour") == CPU_FLAVOUR:
            minutes = float(item.get("seconds", 0.0)) / 60
            return f"Projected CPU training time from the smoke test: about {minutes:.0f} min."
    return "No smoke projection for CPU was recorded."


class HfJobsBackend:
    name = "hf-jobs"

    def __init__(self, hub_client: Callable[[], Any], fallback: ComputeBackend, image: str = DEFAULT_IMAGE) -> None:
        if not IMAGE_BY_DIGEST.match(image):
            raise ConfigurationError(f"the hf-jobs image {image!r} must be pinned by digest (name@sha256:<64 hex>)")
        self._hub_client = hub_client
        self._fallback = fallback
        self._image = image

    def hub_client(self) -> Any:
        """A `runner.adapters.hub.HubClient` (the watcher inspects jobs and reads results with it)."""
        return self._hub_client()

    def _limit_s(self, ctx: ComputeContext, run: Run, flavour: str) -> int:
        """The job's hard timeout: both budget caps at the bot's price for `flavour`, whatever was projected."""
        max_cost, max_hours = caps(
            ctx.settings.max_run_cost_usd, ctx.settings.max_run_hours, load_repo_settings(ctx.gateway, run.repo)
        )
        return spend_limit_s(flavour, max_cost, max_hours)

    def _submit(self, ctx: ComputeContext, run: Run, flavour: str, results_repo: str) -> Any:
        token = job_token(ctx.settings.hf_jobs_token, ctx.settings.hf_token)
        client = self.hub_client()
        package = workflow_options(ctx.settings).intern_package
        env = {**job_env(run, results_repo, package), "HF_ENDPOINT": ctx.settings.hf_endpoint}
        if ctx.settings.hf_jobs_requirements is not None:
            env["INTERN_REQUIREMENTS"] = read_lock(ctx.settings.hf_jobs_requirements)
        try:
            return client.run_job(
                JobSpec(
                    image=self._image,
                    command=job_command(run),
                    flavor=flavour,
                    env=env,
                    # read only by the trusted upload step: the PR's code runs as another user (JOB_SCRIPT)
                    secrets={"HF_TOKEN": token},
                    timeout=self._limit_s(ctx, run, flavour),
                    labels={"intern-run": str(run.id)},
                )
            )
        except Exception as exc:
            if is_refusal(exc):
                raise ComputeRefusedError(f"Hugging Face refused a {flavour} job: {exc}") from exc
            raise ComputeError(f"could not start a Hugging Face job on {flavour}: {exc}") from exc

    def start_training(self, ctx: ComputeContext, run: Run, flavour: str) -> Dispatched:
        results_repo = results_repo_id(ctx.settings.hf_namespace, run.repo)
        try:
            job = self._submit(ctx, run, flavour, results_repo)
        except ComputeRefusedError as refused:
            fallback = self._fallback.start_training(ctx, run, CPU_FLAVOUR)
            notice = (
                f"GPU compute was refused ({refused}). Falling back to CPU ({CPU_FLAVOUR}, {fallback.backend}) "
                "without a retry of the paid request. On CPU, train.py resolves `device: auto` to the CPU, sets "
                "the threads to the cores, pads each batch dynamically and takes the max length from the measured "
                f"token lengths. {cpu_projection([p.model_dump() for p in run.data.projections])}"
            )
            return Dispatched(
                backend=fallback.backend, flavour=CPU_FLAVOUR, external_id=fallback.external_id, notice=notice
            )
        job_id = str(getattr(job, "id", ""))
        watch = HfJobWatch(
            job_id=job_id,
            namespace=getattr(job, "namespace", None),
            job_url=getattr(job, "url", None),
            results_repo=results_repo,
            results_prefix=results_prefix(run.id),
        )
        # Recorded before the watcher is queued, so it can tell its job from a newer one for the same run.
        ctx.store.update_run(run.id, record=RunRecord(external_job_id=job_id, hf_job=watch))
        ctx.enqueue_task(POLL_TASK, run, delay_s=ctx.settings.hf_job_poll_s, started=time.time(), **watch.model_dump())
        return Dispatched(backend=self.name, flavour=flavour, external_id=job_id)

    def start_publish(self, ctx: ComputeContext, run: Run) -> Dispatched:
        return self._fallback.start_publish(ctx, run)
