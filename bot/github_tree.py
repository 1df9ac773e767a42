"""GitHub's answers to git tree listings (`GET /repos/{o}/{r}/git/trees/{sha}`, `?recursive=1`), read without any
network (pure): the sub-tree one level down, and the regular files of a folder's recursive listing. An answer
GitHub cut short (`truncated: true`) is GitHubTreeTruncated, never a partial list."""

from __future__ import annotations

import re
from typing import Any

from bot.errors import GitHubError, GitHubTreeTruncated
from bot.gateway import RepoFile

COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
REGULAR_FILE_MODES = frozenset({"100644", "100755"})  # not 120000 (a symlink) nor 160000 (a submodule)


def _entries(tree: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(tree, dict) or not isinstance(tree.get("tree"), list):
        raise GitHubError(f"{what}: GitHub's answer is not a git tree")
    return [entry for entry in tree["tree"] if isinstance(entry, dict)]


def _truncated(what: str) -> GitHubTreeTruncated:
    return GitHubTreeTruncated(
        f"{what}: GitHub cut the listing short (`truncated`: over 100,000 entries or 7 MB), so the folder "
        "cannot be listed whole"
    )


def subtree_sha(tree: Any, name: str, what: str) -> str | None:
    """The SHA of the folder `name` in a tree's top level, None when it has none (or `name` is a file)."""
    for entry in _entries(tree, what):
        if entry.get("path") == name:
            return str(entry["sha"]) if entry.get("type") == "tree" else None
    if tree.get("truncated"):
        raise _truncated(what)
    return None


def files_under(tree: Any, folder: str, what: str) -> list[RepoFile]:
    """The regular files of `folder`'s recursive listing, with their paths from the repository's root, sorted."""
    entries = _entries(tree, what)
    if tree.get("truncated"):
        raise _truncated(what)
    files = [
        RepoFile(path=f"{folder}/{entry['path']}", size=int(entry.get("size") or 0), sha=str(entry["sha"]))
        for entry in entries
        if entry.get("type") == "blob" and entry.get("mode") in REGULAR_FILE_MODES
    ]
    return sorted(files, key=lambda file: file.path)
