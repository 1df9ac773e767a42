"""A fake OpenAI-compatible server on 127.0.0.1 that the real `openai` 3 client talks to over HTTP.

It answers `POST /v1/chat/completions` from a per-test script of `Reply` objects, in order: a JSON answer
(a dict, a pydantic model or raw text, so malformed JSON can be sent on purpose), a refusal, a slow answer
(for timeouts), or an HTTP error. Every request body and its headers are recorded in `server.requests`.
Use it as a context manager (`with FakeOpenAI() as server:`) or through the pytest fixture `fake_openai`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel

API_KEY = "sk-test-fake-0123456789abcdef"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `content` is sent as the message text (dicts and models as JSON)."""

    content: str | dict[str, Any] | BaseModel | None = None
    refusal: str | None = None
    delay_s: float = 0.0
    status: int = 200
    finish_reason: str = "stop"
    prompt_tokens: int = 120
    completion_tokens: int = 30

    def text(self) -> str | None:
        if isinstance(self.content, BaseModel):
            return self.content.model_dump_json()
        if isinstance(self.content, dict):
            return json.dumps(self.content)
        return self.content


@dataclass(frozen=True)
class Request:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.server.fake
        body = json.loads(raw or b"{}")
        with fake.lock:
            fake.requests.append(Request(self.path, body, {k.lower(): v for k, v in self.headers.items()}))
            reply = fake.replies.pop(0) if fake.replies else None
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        if reply is None:
            return self._send(500, {"error": {"message": "fake server: no reply scripted", "type": "server_error"}})
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.status != 200:
            return self._send(reply.status, {"error": {"message": reply.text() or "error", "type": "error"}})
        message = {"role": "assistant", "content": reply.text(), "refusal": reply.refusal}
        usage = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }
        return self._send(
            200,
            {
                "id": f"chatcmpl-{len(fake.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
                "usage": usage,
            },
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAI


class FakeOpenAI:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.replies: list[Reply] = []
        self.requests: list[Request] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def script(self, *replies: Reply) -> FakeOpenAI:
        with self.lock:
            self.replies.extend(replies)
        return self

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def api_key(self) -> str:
        return API_KEY

    def __enter__(self) -> FakeOpenAI:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server
