"""`dataset=` naming a folder of the repository (an image dataset: one sub-folder per class): every file under it
copied into the bot's scratch dir, for the runner to detect and inspect like any local folder.

The folder is listed once (`GitHubGateway.list_folder`, sizes included) and both caps are checked on that
listing, before a single file is downloaded: at most `max_files` files (each is one GitHub request to plan and
one to train locally) and `max_bytes` bytes in all. Files kept in Git LFS reach the bot as pointer files (GitHub's
API serves the pointer, not the content), so a dataset that is mostly pointers is refused with what to do,
rather than handed to the runner, whose advice (`git lfs pull`) is for a local checkout.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from bot.errors import CommandError, GitHubFileTooLarge
from bot.gateway import GitHubGateway, RepoFile

# The first line of every Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
DEFAULT_MAX_FILES = 2000


def check_folder_caps(folder: str, files: list[RepoFile], max_bytes: int | None, max_files: int) -> None:
    """CommandError when the listed folder holds more than `max_files` files or `max_bytes` bytes (pure)."""
    if len(files) > max_files:
        raise CommandError(
            f"`{folder}` holds {len(files)} files, over the {max_files}-file limit of this bot "
            "(INTERN_MAX_DATASET_FILES): give a smaller folder, or put the dataset on the Hugging Face Hub and "
            "give `dataset=owner/name`"
        )
    total = sum(file.size for file in files)
    if max_bytes is not None and total > max_bytes:
        raise CommandError(
            f"`{folder}` holds {total} bytes in {len(files)} files, over the {max_bytes}-byte limit of this bot "
            "(INTERN_MAX_DATASET_BYTES): give a smaller folder, or put the dataset on the Hugging Face Hub and "
            "give `dataset=owner/name`"
        )


def lfs_refusal(dataset: str, pointers: list[str], total: int) -> CommandError:
    """What to do when the repository keeps the dataset in Git LFS (the bot reads the pointers only)."""
    pattern = f"{dataset}/**" if total > 1 else dataset
    return CommandError(
        f"`{dataset}` holds Git LFS pointer files, not the data ({len(pointers)} of {total} files, e.g. "
        f"`{pointers[0]}`): this repository stores them with Git LFS, and GitHub's API gives the bot the "
        "pointers, never their content. Commit the files themselves (`git lfs untrack "
        f"'{pattern}'`, then `git add --renormalize {dataset}` and push), or put the dataset on the Hugging Face "
        "Hub and give `dataset=owner/name`"
    )


def is_lfs_pointer(content: bytes) -> bool:
    return content.startswith(LFS_POINTER)


def fetch_folder(
    gateway: GitHubGateway,
    repo: str,
    ref: str,
    folder: str,
    files: list[RepoFile],
    scratch: Path,
    *,
    max_bytes: int | None,
    max_files: int,
) -> Path:
    """Copy the listed `files` of `folder` under `scratch/<folder's name>/` (caps first, then the downloads; a
    mostly-LFS folder is refused once read); returns that local folder."""
    check_folder_caps(folder, files, max_bytes, max_files)
    local = scratch / PurePosixPath(folder).name
    pointers: list[str] = []
    for file in files:
        relative = PurePosixPath(file.path).relative_to(folder)
        if ".." in relative.parts:  # git allows no such path; never write outside the scratch dir all the same
            raise CommandError(f"`{file.path}` is not a path this bot can copy")
        try:
            content = gateway.read_file(repo, file.path, ref, max_bytes=max_bytes)
        except GitHubFileTooLarge:
            raise CommandError(f"`{file.path}` grew over the limit of this bot while it was read: try again") from None
        if content is None:
            raise CommandError(f"`{file.path}` left `{ref}` while the bot read the folder: try again")
        if is_lfs_pointer(content):
            pointers.append(file.path)
        target = local / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
    if pointers and 2 * len(pointers) >= len(files):
        raise lfs_refusal(folder, pointers, len(files))
    return local
