"""`intern-bot replay`: the payload is sent byte for byte, signed as GitHub signs it, with its event name."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.webhook import verify_signature

SECRET = "replay-secret-0123456789abcdef"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(202)
            self.end_headers()
            self.wfile.write(b'{"status":"queued"}')

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhook", received
    server.shutdown()


def test_replay_signs_and_sends_the_payload(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]], tmp_path: Path
) -> None:
    url, received = receiver
    payload = tmp_path / "comment.json"
    payload.write_bytes(b'{"action": "created",  "comment": {"body": "/intern help"}}')
    result = CliRunner().invoke(app, ["replay", "issue_comment", str(payload), "--url", url, "--secret", SECRET])
    assert result.exit_code == 0, result.output
    assert "HTTP 202" in result.output
    headers, body = received[0]
    assert body == payload.read_bytes()  # not re-serialised: the signature covers these bytes
    assert headers["X-GitHub-Event"] == "issue_comment" and headers["X-GitHub-Delivery"]
    verify_signature(SECRET.encode(), body, headers["X-Hub-Signature-256"])


def test_replay_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    payload = tmp_path / "bad.json"
    payload.write_text("not json")
    result = CliRunner().invoke(
        app, ["replay", "ping", str(payload), "--url", "http://127.0.0.1:9/", "--secret", SECRET]
    )
    assert result.exit_code == 2 and "not JSON" in result.output
