"""`intern plan`: objective (+ optional data) -> Plan, with the Hub and an LLM when they are available."""

from __future__ import annotations

import os
from pathlib import Path

from runner.adapters.hub import make_hub_client
from runner.adapters.llm import LLMClient, make_llm_client
from runner.models.defaults import hub_reachable
from runner.planning.deterministic import detect_hardware, deterministic_plan, is_local
from runner.planning.discovery import DatasetHub
from runner.planning.llm_planner import llm_plan
from runner.planning.plan import Hardware, Plan


def _local_columns(plan: Plan) -> list[str] | None:
    if plan.dataset is None or not is_local(plan.dataset) or not Path(plan.dataset).exists():
        return None
    from runner.data.load import load_table

    return [str(column) for column in load_table(plan.dataset).columns]


def plan_command(
    objective: str,
    data: str | None,
    *,
    hub: DatasetHub | None = None,
    llm: LLMClient | None = None,
    hardware: Hardware | None = None,
    hub_ok: bool | None = None,
) -> Plan:
    """The plan for `objective`: deterministic, then refined by the LLM when `INTERN_OPENAI_API_KEY` is set.

    Clients are built here from the environment (HF_TOKEN, HF_ENDPOINT, INTERN_OPENAI_*) unless given.
    """
    endpoint = os.environ.get("HF_ENDPOINT")
    if hub_ok is None:
        hub_ok = hub is not None or hub_reachable(endpoint)
    if hub is None and hub_ok:
        hub = make_hub_client(os.environ.get("HF_TOKEN"), endpoint)
    hardware = hardware or detect_hardware()
    baseline = deterministic_plan(objective, data, hardware=hardware, hub=hub, hub_ok=hub_ok)
    llm = llm if llm is not None else make_llm_client()
    if llm is None:
        return baseline
    return llm_plan(
        objective,
        baseline,
        llm,
        hub=hub if hub_ok else None,
        hardware=hardware,
        columns=_local_columns(baseline),
    )
