"""The `hf-jobs` backend: a Hugging Face Job through `runner.hub`; GPU refused (HTTP 402, quota) -> CPU.

The refusal is never retried in a loop: one attempt on the paid flavour, then the fallback backend on a CPU
flavour, and the PR is told why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.compute.base import ComputeBackend, Dispatched
from bot.errors import ComputeError, ComputeRefusedError

if TYPE_CHECKING:
    from bot.handlers.context import Ctx
    from bot.store import Run

CPU_FLAVOUR = "cpu-basic"
DEFAULT_IMAGE = "python:3.11-slim"


def job_command(run: Run) -> list[str]:
    """The job's command: fetch the PR branch, run the training stages. Untrusted text only through env."""
    script = (
        'set -eu; pip install --quiet "ml-intern-bot[train]" && '
        'git clone --depth 1 --branch "$INTERN_BRANCH" "$INTERN_REPO_URL" project && '
        "intern train project && intern evaluate project && intern stress project && intern card project"
    )
    return ["bash", "-c", script]


def is_refusal(exc: BaseException) -> bool:
    """HTTP 402, no credits or a quota refusal (runner.hub's ComputeRefusedError)."""
    if type(exc).__name__ == "ComputeRefusedError":
        return True
    text = str(exc).lower()
    return "402" in text or "quota" in text or "payment required" in text or "credits" in text


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
        self._hub_client = hub_client
        self._fallback = fallback
        self._image = image

    def _submit(self, run: Run, flavour: str) -> str:
        client = self._hub_client()
        try:
            job = client.run_job(
                image=self._image,
                command=job_command(run),
                flavor=flavour,
                env={
                    "INTERN_BRANCH": run.branch or "",
                    "INTERN_REPO_URL": f"https://github.com/{run.repo}.git",
                    "INTERN_RUN_ID": str(run.id),
                },
                labels={"intern-run": str(run.id)},
            )
        except Exception as exc:
            if is_refusal(exc):
                raise ComputeRefusedError(f"Hugging Face refused a {flavour} job: {exc}") from exc
            raise ComputeError(f"could not start a Hugging Face job on {flavour}: {exc}") from exc
        return str(getattr(job, "id", ""))

    def start_training(self, ctx: Ctx, run: Run, flavour: str) -> Dispatched:
        try:
            job_id = self._submit(run, flavour)
        except ComputeRefusedError as refused:
            fallback = self._fallback.start_training(ctx, run, CPU_FLAVOUR)
            notice = (
                f"GPU compute was refused ({refused}). Falling back to CPU ({CPU_FLAVOUR}, {fallback.backend}) "
                "without a retry of the paid request. On CPU, train.py resolves `device: auto` to the CPU, sets "
                "the threads to the cores, pads each batch dynamically and takes the max length from the measured "
                f"token lengths. {cpu_projection(run.data.get('projections', []))}"
            )
            return Dispatched(
                backend=fallback.backend, flavour=CPU_FLAVOUR, external_id=fallback.external_id, notice=notice
            )
        return Dispatched(backend=self.name, flavour=flavour, external_id=job_id)

    def start_publish(self, ctx: Ctx, run: Run) -> Dispatched:
        return self._fallback.start_publish(ctx, run)
