"""GitHub App authentication: the App's JWT and cached installation access tokens.

A `TokenProvider` answers "which token do I send for installation N?". Two implementations:

- `StaticTokenProvider`: one fixed token (tests, or a personal token for a self-hosted bot).
- `AppTokenProvider`: signs a short-lived JWT with the App's private key (RS256; `iat` 60 s in the past to
  allow for clock drift, `exp` at most 10 minutes ahead, as GitHub requires), trades it for an installation
  access token through `POST /app/installations/{id}/access_tokens`, and caches that token per installation
  until five minutes before its `expires_at`.

Time comes from an injected clock so tests advance it without sleeping. The HTTP exchange is an injected
`AccessTokenFetcher`; `fetch_access_token` is the real one (stdlib `urllib`, no PyGithub here). Tokens and
keys never appear in exception messages or log lines.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import jwt
from pydantic import BaseModel, ConfigDict

from bot.errors import GitHubError, error_for_status

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

JWT_BACKDATE = timedelta(seconds=60)
JWT_LIFETIME = timedelta(minutes=9)
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
API_VERSION = "2022-11-28"


def utc_now() -> datetime:
    return datetime.now(UTC)


class TokenProvider(Protocol):
    def token(self, installation_id: int) -> str:
        """A token valid for at least a few minutes for calls on behalf of the installation."""
        ...


class StaticTokenProvider:
    """The same token for every installation."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("StaticTokenProvider needs a non-empty token")
        self._token = token

    def token(self, installation_id: int) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenProvider(token=***)"


class AccessToken(BaseModel):
    """What `POST /app/installations/{id}/access_tokens` answers (the fields we use)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"AccessToken(token=***, expires_at={self.expires_at.isoformat()})"

    __str__ = __repr__


class AccessTokenFetcher(Protocol):
    def __call__(self, url: str, app_jwt: str) -> AccessToken: ...


def make_app_jwt(app_id: int | str, private_key_pem: str, now: datetime) -> str:
    """The App's JWT: issued 60 s in the past, expiring 9 minutes after `now` (GitHub allows at most 10)."""
    payload = {
        "iat": int((now - JWT_BACKDATE).timestamp()),
        "exp": int((now + JWT_LIFETIME).timestamp()),
        "iss": str(app_id),
    }
    try:
        return jwt.encode(payload, private_key_pem, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise GitHubError(
            "could not sign the GitHub App JWT: the private key is not a valid RSA PEM key "
            "(check INTERN_GITHUB_PRIVATE_KEY or INTERN_GITHUB_PRIVATE_KEY_PATH)"
        ) from exc


def fetch_access_token(url: str, app_jwt: str, timeout_s: float = 15.0) -> AccessToken:
    """POST to the access-token endpoint with the App JWT and parse the answer (stdlib HTTP)."""
    request = urllib.request.Request(url, data=b"{}", method="POST")
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("Content-Type", "application/json")
    request.add_header("X-GitHub-Api-Version", API_VERSION)
    request.add_header("User-Agent", "ml-intern-bot")
    request.add_unredirected_header("Authorization", f"Bearer {app_jwt}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        message = _error_message(exc.read())
        raise error_for_status(
            exc.code,
            f"GitHub refused an installation access token ({url}): {message}",
            dict(exc.headers.items()),
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise GitHubError(
            f"could not reach GitHub for an installation access token ({url}): {exc}; "
            "check INTERN_GITHUB_API_URL and the network"
        ) from None
    try:
        return AccessToken.model_validate(json.loads(body))
    except ValueError as exc:
        raise GitHubError(f"GitHub answered the access-token request ({url}) with unexpected JSON") from exc


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return "no JSON body"
    return str(data.get("message", "no message")) if isinstance(data, dict) else "no message"


class AppTokenProvider:
    """Installation tokens for a GitHub App, cached per installation until 5 minutes before they expire."""

    def __init__(
        self,
        app_id: int | str,
        private_key_pem: str,
        *,
        base_url: str = "https://api.github.com",
        clock: Clock = utc_now,
        fetcher: AccessTokenFetcher = fetch_access_token,
    ) -> None:
        self._app_id = app_id
        self._private_key = private_key_pem
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._fetcher = fetcher
        self._cache: dict[int, AccessToken] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AppTokenProvider(app_id={self._app_id!r}, base_url={self._base_url!r}, private_key=***)"

    def app_jwt(self) -> str:
        return make_app_jwt(self._app_id, self._private_key, self._clock())

    def token(self, installation_id: int) -> str:
        with self._lock:
            now = self._clock()
            cached = self._cache.get(installation_id)
            if cached is not None and now < cached.expires_at - TOKEN_REFRESH_MARGIN:
                return cached.token
            url = f"{self._base_url}/app/installations/{installation_id}/access_tokens"
            fresh = self._fetcher(url, make_app_jwt(self._app_id, self._private_key, now))
            self._cache[installation_id] = fresh
            logger.info(
                "new installation access token",
                extra={"installation_id": installation_id, "expires_at": fresh.expires_at.isoformat()},
            )
            return fresh.token

    def forget(self, installation_id: int) -> None:
        """Drop a cached token (after GitHub answered 401 with it, for example)."""
        with self._lock:
            self._cache.pop(installation_id, None)
