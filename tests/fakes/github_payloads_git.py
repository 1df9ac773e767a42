"""JSON bodies of the fake GitHub's git data and contents APIs (refs, blobs, trees, commits, files)."""

from __future__ import annotations

import base64
from typing import Any

from tests.fakes.github_payloads import HTML, stable_id
from tests.fakes.github_state import Commit, Repo


def git_ref(api: str, repo: Repo, ref: str) -> dict[str, Any]:
    sha = repo.refs[ref]
    return {
        "ref": ref,
        "node_id": f"REF_{stable_id(repo.full_name + ref)}",
        "url": f"{api}/repos/{repo.full_name}/git/{ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{api}/repos/{repo.full_name}/git/commits/{sha}"},
    }


def short_blob(api: str, repo: Repo, sha: str) -> dict[str, Any]:
    return {"url": f"{api}/repos/{repo.full_name}/git/blobs/{sha}", "sha": sha}


def blob(api: str, repo: Repo, sha: str) -> dict[str, Any]:
    data = repo.blobs[sha]
    return {
        **short_blob(api, repo, sha),
        "node_id": f"B_{sha[:12]}",
        "size": len(data),
        "content": encode_content(data),
        "encoding": "base64",
    }


def git_tree(api: str, repo: Repo, sha: str, recursive: bool = False, limit: int | None = None) -> dict[str, Any]:
    """A tree as GitHub answers it: its top level (blobs and sub-trees), or with `recursive` every blob and every
    sub-tree at any depth; over `limit` entries the list is cut and `truncated` is true. The fake keeps trees
    flat (full paths), so a sub-tree is stored on demand from the paths under it."""
    flat = repo.trees[sha]
    folders = sorted(_parents(flat))
    if not recursive:
        folders = [folder for folder in folders if "/" not in folder]
    files = sorted(flat) if recursive else sorted(path for path in flat if "/" not in path)
    entries = [_blob_entry(api, repo, path, flat[path]) for path in files]
    for folder in folders:
        below = {path[len(folder) + 1 :]: blob for path, blob in flat.items() if path.startswith(folder + "/")}
        subtree = repo.put_tree(below)
        url = f"{api}/repos/{repo.full_name}/git/trees/{subtree}"
        entries.append({"path": folder, "mode": "040000", "type": "tree", "sha": subtree, "url": url})
    entries.sort(key=lambda entry: entry["path"])
    truncated = limit is not None and len(entries) > limit
    return {
        "sha": sha,
        "url": f"{api}/repos/{repo.full_name}/git/trees/{sha}",
        "tree": entries[:limit] if truncated else entries,
        "truncated": truncated,
    }


def _parents(flat: dict[str, str]) -> set[str]:
    """Every folder that holds a file, at any depth (`a/b/c.txt` -> `a`, `a/b`)."""
    parts = (path.split("/")[:-1] for path in flat)
    return {"/".join(folder[:depth]) for folder in parts for depth in range(1, len(folder) + 1)}


def _blob_entry(api: str, repo: Repo, path: str, blob_sha: str) -> dict[str, Any]:
    return {
        "path": path,
        "mode": "100644",
        "type": "blob",
        "sha": blob_sha,
        "size": len(repo.blobs[blob_sha]),
        "url": f"{api}/repos/{repo.full_name}/git/blobs/{blob_sha}",
    }


def git_commit(api: str, repo: Repo, item: Commit) -> dict[str, Any]:
    base = f"{api}/repos/{repo.full_name}/git"
    return {
        "sha": item.sha,
        "node_id": f"C_{item.sha[:12]}",
        "url": f"{base}/commits/{item.sha}",
        "html_url": f"{HTML}/{repo.full_name}/commit/{item.sha}",
        "author": item.author,
        "committer": item.committer,
        "message": item.message,
        "tree": {"sha": item.tree, "url": f"{base}/trees/{item.tree}"},
        "parents": [
            {"sha": p, "url": f"{base}/commits/{p}", "html_url": f"{HTML}/{repo.full_name}/commit/{p}"}
            for p in item.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def encode_content(data: bytes) -> str:
    """Base64 wrapped at 60 characters, as the contents and blobs APIs send it."""
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def content_file(api: str, repo: Repo, path: str, ref: str, blob_sha: str) -> dict[str, Any]:
    data = repo.blobs[blob_sha]
    large = len(data) > 1024 * 1024
    url = f"{api}/repos/{repo.full_name}/contents/{path}?ref={ref}"
    html = f"{HTML}/{repo.full_name}/blob/{ref}/{path}"
    git = f"{api}/repos/{repo.full_name}/git/blobs/{blob_sha}"
    return {
        "type": "file",
        "encoding": "none" if large else "base64",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": "" if large else encode_content(data),
        "sha": blob_sha,
        "url": url,
        "git_url": git,
        "html_url": html,
        "download_url": f"{HTML}/raw/{repo.full_name}/{ref}/{path}",
        "_links": {"self": url, "git": git, "html": html},
    }


def content_directory(api: str, repo: Repo, path: str, ref: str, names: list[str]) -> list[dict[str, Any]]:
    base = f"{api}/repos/{repo.full_name}/contents"
    items = []
    for name in names:
        full = f"{path}/{name}".strip("/")
        html = f"{HTML}/{repo.full_name}/tree/{ref}/{full}"
        items.append(
            {
                "type": "dir",
                "size": 0,
                "name": name,
                "path": full,
                "sha": "0" * 40,
                "url": f"{base}/{full}?ref={ref}",
                "git_url": None,
                "html_url": html,
                "download_url": None,
                "_links": {"self": f"{base}/{full}?ref={ref}", "git": None, "html": html},
            }
        )
    return items


def login_for_email(email: str) -> str | None:
    """The account GitHub would attribute a commit to: `<login>@users.noreply.github.com` or the fake's
    `<login>@example.com`; None for an address no account claims."""
    for suffix in ("@users.noreply.github.com", "@example.com"):
        if email.endswith(suffix):
            return email.removesuffix(suffix).split("+")[-1]
    return None


def pull_commit(api: str, repo: Repo, item: Commit) -> dict[str, Any]:
    """An entry of `GET /repos/{owner}/{repo}/pulls/{pull_number}/commits` (the `commit` schema)."""
    from tests.fakes.github_payloads import user

    base = f"{api}/repos/{repo.full_name}"
    author, committer = login_for_email(item.author["email"]), login_for_email(item.committer["email"])
    return {
        "sha": item.sha,
        "node_id": f"C_{item.sha[:12]}",
        "url": f"{base}/commits/{item.sha}",
        "html_url": f"{HTML}/{repo.full_name}/commit/{item.sha}",
        "comments_url": f"{base}/commits/{item.sha}/comments",
        "commit": {
            "url": f"{base}/git/commits/{item.sha}",
            "author": item.author,
            "committer": item.committer,
            "message": item.message,
            "comment_count": 0,
            "tree": {"sha": item.tree, "url": f"{base}/git/trees/{item.tree}"},
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": user(api, author) if author else None,
        "committer": user(api, committer) if committer else None,
        "parents": [
            {"sha": p, "url": f"{base}/commits/{p}", "html_url": f"{HTML}/{repo.full_name}/commit/{p}"}
            for p in item.parents
        ],
    }
