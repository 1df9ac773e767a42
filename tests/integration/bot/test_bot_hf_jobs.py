"""The hf-jobs backend through the real Hub client (runner.adapters.hub) on the fake Hub: GPU refused -> CPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.compute.actions import ActionsBackend
from bot.compute.hf_jobs import HfJobsBackend
from bot.router import Ctx
from runner.adapters.hub import make_hub_client
from tests.fakes.hub_server import FakeHub
from tests.unit.bot.bot_harness import REPO, make_services, seed_run
from tests.unit.bot.fake_gateway import FakeGateway

pytestmark = pytest.mark.integration


def _backend(hub: FakeHub) -> HfJobsBackend:
    return HfJobsBackend(lambda: make_hub_client(hub.token, hub.url), fallback=ActionsBackend())


@pytest.mark.parametrize("refuse", [True, False])
def test_gpu_refusal_falls_back_to_cpu_once(tmp_path: Path, fake_hub: FakeHub, refuse: bool) -> None:
    fake_hub.state.refuse_gpu_jobs = refuse
    gateway = FakeGateway()
    services = make_services(tmp_path, gateway)
    run = seed_run(services, gateway, compute="hf-jobs")
    ctx = Ctx(services, gateway, "delivery-1")
    dispatched = _backend(fake_hub).start_training(ctx, run, "a10g-small")
    job_posts = [path for method, path in fake_hub.state.requests if method == "POST" and "/jobs/" in path]
    assert len(job_posts) == 1  # the paid request is made once, never retried in a loop
    if refuse:
        assert (dispatched.backend, dispatched.flavour) == ("actions", "cpu-basic")
        assert dispatched.notice is not None and "402" in dispatched.notice
        assert gateway.repos[REPO].dispatches[0][2]["flavour"] == "cpu-basic"
        assert fake_hub.state.jobs == {}
    else:
        assert (dispatched.backend, dispatched.flavour) == ("hf-jobs", "a10g-small")
        job = next(iter(fake_hub.state.jobs.values()))
        assert job.flavor == "a10g-small" and job.labels["intern-run"] == str(run.id)
        assert dispatched.external_id == job.id
        assert gateway.repos[REPO].dispatches == []
