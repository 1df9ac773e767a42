"""Routes of the fake Hugging Face Hub (`tests/fakes/hub_server.py`): one method per endpoint.

`HubRoutes` is mixed into `FakeHub`; each `_r_<name>` gets the request handler, the URL match, the query and
the body, runs under the hub's lock and returns (status, headers, body) or raises `Reply` for an error. Shapes
follow what huggingface_hub 2.x parses (hf_api.py, _commit_api.py, lfs.py, file_download.py, _jobs_api.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from tests.fakes.hub_state import (
    Blob,
    HubState,
    Repo,
    front_matter_errors,
    is_gpu_flavour,
    should_use_lfs,
    tree_oid,
)

PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_NAME = r"[\w.\-]+"
_REPO = rf"(?P<repo>{_NAME}/{_NAME})"
_API = r"/api/(?P<kind>models|datasets|spaces)/"
_FILES = r"/(?P<prefix>datasets/|spaces/)?"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), h)
    for m, p, h in [
        ("GET", r"/api/whoami-v2", "whoami"),
        ("GET", r"/api/agent-harnesses", "agent_harnesses"),
        ("POST", r"/api/repos/create", "create_repo"),
        ("POST", r"/api/validate-yaml", "validate_yaml"),
        ("GET", r"/api/datasets", "list_datasets"),
        ("POST", r"/api/jobs/(?P<ns>[\w.\-]+)", "create_job"),
        ("GET", r"/api/jobs/(?P<ns>[\w.\-]+)/(?P<job>\w+)", "get_job"),
        ("POST", r"/api/jobs/(?P<ns>[\w.\-]+)/(?P<job>\w+)/cancel", "cancel_job"),
        ("GET", rf"{_API}{_REPO}(?:/revision/(?P<rev>[^/]+))?", "repo_info"),
        ("POST", rf"{_API}{_REPO}/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", rf"{_API}{_REPO}/commit/(?P<rev>[^/]+)", "commit"),
        ("GET", rf"{_API}{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", "tree"),
        ("POST", rf"{_FILES}{_REPO}\.git/info/lfs/objects/batch", "lfs_batch"),
        ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "lfs_upload"),
        ("GET", r"/lfs-files/(?P<oid>[0-9a-f]{64})", "lfs_file"),
        ("HEAD", r"/lfs-files/(?P<oid>[0-9a-f]{64})", "lfs_file"),
        ("GET", rf"{_FILES}{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        ("HEAD", rf"{_FILES}{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
    ]
]
_SORT_KEYS = {"downloads": "downloads", "likes": "likes", "createdAt": "created_at"}
_SORT_KEYS["lastModified"] = "created_at"


class Reply(Exception):
    """Raised by a route to answer with an error status."""

    def __init__(self, status: int, error: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.headers = status, error, dict(headers or {})


def _json(data: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


class HubRoutes:
    """The endpoints; `FakeHub` provides `state` and `url`."""

    state: HubState

    @property
    def url(self) -> str:
        raise NotImplementedError

    # --- helpers -----------------------------------------------------------------------------------------

    def _authorised(self, handler: BaseHTTPRequestHandler) -> bool:
        return handler.headers.get("Authorization", "") == f"Bearer {self.state.token}"

    def _require_auth(self, handler: BaseHTTPRequestHandler) -> None:
        if not self._authorised(handler):
            raise Reply(401, "Invalid credentials in Authorization header")

    def _repo(self, handler: BaseHTTPRequestHandler, repo_type: str, repo_id: str, *, write: bool = False) -> Repo:
        if write:
            self._require_auth(handler)
        repo = self.state.repo(repo_type, repo_id)
        if repo is None or (repo.private and not self._authorised(handler)):
            raise Reply(404, "Repository not found", {"X-Error-Code": "RepoNotFound"})
        if write and not self.state.may_write(repo.author):
            raise Reply(403, f"You don't have the rights to write to {repo_id}")
        return repo

    def _repo_json(self, repo: Repo, commit_oid: str, files: Mapping[str, Blob]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.author,
            "sha": commit_oid,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": repo.downloads,
            "likes": repo.likes,
            "tags": repo.tags,
            "createdAt": repo.created_at,
            "lastModified": repo.head.created_at,
            "siblings": [{"rfilename": path} for path in sorted(files)],
        }
        if repo.card_data:
            data["cardData"] = repo.card_data
        if repo.description:
            data["description"] = repo.description
        if repo.repo_type == "space":
            data.update(sdk=repo.sdk, subdomain=repo.repo_id.replace("/", "-"))
        return data

    # --- routes (each returns status, headers, body; runs under self.lock) -------------------------------

    def _r_whoami(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        self._require_auth(h)
        orgs = [{"type": "org", "name": org, "roleInOrg": "write"} for org in self.state.orgs]
        return _json(
            {
                "type": "user",
                "id": "u-" + self.state.user,
                "name": self.state.user,
                "fullname": self.state.user,
                "orgs": orgs,
                "auth": {"type": "access_token", "accessToken": {"displayName": "fake", "role": "write"}},
            }
        )

    def _r_agent_harnesses(
        self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes
    ) -> Any:
        return _json({"standardEnvVars": [], "harnesses": {}})

    def _r_create_repo(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        self._require_auth(h)
        payload = json.loads(body)
        repo_type = payload.get("type") or "model"
        namespace = payload.get("organization") or self.state.user
        repo_id = f"{namespace}/{payload['name']}"
        url = f"{self.url}/{URL_PREFIX[repo_type]}{repo_id}"
        if not self.state.may_write(namespace):
            raise Reply(403, f"You don't have the rights to create a repo under {namespace}")
        if repo_type == "space" and payload.get("sdk") not in ("gradio", "streamlit", "docker", "static"):
            raise Reply(400, "Space sdk is required")
        if self.state.repo(repo_type, repo_id) is not None:
            return _json({"error": "You already created this repo", "url": url}, status=409)
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        self.state.create_repo(repo_type, repo_id, private=private, sdk=payload.get("sdk"))
        return _json({"url": url, "name": repo_id})

    def _r_validate_yaml(
        self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes
    ) -> Any:
        content = json.loads(body).get("content", "")
        errors = front_matter_errors(content)
        return _json({"errors": [{"message": e} for e in errors], "warnings": []}, status=400 if errors else 200)

    def _r_repo_info(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        repo = self._repo(h, PLURAL[m["kind"]], m["repo"])
        commit = repo.resolve(unquote(m["rev"] or "main"))
        if commit is None:
            raise Reply(404, "Invalid rev id", {"X-Error-Code": "RevisionNotFound"})
        return _json(self._repo_json(repo, commit.oid, commit.files))

    def _r_preupload(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        repo = self._repo(h, PLURAL[m["kind"]], m["repo"], write=True)
        answers = []
        for item in json.loads(body)["files"]:
            lfs = should_use_lfs(item["path"], int(item["size"]))
            existing = repo.files.get(item["path"])
            oid = None
            if existing is not None:
                oid = existing.lfs_sha256 if lfs else (existing.git_oid if existing.lfs_sha256 is None else None)
            answers.append(
                {
                    "path": item["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": oid,
                }
            )
        return _json({"files": answers, "commitOid": repo.head.oid})

    def _r_lfs_batch(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        repo_type = {"datasets/": "dataset", "spaces/": "space"}.get(m["prefix"] or "", "model")
        self._repo(h, repo_type, m["repo"], write=True)
        objects = []
        for obj in json.loads(body)["objects"]:
            entry: dict[str, Any] = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.state.lfs_objects:
                entry["actions"] = {"upload": {"href": f"{self.url}/lfs-upload/{obj['oid']}", "header": {}}}
            objects.append(entry)
        return (
            200,
            {"Content-Type": "application/vnd.git-lfs+json"},
            json.dumps({"transfer": "basic", "objects": objects}).encode(),
        )

    def _r_lfs_upload(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        if hashlib.sha256(body).hexdigest() != m["oid"]:
            raise Reply(400, "sha256 of the uploaded content does not match the oid")
        self.state.lfs_objects[m["oid"]] = body
        return 200, {"ETag": f'"{m["oid"]}"'}, b""

    def _r_commit(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        repo = self._repo(h, PLURAL[m["kind"]], m["repo"], write=True)
        if unquote(m["rev"]) != "main":
            raise Reply(404, "Invalid rev id", {"X-Error-Code": "RevisionNotFound"})
        files = dict(repo.files)
        summary = ""
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if key == "header":
                summary = value["summary"]
            elif key == "file":
                files[value["path"]] = Blob(base64.b64decode(value["content"]))
            elif key == "lfsFile":
                if value["oid"] not in self.state.lfs_objects:
                    raise Reply(400, f"LFS object {value['oid']} for {value['path']} was never uploaded")
                files[value["path"]] = Blob(self.state.lfs_objects[value["oid"]], lfs_sha256=value["oid"])
            elif key == "deletedFile":
                if files.pop(value["path"], None) is None:
                    raise Reply(404, "A file with this name doesn't exist", {"X-Error-Code": "EntryNotFound"})
            else:
                raise Reply(400, f"unsupported commit operation {key}")
        commit = repo.add_commit(summary, files, self.state.user)
        prefix = URL_PREFIX[repo.repo_type]
        return _json(
            {
                "success": True,
                "commitOid": commit.oid,
                "commitUrl": f"{self.url}/{prefix}{repo.repo_id}/commit/{commit.oid}",
                "pullRequestUrl": None,
            }
        )

    def _r_tree(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        repo = self._repo(h, PLURAL[m["kind"]], m["repo"])
        commit = repo.resolve(unquote(m["rev"]))
        if commit is None:
            raise Reply(404, "Invalid rev id", {"X-Error-Code": "RevisionNotFound"})
        base = (m["path"] or "").strip("/")
        recursive = q.get("recursive", ["False"])[0].lower() in ("true", "1")
        entries: dict[str, dict[str, Any]] = {}
        for path, blob in sorted(commit.files.items()):
            if base and not path.startswith(base + "/"):
                continue
            rest = path[len(base) + 1 :] if base else path
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(([base] if base else []) + parts[:depth])
                if recursive or depth == 1:
                    entries.setdefault(
                        folder, {"type": "directory", "oid": tree_oid(folder), "size": 0, "path": folder}
                    )
            if recursive or len(parts) == 1:
                entries[path] = blob.tree_entry(path)
        if base and not entries:
            raise Reply(404, f"{base} does not exist", {"X-Error-Code": "EntryNotFound"})
        return _json(list(entries.values()))

    def _r_resolve(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        repo_type = {"datasets/": "dataset", "spaces/": "space"}.get(m["prefix"] or "", "model")
        repo = self._repo(h, repo_type, m["repo"])
        commit = repo.resolve(unquote(m["rev"]))
        if commit is None:
            raise Reply(404, "Invalid rev id", {"X-Error-Code": "RevisionNotFound"})
        blob = commit.files.get(m["path"])
        if blob is None:
            raise Reply(404, "Entry not found", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit.oid})
        headers = {"X-Repo-Commit": commit.oid, "Accept-Ranges": "bytes"}
        if blob.lfs_sha256 is not None:
            headers.update(
                {
                    "Location": f"/lfs-files/{blob.lfs_sha256}?commit={commit.oid}",
                    "X-Linked-Etag": f'"{blob.lfs_sha256}"',
                    "X-Linked-Size": str(blob.size),
                    "ETag": f'"{blob.git_oid}"',
                }
            )
            return 302, headers, b""
        headers.update({"ETag": f'"{blob.git_oid}"', "Content-Type": "application/octet-stream"})
        return 200, headers, blob.data

    def _r_lfs_file(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        data = self.state.lfs_objects.get(m["oid"])
        if data is None:
            raise Reply(404, "LFS object not found")
        headers = {"ETag": f'"{m["oid"]}"', "Content-Type": "application/octet-stream"}
        if "commit" in q:
            headers["X-Repo-Commit"] = q["commit"][0]
        return 200, headers, data

    def _r_list_datasets(
        self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes
    ) -> Any:
        repos = [r for r in self.state.repos.values() if r.repo_type == "dataset" and not r.private]
        for term in q.get("search", []):
            repos = [r for r in repos if term.lower() in r.repo_id.lower()]
        for tag in q.get("filter", []):
            repos = [r for r in repos if tag in r.tags]
        for author in q.get("author", []):
            repos = [r for r in repos if r.author == author]
        sort = q.get("sort", [None])[0]
        if sort is not None:
            if sort not in _SORT_KEYS and sort != "trendingScore":
                raise Reply(400, f"invalid sort {sort}")
            attr = _SORT_KEYS.get(sort, "downloads")
            repos.sort(key=lambda r: getattr(r, attr), reverse=True)
        limit = int(q.get("limit", ["1000"])[0])
        full = q.get("full", ["False"])[0].lower() in ("true", "1") or "cardData" in q.get("expand", [])
        items = []
        for repo in repos[:limit]:
            data = self._repo_json(repo, repo.head.oid, repo.files)
            if not full:
                data.pop("cardData", None)
                data.pop("siblings", None)
            items.append(data)
        return _json(items)

    def _r_create_job(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        self._require_auth(h)
        if not self.state.may_write(m["ns"]):
            raise Reply(403, f"You cannot run jobs in {m['ns']}")
        spec = json.loads(body)
        flavour = str(spec.get("flavor") or "cpu-basic")
        if self.state.refuse_gpu_jobs and is_gpu_flavour(flavour):
            raise Reply(402, f"Payment required: no credits left to run a job on {flavour}. Add credits.")
        job = self.state.new_job(m["ns"], spec)
        return _json(job.to_json("u-" + self.state.user))

    def _r_get_job(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        self._require_auth(h)
        job = self.state.jobs.get(m["job"])
        if job is None or job.namespace != m["ns"]:
            raise Reply(404, "Job not found")
        return _json(job.to_json("u-" + self.state.user))

    def _r_cancel_job(self, h: BaseHTTPRequestHandler, m: re.Match[str], q: dict[str, list[str]], body: bytes) -> Any:
        self._require_auth(h)
        job = self.state.jobs.get(m["job"])
        if job is None or job.namespace != m["ns"]:
            raise Reply(404, "Job not found")
        job.stage = "CANCELED"
        return 200, {"Content-Type": "application/json"}, b"{}"
