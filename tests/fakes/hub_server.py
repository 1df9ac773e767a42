"""A fake Hugging Face Hub on 127.0.0.1 that the real `huggingface_hub` 2.x client talks to over HTTP.

It speaks the wire protocol read from huggingface_hub's own source (hf_api.py, _commit_api.py, lfs.py,
file_download.py, _jobs_api.py): whoami-v2, repo create (409 when it exists), repo info, validate-yaml,
preupload, LFS batch + basic PUT upload, NDJSON commits, tree listing, resolve (HEAD/GET with ETag,
X-Repo-Commit, Content-Length; LFS files answer 302 + X-Linked-Etag/X-Linked-Size), dataset search and info,
and the Jobs API (create, inspect, cancel), which answers 402 for GPU flavours when `refuse_gpu_jobs` is set.
Write routes and private repos need `Authorization: Bearer <token>`, else 401.

Use it as a context manager (`with FakeHub() as hub:`) or through the pytest fixture `fake_hub`. While it
runs,
huggingface_hub's offline switch (set by tests/conftest.py) is lifted and Xet uploads are disabled, so uploads
take the LFS path this server implements; both are restored on exit. `hub.env` gives the same settings for
subprocesses.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from tests.fakes.hub_routes import ROUTES, HubRoutes, Reply
from tests.fakes.hub_state import Blob, HubState, Repo, should_use_lfs


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v for k, v in parse_qs(split.query).items()}
        body = self._body() if method in ("POST", "PUT") else b""
        hub = self.server.hub
        with hub.lock:
            hub.state.requests.append((method, path))
        for route_method, pattern, name in ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                try:
                    with hub.lock:
                        status, headers, payload = getattr(hub, f"_r_{name}")(self, match, query, body)
                except Reply as reply:
                    status, headers = reply.status, {"X-Error-Message": reply.error, **reply.headers}
                    payload = json.dumps({"error": reply.error}).encode()
                    headers.setdefault("Content-Type", "application/json")
                self._send(method, status, headers, payload)
                return
        self._send(method, 404, {"Content-Type": "application/json"}, b'{"error": "no such route"}')

    def _send(self, method: str, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: FakeHub


class FakeHub(HubRoutes):
    """The server plus its `state`; `url` and `token` are what a client needs."""

    def __init__(self, state: HubState | None = None) -> None:
        self.state = state or HubState()
        self.lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._saved: dict[str, Any] = {}

    # --- lifecycle ---------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeHub is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def env(self) -> dict[str, str]:
        """Environment for a subprocess that should talk to this fake."""
        return {
            "HF_ENDPOINT": self.url,
            "HF_TOKEN": self.token,
            "HF_HUB_OFFLINE": "0",
            "HF_HUB_DISABLE_XET": "1",
        }

    def __enter__(self) -> FakeHub:
        from huggingface_hub import constants

        self._saved = {
            "HF_HUB_OFFLINE": constants.HF_HUB_OFFLINE,
            "HF_HUB_DISABLE_XET": constants.HF_HUB_DISABLE_XET,
        }
        constants.HF_HUB_OFFLINE = False
        constants.HF_HUB_DISABLE_XET = True
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        from huggingface_hub import constants

        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for key, value in self._saved.items():
            setattr(constants, key, value)

    # --- seeding and inspection --------------------------------------------------------------------------

    def add_dataset(
        self,
        repo_id: str,
        card_data: Mapping[str, Any] | None = None,
        files: Mapping[str, bytes | str] | None = None,
        downloads: int = 0,
        tags: list[str] | None = None,
        *,
        likes: int = 0,
        description: str | None = None,
    ) -> Repo:
        """Seed a public dataset repo (README.md built from `card_data`) for search and info calls."""
        card = dict(card_data or {})
        with self.lock:
            repo = self.state.create_repo("dataset", repo_id)
            readme = "---\n" + yaml.safe_dump(card, sort_keys=False) + "---\n\n" + (description or f"# {repo_id}\n")
            blobs = dict(repo.files)
            blobs["README.md"] = Blob(readme.encode())
            for path, content in (files or {}).items():
                data = content.encode() if isinstance(content, str) else content
                blobs[path] = self._blob(path, data)
            repo.add_commit("add dataset", blobs, self.state.user)
            repo.card_data, repo.downloads, repo.likes, repo.description = card, downloads, likes, description
            repo.tags = _card_tags(card) + list(tags or [])
            return repo

    def commits(self, repo_id: str, repo_type: str = "model") -> list[str]:
        """Commit messages of a repo, oldest first (the creation commit included)."""
        return [commit.message for commit in self.state.commits(repo_type, repo_id)]

    def files(self, repo_id: str, repo_type: str = "model") -> dict[str, bytes]:
        repo = self.state.repo(repo_type, repo_id)
        return {path: blob.data for path, blob in repo.files.items()} if repo else {}

    def _blob(self, path: str, data: bytes) -> Blob:
        if should_use_lfs(path, len(data)):
            sha = hashlib.sha256(data).hexdigest()
            self.state.lfs_objects[sha] = data
            return Blob(data, lfs_sha256=sha)
        return Blob(data)


def _card_tags(card: Mapping[str, Any]) -> list[str]:
    """Tags the Hub derives from a dataset card (task_categories:..., license:..., plus plain `tags`)."""
    tags: list[str] = []
    for key in ("task_categories", "task_ids", "language", "license", "size_categories", "multilinguality"):
        values = card.get(key)
        for value in [values] if isinstance(values, str) else list(values or []):
            tags.append(f"{key}:{value}")
    tags.extend(str(tag) for tag in card.get("tags") or [])
    return tags


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    """A running fake Hub; `fake_hub.url`, `fake_hub.token`, `fake_hub.state`, `fake_hub.add_dataset(...)`."""
    with FakeHub() as hub:
        yield hub


__all__ = ["FakeHub", "HubState", "fake_hub"]
