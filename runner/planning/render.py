"""Render a Plan as Markdown (for `intern plan`, the PR body and the bot's comment)."""

from __future__ import annotations

from runner.planning.plan import Plan
from runner.render.templating import template_environment


def render_plan_md(plan: Plan) -> str:
    return template_environment(trim_blocks=True).get_template("plan.md.j2").render(plan=plan)
