"""Render a Plan as Markdown (for `intern plan`, the PR body and the bot's comment)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from runner.planning.plan import Plan


def render_plan_md(plan: Plan) -> str:
    environment = Environment(
        loader=PackageLoader("runner", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("plan.md.j2").render(plan=plan)
