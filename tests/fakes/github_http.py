"""The HTTP side of the fake GitHub: request handler, authentication, rate-limit refusals, pagination.

`handle()` turns one request into a `Reply` through the routes of `github_router.py`; `Handler` serves it
over HTTP/1.1 and records an `Exchange` per API request on the fake (storage downloads are recorded apart).
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Literal

import jwt

from tests.fakes import github_payloads as P
from tests.fakes.github_app_manifests import NEW_APP_PAGE, new_app_page
from tests.fakes.github_router import ROUTES, Reply
from tests.fakes.github_state import FakeGitHubError

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

RateLimitKind = Literal["primary", "secondary", "429"]
JWT_MAX_LIFETIME_S = 600


@dataclass
class Exchange:
    """One request the fake answered, for assertions and the OpenAPI conformance check."""

    method: str
    path: str
    template: str | None
    status: int
    body: Any
    headers: dict[str, str]
    at: float
    authorization: bool


@dataclass
class RateLimit:
    kind: RateLimitKind
    remaining: int
    retry_after: int | None
    reset_in: int


def login_for(fake: FakeGitHub, path: str, authorization: str) -> str:
    """Who is calling: the App (JWT, for `/app/...`) or the owner of an installation or static token."""
    scheme, _, credential = authorization.partition(" ")
    if path.startswith("/app-manifests/"):  # the manifest code is the credential
        return ""
    if path.startswith("/app/"):
        if scheme.lower() != "bearer" or fake.app_key is None:
            raise FakeGitHubError(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(
                credential, fake.app_key, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]}
            )
        except jwt.PyJWTError as exc:
            raise FakeGitHubError(401, f"A JSON web token could not be decoded ({type(exc).__name__})") from exc
        if str(claims["iss"]) != str(fake.app_id) or claims["exp"] > time.time() + JWT_MAX_LIFETIME_S + 30:
            raise FakeGitHubError(401, "'iss' is not this App, or 'exp' is too far in the future")
        return fake.app_slug
    login, expires = fake.tokens.get(credential, ("", 0.0))
    if scheme.lower() not in ("token", "bearer") or not login or expires < time.time():
        raise FakeGitHubError(401, "Bad credentials")
    return login


def rate_limit_reply(limit: RateLimit | None) -> Reply | None:
    """GitHub's refusal for a primary limit (403, remaining 0), a secondary one (403) or a 429."""
    if limit is None or limit.remaining <= 0:
        return None
    limit.remaining -= 1
    reset = str(int(time.time()) + limit.reset_in)
    headers = {"x-ratelimit-limit": "5000", "x-ratelimit-used": "5000", "x-ratelimit-reset": reset}
    if limit.kind == "secondary":
        message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        headers["x-ratelimit-remaining"] = "4000"
    else:
        message = "API rate limit exceeded for installation ID 1."
        headers["x-ratelimit-remaining"] = "0"
    if limit.retry_after is not None:
        headers["retry-after"] = str(limit.retry_after)
    body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    return Reply(429 if limit.kind == "429" else 403, body, headers)


def injected_fault(fake: FakeGitHub, method: str, path: str) -> Reply | None:
    """The fault `inject_faults()` asked for on this request, if it is one of the failing ones."""
    with fake.lock:
        if not fake.fault_every:
            return None
        fake.api_requests += 1
        if fake.api_requests % fake.fault_every:
            return None
        status = fake.fault_statuses[(fake.api_requests // fake.fault_every - 1) % len(fake.fault_statuses)]
        fake.injected_faults.append((method, path, status))
    if status == 429:
        return rate_limit_reply(RateLimit("429", 1, 1, 1))
    return Reply(status, P.error("Server Error", status))


def handle(
    fake: FakeGitHub, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
) -> tuple[Reply, str | None]:
    """The reply to one API request, and the OpenAPI path template it matched (None when none)."""
    parsed = urllib.parse.urlsplit(raw_path)
    path = urllib.parse.unquote(parsed.path)
    query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
    template, match, handler = None, None, None
    for verb, candidate, pattern, function in ROUTES:
        match = pattern.match(path)
        if verb == method and match:
            template, handler = candidate, function
            break
    if fake.latency_s:
        time.sleep(fake.latency_s)
    injected = injected_fault(fake, method, path)
    if injected is not None:
        return injected, template
    try:
        limited = rate_limit_reply(fake.pending_rate_limit)
        if limited is not None:
            return limited, template
        login = login_for(fake, path, headers.get("authorization", ""))
        if fake.pending_failures:
            raise FakeGitHubError(*fake.pending_failures.pop())
        if handler is None or match is None:
            raise FakeGitHubError(404, "Not Found")
        body = json.loads(raw_body) if raw_body.strip() else None
        with fake.lock:
            reply = handler(fake, match.groupdict(), query, body, login)
        return (paginate(fake.api, reply, query, path) if reply.paginate else reply), template
    except FakeGitHubError as exc:
        return Reply(exc.status, P.error(exc.message, exc.status)), template
    except json.JSONDecodeError:
        return Reply(400, P.error("Problems parsing JSON", 400)), template


def paginate(api: str, reply: Reply, query: dict[str, str], path: str) -> Reply:
    """One page of a list, with GitHub's `Link` header (`per_page` default 30, at most 100)."""
    items = list(reply.body)
    per_page = max(1, min(100, int(query.get("per_page", 30))))
    page = max(1, int(query.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    links = []
    for rel, number in (("prev", page - 1), ("next", page + 1), ("first", 1), ("last", last)):
        if 1 <= number <= last and (rel in ("prev", "next") or page != number):
            params = urllib.parse.urlencode({**query, "per_page": per_page, "page": number})
            links.append(f'<{api}{path}?{params}>; rel="{rel}"')
    headers = {k: v for k, v in reply.headers.items() if k != "x-list-key"}
    if links:
        headers["Link"] = ", ".join(links)
    chunk = items[(page - 1) * per_page : page * per_page]
    key = reply.headers.get("x-list-key")
    body: Any = {"total_count": len(items), key: chunk} if key else chunk
    return Reply(reply.status, body, headers)


class Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # one write per response: no Nagle/delayed-ACK stalls on keep-alive connections
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        web_path = urllib.parse.urlsplit(self.path)
        if NEW_APP_PAGE.match(web_path.path):
            query = {k: v[0] for k, v in urllib.parse.parse_qs(web_path.query).items()}
            status, page_headers, page = new_app_page(self.fake, web_path.path, query, raw_body)
            self._send(status, page, page_headers)
            return
        if self.path.startswith("/_storage/"):
            data = self.fake.serve_storage(urllib.parse.urlsplit(self.path).path, "authorization" in headers)
            self._send(200 if data is not None else 404, data or b"", {"Content-Type": "application/zip"})
            return
        reply, template = handle(self.fake, self.command, self.path, headers, raw_body)
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        out = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Request-Id": uuid.uuid4().hex[:16].upper(),
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            **reply.headers,
        }
        exchange = Exchange(
            self.command,
            self.path,
            template,
            reply.status,
            reply.body,
            out,
            time.monotonic(),
            "authorization" in headers,
        )
        self.fake.exchanges.append(exchange)
        self._send(reply.status, payload, out)

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve
