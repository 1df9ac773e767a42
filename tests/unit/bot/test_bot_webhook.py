from __future__ import annotations

import pytest

from bot.errors import MalformedPayloadError, PayloadTooLargeError, SignatureError
from bot.webhook import (
    check_declared_size,
    check_headers,
    check_read_size,
    parse_json_object,
    sign,
    verify_signature,
)

SECRET = b"It's a Secret to Everybody"


def test_github_docs_test_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(SECRET, b"Hello, World!") == expected
    verify_signature(SECRET, b"Hello, World!", expected)


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "must start"),
        ("sha256=" + "0" * 64, "does not match"),
        ("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1", "does not match"),
        ("sha256=ünïcode", "does not match"),
    ],
)
def test_bad_signatures_are_rejected(header: str | None, why: str) -> None:
    with pytest.raises(SignatureError, match=why):
        verify_signature(SECRET, b"Hello, World!", header)


def test_signature_is_over_the_raw_bytes() -> None:
    body = b'{"a": 1}'
    header = sign(SECRET, body)
    with pytest.raises(SignatureError):
        verify_signature(SECRET, b'{"a":1}', header)  # same JSON, other bytes
    with pytest.raises(SignatureError):
        verify_signature(b"another secret value", body, header)


def test_size_checks() -> None:
    check_declared_size(None, 10)
    check_declared_size("10", 10)
    with pytest.raises(PayloadTooLargeError):
        check_declared_size("11", 10)
    with pytest.raises(MalformedPayloadError):
        check_declared_size("ten", 10)
    check_read_size(10, 10)
    with pytest.raises(PayloadTooLargeError):
        check_read_size(11, 10)
    assert PayloadTooLargeError.status_code == 413
    assert SignatureError.status_code == 401
    assert MalformedPayloadError.status_code == 400


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_json(body: bytes) -> None:
    with pytest.raises(MalformedPayloadError):
        parse_json_object(body)


def test_json_object_and_headers() -> None:
    assert parse_json_object(b'{"action": "created"}') == {"action": "created"}
    assert check_headers("ping", "abc") == ("ping", "abc")
    with pytest.raises(MalformedPayloadError, match="X-GitHub-Event"):
        check_headers(None, "abc")
    with pytest.raises(MalformedPayloadError, match="X-GitHub-Delivery"):
        check_headers("ping", "x" * 101)
