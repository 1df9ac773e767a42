"""The GitHub App manifest (https://docs.github.com/apps/sharing-github-apps): permissions and events.

The permissions are derived from the REST calls the gateway makes (`bot/github_permissions.py`).
"""

from __future__ import annotations

from typing import Any

from bot.github_permissions import required_permissions

# derived from the REST calls the gateway makes (bot/github_permissions.py), so they cannot drift apart
PERMISSIONS = required_permissions()
EVENTS = ["issue_comment", "pull_request", "pull_request_review", "workflow_run", "installation"]


def build_manifest(url: str, name: str = "ML Intern") -> dict[str, Any]:
    """The App manifest for one-click creation (https://docs.github.com/apps/sharing-github-apps)."""
    base = url.rstrip("/")
    return {
        "name": name,
        "url": base,
        "hook_attributes": {"url": f"{base}/webhook", "active": True},
        "redirect_url": base,
        "public": False,
        "default_permissions": dict(PERMISSIONS),
        # `installation` is always delivered to Apps and cannot be subscribed to in a manifest
        "default_events": [event for event in EVENTS if event != "installation"],
    }
