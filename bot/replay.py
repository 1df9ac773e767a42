"""`intern-bot replay EVENT PAYLOAD.json`: send a webhook payload, signed like GitHub signs it, to a running bot
(Probot's `probot receive -e EVENT -p payload.json`): to watch what the bot does with an event without GitHub."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from bot.errors import ConfigurationError
from bot.webhook import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign


def signed_request(secret: str, event: str, body: bytes, delivery: str | None = None) -> dict[str, str]:
    """The headers GitHub sends with `body`: event, a delivery id, the HMAC-SHA256 signature."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/intern-bot-replay",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery or str(uuid.uuid4()),
        SIGNATURE_HEADER: sign(secret.encode("utf-8"), body),
    }


def read_payload(path: Path) -> bytes:
    """The payload file's bytes (sent as they are, since the signature covers the raw body), checked as JSON."""
    try:
        body = path.read_bytes()
        json.loads(body)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigurationError(f"{path} is not JSON: {exc}") from None
    return body


def send_body(url: str, secret: str, event: str, body: bytes, delivery: str | None = None) -> tuple[int, str]:
    """POST `body` to `url` signed with `secret`; returns the HTTP status and the response text."""
    import httpx2

    with httpx2.Client(timeout=30) as client:
        response = client.post(url, content=body, headers=signed_request(secret, event, body, delivery))
    return response.status_code, response.text


def send_event(url: str, secret: str, event: str, payload: dict[str, Any], delivery: str | None = None) -> int:
    status, _ = send_body(url, secret, event, json.dumps(payload).encode("utf-8"), delivery)
    return status
