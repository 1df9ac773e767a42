"""The one table of tasks: the Hub's task name -> its implementation (imported on first use, so that the bot's
image, which has no torch, can name tasks without loading them)."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from runner.tasks.errors import UnknownTaskError
from runner.tasks.recognise import canonical_task

if TYPE_CHECKING:
    from runner.tasks.base import Task

# A new task: a folder runner/tasks/<task>/ with a `task.py` defining the class, and one line here.
REGISTRY: dict[str, str] = {
    "text-classification": "runner.tasks.text_classification.task:TextClassification",
    "multi-label-classification": "runner.tasks.multi_label.task:MultiLabelClassification",
    "image-classification": "runner.tasks.image_classification.task:ImageClassification",
}


@cache
def get_task(name: str) -> Task:
    """The task registered under `name` (or one of its aliases); unknown or unsupported names raise a
    UserInputError that lists the supported tasks."""
    canonical = canonical_task(name)
    if canonical not in REGISTRY:
        raise UnknownTaskError(canonical)
    module_name, _, class_name = REGISTRY[canonical].partition(":")
    task: Task = getattr(importlib.import_module(module_name), class_name)()
    return task
