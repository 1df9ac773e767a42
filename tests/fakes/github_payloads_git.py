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


def git_tree(api: str, repo: Repo, sha: str) -> dict[str, Any]:
    entries = [
        {
            "path": path,
            "mode": "100644",
            "type": "blob",
            "sha": blob_sha,
            "size": len(repo.blobs[blob_sha]),
            "url": f"{api}/repos/{repo.full_name}/git/blobs/{blob_sha}",
        }
        for path, blob_sha in sorted(repo.trees[sha].items())
    ]
    return {
        "sha": sha,
        "url": f"{api}/repos/{repo.full_name}/git/trees/{sha}",
        "tree": entries,
        "truncated": False,
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
