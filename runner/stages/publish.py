"""Publish a project's model (and optionally its Gradio Space) to the Hugging Face Hub, idempotently.

For each repo: `create_repo(exist_ok=True)`, list the remote tree, compare every local file with it (sha256
for LFS files, git blob sha1 for regular files, whichever the tree reports) and make ONE commit holding the
files that differ, or no commit at all when nothing changed. Running it twice changes nothing the second time.
Remote files that are not ours (e.g. `.gitattributes`) are left alone; nothing is deleted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from runner.adapters.hub import HubClient, RemoteFile, RepoType, make_hub_client
from runner.errors import ProjectError
from runner.models.inference import read_model_info
from runner.models.portable_model import ENCODER_DIR, FEATURES_FILE, HEAD_FILE
from runner.schemas import MODEL_DIR, REPORTS_DIR
from runner.stages.card import CONFUSION_IMAGE, AppRenderer, render_space_files

logger = logging.getLogger(__name__)

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt")
_SKIP_DIRS = ("checkpoint-", "runs")


class PublishResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_url: str
    space_url: str | None = None
    model_commit: str | None = None
    space_commit: str | None = None
    files_uploaded: list[str] = []


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _content(source: Path | bytes) -> bytes:
    return source if isinstance(source, bytes) else source.read_bytes()


def changed_files(local: Mapping[str, Path | bytes], remote: list[RemoteFile]) -> list[str]:
    """Paths of `local` whose content differs from the remote tree (pure apart from reading the files)."""
    by_path = {entry.path: entry for entry in remote}
    changed = []
    for path, source in sorted(local.items()):
        entry = by_path.get(path)
        if entry is None:
            changed.append(path)
            continue
        data = _content(source)
        if entry.lfs_sha256 is not None:
            same = hashlib.sha256(data).hexdigest() == entry.lfs_sha256
        else:
            same = git_blob_sha1(data) == entry.blob_id
        if not same:
            changed.append(path)
    return changed


def linear_model_problems(model_dir: Path, features: list[str]) -> list[str]:
    """What a linear winner (head over TF-IDF and/or sentence embeddings) lacks, as `check_model_dir` words it."""
    needed = [HEAD_FILE] + ([FEATURES_FILE] if "tfidf" in features else [])
    needed += [f"{ENCODER_DIR}/modules.json", f"{ENCODER_DIR}/config.json"] if "encoder" in features else []
    return [f"{name} (written by `intern train`)" for name in needed if not (model_dir / name).is_file()]


def check_model_dir(model_dir: Path) -> None:
    """Refuse to publish a model directory that lacks what the Hub and the demo need."""
    problems = []
    if not model_dir.is_dir():
        raise ProjectError(f"{model_dir} not found: run `intern train` (it writes the model) and `intern card`")
    info = read_model_info(model_dir)
    if info.get("kind") == "linear":
        problems += linear_model_problems(model_dir, [str(f) for f in info.get("features", [])])
    elif not (model_dir / "config.json").is_file():
        problems.append("config.json (written by `intern train`)")
    if info.get("kind") != "linear":
        if not any((model_dir / name).is_file() for name in WEIGHT_FILES):
            problems.append(f"weights, one of {', '.join(WEIGHT_FILES)} (written by `intern train`)")
        if not any((model_dir / name).is_file() for name in TOKENIZER_FILES):
            problems.append(f"a tokenizer, one of {', '.join(TOKENIZER_FILES)} (written by `intern train`)")
    if not (model_dir / "README.md").is_file():
        problems.append("README.md, the model card (written by `intern card`)")
    if problems:
        raise ProjectError(f"{model_dir} is not ready to publish; missing: " + "; ".join(problems))


def model_files(project_dir: Path) -> dict[str, Path]:
    """Every file to upload to the model repo: model/ (minus hidden files and checkpoints) + the plot."""
    model_dir = project_dir / MODEL_DIR
    files: dict[str, Path] = {}
    for path in sorted(model_dir.rglob("*")):
        relative = path.relative_to(model_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if any(part.startswith(_SKIP_DIRS) for part in relative.parts[:-1]):
            continue
        files[relative.as_posix()] = path
    image = project_dir / REPORTS_DIR / CONFUSION_IMAGE
    if CONFUSION_IMAGE not in files and image.is_file():
        files[CONFUSION_IMAGE] = image
    return files


def _repo_url(endpoint: str, repo_type: RepoType, repo_id: str) -> str:
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]
    return f"{endpoint.rstrip('/')}/{prefix}{repo_id}"


def sync_repo(
    client: HubClient,
    repo_id: str,
    files: Mapping[str, Path | bytes],
    *,
    repo_type: RepoType,
    private: bool,
    commit_message: str,
) -> tuple[str | None, list[str]]:
    """Create the repo if needed and commit the changed files in one commit; (commit oid or None, paths)."""
    client.create_repo(
        repo_id, repo_type=repo_type, private=private, space_sdk="gradio" if repo_type == "space" else None
    )
    remote = client.list_repo_files(repo_id, repo_type=repo_type)
    changed = changed_files(files, remote)
    if not changed:
        logger.info("%s %s is up to date: nothing to commit", repo_type, repo_id)
        return None, []
    for path in changed:
        source = files[path]
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        logger.info("uploading %s to %s %s (%d bytes)", path, repo_type, repo_id, size)
    commit = client.create_commit(
        repo_id, {path: files[path] for path in changed}, repo_type=repo_type, commit_message=commit_message
    )
    logger.info("committed %d file(s) to %s %s: %s", len(changed), repo_type, repo_id, commit)
    return commit, changed


def publish(
    project_dir: Path,
    repo_id: str,
    space_id: str | None,
    client: HubClient,
    private: bool = False,
    render_app: AppRenderer | None = None,
) -> PublishResult:
    """Upload model/ (weights, tokenizer, config, card) and, with `space_id`, the Gradio Space, whose app.py
    the project's task renders (`render_app`, `Task.render_app`: required with a Space)."""
    if space_id is not None and render_app is None:
        raise ValueError("publishing a Space needs the project's task to render its app.py (render_app)")
    check_model_dir(project_dir / MODEL_DIR)
    files = model_files(project_dir)
    space_files = render_space_files(project_dir, repo_id, space_id, render_app) if space_id and render_app else None
    model_commit, uploaded = sync_repo(
        client,
        repo_id,
        files,
        repo_type="model",
        private=private,
        commit_message="Publish model, tokenizer and card (ML Intern)",
    )
    space_commit = None
    space_url = None
    if space_id and space_files is not None:
        space_commit, space_uploaded = sync_repo(
            client,
            space_id,
            space_files,
            repo_type="space",
            private=private,
            commit_message=f"Publish Gradio demo for {repo_id} (ML Intern)",
        )
        uploaded += [f"space:{path}" for path in space_uploaded]
        space_url = _repo_url(client.endpoint, "space", space_id)
    return PublishResult(
        model_url=_repo_url(client.endpoint, "model", repo_id),
        space_url=space_url,
        model_commit=model_commit,
        space_commit=space_commit,
        files_uploaded=uploaded,
    )


def publish_command(
    project_dir: Path,
    repo_id: str,
    space_id: str | None,
    token: str | None,
    endpoint: str | None,
    private: bool,
    render_app: AppRenderer | None = None,
) -> PublishResult:
    """`intern publish` with the token and endpoint the CLI resolved (the option, else HF_TOKEN / HF_ENDPOINT) and,
    for a Space, the project's task's `render_app`."""
    if "/" not in repo_id or (space_id is not None and "/" not in space_id):
        raise ProjectError(f"repo ids must look like OWNER/NAME (got {repo_id!r}, space {space_id!r})")
    client = make_hub_client(token, endpoint)
    return publish(project_dir, repo_id, space_id, client, private=private, render_app=render_app)
