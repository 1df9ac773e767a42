"""Render and write the project directory (docs/architecture.md): the config (intern.yaml), the demo (app.py),
requirements.txt, writing the files. A project's files for its task (the task's train.py and app.py among them)
are assembled by `runner/tasks/project.py`, above the stages.

Rendering is pure (config in, file texts out) so the bot can commit the same files the CLI writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jinja2 import Environment

from runner.config import DataFormat, InternConfig, save_config
from runner.models.defaults import training_defaults
from runner.models.portable_model import portable_model_source
from runner.render.pysource import parse_python
from runner.render.templating import template_environment
from runner.schemas import write_text_atomic
from runner.task_names import DEFAULT_TASK


def comment_line(text: str | None) -> str:
    """Untrusted text (an issue's objective) made safe inside a `#` comment: one line, printable, bounded."""
    if not text:
        return "(none given)"
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat[:300] + ("..." if len(flat) > 300 else "")


def _environment() -> Environment:
    return template_environment(filters={"comment_line": comment_line})


def build_config(
    *,
    source: str,
    fmt: DataFormat,
    text_column: str,
    label_column: str,
    labels: list[str],
    model: str,
    rows: int,
    objective: str | None = None,
    test_source: str | None = None,
    test_format: DataFormat | None = None,
    licence: str | None = None,
    attribution: str | None = None,
    abstain_coverage: float | None = None,
    unknown_texts: str | None = None,
    task: str = DEFAULT_TASK,
    data_fields: dict[str, Any] | None = None,
    delimiter: str | None = None,
    test_delimiter: str | None = None,
) -> InternConfig:
    """The resolved config for a dataset: columns, labels, model and hyperparameters sized for the data.
    `data_fields` adds the task's own data settings (label columns, separator...)."""
    return InternConfig.model_validate(
        {
            "task": task,
            "objective": objective,
            "data": {
                **(data_fields or {}),
                "source": source,
                "format": fmt,
                "text_column": text_column,
                "label_column": label_column,
                "test_source": test_source,
                "test_format": test_format,
                "delimiter": delimiter,
                "test_delimiter": test_delimiter,
                "licence": licence or (data_fields or {}).get("licence"),
                "attribution": attribution or (data_fields or {}).get("attribution"),
            },
            "labels": labels,
            "model": {"name": model},
            "training": training_defaults(model, rows, len(labels)),
            # A pretrained encoder's steps are slow on a CPU: three show that fine-tuning runs (the speed comes from
            # a separate timed probe); a scratch model's quick steps also show the loss moving.
            "smoke": {"max_steps": 8 if model.startswith("scratch:") else 3},
            "abstain": {
                key: value
                for key, value in (("coverage", abstain_coverage), ("unknown_texts", unknown_texts))
                if value is not None
            },
        }
    )


def render_app(model_ref: str, title: str, description: str = "", examples: list[str] | None = None) -> str:
    """The Gradio demo: `model_ref` is "./model" in the project, or the published repo id on a Space."""
    text = (
        _environment()
        .get_template("app.py.j2")
        .render(
            model_ref=model_ref,
            portable_model=portable_model_source(),
            title=title,
            description=description,
            examples=[[example] for example in (examples or [])],
        )
    )
    parse_python(text, "app.py")
    return text


def render_requirements() -> str:
    return _environment().get_template("requirements.txt.j2").render()


def write_project(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write the rendered files under `out_dir` (each atomically); returns the paths written."""
    written = []
    for relative, text in files.items():
        written.append(write_text_atomic(out_dir / relative, text))
    return written


def relative_source(source: str, fmt: DataFormat, out_dir: Path) -> str:
    """A local data path as seen from the project directory, so that the project can move with its data."""
    if fmt == "hub":
        return source
    return os.path.relpath(Path(source).resolve(), out_dir.resolve())


__all__ = [
    "build_config",
    "relative_source",
    "render_app",
    "render_requirements",
    "save_config",
    "write_project",
]
