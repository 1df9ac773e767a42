"""The one Jinja2 set-up behind every generated file and every posted text (scripts, cards, reports, comments)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def template_environment(
    package: str = "runner.render",
    *,
    trim_blocks: bool = False,
    filters: Mapping[str, Callable[..., Any]] | None = None,
    **syntax: str,
) -> Environment:
    """Templates from `<package>/templates`, undefined names are errors, no HTML escaping (we write code and
    markdown), trailing newlines kept. `syntax` overrides delimiters (the workflow template uses `{$ $}`)."""
    environment = Environment(
        loader=PackageLoader(package, "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=trim_blocks,
        lstrip_blocks=trim_blocks,
        **syntax,  # type: ignore[arg-type]
    )
    environment.filters.update(filters or {})
    return environment
