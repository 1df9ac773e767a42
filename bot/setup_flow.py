"""`intern-bot setup`: create the GitHub App from its manifest in one flow, as Probot does.

    browser ── GET http://127.0.0.1:PORT/ ──────────────── a form holding the manifest and a random `state`
       └─ POST {github}/settings/apps/new?state=S           (or /organizations/{org}/settings/apps/new)
            (the user names the App and clicks "Create")
       ◄─ 302 http://127.0.0.1:PORT/callback?code=C&state=S
    setup ── state checked (constant time, used once) ── POST {api}/app-manifests/C/conversions (no auth)
          ◄─ 201 {id, slug, pem, webhook_secret, client_id, client_secret, html_url, ...}
          └─ writes the key to its own file (0600, github-app.pem next to .env unless --key-file) and .env
             (0600): INTERN_GITHUB_APP_ID, INTERN_GITHUB_APP_SLUG, INTERN_WEBHOOK_SECRET and
             INTERN_GITHUB_PRIVATE_KEY_PATH, one bare KEY=value per line, so that `docker run --env-file .env`
             passes exactly what python-dotenv reads (no quotes, no multi-line values)

The local server listens on 127.0.0.1 only and stops after the first good callback. An existing `.env` is
never overwritten without `force`. The code is exchanged once; GitHub lets it live one hour.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import os
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.errors import ConfigurationError
from bot.manifest import build_manifest

log = logging.getLogger(__name__)

DEFAULT_GITHUB_URL = "https://github.com"
DEFAULT_API_URL = "https://api.github.com"


class SetupError(ConfigurationError):
    """The set-up flow could not finish; the message says what to do."""


class AppCredentials(BaseModel):
    """What `POST /app-manifests/{code}/conversions` answers that the bot needs (GitHub sends more)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: int
    slug: str
    name: str
    html_url: str
    pem: str
    webhook_secret: str | None
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class SetupOptions:
    public_url: str
    name: str = "ML Intern"
    org: str | None = None
    github_url: str = DEFAULT_GITHUB_URL
    api_url: str = DEFAULT_API_URL
    env_file: Path = Path(".env")
    key_file: Path | None = None  # None: KEY_FILE_NAME next to the .env
    force: bool = False
    key_path_in_env: str | None = None  # the key's path where the bot runs (Docker: its mount); None: key_file's

    def key_path(self) -> Path:
        """Where the private key is written (0600): never into .env, which must stay one line per variable."""
        return self.key_file if self.key_file is not None else self.env_file.parent / KEY_FILE_NAME

    def key_path_for_env(self) -> str:
        return self.key_path_in_env or str(self.key_path().resolve())


def new_app_url(github_url: str, org: str | None, state: str) -> str:
    """Where the manifest form is posted: the user's or the organisation's "new App" page (pure)."""
    base = github_url.rstrip("/")
    page = f"/organizations/{urllib.parse.quote(org, safe='')}/settings/apps/new" if org else "/settings/apps/new"
    return f"{base}{page}?{urllib.parse.urlencode({'state': state})}"


def setup_manifest(public_url: str, name: str, redirect_url: str) -> dict[str, Any]:
    """The App manifest, redirecting back to the local set-up server once the App exists."""
    return {**build_manifest(public_url, name), "redirect_url": redirect_url}


def form_page(action: str, manifest: dict[str, Any]) -> str:
    """The local page: one button posting the manifest to GitHub (pure)."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Create the ML Intern GitHub App</title></head>"
        "<body><h1>Create the ML Intern GitHub App</h1>"
        f"<p>GitHub will ask you to name the App and confirm. Webhooks go to "
        f"<code>{html.escape(manifest['hook_attributes']['url'])}</code>.</p>"
        f"<form id='manifest-form' method='post' action='{html.escape(action, quote=True)}'>"
        f"<input type='hidden' name='manifest' value='{html.escape(json.dumps(manifest), quote=True)}'>"
        "<button type='submit'>Create the GitHub App</button></form></body></html>"
    )


KEY_FILE_NAME = "github-app.pem"
_UNSAFE_ENV = re.compile(r"""[\s"'`#$\\]""")


def _env_value(name: str, value: str) -> str:
    """A .env value written bare, so that `docker run --env-file` (which takes everything after `=` literally)
    and python-dotenv (which strips quotes, comments and expands `${...}`) read the same string."""
    if not value or _UNSAFE_ENV.search(value):
        raise SetupError(
            f"{name} holds a character that .env readers disagree on (a space, a quote, '#', '$' or '\\'): "
            f"set a simpler value{' (e.g. `openssl rand -hex 32`)' if 'SECRET' in name else ''}"
        )
    return f"{name}={value}"


def env_text(credentials: AppCredentials, options: SetupOptions) -> str:
    """The .env content for these credentials (pure). The webhook secret must be there: the server refuses
    to start without it."""
    if not credentials.webhook_secret:
        raise SetupError(
            "GitHub sent no webhook secret for the new App: set one in the App's settings and put it in "
            "INTERN_WEBHOOK_SECRET"
        )
    lines = [
        "# written by `intern-bot setup`: the GitHub App's credentials; keep this file private.",
        "# One bare KEY=value per line: `docker run --env-file` and python-dotenv read it alike.",
        _env_value("INTERN_GITHUB_APP_ID", str(credentials.id)),
        _env_value("INTERN_GITHUB_APP_SLUG", credentials.slug),
        _env_value("INTERN_WEBHOOK_SECRET", credentials.webhook_secret),
        _env_value("INTERN_GITHUB_PRIVATE_KEY_PATH", options.key_path_for_env()),
    ]
    if options.api_url.rstrip("/") != DEFAULT_API_URL:
        lines.append(_env_value("INTERN_GITHUB_API_URL", options.api_url.rstrip("/")))
    return "\n".join(lines) + "\n"


def refuse_to_overwrite(options: SetupOptions) -> None:
    """Fail before anything is created when the files exist and `force` is off."""
    if options.force:
        return
    for path in (options.env_file, options.key_path()):
        if path.exists():
            raise SetupError(f"{path} exists; move it away or pass --force to overwrite it")


def write_private(path: Path, text: str, force: bool) -> None:
    """Write `text` readable by the owner only (0600), refusing an existing file unless `force`."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise SetupError(f"{path} exists; move it away or pass --force to overwrite it") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an overwritten file keeps its old mode otherwise
        handle.write(text)


def exchange_code(api_url: str, code: str, timeout_s: float = 15.0) -> AppCredentials:
    """`POST {api}/app-manifests/{code}/conversions`: the new App's id, key and secrets."""
    url = f"{api_url.rstrip('/')}/app-manifests/{urllib.parse.quote(code, safe='')}/conversions"
    request = urllib.request.Request(
        url,
        data=b"",
        method="POST",
        headers={"Accept": "application/vnd.github+json", "User-Agent": "ml-intern-bot-setup"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        hint = "the code is used or expired (it lives one hour): start again" if exc.code in (404, 422) else ""
        raise SetupError(
            f"GitHub refused the App manifest code (HTTP {exc.code}){': ' + hint if hint else ''}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SetupError(f"could not reach {api_url} ({type(exc).__name__}): check --api-url") from None
    try:
        return AppCredentials.model_validate(body)
    except ValidationError as exc:
        raise SetupError(f"GitHub's answer lacks the App's credentials: {exc.errors()[0]['loc']}") from None


@dataclass
class SetupServer:
    """The local half of the flow: serves the form, checks the callback, writes the credentials."""

    options: SetupOptions
    port: int = 0
    state: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    credentials: AppCredentials | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        self.done = threading.Event()
        self._lock = threading.Lock()
        handler = type("SetupHandler", (_Handler,), {"flow": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def manifest(self) -> dict[str, Any]:
        return setup_manifest(self.options.public_url, self.options.name, f"{self.url}/callback")

    def form_action(self) -> str:
        return new_app_url(self.options.github_url, self.options.org, self.state)

    def start(self) -> SetupServer:
        threading.Thread(target=self._server.serve_forever, name="intern-setup", daemon=True).start()
        return self

    def wait(self, timeout_s: float | None) -> AppCredentials | None:
        self.done.wait(timeout_s)
        return self.credentials

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def callback(self, query: dict[str, str]) -> tuple[int, str]:
        """The redirect back from GitHub: (HTTP status, page text)."""
        given = query.get("state", "")
        with self._lock:
            if self.done.is_set():
                return 409, "The App was already created by this set-up; nothing more to do."
            if not hmac.compare_digest(given.encode(), self.state.encode()):
                return 400, "The state does not match this set-up (a forged or stale link): start again from /."
            code = query.get("code", "")
            if not code:
                return 400, "GitHub sent no code: start again from /."
            try:
                credentials = exchange_code(self.options.api_url, code)
                self._save(credentials)
            except SetupError as exc:
                self.error = str(exc)
                return 502, f"Set-up failed: {exc}"
            self.credentials = credentials
            self.done.set()
        return 200, (
            f"The GitHub App {credentials.name} ({credentials.slug}, id {credentials.id}) exists and its "
            f"credentials are in {self.options.env_file}. Install it: {credentials.html_url}/installations/new"
        )

    def _save(self, credentials: AppCredentials) -> None:
        text = env_text(credentials, self.options)
        write_private(self.options.key_path(), credentials.pem, self.options.force)
        write_private(self.options.env_file, text, self.options.force)
        log.info("GitHub App %s (id %s) created; credentials written", credentials.slug, credentials.id)


class _Handler(BaseHTTPRequestHandler):
    flow: SetupServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("setup server: " + format, *args)

    def do_GET(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path == "/":
            self._send(200, form_page(self.flow.form_action(), self.flow.manifest()), html_page=True)
        elif parsed.path == "/callback":
            query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
            status, text = self.flow.callback(query)
            self._send(status, f"<!doctype html><p>{html.escape(text)}</p>", html_page=True)
        else:
            self._send(404, "not found")

    def _send(self, status: int, text: str, html_page: bool = False) -> None:
        payload = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if html_page else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)
