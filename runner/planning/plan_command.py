"""`intern plan`: objective (+ optional data) -> Plan, with the Hub and an LLM when they are available."""

from __future__ import annotations

from pathlib import Path

from runner.adapters.hub import DatasetHub
from runner.adapters.llm import LLMClient
from runner.planning.deterministic import detect_hardware, deterministic_plan, is_local
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
    hub: DatasetHub | None,
    llm: LLMClient | None,
    hardware: Hardware | None = None,
) -> Plan:
    """The plan for `objective`: deterministic, then refined by `llm` when one is given.

    `hub` is the Hub to search and inspect (None: the Hub is not reachable, plan offline). The caller builds
    both clients from its settings (`runner.settings.RunnerSettings`, or the bot's `Settings`).
    """
    hardware = hardware or detect_hardware()
    baseline = deterministic_plan(objective, data, hardware=hardware, hub=hub, hub_ok=hub is not None)
    if llm is None:
        return baseline
    return llm_plan(objective, baseline, llm, hub=hub, hardware=hardware, columns=_local_columns(baseline))
