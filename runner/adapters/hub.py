"""The Hugging Face Hub adapter: the only runner module that talks to the Hub (`runner.stages.card` imports
`huggingface_hub` too, for its card templates only; `hub_reachable` is the one plain HTTP request).

`HubClient` names the calls the runner and the bot make (`DatasetHub`, the two planning makes, is part of
it); `make_hub_client` builds the real one around `HfApi(endpoint=..., token=...)`. Arguments and results are
small frozen models (`JobSpec`, `JobState`, ...) so callers never touch `huggingface_hub` types, and every Hub
failure becomes an `ExternalServiceError` that says what to check:

    ExternalServiceError
    └── ComputeRefusedError     HTTP 402 Payment Required (no credits, paid hardware): fall back to CPU
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from runner.errors import ExternalServiceError

if TYPE_CHECKING:
    from huggingface_hub import HfApi

logger = logging.getLogger(__name__)

RepoType = Literal["model", "dataset", "space"]
DEFAULT_ENDPOINT = "https://huggingface.co"


class ComputeRefusedError(ExternalServiceError):
    """The Hub answered 402 Payment Required: the account has no credits for this hardware."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class HubIdentity(_Frozen):
    name: str
    orgs: list[str] = []


class RemoteFile(_Frozen):
    """One file of a repo tree: `blob_id` is the git blob sha1, `lfs_sha256` is set for LFS files."""

    path: str
    size: int
    blob_id: str
    lfs_sha256: str | None = None


class DatasetSummary(_Frozen):
    id: str
    downloads: int | None = None
    likes: int | None = None
    tags: list[str] = []
    description: str | None = None
    card_data: dict[str, Any] = {}
    files: list[str] = []


class JobSpec(_Frozen):
    """A Hugging Face Job to start: the image and command, the hardware `flavor`, and what the job is given."""

    image: str
    command: list[str]
    flavor: str = "cpu-basic"
    env: dict[str, str] = {}
    secrets: dict[str, str] = Field(default={}, repr=False)
    timeout: int | str | None = None
    labels: dict[str, str] = {}
    namespace: str | None = None


class JobState(_Frozen):
    id: str
    stage: str
    message: str | None = None
    flavor: str | None = None
    url: str
    namespace: str


class DatasetHub(Protocol):
    """The two calls planning makes (`runner.planning`): search datasets and read one."""

    def list_datasets(
        self,
        *,
        search: str | None = None,
        filter: str | Sequence[str] | None = None,
        sort: str | None = "downloads",
        limit: int | None = 20,
    ) -> list[DatasetSummary]: ...

    def dataset_info(self, repo_id: str) -> DatasetSummary: ...


class HubClient(DatasetHub, Protocol):
    """The Hub calls ML Intern makes (a fake server or `HfApi` stands behind it)."""

    @property
    def endpoint(self) -> str: ...

    def whoami(self) -> HubIdentity: ...

    def create_repo(
        self,
        repo_id: str,
        *,
        repo_type: RepoType = "model",
        private: bool = False,
        space_sdk: str | None = None,
    ) -> str: ...

    def create_commit(
        self,
        repo_id: str,
        files: Mapping[str, Path | bytes],
        *,
        repo_type: RepoType = "model",
        commit_message: str,
    ) -> str: ...

    def list_repo_files(self, repo_id: str, *, repo_type: RepoType = "model") -> list[RemoteFile]: ...

    def download_file(
        self, repo_id: str, filename: str, *, repo_type: RepoType = "model", cache_dir: Path | None = None
    ) -> Path: ...

    def snapshot_download(
        self, repo_id: str, *, repo_type: RepoType = "model", local_dir: Path | None = None
    ) -> Path: ...

    def run_job(self, spec: JobSpec) -> JobState: ...

    def inspect_job(self, job_id: str, *, namespace: str | None = None) -> JobState: ...

    def cancel_job(self, job_id: str, *, namespace: str | None = None) -> None: ...


# --- error mapping -----------------------------------------------------------------------------------------


def map_hub_error(exc: BaseException, action: str, endpoint: str) -> ExternalServiceError:
    """Turn a `huggingface_hub` / HTTP failure into an actionable `ExternalServiceError` (pure)."""
    import httpx2
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalTokenNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    if isinstance(exc, OfflineModeIsEnabled):
        return ExternalServiceError(
            f"{action}: HF_HUB_OFFLINE is set, so no request may reach {endpoint}. Unset HF_HUB_OFFLINE to go online."
        )
    if isinstance(exc, LocalTokenNotFoundError):
        return ExternalServiceError(f"{action}: no Hugging Face token. Set HF_TOKEN or pass --token.")
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code
        detail = f" (server said: {exc.server_message.strip()})" if exc.server_message else ""
        if status == 402:
            return ComputeRefusedError(
                f"{action}: the Hub answered 402 Payment Required{detail}. The account has no credits "
                "for this "
                "hardware: add a payment method or credits, or use a CPU flavour."
            )
        if isinstance(exc, RepositoryNotFoundError) or status == 404:
            return ExternalServiceError(
                f"{action}: not found on {endpoint} ({status}){detail}. Check the repo id and repo type; "
                "a private repo also answers 404 when HF_TOKEN cannot read it."
            )
        if status == 401:
            return ExternalServiceError(
                f"{action}: {endpoint} rejected the token (401){detail}. Check HF_TOKEN: it must be a valid "
                "access token (https://huggingface.co/settings/tokens)."
            )
        if status == 403:
            return ExternalServiceError(
                f"{action}: forbidden (403){detail}. HF_TOKEN needs write access to this namespace "
                "(a 'write' token, or a fine-grained token with repo write permission)."
            )
        if status == 429:
            return ExternalServiceError(f"{action}: rate limited by the Hub (429){detail}. Retry in a few minutes.")
        if status >= 500:
            return ExternalServiceError(f"{action}: the Hub failed ({status}){detail}. Retry later.")
        return ExternalServiceError(f"{action}: the Hub answered {status}{detail}.")
    if isinstance(exc, httpx2.TransportError):
        return ExternalServiceError(
            f"{action}: cannot reach {endpoint} ({type(exc).__name__}: {exc}). Check the network and HF_ENDPOINT."
        )
    return ExternalServiceError(f"{action}: {type(exc).__name__}: {exc}")


def _is_hub_failure(exc: BaseException) -> bool:
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled

    return isinstance(exc, HfHubHTTPError | LocalTokenNotFoundError | OfflineModeIsEnabled | httpx2.TransportError)


# --- the real client ---------------------------------------------------------------------------------------


class HfApiClient:
    """`HubClient` over `huggingface_hub.HfApi`; every call maps Hub failures through `map_hub_error`."""

    def __init__(self, api: HfApi) -> None:
        self._api = api

    @property
    def endpoint(self) -> str:
        return str(self._api.endpoint)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except ExternalServiceError:
            raise
        except Exception as exc:
            if _is_hub_failure(exc):
                raise map_hub_error(exc, action, self.endpoint) from exc
            raise

    def whoami(self) -> HubIdentity:
        with self._errors("checking the Hugging Face token (whoami)"):
            data = self._api.whoami()
        orgs = [str(org.get("name")) for org in data.get("orgs", []) if isinstance(org, dict)]
        return HubIdentity(name=str(data["name"]), orgs=orgs)

    def create_repo(
        self,
        repo_id: str,
        *,
        repo_type: RepoType = "model",
        private: bool = False,
        space_sdk: str | None = None,
    ) -> str:
        with self._errors(f"creating {repo_type} repo {repo_id}"):
            url = self._api.create_repo(
                repo_id, repo_type=repo_type, private=private, exist_ok=True, space_sdk=space_sdk
            )
        return str(url)

    def create_commit(
        self,
        repo_id: str,
        files: Mapping[str, Path | bytes],
        *,
        repo_type: RepoType = "model",
        commit_message: str,
    ) -> str:
        from huggingface_hub import CommitOperationAdd

        operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=content) for path, content in files.items()]
        action = f"committing {len(operations)} file(s) to {repo_type} repo {repo_id}"
        try:
            with self._errors(action):
                info = self._api.create_commit(repo_id, operations, commit_message=commit_message, repo_type=repo_type)
        except ValueError as exc:  # the Hub's validate-yaml refused README.md
            raise ExternalServiceError(
                f"{action}: the Hub rejected the README.md front matter ({' '.join(str(exc).split())}). "
                "Re-run `intern card`."
            ) from exc
        return str(info.oid)

    def list_repo_files(self, repo_id: str, *, repo_type: RepoType = "model") -> list[RemoteFile]:
        from huggingface_hub.hf_api import RepoFile

        with self._errors(f"listing the files of {repo_type} repo {repo_id}"):
            entries = list(self._api.list_repo_tree(repo_id, recursive=True, repo_type=repo_type))
        return [
            RemoteFile(
                path=entry.path,
                size=entry.size,
                blob_id=entry.blob_id,
                lfs_sha256=entry.lfs.sha256 if entry.lfs is not None else None,
            )
            for entry in entries
            if isinstance(entry, RepoFile)
        ]

    def download_file(
        self, repo_id: str, filename: str, *, repo_type: RepoType = "model", cache_dir: Path | None = None
    ) -> Path:
        with self._errors(f"downloading {filename} from {repo_type} repo {repo_id}"):
            path = self._api.hf_hub_download(repo_id, filename, repo_type=repo_type, cache_dir=cache_dir)
        return Path(str(path))

    def snapshot_download(self, repo_id: str, *, repo_type: RepoType = "model", local_dir: Path | None = None) -> Path:
        with self._errors(f"downloading {repo_type} repo {repo_id}"):
            path = self._api.snapshot_download(repo_id, repo_type=repo_type, local_dir=local_dir)
        return Path(str(path))

    def list_datasets(
        self,
        *,
        search: str | None = None,
        filter: str | Sequence[str] | None = None,
        sort: str | None = "downloads",
        limit: int | None = 20,
    ) -> list[DatasetSummary]:
        filters = [filter] if isinstance(filter, str) else (list(filter) if filter else None)
        with self._errors(f"searching Hub datasets (search={search!r})"):
            infos = list(
                self._api.list_datasets(search=search, filter=filters, sort=sort, limit=limit, full=True)  # type: ignore[arg-type]
            )
        return [_dataset_summary(info) for info in infos]

    def dataset_info(self, repo_id: str) -> DatasetSummary:
        with self._errors(f"reading dataset {repo_id}"):
            info = self._api.dataset_info(repo_id)
        return _dataset_summary(info)

    def run_job(self, spec: JobSpec) -> JobState:
        with self._errors(f"starting a Hugging Face job on {spec.flavor}"):
            job = self._api.run_job(
                image=spec.image,
                command=spec.command,
                flavor=spec.flavor,
                env=spec.env or None,
                secrets=spec.secrets or None,
                timeout=spec.timeout,
                labels=spec.labels or None,
                namespace=spec.namespace,
            )
        return _job_state(job)

    def inspect_job(self, job_id: str, *, namespace: str | None = None) -> JobState:
        with self._errors(f"reading the status of job {job_id}"):
            job = self._api.inspect_job(job_id=job_id, namespace=namespace)
        return _job_state(job)

    def cancel_job(self, job_id: str, *, namespace: str | None = None) -> None:
        with self._errors(f"cancelling job {job_id}"):
            self._api.cancel_job(job_id=job_id, namespace=namespace)


def _dataset_summary(info: Any) -> DatasetSummary:
    card = info.card_data.to_dict() if info.card_data is not None else {}
    return DatasetSummary(
        id=info.id,
        downloads=info.downloads,
        likes=info.likes,
        tags=list(info.tags or []),
        description=info.description,
        card_data=card,
        files=[sibling.rfilename for sibling in info.siblings or []],
    )


def _job_state(job: Any) -> JobState:
    stage = job.status.stage
    return JobState(
        id=job.id,
        stage=str(getattr(stage, "value", stage)),
        message=job.status.message,
        flavor=str(getattr(job.flavor, "value", job.flavor)) if job.flavor else None,
        url=job.url,
        namespace=job.owner.name,
    )


def hub_reachable(endpoint: str, *, offline: bool, timeout_s: float = 3.0) -> bool:
    """Whether the Hugging Face Hub at `endpoint` answers (False at once when `offline`)."""
    if offline:
        return False
    url = endpoint.rstrip("/") + "/api/models?limit=1"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def make_hub_client(token: str | None, endpoint: str | None) -> HubClient:
    """Build the real client lazily; `endpoint` is passed explicitly (the default Hub when None)."""
    from huggingface_hub import HfApi

    endpoint = endpoint or DEFAULT_ENDPOINT
    api = HfApi(endpoint=endpoint.rstrip("/"), token=token, library_name="ml-intern")
    return HfApiClient(api)
