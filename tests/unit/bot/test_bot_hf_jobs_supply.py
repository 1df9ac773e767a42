"""Issue #17, M3: the hf-jobs job's image is pinned by digest, its dependencies are installed before the token is
in its environment (from a hash-pinned lock when the operator gives one), and it gets a separate job token,
never the bot's main one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.compute import hf_jobs, hf_jobs_config
from bot.compute.actions import ActionsBackend
from bot.errors import ConfigurationError
from bot.settings import Settings, load_settings
from bot.states import RunState
from bot.wiring import require_serving_with_compute
from runner.adapters.hub import JobSpec
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import BRANCH, HF_JOBS_TOKEN, HF_TOKEN, REPO, deliver, make_services, seed_run
from tests.unit.bot.fake_gateway import FakeGateway
from tests.unit.bot.test_bot_hf_jobs_command import _execute

IMAGE_BY_DIGEST = re.compile(r"^[^\s@]+@sha256:[0-9a-f]{64}$")

CHEAP = [{"flavour": "cpu-basic", "hardware": "2 vCPU", "seconds": 1200.0, "cost_usd": 0.0}]
LOCK = (
    "ml-intern-bot[train]==0.1.0 \\\n"
    "    --hash=sha256:" + "a" * 64 + "\n"
    "torch==2.5.1 --hash=sha256:" + "b" * 64 + "  # via ml-intern-bot\n"
)


class RecordingHub:
    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []

    def run_job(self, spec: JobSpec) -> Any:
        self.jobs.append(spec.model_dump())  # every field, secrets included (JobSpec's repr leaves them out)
        return type("Job", (), {"id": "job-1", "namespace": "octo", "url": "https://hf.co/jobs/octo/job-1"})()


def _approve(tmp_path: Path, **settings: Any) -> tuple[RecordingHub, FakeGateway, int]:
    gateway, hub = FakeGateway(), RecordingHub()
    services = make_services(tmp_path, gateway, hub=hub, **settings)
    run = seed_run(services, gateway, compute="hf-jobs", projections=CHEAP)
    deliver(
        services, "pull_request_review", payloads.review(REPO, run.pr_number or 0, BRANCH, run.head_sha or "", "root")
    )
    after = services.store.get_run(run.id)
    assert after is not None
    return hub, gateway, 1 if after.run_state is RunState.TRAINING else 0


def test_the_job_image_is_pinned_by_digest() -> None:
    assert IMAGE_BY_DIGEST.match(hf_jobs.DEFAULT_IMAGE)
    assert load_settings(_env_file=None).hf_jobs_image == hf_jobs.DEFAULT_IMAGE
    with pytest.raises(ConfigurationError, match="pinned by digest"):
        hf_jobs.HfJobsBackend(lambda: None, fallback=ActionsBackend(), image="python:3.11-slim")
    with pytest.raises(ConfigurationError, match="HF_JOBS_IMAGE"):
        load_settings(_env_file=None, hf_jobs_image="python:3.11-slim")


def test_the_job_gets_the_job_token_never_the_main_one(tmp_path: Path) -> None:
    hub, _gateway, training = _approve(tmp_path)
    (job,) = hub.jobs
    assert training and job["secrets"] == {"HF_TOKEN": HF_JOBS_TOKEN}
    assert IMAGE_BY_DIGEST.match(job["image"])
    assert HF_TOKEN not in repr(job)


@pytest.mark.parametrize("jobs_token", [None, HF_TOKEN])
def test_without_a_separate_job_token_nothing_is_submitted(tmp_path: Path, jobs_token: str | None) -> None:
    hub, gateway, training = _approve(tmp_path, hf_jobs_token=jobs_token)
    assert hub.jobs == [] and not training
    assert "INTERN_HF_JOBS_TOKEN" in "\n".join(gateway.comments_on(REPO, 1) + gateway.comments_on(REPO, 102))


def test_serving_refuses_hf_jobs_without_a_separate_token() -> None:
    base: dict[str, Any] = {
        "webhook_secret": "s" * 32,
        "github_app_id": 1,
        "github_private_key": "k" * 20,
        "actions_ref": "a" * 40,
        "compute_allowed": ["actions", "hf-jobs"],
        "hf_token": HF_TOKEN,
    }
    for token in (None, HF_TOKEN):
        with pytest.raises(ConfigurationError, match="INTERN_HF_JOBS_TOKEN"):
            require_serving_with_compute(Settings(_env_file=None, **base, hf_jobs_token=token))
    require_serving_with_compute(Settings(_env_file=None, **base, hf_jobs_token=HF_JOBS_TOKEN))


def test_the_token_leaves_the_environment_before_anything_is_installed(tmp_path: Path) -> None:
    code, calls = _execute(tmp_path)
    assert code == 0
    pip_env = (tmp_path / "work" / "pip-env.log").read_text()
    upload_env = (tmp_path / "work" / "upload-env.log").read_text()
    assert "hf_job_secret_token" not in pip_env
    assert "HF_TOKEN=hf_job_secret_token" in upload_env  # the trusted upload step gets it back, alone
    assert [c for c in calls if c.startswith("pip install")] == ["pip install --quiet ml-intern-bot[train]==0.1.0"]


def test_a_hash_pinned_lock_is_installed_as_is(tmp_path: Path) -> None:
    code, calls = _execute(tmp_path, INTERN_REQUIREMENTS=LOCK)
    assert code == 0
    (pip,) = [c for c in calls if c.startswith("pip install")]
    assert "--require-hashes --no-deps -r intern-requirements.txt" in pip
    assert (tmp_path / "work" / "intern-requirements.txt").read_text().startswith("ml-intern-bot[train]==0.1.0")


def test_a_lock_without_hashes_is_refused(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text(LOCK)
    bad.write_text(LOCK + "requests==2.32.3\n")
    assert hf_jobs_config.read_lock(good) == LOCK
    with pytest.raises(ConfigurationError, match=r"requests==2\.32\.3"):
        hf_jobs_config.read_lock(bad)
