"""Reading GitHub's git tree answers (pure): sub-trees one level down, regular files of a recursive listing, and
a truncated answer refused rather than read as a partial list."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import GitHubError, GitHubTreeTruncated
from bot.gateway import RepoFile
from bot.github_tree import files_under, subtree_sha


def tree(*entries: dict[str, Any], truncated: bool = False) -> dict[str, Any]:
    return {"sha": "t", "url": "u", "tree": list(entries), "truncated": truncated}


def blob(path: str, size: int = 1, mode: str = "100644") -> dict[str, Any]:
    return {"path": path, "mode": mode, "type": "blob", "sha": f"sha-{path}", "size": size}


def folder(path: str) -> dict[str, Any]:
    return {"path": path, "mode": "040000", "type": "tree", "sha": f"tree-{path}"}


def test_files_under_keeps_regular_files_with_their_full_paths() -> None:
    answer = tree(
        folder("red"),
        blob("red/b.png", 20),
        blob("red/a.png", 10),
        blob("run.sh", 3, mode="100755"),
        blob("link.png", mode="120000"),  # a symlink
        {"path": "vendored", "mode": "160000", "type": "commit", "sha": "c"},  # a submodule
    )
    assert files_under(answer, "data/photos", "listing") == [
        RepoFile(path="data/photos/red/a.png", size=10, sha="sha-red/a.png"),
        RepoFile(path="data/photos/red/b.png", size=20, sha="sha-red/b.png"),
        RepoFile(path="data/photos/run.sh", size=3, sha="sha-run.sh"),
    ]


@pytest.mark.parametrize(
    ("answer", "name", "expected"),
    [
        (tree(folder("data"), blob("README.md")), "data", "tree-data"),
        (tree(folder("data"), blob("README.md")), "README.md", None),  # a file, not a folder
        (tree(folder("data")), "docs", None),
    ],
)
def test_subtree_sha(answer: dict[str, Any], name: str, expected: str | None) -> None:
    assert subtree_sha(answer, name, "listing") == expected


def test_a_truncated_answer_is_refused() -> None:
    with pytest.raises(GitHubTreeTruncated, match="cut the listing short"):
        files_under(tree(blob("a.png"), truncated=True), "d", "listing d")
    with pytest.raises(GitHubTreeTruncated):
        subtree_sha(tree(folder("other"), truncated=True), "data", "listing")
    assert subtree_sha(tree(folder("data"), truncated=True), "data", "listing") == "tree-data"  # found all the same


@pytest.mark.parametrize("answer", [None, [], {"tree": "no"}, "text"])
def test_an_answer_that_is_not_a_tree_is_an_error(answer: Any) -> None:
    with pytest.raises(GitHubError, match="not a git tree"):
        files_under(answer, "d", "listing")
