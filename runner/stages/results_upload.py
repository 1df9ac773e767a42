"""Upload a project's results (`reports/`, `model/`, an optional job log) to a private Hub dataset repo.

A Hugging Face Job ends with `intern upload-results`, on success or failure, so the bot can read the reports
back from `<repo>/<path prefix>/reports/`: one `create_repo(exist_ok=True, private=True)` and ONE commit.
Training checkpoints and TensorBoard `runs/` are left out, as `intern publish` leaves them out.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict

from runner.adapters.hub import HubClient, make_hub_client
from runner.errors import ProjectError, UserInputError
from runner.schemas import MODEL_DIR, REPORTS_DIR

logger = logging.getLogger(__name__)

JOB_LOG_NAME = "job.log"
_SKIP_DIRS = ("checkpoint-", "runs")


class UploadResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    repo_id: str
    path_prefix: str
    commit: str
    files_uploaded: list[str]


def clean_prefix(path_prefix: str) -> str:
    """`path_prefix` as a relative POSIX path without `..` or a trailing slash (pure)."""
    pure = PurePosixPath(path_prefix.strip().strip("/"))
    if not pure.parts or pure.is_absolute() or ".." in pure.parts or "." in pure.parts:
        raise UserInputError(f"--path-prefix {path_prefix!r} must be a relative path like runs/42, without `..`")
    return pure.as_posix()


def _through_symlink(root: Path, path: Path) -> bool:
    """True when `path` or a folder between `root` and it is a symlink (pure filesystem check)."""
    current = path
    while current != root:
        if current.is_symlink():
            return True
        current = current.parent
    return False


def _tree(root: Path, name: str) -> dict[str, Path]:
    """Regular files under `root/name`. The stages ran the PR's code, which may leave symlinks to files of the
    job (its environment, a token file): those are never followed, so never uploaded."""
    folder = root / name
    if folder.is_symlink() or not folder.is_dir():
        return {}
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(root)
        if _through_symlink(root, path) or any(part.startswith(_SKIP_DIRS) for part in relative.parts[1:-1]):
            continue
        if path.is_file():
            files[relative.as_posix()] = path
    return files


def collect_results(project: Path, log: Path | None = None) -> dict[str, Path]:
    """Files to upload, keyed by their path under the prefix: reports/*, model/*, and the log as reports/job.log."""
    files = {**_tree(project, REPORTS_DIR), **_tree(project, MODEL_DIR)}
    if log is not None and log.is_file():
        files[f"{REPORTS_DIR}/{JOB_LOG_NAME}"] = log
    return files


def upload_results(
    client: HubClient, project: Path, repo_id: str, path_prefix: str, log: Path | None = None
) -> UploadResult:
    """Create the private dataset repo if needed and commit the results under `path_prefix` in one commit."""
    prefix = clean_prefix(path_prefix)
    files = collect_results(project, log)
    if not files:
        raise ProjectError(
            f"nothing to upload: {project}/{REPORTS_DIR} and {project}/{MODEL_DIR} are missing and no log was "
            "given. Did the stages run in this directory?"
        )
    client.create_repo(repo_id, repo_type="dataset", private=True)
    remote = {f"{prefix}/{path}": source for path, source in files.items()}
    commit = client.create_commit(
        repo_id, dict(remote), repo_type="dataset", commit_message=f"ML Intern results: {prefix}"
    )
    logger.info("uploaded %d file(s) to %s/%s", len(remote), repo_id, prefix)
    return UploadResult(repo_id=repo_id, path_prefix=prefix, commit=commit, files_uploaded=sorted(remote))


def upload_results_command(
    project: Path,
    repo_id: str,
    path_prefix: str,
    log: Path | None = None,
    token: str | None = None,
    endpoint: str | None = None,
) -> UploadResult:
    """`intern upload-results`: the real Hub client for the token and endpoint the CLI resolved."""
    if repo_id.count("/") != 1:
        raise UserInputError(f"--repo-id must look like OWNER/NAME (got {repo_id!r})")
    client = make_hub_client(token, endpoint)
    return upload_results(client, project, repo_id, path_prefix, log)
