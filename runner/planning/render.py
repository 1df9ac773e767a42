"""Render a Plan as Markdown (for `intern plan`, the PR body and the bot's comment)."""

from __future__ import annotations

from runner.planning.plan import Plan
from runner.render.markdown import escape_md, inline_code
from runner.render.templating import template_environment


def _cell(value: object) -> str:
    return escape_md(value, limit=300)


def render_plan_md(plan: Plan) -> str:
    """The plan; the objective, dataset, column and label names are untrusted text and escaped."""
    environment = template_environment(trim_blocks=True, filters={"md": escape_md, "cell": _cell, "code": inline_code})
    return environment.get_template("plan.md.j2").render(plan=plan)
