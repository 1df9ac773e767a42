"""Errors raised by the bot.

Hierarchy::

    BotError                        base; never raised directly
    ├── ConfigurationError          settings missing or invalid: `intern-bot serve` refuses to start
    ├── WebhookRejected             the edge refuses a delivery; carries the HTTP status
    │   ├── MalformedPayloadError   400: not JSON, or not the shape of the event it claims to be
    │   ├── SignatureError          401: missing or wrong X-Hub-Signature-256
    │   └── PayloadTooLargeError    413: body over the configured limit
    ├── CommandError                a user mistake in a command: becomes a helpful reply, never a crash
    │   ├── NotAllowedError         the sender lacks write/admin permission
    │   └── BudgetExceededError     the projected cost or time is over a cap
    ├── IllegalTransitionError      a run state change the state machine forbids (a bug or a stale event)
    ├── GitHubError                 any failed GitHub call; `.status` is the HTTP status if there was one
    │   ├── GitHubNotFound          404/410: no such repo, issue, ref, run or artifact (or it is hidden)
    │   ├── GitHubForbidden         401/403: bad credentials, or the App lacks a permission
    │   ├── GitHubRateLimited       403/429 rate limits, after the configured retries
    │   └── GitHubConflict          409/422: not a fast-forward, ref exists, PR exists, validation failed
    └── ComputeError                a compute backend failed to start or finish a job
        └── ComputeRefusedError     the backend refused to run it (HTTP 402, no credits, quota)

Every message says what happened and what to do about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigurationError(BotError):
    """A setting is missing or unusable; the message names the environment variable."""


class WebhookRejected(BotError):
    """The webhook edge refuses a delivery."""

    status_code = 400


class MalformedPayloadError(WebhookRejected):
    status_code = 400


class SignatureError(WebhookRejected):
    status_code = 401


class PayloadTooLargeError(WebhookRejected):
    status_code = 413


class CommandError(BotError):
    """Something the user typed cannot be done; the message is posted back to them."""


class NotAllowedError(CommandError):
    """The sender may not run this command."""


class BudgetExceededError(CommandError):
    """The run would cost more (money or hours) than the repository or the bot allows."""


class IllegalTransitionError(BotError):
    """A run cannot move from its current state to the requested one."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a run in state {current!r} cannot move to {target!r}")
        self.current = current
        self.target = target


class ComputeError(BotError):
    """A compute backend failed."""


class ComputeRefusedError(ComputeError):
    """The backend refused the job (HTTP 402, no credits, quota): fall back to CPU."""


class GitHubError(BotError):
    """A GitHub call failed; the message says what was tried and what to check."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubNotFound(GitHubError):
    """404/410: the object does not exist, or the App's installation cannot see it."""


class GitHubFileTooLarge(GitHubError):
    """A file is bigger than the caller's byte cap: refused before its content is downloaded."""


class GitHubForbidden(GitHubError):
    """401/403: bad credentials, or the App lacks a permission on the repository."""


class GitHubRateLimited(GitHubError):
    """403/429 rate limit that outlasted the retries; try again after `retry_after_s` when known."""

    def __init__(self, message: str, status: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after_s = retry_after_s


class GitHubConflict(GitHubError):
    """409/422: the request conflicts with the repository's state or fails GitHub's validation."""


def response_header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    found = [str(v) for k, v in (headers or {}).items() if k.lower() == name]
    return found[0] if found else None


def is_rate_limit(status: int, headers: Mapping[str, Any] | None, message: str) -> bool:
    remaining = response_header(headers, "x-ratelimit-remaining")
    limited = remaining == "0" or response_header(headers, "retry-after") is not None
    return status == 429 or (status == 403 and (limited or "rate limit" in message.lower()))


_BY_STATUS: Mapping[int, tuple[type[GitHubError], str]] = {
    401: (GitHubForbidden, "bad credentials: check INTERN_GITHUB_APP_ID and the App's private key"),
    403: (
        GitHubForbidden,
        "forbidden: check the App's permissions and that the installation covers the repo",
    ),
    404: (GitHubNotFound, "not found: check the name, and that the App is installed on the repository"),
    409: (GitHubConflict, "conflict with the repository's current state"),
    410: (GitHubNotFound, "not found: gone or expired"),
    422: (GitHubConflict, "conflict with the repository's current state, or invalid input"),
}


def error_for_status(status: int, message: str, headers: Mapping[str, Any] | None = None) -> GitHubError:
    """The typed error for an HTTP failure. Pure: `message` must already be free of secrets."""
    if is_rate_limit(status, headers, message):
        retry_after = response_header(headers, "retry-after")
        return GitHubRateLimited(
            f"{message} (rate limited; the request was retried with backoff and can be retried later)",
            status,
            float(retry_after) if retry_after and retry_after.isdigit() else None,
        )
    kind, hint = _BY_STATUS.get(status, (GitHubError, f"GitHub answered HTTP {status}"))
    return kind(f"{message} ({hint})", status)
