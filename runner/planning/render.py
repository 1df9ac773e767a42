"""Render a Plan as Markdown (for `intern plan`, the PR body and the bot's comment)."""

from __future__ import annotations

from runner.planning.plan import Plan
from runner.render.markdown import MARKDOWN_FILTERS, escape_md
from runner.render.templating import template_environment


def _reason(value: object) -> str:
    """A reason or a warning: longer than a table cell allows, escaped the same way."""
    return escape_md(value, limit=300)


def render_plan_md(plan: Plan) -> str:
    """The plan; the objective, dataset, column and label names are untrusted text and escaped."""
    environment = template_environment(trim_blocks=True, filters={**MARKDOWN_FILTERS, "reason": _reason})
    return environment.get_template("plan.md.j2").render(plan=plan)
