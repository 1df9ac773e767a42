"""In-memory state of the fake Hugging Face Hub (see `tests/fakes/hub_server.py`).

Repos keep their whole commit history as file snapshots, so any revision (branch `main` or a commit sha)
resolves. Files the real Hub would store in LFS (weights, images, anything over 10 MB) are LFS files here too:
their content lives in `HubState.lfs_objects`, keyed by sha256, and the tree reports their pointer's git sha1.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

LFS_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".onnx",
    ".h5",
    ".msgpack",
    ".png",
    ".jpg",
    ".parquet",
    ".arrow",
)
LFS_MIN_SIZE = 10 * 1024 * 1024
GPU_PREFIXES = ("t4", "l4", "l40s", "a10g", "a100", "h100", "h200", "rtx", "zero")
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
_counter = itertools.count(1)


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def should_use_lfs(path: str, size: int) -> bool:
    return path.lower().endswith(LFS_SUFFIXES) or size >= LFS_MIN_SIZE


def is_gpu_flavour(flavour: str) -> bool:
    return flavour.lower().startswith(GPU_PREFIXES)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(frozen=True)
class Blob:
    """A committed file: `data` for regular files; LFS files carry their sha256 and size."""

    data: bytes
    lfs_sha256: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def git_oid(self) -> str:
        if self.lfs_sha256 is not None:
            return git_blob_sha1(lfs_pointer(self.lfs_sha256, self.size))
        return git_blob_sha1(self.data)

    def tree_entry(self, path: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "oid": self.git_oid, "size": self.size, "path": path}
        if self.lfs_sha256 is not None:
            pointer = lfs_pointer(self.lfs_sha256, self.size)
            entry["lfs"] = {"oid": self.lfs_sha256, "size": self.size, "pointerSize": len(pointer)}
        return entry


@dataclass(frozen=True)
class Commit:
    oid: str
    message: str
    files: dict[str, Blob]
    author: str
    created_at: str


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool = False
    sdk: str | None = None
    commits: list[Commit] = field(default_factory=list)
    downloads: int = 0
    likes: int = 0
    tags: list[str] = field(default_factory=list)
    card_data: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    created_at: str = field(default_factory=now_iso)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    @property
    def files(self) -> dict[str, Blob]:
        """The files at the head of `main`."""
        return self.head.files

    def file_bytes(self, path: str) -> bytes:
        return self.files[path].data

    def resolve(self, revision: str) -> Commit | None:
        if revision == "main":
            return self.head
        for commit in self.commits:
            if commit.oid == revision or (len(revision) >= 7 and commit.oid.startswith(revision)):
                return commit
        return None

    def add_commit(self, message: str, files: dict[str, Blob], author: str) -> Commit:
        seed = f"{self.repo_type}/{self.repo_id}/{next(_counter)}/{message}".encode()
        commit = Commit(hashlib.sha1(seed).hexdigest(), message, files, author, now_iso())
        self.commits.append(commit)
        return commit

    @property
    def author(self) -> str:
        return self.repo_id.split("/", 1)[0]


@dataclass
class Job:
    id: str
    namespace: str
    flavor: str
    docker_image: str | None
    command: list[str]
    environment: dict[str, str]
    labels: dict[str, str]
    stage: str = "SCHEDULING"
    message: str | None = None
    created_at: str = field(default_factory=now_iso)

    def to_json(self, owner_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "createdAt": self.created_at,
            "dockerImage": self.docker_image,
            "command": self.command,
            "arguments": [],
            "environment": self.environment,
            "secrets": {},
            "flavor": self.flavor,
            "labels": self.labels,
            "status": {"stage": self.stage, "message": self.message},
            "owner": {"id": owner_id, "name": self.namespace, "type": "user"},
        }


@dataclass
class HubState:
    """Everything the fake Hub knows; tests read and seed it directly."""

    user: str = "intern-user"
    orgs: list[str] = field(default_factory=lambda: ["intern-org"])
    token: str = "hf_fake_write_token"
    repos: dict[tuple[str, str], Repo] = field(default_factory=dict)
    lfs_objects: dict[str, bytes] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    refuse_gpu_jobs: bool = False

    def repo(self, repo_type: str, repo_id: str) -> Repo | None:
        return self.repos.get((repo_type, repo_id))

    def create_repo(self, repo_type: str, repo_id: str, *, private: bool = False, sdk: str | None = None) -> Repo:
        repo = Repo(repo_type=repo_type, repo_id=repo_id, private=private, sdk=sdk)
        repo.add_commit("initial commit", {".gitattributes": Blob(GITATTRIBUTES)}, self.user)
        self.repos[(repo_type, repo_id)] = repo
        return repo

    def commits(self, repo_type: str, repo_id: str) -> list[Commit]:
        repo = self.repo(repo_type, repo_id)
        return list(repo.commits) if repo else []

    def may_write(self, namespace: str) -> bool:
        return namespace == self.user or namespace in self.orgs

    def new_job(self, namespace: str, spec: dict[str, Any]) -> Job:
        job_id = hashlib.sha1(f"job{next(_counter)}".encode()).hexdigest()[:24]
        job = Job(
            id=job_id,
            namespace=namespace,
            flavor=str(spec.get("flavor") or "cpu-basic"),
            docker_image=spec.get("dockerImage"),
            command=list(spec.get("command") or []),
            environment=dict(spec.get("environment") or {}),
            labels=dict(spec.get("labels") or {}),
        )
        self.jobs[job_id] = job
        return job

    def set_job_stage(self, job_id: str, stage: str, message: str | None = None) -> None:
        job = self.jobs[job_id]
        job.stage = stage
        job.message = message


def tree_oid(path: str) -> str:
    return hashlib.sha1(("tree " + path).encode()).hexdigest()


def front_matter_errors(content: str) -> list[str]:
    """What the Hub's validate-yaml would reject: unparsable front matter or a malformed model-index."""
    if not content.startswith("---"):
        return []
    parts = content.split("---", 2)
    if len(parts) < 3:
        return ["front matter is not closed with ---"]
    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as exc:
        return [f"invalid YAML: {exc}"]
    if not isinstance(meta, dict):
        return ["front matter must be a mapping"]
    errors = []
    for entry in meta.get("model-index") or []:
        if not entry.get("name"):
            errors.append('"model-index[0].name" is required')
        for result in entry.get("results") or []:
            if not (result.get("task", {}).get("type") and result.get("dataset", {}).get("name")):
                errors.append('"model-index[].results[]" needs task.type and dataset.name')
            for metric in result.get("metrics") or []:
                if "type" not in metric or "value" not in metric:
                    errors.append('"model-index[].results[].metrics[]" needs type and value')
    return errors
