"""The `actions` backend: workflow_dispatch of the PR's `.github/workflows/intern.yml`.

GitHub names the workflow by its file name or numeric id (`workflow_id`); a path answers 404.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bot.compute.base import ComputeContext, Dispatched
from bot.run_record import RunRecord
from runner.schemas import WORKFLOW_FILE

if TYPE_CHECKING:
    from bot.store import Run


def dispatch_inputs(run: Run, mode: str, flavour: str, source_run: str | None = None) -> dict[str, str]:
    """The workflow's dispatch inputs (strings only, as GitHub wants them). Training gets the approved SHA
    (the head the approval was checked against), which the job checks out and insists on."""
    inputs = {"mode": mode, "run_id": str(run.id), "flavour": flavour, "compute": "auto"}
    if mode == "train":
        inputs["sha"] = run.approved_sha or run.head_sha or ""
    if source_run is not None:
        inputs["source_run"] = source_run
    return inputs


class ActionsBackend:
    name = "actions"

    def start_training(self, ctx: ComputeContext, run: Run, flavour: str) -> Dispatched:
        assert run.branch is not None
        ctx.store.update_run(
            run.id, record=RunRecord(train_dispatched_at=time.time())
        )  # binds the results (workflow_run)
        ctx.gateway.dispatch_workflow(run.repo, WORKFLOW_FILE, run.branch, dispatch_inputs(run, "train", flavour))
        return Dispatched(backend=self.name, flavour=flavour)

    def start_publish(self, ctx: ComputeContext, run: Run) -> Dispatched:
        source = run.data.train_workflow_run_id
        ref = ctx.gateway.default_branch(run.repo)
        ctx.store.update_run(run.id, record=RunRecord(publish_dispatched_at=time.time()))
        inputs = dispatch_inputs(run, "publish", run.flavour or "cpu-basic", str(source) if source else None)
        ctx.gateway.dispatch_workflow(run.repo, WORKFLOW_FILE, ref, inputs)
        return Dispatched(backend=self.name, flavour=run.flavour or "cpu-basic")
