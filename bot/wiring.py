"""The real services: PyGithub gateways per installation (tokens cached) and the compute backends."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from bot.compute.actions import ActionsBackend
from bot.compute.base import ComputeBackend
from bot.compute.hf_jobs import HfJobsBackend
from bot.compute.hf_jobs_config import job_token, read_lock
from bot.compute.local import LocalBackend
from bot.compute.sandbox import resolve_sandbox
from bot.context import GatewayFactory, Planner, Services
from bot.errors import ComputeError, ConfigurationError
from bot.gateway import GitHubGateway
from bot.settings import Settings, require_serving, runner_settings
from bot.store import Store


def require_serving_with_compute(settings: Settings) -> Settings:
    """`require_serving`, and what the enabled backends need (the checks live here, not in `bot.settings`, so
    settings never import compute): the local backend's sandbox when any installation may use `local` (no
    sandbox, no local backend); for `hf-jobs`, its own token (never the main one) and a readable, hash-pinned
    lock when one is configured."""
    require_serving(settings)
    if settings.local_enabled_anywhere():
        resolve_sandbox(settings.local_run_as, settings.local_unsandboxed)
    if settings.enabled_anywhere("hf-jobs"):
        try:
            job_token(settings.hf_jobs_token, settings.hf_token)  # a separate, narrow token: never the main one
        except ComputeError as exc:
            raise ConfigurationError(str(exc)) from None
        if settings.hf_jobs_requirements is not None:
            read_lock(settings.hf_jobs_requirements)
    return settings


def make_planner(settings: Settings) -> Planner:
    """The runner's planner with the Hub and the LLM these settings name (not the process environment)."""
    from runner.planning import Plan, plan_command

    runner = runner_settings(settings)
    llm = runner.llm_client()

    def plan(objective: str, data: str | None) -> Plan:
        return plan_command(objective, data, hub=runner.connected_hub(), llm=llm)

    return plan


def make_backends(settings: Settings, hub_client: Callable[[], Any] | None = None) -> dict[str, ComputeBackend]:
    def default_hub_client() -> Any:
        from runner.adapters.hub import make_hub_client

        token = settings.hf_token.get_secret_value() if settings.hf_token else None
        return make_hub_client(token, settings.hf_endpoint)

    actions = ActionsBackend()
    return {
        "actions": actions,
        "hf-jobs": HfJobsBackend(hub_client or default_hub_client, fallback=actions, image=settings.hf_jobs_image),
        "local": LocalBackend(),
    }


def make_gateway_factory(settings: Settings, options: Any = None) -> GatewayFactory:
    from bot.github import PyGithubGateway
    from bot.github_auth import AppTokenProvider

    key = settings.private_key_pem()
    if settings.github_app_id is None or key is None:
        raise ConfigurationError("INTERN_GITHUB_APP_ID and INTERN_GITHUB_PRIVATE_KEY are needed to call GitHub")
    tokens = AppTokenProvider(settings.github_app_id, key, base_url=settings.github_api_url)
    cache: dict[int, GitHubGateway] = {}

    def gateway_for(installation_id: int | None) -> GitHubGateway:
        if installation_id is None:
            raise ConfigurationError("this event carries no installation id: is it from the GitHub App?")
        if installation_id not in cache:
            cache[installation_id] = PyGithubGateway(
                tokens,
                installation_id,
                bot_login=f"{settings.github_app_slug}[bot]",
                base_url=settings.github_api_url,
                options=options,
            )
        return cache[installation_id]

    return gateway_for


def default_services(settings: Settings, store: Store) -> Services:
    return Services(
        environment=dict(os.environ),
        settings=settings,
        store=store,
        gateway_for=make_gateway_factory(settings),
        backends=make_backends(settings),
        planner=make_planner(settings),
    )
