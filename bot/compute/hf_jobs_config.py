"""What the `hf-jobs` job may be given, checked without the rest of the backend (issue #17, M3): its own token,
never the bot's main one, and a hash-pinned lock of what it installs. `bot.settings` checks both at `serve`."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bot.errors import ComputeError, ConfigurationError

RESULTS_REPO_NAME = "intern-runs"


def job_token(jobs_token: SecretStr | None, main_token: SecretStr | None) -> str:
    """The token the job uploads its results with: `INTERN_HF_JOBS_TOKEN`, never the bot's main token (which
    can publish every tenant's models); a ComputeError without one."""
    token = jobs_token.get_secret_value() if jobs_token is not None else ""
    main = main_token.get_secret_value() if main_token is not None else None
    if not token or token == main:
        raise ComputeError(
            "hf-jobs needs INTERN_HF_JOBS_TOKEN: a fine-grained token that can write only the results repo "
            f"(<namespace>/{RESULTS_REPO_NAME}), other than INTERN_HF_TOKEN"
        )
    return token


def read_lock(path: Path) -> str:
    """A hash-pinned requirements file (`pip-compile --generate-hashes`): every requirement has a sha256 hash."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"INTERN_HF_JOBS_REQUIREMENTS={path} cannot be read: {exc}") from None
    unhashed = [line for line in _requirements(text) if "--hash=sha256:" not in line]
    if unhashed:
        raise ConfigurationError(
            f"INTERN_HF_JOBS_REQUIREMENTS={path}: requirement(s) without a sha256 hash: {unhashed[:3]}"
        )
    return text


def _requirements(text: str) -> list[str]:
    """The requirement entries of a requirements file, continuation lines joined, comments dropped (pure)."""
    joined = text.replace("\\\n", " ")
    lines = (line.split(" #", 1)[0].strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]
