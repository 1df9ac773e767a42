"""`intern-bot serve` (uvicorn) and `intern-bot manifest` (the GitHub App manifest, as JSON)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated, Any

import typer

from bot.errors import ConfigurationError
from bot.github_permissions import required_permissions

app = typer.Typer(add_completion=False, help="ML Intern GitHub App.", no_args_is_help=True)

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


@app.command()
def manifest(
    url: Annotated[str, typer.Option(help="public base URL of the bot")] = "https://intern.example.com",
    name: Annotated[str, typer.Option(help="App name")] = "ML Intern",
) -> None:
    """Print the GitHub App manifest (permissions and events)."""
    typer.echo(json.dumps(build_manifest(url, name), indent=2))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default: INTERN_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: INTERN_PORT")] = None,
) -> None:
    """Run the webhook server and its workers."""
    import uvicorn

    from bot.app import create_app
    from bot.settings import load_settings, require_serving

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = require_serving(load_settings())
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


def main() -> None:
    sys.exit(app())
