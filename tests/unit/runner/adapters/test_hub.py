"""The Hub adapter (runner/adapters/hub.py): error mapping, and the real client against the fake Hub server."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from huggingface_hub.errors import LocalTokenNotFoundError, OfflineModeIsEnabled
from huggingface_hub.utils import hf_raise_for_status

from runner.adapters.hub import ComputeRefusedError, HubClient, JobSpec, make_hub_client, map_hub_error
from runner.errors import ExternalServiceError
from tests.fakes.hub_server import FakeHub

ENDPOINT = "https://hub.example"


def hub_error(status: int, url: str, error: str = "nope", headers: dict[str, str] | None = None) -> Exception:
    """The exception huggingface_hub itself raises for this response."""
    response = httpx2.Response(
        status, json={"error": error}, headers=headers or {}, request=httpx2.Request("POST", url)
    )
    try:
        hf_raise_for_status(response)
    except Exception as exc:
        return exc
    raise AssertionError("no error raised")


@pytest.mark.parametrize(
    ("status", "url", "headers", "expected"),
    [
        (401, f"{ENDPOINT}/api/whoami-v2", {"X-Error-Message": "Invalid credentials"}, "check hf_token"),
        (403, f"{ENDPOINT}/api/repos/create", {}, "write access"),
        (404, f"{ENDPOINT}/api/models/a/b", {"X-Error-Code": "RepoNotFound"}, "check the repo id"),
        (404, f"{ENDPOINT}/api/models/a/b/tree/main", {}, "not found"),
        (429, f"{ENDPOINT}/api/datasets", {}, "retry in a few minutes"),
        (503, f"{ENDPOINT}/api/datasets", {}, "retry later"),
        (409, f"{ENDPOINT}/api/repos/create", {}, "answered 409"),
    ],
)
def test_http_errors_become_actionable(status: int, url: str, headers: dict[str, str], expected: str) -> None:
    error = map_hub_error(hub_error(status, url, headers=headers), "doing a thing", ENDPOINT)
    assert type(error) is ExternalServiceError
    assert str(error).startswith("doing a thing: ")
    assert expected in str(error).lower()


def test_payment_required_is_a_distinct_error_with_the_server_message() -> None:
    exc = hub_error(402, f"{ENDPOINT}/api/jobs/me", error="no credits left")
    error = map_hub_error(exc, "starting a job", ENDPOINT)
    assert isinstance(error, ComputeRefusedError) and isinstance(error, ExternalServiceError)
    assert "402 Payment Required" in str(error) and "no credits left" in str(error)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OfflineModeIsEnabled("offline"), "Unset HF_HUB_OFFLINE"),
        (LocalTokenNotFoundError("no token"), "Set HF_TOKEN"),
        (httpx2.ConnectError("refused"), "Check the network and HF_ENDPOINT"),
    ],
)
def test_transport_and_local_errors(exc: Exception, expected: str) -> None:
    assert expected in str(map_hub_error(exc, "listing", ENDPOINT))


@pytest.mark.integration
def test_client_against_fake_hub(fake_hub: FakeHub, tmp_path: Path) -> None:
    client: HubClient = make_hub_client(fake_hub.token, fake_hub.url)
    assert client.whoami().name == fake_hub.state.user
    client.create_repo("intern-user/m")
    client.create_repo("intern-user/m")  # exists: fine
    oid = client.create_commit("intern-user/m", {"a.txt": b"hello", "w.safetensors": b"\0" * 600}, commit_message="add")
    assert fake_hub.commits("intern-user/m") == ["initial commit", "add"]
    assert oid == fake_hub.state.repos[("model", "intern-user/m")].head.oid
    remote = {f.path: f for f in client.list_repo_files("intern-user/m")}
    assert remote["w.safetensors"].lfs_sha256 is not None and remote["a.txt"].lfs_sha256 is None
    assert client.download_file("intern-user/m", "w.safetensors", cache_dir=tmp_path).read_bytes() == b"\0" * 600

    bad_card = b"---\nmodel-index:\n- results: []\n---\n# card\n"
    with pytest.raises(ExternalServiceError, match=r"front matter.*model-index\[0\].name. is required"):
        client.create_commit("intern-user/m", {"README.md": bad_card}, commit_message="bad card")
    assert fake_hub.commits("intern-user/m") == ["initial commit", "add"]
    with pytest.raises(ExternalServiceError, match="HF_TOKEN"):
        make_hub_client("hf_wrong", fake_hub.url).create_repo("intern-user/other")
    with pytest.raises(ExternalServiceError, match="write access"):
        client.create_repo("someone-else/m")
    with pytest.raises(ExternalServiceError, match="not found"):
        client.list_repo_files("intern-user/missing")


@pytest.mark.integration
def test_dataset_search_and_info(fake_hub: FakeHub) -> None:
    card = {"license": "mit", "task_categories": ["text-classification"]}
    fake_hub.add_dataset("acme/tickets", card, {"train.csv": "text,label\nhi,a\n"}, downloads=10)
    fake_hub.add_dataset("acme/tickets-large", card, {}, downloads=500, tags=["support"])
    fake_hub.add_dataset("acme/images", {"task_categories": ["image-classification"]}, {}, downloads=900)
    client = make_hub_client(None, fake_hub.url)  # reads need no token
    found = client.list_datasets(search="tickets", filter="task_categories:text-classification")
    assert [d.id for d in found] == ["acme/tickets-large", "acme/tickets"]  # sorted by downloads
    assert [d.id for d in client.list_datasets(search="acme", limit=1)] == ["acme/images"]
    info = client.dataset_info("acme/tickets")
    assert info.card_data["license"] == "mit"
    assert "train.csv" in info.files and "README.md" in info.files
    assert "license:mit" in info.tags


@pytest.mark.integration
def test_jobs_and_payment_required(fake_hub: FakeHub) -> None:
    client = make_hub_client(fake_hub.token, fake_hub.url)
    job = client.run_job(
        JobSpec(image="python:3.12", command=["python", "train.py"], flavor="cpu-basic", namespace="intern-user")
    )
    assert job.stage == "SCHEDULING" and job.namespace == "intern-user" and job.flavor == "cpu-basic"
    fake_hub.state.set_job_stage(job.id, "COMPLETED")
    assert client.inspect_job(job.id, namespace="intern-user").stage == "COMPLETED"

    fake_hub.state.refuse_gpu_jobs = True
    with pytest.raises(ComputeRefusedError, match="402"):
        client.run_job(JobSpec(image="python:3.12", command=["true"], flavor="a10g-small", namespace="intern-user"))
    cpu = client.run_job(JobSpec(image="python:3.12", command=["true"], flavor="cpu-upgrade", namespace="intern-user"))
    client.cancel_job(cpu.id, namespace="intern-user")
    assert client.inspect_job(cpu.id, namespace="intern-user").stage == "CANCELED"
