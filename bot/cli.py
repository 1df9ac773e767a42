"""`intern-bot serve` (uvicorn), `intern-bot manifest` (the GitHub App manifest, as JSON) and `intern-bot setup`
(create the App from the manifest and write its credentials to `.env`)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.errors import ConfigurationError
from bot.manifest import build_manifest

app = typer.Typer(add_completion=False, help="ML Intern GitHub App.", no_args_is_help=True)


@app.command()
def manifest(
    url: Annotated[str, typer.Option(help="public base URL of the bot")] = "https://intern.example.com",
    name: Annotated[str, typer.Option(help="App name")] = "ML Intern",
) -> None:
    """Print the GitHub App manifest (permissions and events)."""
    typer.echo(json.dumps(build_manifest(url, name), indent=2))


@app.command()
def setup(
    url: Annotated[str, typer.Option(help="public base URL of the bot (webhooks go to URL/webhook)")],
    name: Annotated[str, typer.Option(help="App name (GitHub lets you change it on the form)")] = "ML Intern",
    org: Annotated[str | None, typer.Option(help="create the App in this organisation, not your account")] = None,
    github_url: Annotated[str, typer.Option(help="GitHub's web address (GHES: https://HOST)")] = "https://github.com",
    api_url: Annotated[str, typer.Option(help="GitHub's API (GHES: https://HOST/api/v3)")] = "https://api.github.com",
    env_file: Annotated[Path, typer.Option(help="where the credentials go (0600)")] = Path(".env"),
    key_file: Annotated[
        Path | None, typer.Option(help="where the private key goes (0600; default: github-app.pem next to the .env)")
    ] = None,
    key_path: Annotated[
        str | None,
        typer.Option(
            help="the key's path where the bot runs, written to .env (default: the key file's absolute path; "
            "in Docker, where you mount it, e.g. /run/secrets/github-app.pem)"
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="local port of the set-up page (0: any free port)")] = 0,
    timeout: Annotated[float, typer.Option(help="seconds to wait for GitHub's redirect")] = 900.0,
    force: Annotated[bool, typer.Option(help="overwrite an existing .env / key file")] = False,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="open the page in a browser")] = True,
) -> None:
    """Create the GitHub App from its manifest in the browser, then write its credentials to .env."""
    import webbrowser

    from bot.setup_flow import SetupError, SetupOptions, SetupServer, refuse_to_overwrite

    options = SetupOptions(url, name, org, github_url, api_url, env_file, key_file, force, key_path)
    try:
        refuse_to_overwrite(options)
        server = SetupServer(options, port=port).start()
    except (SetupError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Open {server.url}/ and click 'Create the GitHub App' (waiting up to {timeout:.0f} s).")
    if open_browser:
        webbrowser.open(f"{server.url}/")
    try:
        credentials = server.wait(timeout)
    finally:
        server.stop()
    if credentials is None:
        typer.echo(f"error: {server.error or 'no redirect from GitHub in time; run setup again'}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"Created {credentials.slug} (id {credentials.id}); credentials in {env_file}, "
        f"private key in {options.key_path()} (.env points to {options.key_path_for_env()})."
    )
    typer.echo(f"Install it on your repositories: {credentials.html_url}/installations/new")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default: INTERN_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: INTERN_PORT")] = None,
) -> None:
    """Run the webhook server and its workers."""
    import uvicorn

    from bot.app import create_app
    from bot.settings import load_settings
    from bot.wiring import require_serving_with_compute

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = require_serving_with_compute(load_settings())
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


def main() -> None:
    sys.exit(app())
