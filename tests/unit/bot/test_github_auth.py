"""GitHub App auth: the JWT's claims and the per-installation token cache, with an injected clock."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.errors import GitHubError
from bot.github_auth import (
    AccessToken,
    AppTokenProvider,
    StaticTokenProvider,
    make_app_jwt,
)

T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@functools.cache
def _keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingFetcher:
    """Hands out numbered tokens valid for an hour from the clock's time, and records each request."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, str]] = []

    def __call__(self, url: str, app_jwt: str) -> AccessToken:
        self.calls.append((url, app_jwt))
        return AccessToken(token=f"ghs_{len(self.calls)}", expires_at=self.clock() + timedelta(hours=1))


def test_app_jwt_is_rs256_backdated_60s_and_expires_within_10_minutes() -> None:
    private, public = _keys()
    token = make_app_jwt(4242, private, T0)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
    assert claims["iss"] == "4242"
    assert claims["iat"] == int(T0.timestamp()) - 60
    assert int(T0.timestamp()) < claims["exp"] <= int(T0.timestamp()) + 600


def test_a_bad_private_key_gives_an_actionable_error_without_the_key() -> None:
    with pytest.raises(GitHubError) as caught:
        make_app_jwt(1, "-----BEGIN RSA PRIVATE KEY-----\nnot-a-key-SECRETBITS\n-----END RSA PRIVATE KEY-----", T0)
    assert "INTERN_GITHUB_PRIVATE_KEY" in str(caught.value)
    assert "SECRETBITS" not in str(caught.value)


def test_tokens_are_cached_per_installation_until_five_minutes_before_expiry() -> None:
    clock = Clock(T0)
    fetcher = RecordingFetcher(clock)
    provider = AppTokenProvider(4242, _keys()[0], base_url="https://ghe.example/api/v3/", clock=clock, fetcher=fetcher)

    assert provider.token(7) == "ghs_1"
    clock.advance(minutes=54, seconds=59)
    assert provider.token(7) == "ghs_1"
    assert len(fetcher.calls) == 1

    assert provider.token(8) == "ghs_2", "another installation gets its own token"
    assert fetcher.calls[1][0] == "https://ghe.example/api/v3/app/installations/8/access_tokens"

    clock.advance(seconds=1)  # 55 minutes after issue: 5 minutes before expiry
    assert provider.token(7) == "ghs_3"
    assert [url.rsplit("/", 2)[-2] for url, _ in fetcher.calls] == ["7", "8", "7"]


def test_each_fetch_carries_a_fresh_jwt_signed_at_the_clock_time() -> None:
    clock = Clock(T0)
    fetcher = RecordingFetcher(clock)
    provider = AppTokenProvider("4242", _keys()[0], clock=clock, fetcher=fetcher)
    provider.token(1)
    clock.advance(hours=2)
    provider.token(1)
    issued = [
        jwt.decode(j, _keys()[1], algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})["iat"]
        for _, j in fetcher.calls
    ]
    assert issued == [int(T0.timestamp()) - 60, int((T0 + timedelta(hours=2)).timestamp()) - 60]


def test_forget_drops_the_cached_token() -> None:
    clock = Clock(T0)
    fetcher = RecordingFetcher(clock)
    provider = AppTokenProvider(1, _keys()[0], clock=clock, fetcher=fetcher)
    provider.token(3)
    provider.forget(3)
    assert provider.token(3) == "ghs_2"


def test_secrets_stay_out_of_reprs() -> None:
    private = _keys()[0]
    provider = AppTokenProvider(1, private, fetcher=RecordingFetcher(Clock(T0)))
    assert "PRIVATE KEY" not in repr(provider)
    assert "s3cret" not in repr(StaticTokenProvider("s3cret"))
    assert StaticTokenProvider("s3cret").token(99) == "s3cret"
    assert "ghs_abc" not in repr(AccessToken(token="ghs_abc", expires_at=T0))
    with pytest.raises(ValueError):
        StaticTokenProvider("")
