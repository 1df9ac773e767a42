"""The webhook edge's checks, pure: body size, HMAC-SHA256 signature, JSON (no I/O here).

GitHub signs the raw body with the webhook secret and sends `X-Hub-Signature-256: sha256=<hex>`. We compare
with `hmac.compare_digest` over the raw bytes, never over re-serialised JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from bot.errors import MalformedPayloadError, PayloadTooLargeError, SignatureError

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"
SIGNATURE_PREFIX = "sha256="
MAX_DELIVERY_ID_LENGTH = 100


def sign(secret: bytes, body: bytes) -> str:
    """The `X-Hub-Signature-256` header value GitHub would send for `body`."""
    return SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> None:
    """Raise SignatureError unless `header` is the HMAC-SHA256 of `body` under `secret` (constant-time)."""
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header: is the webhook secret set on the App?")
    if not header.startswith(SIGNATURE_PREFIX):
        raise SignatureError(f"{SIGNATURE_HEADER} must start with {SIGNATURE_PREFIX!r}")
    if not hmac.compare_digest(sign(secret, body).encode("ascii"), header.encode("utf-8", "replace")):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body: check INTERN_WEBHOOK_SECRET")


def check_declared_size(content_length: str | None, limit: int) -> None:
    """Refuse a body whose declared Content-Length is over `limit` before reading it."""
    if content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError as exc:
        raise MalformedPayloadError("Content-Length is not a number") from exc
    if declared > limit:
        raise PayloadTooLargeError(f"body of {declared} bytes is over the {limit}-byte limit")


def check_read_size(size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLargeError(f"body of more than {limit} bytes refused")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or MalformedPayloadError."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayloadError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedPayloadError("body must be a JSON object")
    return payload


def check_headers(event: str | None, delivery_id: str | None) -> tuple[str, str]:
    """The event name and delivery id, both required."""
    if not event:
        raise MalformedPayloadError(f"missing {EVENT_HEADER} header")
    if not delivery_id or len(delivery_id) > MAX_DELIVERY_ID_LENGTH:
        raise MalformedPayloadError(f"missing or invalid {DELIVERY_HEADER} header")
    return event, delivery_id
