"""Planning: a free-text objective (and maybe data) -> a typed, explained `Plan`.

plan.py            the Plan model
objective.py       key=value overrides and search keywords (pure)
discovery.py       Hub dataset search and ranking
deterministic.py   the planner that needs no LLM
llm_planner.py     the LLM planner, checked, falling back to the deterministic plan
render.py          Plan -> Markdown (templates/plan.md.j2)
command.py         plan_command(): what `intern plan` calls
"""

from runner.planning.plan import Candidate, Hardware, Plan
from runner.planning.plan_command import plan_command
from runner.planning.render import render_plan_md

__all__ = ["Candidate", "Hardware", "Plan", "plan_command", "render_plan_md"]
