"""The adapter's pure parts: HTTP failures to typed errors, and the retry policy."""

from __future__ import annotations

import pytest

from bot.errors import (
    BotError,
    GitHubConflict,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimited,
    error_for_status,
)
from bot.github import ClientOptions, build_retry


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected", "hint"),
    [
        (404, {}, "Not Found", GitHubNotFound, "App is installed"),
        (410, {}, "Artifact has expired", GitHubNotFound, "not found"),
        (401, {}, "Bad credentials", GitHubForbidden, "INTERN_GITHUB_APP_ID"),
        (403, {}, "Resource not accessible by integration", GitHubForbidden, "permissions"),
        (403, {"X-RateLimit-Remaining": "0"}, "API rate limit exceeded", GitHubRateLimited, "retried"),
        (403, {"Retry-After": "30"}, "secondary", GitHubRateLimited, "later"),
        (429, {}, "Too many requests", GitHubRateLimited, "rate limited"),
        (409, {}, "Head branch was modified", GitHubConflict, "conflict"),
        (422, {}, "Update is not a fast forward", GitHubConflict, "conflict"),
        (502, {}, "Bad gateway", GitHubError, "HTTP 502"),
    ],
)
def test_error_for_status(
    status: int, headers: dict[str, str], message: str, expected: type[GitHubError], hint: str
) -> None:
    error = error_for_status(status, f"reading octo/demo: {message}", headers)
    assert type(error) is expected
    assert isinstance(error, BotError) and error.status == status
    assert message in str(error) and hint in str(error)


def test_retry_after_is_kept_for_the_caller() -> None:
    error = error_for_status(429, "x", {"retry-after": "42"})
    assert isinstance(error, GitHubRateLimited) and error.retry_after_s == 42.0


def test_retry_policy_covers_rate_limits_and_server_errors() -> None:
    assert build_retry(ClientOptions(retries=0)) is None
    retry = build_retry(ClientOptions())
    assert retry is not None
    assert retry.total == 5 and retry.backoff_factor == 1.0
    assert {403, 429, 500, 503}.issubset(set(retry.status_forcelist or ()))
    assert retry.max_rate_limit_wait == 300.0 and retry.secondary_rate_wait == 60.0
    assert not retry.raise_on_status, "the final refusal reaches PyGithub, which raises a typed exception"
