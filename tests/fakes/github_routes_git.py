"""Fake GitHub routes: the git data API (refs, blobs, trees, commits) and the contents API."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from tests.fakes import github_payloads_git as P
from tests.fakes.github_router import Reply, repo_of, require, route
from tests.fakes.github_state import FakeGitHubError, now_iso

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub


@route("GET", "/repos/{owner}/{repo}/git/ref/{ref}")
def get_ref(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    ref = f"refs/{p['ref']}"
    if ref not in repo.refs:
        raise FakeGitHubError(404, "Not Found")
    return Reply(200, P.git_ref(fake.api, repo, ref))


@route("POST", "/repos/{owner}/{repo}/git/refs")
def create_ref(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    body = require(b, "ref", "sha")
    ref, sha = body["ref"], body["sha"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise FakeGitHubError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if ref in repo.refs:
        raise FakeGitHubError(422, "Reference already exists")
    if sha not in repo.commits:
        raise FakeGitHubError(422, "Object does not exist")
    repo.refs[ref] = sha
    return Reply(201, P.git_ref(fake.api, repo, ref))


@route("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}")
def update_ref(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    ref = f"refs/{p['ref']}"
    sha = require(b, "sha")["sha"]
    if ref not in repo.refs:
        raise FakeGitHubError(422, "Reference does not exist")
    if sha not in repo.commits:
        raise FakeGitHubError(422, "Object does not exist")
    if not b.get("force") and not repo.is_ancestor(repo.refs[ref], sha):
        raise FakeGitHubError(422, "Update is not a fast forward")
    repo.refs[ref] = sha
    return Reply(200, P.git_ref(fake.api, repo, ref))


@route("POST", "/repos/{owner}/{repo}/git/blobs")
def create_blob(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    body = require(b)
    content, encoding = body.get("content"), body.get("encoding", "utf-8")
    if not isinstance(content, str):
        raise FakeGitHubError(422, 'Invalid request.\n\n"content" wasn\'t supplied.')
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=True)
        except binascii.Error as exc:
            raise FakeGitHubError(422, "Invalid request: content is not valid Base64") from exc
    elif encoding == "utf-8":
        data = content.encode()
    else:
        raise FakeGitHubError(422, f"Invalid request: encoding {encoding!r} is not supported")
    return Reply(201, P.short_blob(fake.api, repo, repo.put_blob(data)))


@route("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}")
def get_blob(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    if p["file_sha"] not in repo.blobs:
        raise FakeGitHubError(404, "Not Found")
    return Reply(200, P.blob(fake.api, repo, p["file_sha"]))


@route("POST", "/repos/{owner}/{repo}/git/trees")
def create_tree(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    body = require(b, "tree")
    base = body.get("base_tree")
    if base is not None and base not in repo.trees:
        raise FakeGitHubError(422, "Invalid request: base_tree does not exist")
    entries = dict(repo.trees[base]) if base else {}
    for element in body["tree"]:
        path = element.get("path", "")
        if not path or path.startswith("/") or element.get("type") != "blob":
            raise FakeGitHubError(422, f"Invalid tree entry for path {path!r}")
        if "content" in element:
            entries[path] = repo.put_blob(str(element["content"]).encode())
        elif element.get("sha") is None:
            entries.pop(path, None)
        elif element["sha"] in repo.blobs:
            entries[path] = element["sha"]
        else:
            raise FakeGitHubError(422, f"Invalid tree info: blob {element['sha']} does not exist")
    return Reply(201, P.git_tree(fake.api, repo, repo.put_tree(entries)))


@route("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}")
def get_tree(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    """A tree SHA, a commit SHA or a branch name, as GitHub takes them; `recursive` (any value) lists every
    level, cut short at `fake.tree_limit` entries with `truncated: true`."""
    repo = repo_of(fake, p)
    commit = repo.resolve(p["tree_sha"])
    sha = repo.commits[commit].tree if commit is not None else p["tree_sha"]
    if sha not in repo.trees:
        raise FakeGitHubError(404, "Not Found")
    recursive = "recursive" in q
    return Reply(200, P.git_tree(fake.api, repo, sha, recursive, fake.tree_limit if recursive else None))


@route("POST", "/repos/{owner}/{repo}/git/commits")
def create_commit(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    body = require(b, "message", "tree")
    author = body.get("author") or {"name": login, "email": f"{login}@users.noreply.github.com"}
    signature = {"name": author["name"], "email": author["email"], "date": author.get("date") or now_iso()}
    commit = repo.put_commit(body["tree"], list(body.get("parents") or []), body["message"], signature)
    return Reply(201, P.git_commit(fake.api, repo, commit))


@route("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}")
def get_commit(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    if p["commit_sha"] not in repo.commits:
        raise FakeGitHubError(404, "Not Found")
    return Reply(200, P.git_commit(fake.api, repo, repo.commits[p["commit_sha"]]))


@route("GET", "/repos/{owner}/{repo}/contents/{path}")
def get_contents(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    repo = repo_of(fake, p)
    ref = q.get("ref") or repo.default_branch
    sha = repo.resolve(ref)
    if sha is None:
        raise FakeGitHubError(404, f"No commit found for the ref {ref}")
    tree = repo.trees[repo.commits[sha].tree]
    path = p["path"].strip("/")
    if path in tree:
        return Reply(200, P.content_file(fake.api, repo, path, ref, tree[path]))
    below = sorted({k[len(path) + 1 :].split("/", 1)[0] for k in tree if k.startswith(path + "/")})
    if not below:
        raise FakeGitHubError(404, "Not Found")
    files = [name for name in below if f"{path}/{name}" in tree]
    listing = [P.content_file(fake.api, repo, f"{path}/{n}", ref, tree[f"{path}/{n}"]) for n in files]
    dirs = P.content_directory(fake.api, repo, path, ref, [n for n in below if n not in files])
    return Reply(200, [{k: v for k, v in f.items() if k not in ("content", "encoding")} for f in listing] + dirs)
