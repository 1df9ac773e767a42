"""The fake GitHub's App manifest flow: the "new App" web page and `POST /app-manifests/{code}/conversions`.

`new_app_page()` stands in for the user on `{github}/settings/apps/new` (or an organisation's): it checks the
posted manifest the way GitHub's form does, makes a one-hour code and redirects (302) to the manifest's
`redirect_url` with `code` and the `state` it was given. The conversion (no authentication, as on GitHub)
creates the App once per code, with a fresh RSA key; the fake then trusts that key's JWTs and takes the new
App's id and slug, so the credentials written by `intern-bot setup` work against it.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes import github_payloads as P
from tests.fakes.github_router import Reply, route
from tests.fakes.github_state import FakeGitHubError, now_iso

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

NEW_APP_PAGE = re.compile(r"^/(?:organizations/(?P<org>[^/]+)/)?settings/apps/new$")
CODE_LIFETIME_S = 3600
LEVELS = {"read", "write", "admin"}


def _manifest_problem(manifest: Any) -> str | None:
    if not isinstance(manifest, dict):
        return "manifest is not a JSON object"
    if not isinstance(manifest.get("url"), str) or not manifest["url"].startswith(("http://", "https://")):
        return "url is required"
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict) or not str(hook.get("url", "")).startswith(("http://", "https://")):
        return "hook_attributes.url is required"
    permissions = manifest.get("default_permissions", {})
    if not isinstance(permissions, dict) or any(level not in LEVELS for level in permissions.values()):
        return "default_permissions values must be read, write or admin"
    if "installation" in manifest.get("default_events", []):
        return "default_events: installation cannot be subscribed to"
    return None


def new_app_page(fake: FakeGitHub, path: str, query: dict[str, str], form: bytes) -> tuple[int, dict[str, str], bytes]:
    """What the browser gets for the form post: 302 to `redirect_url?code=&state=`, or 422 with the reason."""
    matched = NEW_APP_PAGE.match(path)
    assert matched is not None
    fields = {k: v[0] for k, v in urllib.parse.parse_qs(form.decode("utf-8")).items()}
    try:
        manifest = json.loads(fields.get("manifest", ""))
    except ValueError:
        manifest = None
    problem = _manifest_problem(manifest)
    redirect = manifest.get("redirect_url") if isinstance(manifest, dict) else None
    if problem is None and not isinstance(redirect, str):
        problem = "redirect_url is required for the manifest flow"
    if problem is not None or not isinstance(redirect, str):
        return 422, {"Content-Type": "text/plain"}, (problem or "redirect_url is required").encode()
    code = secrets.token_hex(10)
    with fake.lock:
        fake.manifest_codes[code] = (manifest, matched["org"], time.time() + CODE_LIFETIME_S)
    params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
    separator = "&" if "?" in redirect else "?"
    return 302, {"Location": f"{redirect}{separator}{urllib.parse.urlencode(params)}"}, b""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "app"


@route("POST", "/app-manifests/{code}/conversions")
def conversion(fake: FakeGitHub, p: dict[str, str], q: dict[str, str], b: Any, login: str) -> Reply:
    manifest, org, expires = fake.manifest_codes.pop(p["code"], (None, None, 0.0))
    if manifest is None or expires < time.time():
        raise FakeGitHubError(404, "Not Found")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    app_id, slug, stamp = fake.next_id(), _slug(manifest["name"]), now_iso()
    fake.app_id, fake.app_slug = app_id, slug
    fake.trust_app_key(public)
    fake.apps_created.append({"id": app_id, "slug": slug, "org": org, "manifest": manifest})
    body = {
        "id": app_id,
        "slug": slug,
        "node_id": f"A_{app_id}",
        "owner": P.user(fake.api, org or "alice"),
        "name": manifest["name"],
        "description": manifest.get("description"),
        "external_url": manifest["url"],
        "html_url": f"{P.HTML}/apps/{slug}",
        "created_at": stamp,
        "updated_at": stamp,
        "permissions": {"metadata": "read", **manifest.get("default_permissions", {})},
        "events": list(manifest.get("default_events", [])),
        "client_id": f"Iv1.{secrets.token_hex(8)}",
        "client_secret": secrets.token_hex(20),
        "webhook_secret": secrets.token_hex(20),
        "pem": pem,
    }
    return Reply(201, body)
